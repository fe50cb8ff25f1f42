#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_scale
short_description: Declare the container formation of a Scalingo app
version_added: 0.1.0
description:
  - Sets how many containers of each type (C(web), C(worker), ...) a Scalingo app runs, and their size.
  - Declarative, it reads the current formation and sends one scale request holding only the container types
    whose amount or size differ. When nothing differs, nothing is sent and the task reports no change.
  - Container types that O(containers) does not list are left as they are, unless O(exclusive=true).
  - Waits for the scale operation to end, unless O(wait=false).
  - Scaling a container type that has an active autoscaler disables that autoscaler on the platform, so
    the module refuses it unless O(allow_autoscaled=true).
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  containers:
    description:
      - The wanted container types, each listed once.
      - Types of the app that are not listed keep their amount and size, unless O(exclusive=true).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Container type, as named in the app's C(Procfile), for example V(web) or V(worker).
        type: str
        required: true
      amount:
        description:
          - Number of containers of this type, from V(0) (stops the type) to V(10), the platform's limit per
            type.
        type: int
        required: true
      size:
        description:
          - Size of the containers of this type, for example V(S), V(M), V(L), V(XL), V(2XL) or V(3XL).
          - When not set (or empty), the current size is kept and not compared.
          - A size other than these is checked against the sizes the region offers (one more request, before
            any change) and refused when the region does not offer it.
        type: str
  exclusive:
    description:
      - When V(true), the container types of the app that O(containers) does not list are scaled to V(0).
      - When V(false), they are left as they are.
    type: bool
    default: false
  allow_autoscaled:
    description:
      - Scaling a container type that has an active autoscaler disables the autoscaler on the platform.
      - When V(false), the module fails before sending anything if a type it would scale has an active
        autoscaler, naming the type.
      - When V(true), it scales the type and warns that its autoscaler gets disabled.
      - The autoscalers are read only when the formation must change.
    type: bool
    default: false
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
      - Reads the formation (and the autoscalers when something must change) but sends no scale request;
        returns the predicted formation.
      - An app that does not exist (yet) gives a warning instead of a failure, and the predicted formation is
        the one given, for playbooks that create the app in an earlier task.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The formation before and after, each container type mapped to its amount and size.
notes:
  - A no-op run sends exactly one request, C(GET /apps/{app}/containers).
  - A run that changes the formation sends C(GET /apps/{app}/containers), C(GET /apps/{app}/autoscalers),
    one C(POST /apps/{app}/scale), then polls the operation every O(poll_interval) seconds while
    O(wait=true).
  - An app that was never deployed accepts the new formation without starting an operation; the module
    then has nothing to wait for and returns no RV(operation).
  - If the connection drops after the scale request was sent, the task fails saying that the outcome is
    unknown; the request is never repeated.
seealso:
  - module: scalingo.cloud.scalingo_restart
  - module: scalingo.cloud.scalingo_app_info
  - name: Scale an application (API)
    description: The API request this module sends.
    link: https://developers.scalingo.com/apps#scale-an-application
"""

EXAMPLES = r"""
- name: Run two M web containers and one worker
  scalingo.cloud.scalingo_scale:
    app: my-app
    containers:
      - name: web
        amount: 2
        size: M
      - name: worker
        amount: 1

- name: Run only web containers, stopping every other type
  scalingo.cloud.scalingo_scale:
    app: my-app
    containers:
      - name: web
        amount: 1
    exclusive: true

- name: Stop the workers without waiting for the operation
  scalingo.cloud.scalingo_scale:
    app: my-app
    containers:
      - name: worker
        amount: 0
    wait: false
  register: scale

- name: Scale the web type although it has an autoscaler, after a running deployment ends
  scalingo.cloud.scalingo_scale:
    app: my-app
    containers:
      - name: web
        amount: 4
    allow_autoscaled: true
    wait_for_idle: true
    wait_timeout: 600

- name: Scale several apps with shared connection settings
  module_defaults:
    group/scalingo.cloud.scalingo:
      region: osc-secnum-fr1
  block:
    - name: Scale the API app
      scalingo.cloud.scalingo_scale:
        app: my-api
        containers:
          - name: web
            amount: 3
            size: L
"""

RETURN = r"""
scalingo_scale:
  description:
    - The container types of the app after the run, each with its amount and size.
    - In check mode, the predicted formation.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Container type.
      type: str
      sample: web
    amount:
      description: Number of containers of the type.
      type: int
      sample: 2
    size:
      description: Size of the containers of the type.
      type: str
      sample: M
  sample:
    - name: web
      amount: 2
      size: M
    - name: worker
      amount: 1
      size: S
scalingo_formation:
  description:
    - Same as RV(scalingo_scale), the name of this result before 0.2.0.
    - Deprecated, will be removed in 1.0.0; use RV(scalingo_scale).
  returned: success
  type: list
  elements: dict
  sample:
    - name: web
      amount: 2
      size: M
