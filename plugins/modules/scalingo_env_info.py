#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_env_info
short_description: Read the environment variables of a Scalingo app
version_added: 0.2.0
description:
  - Returns the environment variables of a Scalingo app as a dictionary name to value, all of them or only
    O(names).
  - Values are returned as the API stores them (references such as C($SCALINGO_POSTGRESQL_URL) as written), or
    with O(aliases=false) with the references replaced by the values they point to, as the platform does.
  - Environment variables often hold secrets, and this module returns their values. Set C(no_log) on the task
    when they do, so that Ansible's output and logs do not show them.
  - Never changes anything. One API request.
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  names:
    description:
      - Names of the variables to return; when empty, every variable is returned.
      - A name that the app does not have is missing from the result (not a failure).
    type: list
    elements: str
    default: []
  aliases:
    description:
      - When V(true), values as stored, references to other variables as written (C($SCALINGO_REDIS_URL)).
      - When V(false), references to other variables are replaced by their values.
    type: bool
    default: true
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait_unused
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the same result, since it changes nothing.
    support: full
    details:
      - On an app that does not exist (yet), in check mode, returns an empty dictionary with a warning.
  diff_mode:
    description: Returns details on what has changed when in diff mode.
    support: N/A
    details:
      - The module never changes anything.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
seealso:
  - module: scalingo.cloud.scalingo_env
  - name: Environment variables (API)
    description: The API request this module sends.
    link: https://developers.scalingo.com/environment#list-environment-variables-of-an-app
"""

EXAMPLES = r"""
- name: Read the database URL the app sees (a secret, hence no_log)
  scalingo.cloud.scalingo_env_info:
    app: my-app
    names: [DATABASE_URL]
    aliases: false
  register: app_env
  no_log: true

- name: Check that the app points to its addon
  ansible.builtin.assert:
    that:
      - app_env.scalingo_env_info.DATABASE_URL is match('postgres://')
    quiet: true
"""

RETURN = r"""
scalingo_env_info:
  description:
    - The variables of the app, name to value (only O(names) when given).
  returned: success
  type: dict
  sample:
    RAILS_ENV: production
    DATABASE_URL: $SCALINGO_POSTGRESQL_URL
failure:
  description: What went wrong, when the task failed on an API answer or a lost connection.
  returned: failure
  type: dict
  contains:
    type:
      description: Kind of failure, such as C(ScalingoAPIError) or C(ScalingoConnectionError).
      type: str
    message:
      description: The failure, as in C(msg).
      type: str
    status:
      description: HTTP status of the API's answer.
      type: int
    resource:
      description: The missing resource of a 404 answer, such as C(app).
      type: str
  sample:
    type: ScalingoAPIError
    message: "Scalingo API refused GET /v1/apps/my-app/variables (404): app not found"
    status: 404
    resource: app
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.environment import name_errors, read_variables
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error


def main_logic(scalingo):
    params = scalingo.params
    app, names = params["app"], params["names"]
    errors = [error for error in [app_name_error(app, "app")] + name_errors(names) if error]
    if errors:
        scalingo.fail("; ".join(errors))
    try:
        variables = read_variables(scalingo.client, app, aliases=params["aliases"])
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        variables = []
    scalingo.exit(changed=False, scalingo_env_info=dict(
        (item["name"], item["value"]) for item in variables if not names or item["name"] in names))


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        names=dict(type="list", elements="str", default=[]),
        aliases=dict(type="bool", default=True),
    ), main_logic)


if __name__ == "__main__":
    main()
