#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_restart
short_description: Restart the containers of a Scalingo app
version_added: 0.1.0
description:
  - Restarts all the containers of a Scalingo app, or only some container types or containers.
  - Checks O(scope) against the app's formation before sending anything, naming the unknown entries.
  - Waits for the restart operation to end, unless O(wait=false).
  - A restart is an action, so the task always reports a change.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  scope:
    description:
      - What to restart, as container types such as V(web), or container names such as V(web-1) (the type,
        a dash, and an index from 1 to the amount of containers of the type).
      - When empty, every container of the app restarts.
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
      - Reads the formation to check O(scope), sends no restart request, and reports what would restart.
      - An app that does not exist (yet) gives a warning instead of a failure, for playbooks that create it in an
        earlier task.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: none
notes:
  - A run sends C(GET /apps/{app}/containers), one C(POST /apps/{app}/restart), then polls the operation every
    O(poll_interval) seconds while O(wait=true).
  - If the connection drops after the restart request was sent, the task fails saying that the outcome is
    unknown; the request is never repeated.
seealso:
  - module: scalingo.cloud.scalingo_scale
  - name: Restart an application (API)
    description: The API request this module sends.
    link: https://developers.scalingo.com/apps#restart-an-application
"""

EXAMPLES = r"""
- name: Restart every container of the app
  scalingo.cloud.scalingo_restart:
    app: my-app

- name: Restart the workers and the first web container
  scalingo.cloud.scalingo_restart:
    app: my-app
    scope:
      - worker
      - web-1

- name: Restart the web containers once the running deployment has ended, without waiting for the restart
  scalingo.cloud.scalingo_restart:
    app: my-app
    scope: [web]
    wait_for_idle: true
    wait: false
  register: restart

- name: Show the restart operation
  ansible.builtin.debug:
    msg: "Restart operation {{ restart.operation.id }} at {{ restart.operation.url }}"
"""

RETURN = r"""
scalingo_restart:
  description:
    - What the restart covers (or would cover, in check mode).
  returned: success
  type: dict
  contains:
    scope:
      description: The scope sent with the restart request; empty means every container.
      type: list
      elements: str
      sample: [web, worker-1]
    restarted:
      description:
        - Names of the containers that restart (or would restart, in check mode).
        - Empty in check mode when the app does not exist yet.
      type: list
      elements: str
      sample: [web-1, web-2, worker-1]
scope:
  description:
    - Same as RV(scalingo_restart.scope), at the top level as before 0.2.0.
    - Deprecated, will be removed in 1.0.0; use RV(scalingo_restart.scope).
  returned: success
  type: list
  elements: str
  sample: [web, worker-1]
restarted:
  description:
    - Same as RV(scalingo_restart.restarted), at the top level as before 0.2.0.
    - Deprecated, will be removed in 1.0.0; use RV(scalingo_restart.restarted).
  returned: success
  type: list
  elements: str
  sample: [web-1, web-2, worker-1]
operation:
  description:
    - The restart operation, when one was started (not in check mode), in the shape every module of the
      collection returns operations.
    - With O(wait=true), the final operation (status V(done)); with O(wait=false), RV(operation.id) and
      RV(operation.url) to follow it later, the other fields V(null).
  returned: when an operation was started
  type: dict
  contains:
    id:
      description: Operation ID.
      type: str
      sample: 52fd2357356330032b080000
    url:
      description: URL of the operation resource, on the configured API base.
      type: str
      sample: https://api.osc-fr1.scalingo.com/v1/apps/my-app/operations/52fd2357356330032b080000
    type:
      description: Operation type (with O(wait=true)).
      type: str
      sample: restart
    status:
      description: Final status (with O(wait=true)).
      type: str
      sample: done
    error:
      description: Error text of an operation that failed, else V(null).
      type: str
    created_at:
      description: When the operation started (with O(wait=true)).
      type: str
      sample: "2026-01-01T10:00:00.000Z"
    finished_at:
      description: When the operation ended (with O(wait=true)).
      type: str
      sample: "2026-01-01T10:00:05.000Z"
failure:
  description:
    - What failed, when the task failed because of an API answer, a network error or a timeout; the same text as
      C(msg), in fields. Never a token or a secret value.
  returned: failure
  type: dict
  contains:
    status:
      description: HTTP status of the API answer, when there was one.
      type: int
      sample: 422
    method:
      description: HTTP method of the request that failed.
      type: str
      sample: POST
    path:
      description: Path of the request that failed.
      type: str
      sample: /v1/apps/my-app/restart
    errors:
      description: Field errors of the API answer (field name to messages).
      type: dict
      sample: {app: ["is scaling"]}
    outcome_unknown:
      description: V(true) when a write may have reached the platform before the connection failed (it is never repeated).
      type: bool
      sample: false
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.formation import (
    read_formation,
    run_operation,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error, scope_errors


def restarted_containers(formation, scope):
    """Names of the containers that the scope restarts, in formation order."""
    names = []
    for item in formation:
        for index in range(1, (item["amount"] or 0) + 1):
            name = "%s-%d" % (item["name"], index)
            if not scope or item["name"] in scope or name in scope:
                names.append(name)
    return names


def main_logic(scalingo):
    params = scalingo.params
    app = params["app"]
    scope = []
    for entry in params["scope"]:
        if entry not in scope:
            scope.append(entry)
    errors = [app_name_error(app, "app")]
    errors.extend("scope[%d]: must be a container type or a container name, not an empty string" % index
                  for index, entry in enumerate(scope) if not entry or not entry.strip())
    errors = [error for error in errors if error]
    if errors:
        scalingo.fail("; ".join(errors))

    try:
        formation = read_formation(scalingo.client, app)
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        exit_restart(scalingo, scope, [])
    errors = scope_errors(scope, formation)
    if errors:
        scalingo.fail("; ".join(errors), scalingo_formation=formation)
    restarted = restarted_containers(formation, scope)
    if scalingo.check_mode:
        exit_restart(scalingo, scope, restarted)

    dummy, operation = run_operation(scalingo.client, app, app_path(app) + "/restart", dict(scope=scope), params)
    exit_restart(scalingo, scope, restarted, scalingo.operation_result(app, operation))


def exit_restart(scalingo, scope, restarted, operation=None):
    """Exit (always changed: a restart is an action) with scalingo_restart and the deprecated top-level keys."""
    result = dict(scalingo_restart=dict(scope=scope, restarted=restarted), scope=scope, restarted=restarted)
    if operation is not None:
        result["operation"] = operation
    scalingo.exit(changed=True, **result)


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        scope=dict(type="list", elements="str", default=[]),
        wait_for_idle=dict(type="bool", default=False),
    ), main_logic)


if __name__ == "__main__":
    main()