operation:
  description:
    - The scale operation, when one was started (not in check mode and not when nothing changed, nor for an
      app that was never deployed), in the shape every module of the
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
      sample: scale
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
      sample: /v1/apps/my-app/scale
    errors:
      description: Field errors of the API answer (field name to messages).
      type: dict
      sample: {app: ["is restarting"]}
    outcome_unknown:
      description: V(true) when a write may have reached the platform before the connection failed (it is never repeated).
      type: bool
      sample: false
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.formation import (
    formation_map,
    normalize_formation,
    offered_size_errors,
    read_formation,
    run_operation,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error, containers_errors

NO_CHANGE = "no change in containers formation"


def wanted_changes(current, containers, exclusive):
    """The entries of the scale request: only the types whose amount or size differ (the size only when
    given), plus with ``exclusive`` the unlisted types that still run containers, scaled to 0."""
    now = formation_map(current)
    changes = []
    for item in containers:
        present = now.get(item["name"])
        size = item.get("size") or None
        if present is None or present["amount"] != item["amount"] or (size and present["size"] != size):
            changes.append(dict(name=item["name"], amount=item["amount"], **(dict(size=size) if size else {})))
    if exclusive:
        listed = set(item["name"] for item in containers)
        changes.extend(dict(name=item["name"], amount=0) for item in current
                       if item["name"] not in listed and item["amount"])
    return changes


def predict(current, changes):
    """The formation once ``changes`` are applied."""
    after = dict((item["name"], dict(item)) for item in current)
    for change in changes:
        after.setdefault(change["name"], dict(name=change["name"], amount=0, size=None)).update(change)
    return list(after.values())


def check_autoscalers(scalingo, app, changes):
    """Refuse (or, with allow_autoscaled, warn about) changed types that have an active autoscaler."""
    changed = set(change["name"] for change in changes)
    autoscalers = scalingo.client.get(app_path(app) + "/autoscalers").json or {}
    types = sorted(set(item.get("container_type") for item in autoscalers.get("autoscalers") or []
                       if isinstance(item, dict) and not item.get("disabled") and item.get("container_type") in changed))
    if not types:
        return
    names = ", ".join(types)
    if not scalingo.params["allow_autoscaled"]:
        scalingo.fail("container type %s of app %s has an active autoscaler, and scaling it by hand disables the "
                      "autoscaler: remove %s from containers, or set allow_autoscaled=true to scale it anyway"
                      % (names, app, names), autoscaled_types=types)
    scalingo.module.warn("scaling container type %s of app %s disables its autoscaler" % (names, app))


def main_logic(scalingo):
    params = scalingo.params
    app = params["app"]
    errors = [error for error in [app_name_error(app, "app")] + containers_errors(params["containers"]) if error]
    if errors:
        scalingo.fail("; ".join(errors))

    missing = False
    try:
        current = read_formation(scalingo.client, app)
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        current, missing = [], True
    changes = wanted_changes(current, params["containers"], params["exclusive"])
    after = predict(current, changes)
    diff = dict(before=formation_map(current), after=formation_map(after))
    if not changes:
        exit_formation(scalingo, False, diff, current)
    unknown = sorted(set(change["name"] for change in changes) - set(item["name"] for item in current))
    if unknown and not missing:
        scalingo.module.warn("container type %s is not in the formation of app %s (%s); the API decides whether "
                             "it accepts it" % (", ".join(unknown), app,
                                                ", ".join(item["name"] for item in current) or "no type"))
    errors = offered_size_errors(scalingo.client, [("containers[%d].size" % index, item.get("size"))
                                                   for index, item in enumerate(params["containers"])])
    if errors:
        scalingo.fail("; ".join(errors), scalingo_scale=current)
    if scalingo.check_mode:
        if not missing:  # an app that does not exist yet has no autoscaler
            check_autoscalers(scalingo, app, changes)
        exit_formation(scalingo, True, diff, after)
    check_autoscalers(scalingo, app, changes)

    try:
        response, operation = run_operation(scalingo.client, app, app_path(app) + "/scale", dict(containers=changes),
                                            params)
    except ScalingoAPIError as error:
        if error.status == 400 and NO_CHANGE in str(error.reason):
            exit_formation(scalingo, False, dict(before=diff["before"], after=diff["before"]), current)
        raise
    formation = normalize_formation((response.json or {}).get("containers")) or after
    exit_formation(scalingo, True, dict(before=diff["before"], after=formation_map(formation)), formation,
                   operation=scalingo.operation_result(app, operation))


def exit_formation(scalingo, changed, diff, formation, operation=None):
    """Exit with the formation under scalingo_scale and its deprecated alias scalingo_formation."""
    result = dict(scalingo_scale=formation, scalingo_formation=formation)
    if operation is not None:
        result["operation"] = operation
    scalingo.exit(changed=changed, diff=diff, **result)


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        containers=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            amount=dict(type="int", required=True),
            size=dict(type="str"),
        )),
        exclusive=dict(type="bool", default=False),
        allow_autoscaled=dict(type="bool", default=False),
        wait_for_idle=dict(type="bool", default=False),
    ), main_logic)


if __name__ == "__main__":
    main()
