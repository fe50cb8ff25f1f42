#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_env
short_description: Declare the environment variables of a Scalingo app
version_added: 0.2.0
description:
  - Sets, updates and removes the environment variables of a Scalingo app, and restarts the app when asked and
    only when something changed.
  - Declarative, it reads the variables once and compares the raw values the API stores (references such as
    C($SCALINGO_POSTGRESQL_URL) are compared as written, never resolved). When nothing differs, that one read is
    the only request and the task reports no change.
  - Plain values go in O(env), secret values in O(secret_env). A secret value never appears in the result, the
    diff, a warning or an error; a plain value is shown only in the diff, and only for the variables of O(env).
  - The platform never restarts an app when its environment changes; O(restart=true) restarts it once, after the
    change, and waits for the restart with the common wait options.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  env:
    description:
      - Variables with plain values, as a dictionary name to value.
      - Numbers and booleans are sent as the strings you mean (V(2) becomes C("2"), V(true) becomes C("true")).
      - Names are letters, digits and underscores, not starting with a digit, at most 64 characters; values are at
        most 8192 characters.
      - With O(state=absent), only the names count.
    type: dict
    default: {}
  secret_env:
    description:
      - Variables with secret values, as a dictionary name to value, with the rules of O(env).
      - The option is C(no_log); its values never appear in the result or the diff. A name may not be given in
        both O(env) and O(secret_env).
    type: dict
    default: {}
  state:
    description:
      - V(present) sets the variables of O(env) and O(secret_env) (and, with O(purge=true), removes the others).
      - V(absent) removes the variables named in O(names) and the names of O(env) and O(secret_env); a variable
        that does not exist is left alone.
    type: str
    choices: [present, absent]
    default: present
  names:
    description:
      - With O(state=absent), names of variables to remove.
    type: list
    elements: str
    default: []
  purge:
    description:
      - With O(state=present), also remove every variable not given in O(env) or O(secret_env), except the names
        that match O(keep) and the variables set by the app's addons.
      - The variables of an addon are recognised by their names, C(SCALINGO_<PROVIDER>_...) or C(<PROVIDER>_...),
        PROVIDER being the addon provider's id without C(scalingo-), in upper case (C(SCALINGO_POSTGRESQL_URL)
        for C(scalingo-postgresql); C(SCALINGO_MONGO_URL) for C(scalingo-mongodb), C(SCALINGO_INFLUX_URL) for
        C(scalingo-influxdb)), and so are the aliases the platform adds beside them, whose raw value is only a
        reference to such a name (C(DATABASE_URL=$SCALINGO_POSTGRESQL_URL), C(REDIS_URL=$SCALINGO_REDIS_URL)).
        The app's addons are read (one more request) only when a purge would otherwise remove something. Add
        other names an addon sets to O(keep).
      - Refused with O(state=absent).
    type: bool
    default: false
  keep:
    description:
      - With O(purge=true), names or shell-style patterns (V(SCALINGO_*), V(NEW_RELIC_?*)) of variables the purge
        never removes. Used only with O(purge=true).
    type: list
    elements: str
    default: []
  restart:
    description:
      - When V(true) and the task changed a variable, restart the app's containers (all of them, or
        O(restart_scope)) once the variables are written, and wait for the restart unless O(wait=false).
      - When nothing changed, nothing restarts.
    type: bool
    default: false
  restart_scope:
    description:
      - With O(restart=true), what to restart, as container types such as V(web) or container names such as
        V(web-1); when empty, every container restarts.
      - A non-empty scope is checked against the app's formation (one more request) before any variable is
        written.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait
  - scalingo.cloud.scalingo.wait_for_idle
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the variables and reports what would be added, updated and removed; sends no write and no restart.
      - On an app that does not exist (yet), for example one that an earlier task of the play would create,
        reports that every variable would be added, with a warning, instead of failing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The diff shows the variables of O(env) with their values before and after; the variables of
        O(secret_env) show only V((secret)) or V((secret, changed)); other removed variables show no value.
notes:
  - "Requests: one C(GET /apps/{app}/variables?aliases=true); when something changes, one bulk
    C(PUT /apps/{app}/variables) for every creation and update and one bulk C(DELETE /apps/{app}/variables) for
    every removal; with O(restart=true), C(POST /apps/{app}/restart) and the polls of its operation."
  - A purge that would remove variables reads the app's addons first (C(GET /apps/{app}/addons)) to spare their
    variables; list those names in O(keep) (for example V(SCALINGO_*)) and a purge with nothing to change costs
    one request again.
  - Values of O(env) are not secret; the task arguments show them with C(-vvv). Put every secret in
    O(secret_env).
seealso:
  - module: scalingo.cloud.scalingo_env_info
  - module: scalingo.cloud.scalingo_restart
  - name: Environment variables (API)
    description: The API requests this module sends.
    link: https://developers.scalingo.com/environment
"""

EXAMPLES = r"""
- name: Declare the environment of the app and restart it when it changed
  scalingo.cloud.scalingo_env:
    app: my-app
    env:
      RAILS_ENV: production
      WEB_CONCURRENCY: 2
      DATABASE_URL: $SCALINGO_POSTGRESQL_URL
    secret_env:
      SECRET_KEY_BASE: "{{ vault_secret_key_base }}"
    restart: true

- name: Keep only these variables, the addons' ones and the New Relic ones
  scalingo.cloud.scalingo_env:
    app: my-app
    env:
      RAILS_ENV: production
    secret_env:
      SECRET_KEY_BASE: "{{ vault_secret_key_base }}"
    purge: true
    keep:
      - NEW_RELIC_*

- name: Remove two variables
  scalingo.cloud.scalingo_env:
    app: my-app
    state: absent
    names:
      - OLD_FEATURE_FLAG
      - LEGACY_URL
"""

RETURN = r"""
scalingo_env:
  description:
    - Names of the variables, by what the task did (or would do, in check mode) to them. Never a value.
  returned: success
  type: dict
  contains:
    added:
      description: Names of the variables created.
      type: list
      elements: str
      sample: [RAILS_ENV]
    updated:
      description: Names of the variables whose value changed.
      type: list
      elements: str
      sample: [SECRET_KEY_BASE]
    removed:
      description: Names of the variables removed (O(state=absent), or O(purge=true)).
      type: list
      elements: str
      sample: [OLD_FEATURE_FLAG]
    unchanged:
      description:
        - Names given that needed nothing, already with the wanted value (O(state=present)) or already absent
          (O(state=absent)).
      type: list
      elements: str
      sample: [WEB_CONCURRENCY]
operation:
  description:
    - The restart operation, when O(restart=true) and something changed (not in check mode).
    - With O(wait=true), the final operation (status V(done)); with O(wait=false), its id and URL only (the other
      keys are V(null)).
  returned: when the app was restarted
  type: dict
  contains:
    id:
      description: Operation ID.
      type: str
      sample: 52fd2357356330032b080000
    url:
      description: URL of the operation resource.
      type: str
      sample: https://api.osc-fr1.scalingo.com/v1/apps/my-app/operations/52fd2357356330032b080000
    type:
      description: Operation type.
      type: str
      sample: restart
    status:
      description: Status of the operation.
      type: str
      sample: done
    error:
      description: Error text of a failed operation.
      type: str
    created_at:
      description: When the operation started.
      type: str
    finished_at:
      description: When the operation ended.
      type: str
failure:
  description:
    - What went wrong, when the task failed on an API answer, a lost connection or the restart operation. Never
      a value of a variable.
    - When the variables were written but the restart failed, the task also returns RV(scalingo_env) and
      C(changed=true).
  returned: failure
  type: dict
  contains:
    type:
      description: Kind of failure, such as C(ScalingoAPIError), C(ScalingoConnectionError),
        C(ScalingoTimeoutError) or C(ScalingoOperationError).
      type: str
    message:
      description: The failure, as in C(msg).
      type: str
    status:
      description: HTTP status of the API's answer.
      type: int
    method:
      description: Method of the refused request.
      type: str
    path:
      description: Path of the refused request.
      type: str
    errors:
      description: The API's errors, field name to messages.
      type: dict
  sample:
    type: ScalingoAPIError
    message: "Scalingo API refused PUT /v1/apps/my-app/variables (422): value is too long"
    status: 422
    method: PUT
    path: /v1/apps/my-app/variables
    errors: {value: [is too long (maximum is 8192 characters)]}
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError, ScalingoError
from ansible_collections.scalingo.cloud.plugins.module_utils.environment import (
    Plan,
    addon_name_prefixes,
    addon_providers,
    apply_plan,
    make_env_diff,
    name_errors,
    purge_candidates,
    read_variables,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.formation import read_formation, run_operation
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import (
    ENV_NAME_MAX,
    ENV_VALUE_MAX,
    app_name_error,
    env_pair_errors,
    env_strings,
    scope_errors,
)


def input_errors(params):
    errors = [app_name_error(params["app"], "app")]
    errors.extend(env_pair_errors(params["env"], params["secret_env"], max_name=ENV_NAME_MAX,
                                  max_value=ENV_VALUE_MAX))
    errors.extend(name_errors(params["names"]))
    if params["state"] == "absent" and params["purge"]:
        errors.append("purge: only with state=present (purge removes the variables that are not given; "
                      "state=absent removes the ones that are)")
    if params["state"] == "present" and params["names"]:
        errors.append("names: only with state=absent; with state=present give the variables in env or secret_env")
    errors.extend("keep[%d]: must be a variable name or a shell-style pattern, not an empty string" % index
                  for index, entry in enumerate(params["keep"]) if not entry or not entry.strip())
    errors.extend("restart_scope[%d]: must be a container type or a container name, not an empty string" % index
                  for index, entry in enumerate(params["restart_scope"]) if not entry or not entry.strip())
    return [error for error in errors if error]


def main_logic(scalingo):
    params = scalingo.params
    errors = input_errors(params)
    if errors:
        scalingo.fail("; ".join(errors))
    app, present = params["app"], params["state"] == "present"
    env, secret_env = env_strings(params["env"]), env_strings(params["secret_env"])
    wanted = dict(env, **secret_env) if present else {}
    remove = [] if present else sorted(set(params["names"]) | set(env) | set(secret_env))

    client = scalingo.client
    try:
        current = read_variables(client, app)
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        plan = Plan([], wanted, remove)
        scalingo.exit(changed=plan.changed, diff=make_env_diff(plan, env, secret_env, present),
                      scalingo_env=plan.result())

    addon_prefixes = []
    if present and params["purge"] and purge_candidates(dict((v["name"], v) for v in current), wanted,
                                                        params["keep"]):
        addon_prefixes = addon_name_prefixes(addon_providers(client, app))
    plan = Plan(current, wanted, remove, purge=present and params["purge"], keep=params["keep"],
                addon_prefixes=addon_prefixes)
    result = dict(scalingo_env=plan.result())
    diff = make_env_diff(plan, env, secret_env, present)
    restart = params["restart"] and plan.changed
    scope = []
    for entry in params["restart_scope"]:
        if entry not in scope:
            scope.append(entry)
    if restart and scope:
        errors = scope_errors(scope, read_formation(client, app), "restart_scope")
        if errors:
            scalingo.fail("; ".join(errors) + " (no variable was written)")
    if scalingo.check_mode or not plan.changed:
        scalingo.exit(changed=plan.changed, diff=diff, **result)

    apply_plan(client, app, plan)
    if restart:
        try:
            dummy, operation = run_operation(client, app, app_path(app) + "/restart", dict(scope=scope), params)
        except ScalingoError as error:
            scalingo.fail("the variables were written, but the restart failed: %s" % error,
                          failure=error.to_dict(), changed=True, **result)
        if operation is not None:
            result["operation"] = scalingo.operation_result(app, operation)
    scalingo.exit(changed=True, diff=diff, **result)


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        env=dict(type="dict", default={}),
        secret_env=dict(type="dict", default={}, no_log=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        names=dict(type="list", elements="str", default=[]),
        purge=dict(type="bool", default=False),
        keep=dict(type="list", elements="str", default=[], no_log=False),
        restart=dict(type="bool", default=False),
        restart_scope=dict(type="list", elements="str", default=[]),
        wait_for_idle=dict(type="bool", default=False),
    ), main_logic)


if __name__ == "__main__":
    main()
