#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_addon
short_description: Provision, change the plan of, and remove an addon (database, ...) of a Scalingo app
version_added: 0.2.0
description:
  - Makes sure a Scalingo app has an addon of a provider (for example a PostgreSQL database) on a given plan, or
    has none.
  - Provisions the addon when the app has none of that provider, changes its plan when it differs, then waits
    until the addon runs (provisioning and plan changes are asynchronous), unless O(wait=false).
  - The plan is given by name and resolved through the provider's plan list. An unknown provider or plan is
    refused before any change, listing the valid names; a disabled plan is refused, naming the alternative the
    API offers; a plan to be discontinued is accepted with a warning.
  - Provisioning adds environment variables to the app (for PostgreSQL, C(SCALINGO_POSTGRESQL_URL) and its alias
    C(DATABASE_URL)). Their values hold the addon's credentials, so the module returns their names only.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  provider:
    description:
      - ID of the addon provider, for example V(postgresql), V(mysql), V(redis) or V(mongodb).
      - M(scalingo.cloud.scalingo_addon_info) with O(scalingo.cloud.scalingo_addon_info#module:provider) lists a
        provider's plans.
    type: str
    required: true
  plan:
    description:
      - Name of the plan, for example V(postgresql-starter-512).
      - Required when O(state=present); ignored when O(state=absent).
      - Compared by name with the plan of the existing addon; the provider's plan list is read only when the
        addon must be provisioned or change plan.
    type: str
  state:
    description:
      - V(present) provisions the addon, or changes its plan, and waits until it runs.
      - V(absent) removes the addon, and with it every data it holds. Removing an addon that does not exist
        changes nothing.
    type: str
    choices: [present, absent]
    default: present
  addon_id:
    description:
      - ID of the addon (C(ad-...)) to act on, when the app has several addons of O(provider).
      - Without it, an app with several addons of O(provider) makes the task fail, listing them.
      - With O(state=present), an O(addon_id) that the app does not have makes the task fail.
    type: str
  wait_timeout:
    description:
      - How many seconds to wait for the addon to run when O(wait=true).
      - When the time is up the task fails with the addon's status, but provisioning goes on on the platform.
    type: int
    default: 600
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the app's addons (and the plan list when a plan must be resolved) and sends no change; returns the
        predicted addon.
      - An app that does not exist (yet) is reported with a warning and the predicted addon instead of a failure.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The state, provider and plan name before and after.
notes:
  - A run with nothing to change sends one request, C(GET /apps/{app}/addons), unless the addon is still
    provisioning and O(wait=true).
  - Provisioning sends C(GET /apps/{app}/addons), C(GET /addon_providers/{provider}/plans),
    C(POST /apps/{app}/addons), then polls C(GET /apps/{app}/addons/{id}) every O(poll_interval) seconds until
    the addon runs. A plan change sends C(PATCH /apps/{app}/addons/{id}) instead of the C(POST).
  - An account without a payment method can only provision free plans; the API refuses the others (HTTP 402)
    and the task fails with the API's message and the link to the billing page.
  - If the connection drops after the provisioning request was sent, the task fails saying that the outcome
    is unknown; the request is never repeated.
seealso:
  - module: scalingo.cloud.scalingo_addon_info
  - name: Addons (API)
    description: The API requests this module sends.
    link: https://developers.scalingo.com/addons
"""

EXAMPLES = r"""
- name: Give the app a PostgreSQL database
  scalingo.cloud.scalingo_addon:
    app: my-app
    provider: postgresql
    plan: postgresql-starter-512
  register: database

- name: Show the environment variables the database set
  ansible.builtin.debug:
    msg: "{{ database.scalingo_addon.env_names }}"

- name: Move the database to a bigger plan, waiting up to 30 minutes
  scalingo.cloud.scalingo_addon:
    app: my-app
    provider: postgresql
    plan: postgresql-business-1024
    wait_timeout: 1800

- name: Provision a Redis addon without waiting for it
  scalingo.cloud.scalingo_addon:
    app: my-app
    provider: redis
    plan: redis-sandbox
    wait: false

- name: Remove the Redis addon (and its data)
  scalingo.cloud.scalingo_addon:
    app: my-app
    provider: redis
    state: absent
"""

RETURN = r"""
scalingo_addon:
  description:
    - The addon after the run; in check mode, the predicted addon (unknown fields are null).
    - Empty when O(state=absent).
  returned: success
  type: dict
  contains:
    id:
      description: Addon ID.
      type: str
      sample: ad-0b3e4a7c-2f1d-4d59-9e4b-6a6c1f0e8a21
    resource_id:
      description: Resource reference of the addon (also the database's name for a database addon).
      type: str
      sample: my_app_3083
    status:
      description:
        - V(running), V(provisioning) (with O(wait=false), or in check mode) or V(suspended).
      type: str
      sample: running
    provider:
      description: The addon provider.
      type: dict
      contains:
        id:
          description: Provider ID.
          type: str
          sample: postgresql
        name:
          description: Provider name.
          type: str
          sample: PostgreSQL
    plan:
      description: The addon's plan.
      type: dict
      contains:
        id:
          description: Plan ID.
          type: str
          sample: 5cc45d223e6b3b001249e5a3
        name:
          description: Plan name.
          type: str
          sample: postgresql-starter-512
    env_names:
      description:
        - Names of the environment variables the addon set, as the API gives them when the addon is provisioned
          or changes plan. Never their values, which hold credentials.
        - Null when this run neither provisioned the addon nor changed its plan.
      type: list
      elements: str
      sample: [DATABASE_URL, SCALINGO_POSTGRESQL_URL]
message:
  description: The message of the addon provider, when the addon was provisioned or changed plan.
  returned: when the API gives one
  type: str
  sample: Database successfully created
failure:
  description:
    - Why the task failed, when it did. For an addon that did not run in time, RV(failure.addon) holds its last
      state (same shape as RV(scalingo_addon)).
  returned: failure
  type: dict
  contains:
    type:
      description: Kind of failure, such as C(ScalingoAPIError), C(PlanError), C(UnknownProviderError) or
        C(AddonWaitError).
      type: str
    message:
      description: The failure message.
      type: str
    status:
      description: HTTP status of a refused request (C(402) when a payment method is needed).
      type: int
    url:
      description: Link the API gives with a refusal, such as its billing page on HTTP 402.
      type: str
    plans:
      description: The valid plan names of the provider, for an unknown or disabled plan.
      type: list
      elements: str
    providers:
      description: The valid provider IDs, for an unknown provider.
      type: list
      elements: str
    alternative:
      description: The plan the API offers instead of a disabled plan.
      type: str
    addon:
      description: The addon's last state, when it did not run in time.
      type: dict
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.addons import (
    AddonWaitError,
    PROVISIONING,
    addon_path,
    addon_result,
    addons_path,
    answer_env_names,
    list_addons,
    list_plans,
    plan_name_error,
    provider_error,
    provider_id,
    resolve_plan,
    wait_for_addon,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error

ABSENT = dict(state="absent")


def view(addon):
    if not addon:
        return dict(ABSENT)
    return dict(state="present", provider=provider_id(addon), plan=(addon.get("plan") or {}).get("name"))


def predicted(provider, plan, current=None):
    """The addon a check-mode run predicts (an existing addon with ``plan``, or a new one)."""
    if current:
        result = addon_result(current)
    else:
        result = dict(id=None, resource_id=None, provider=dict(id=provider, name=None), env_names=None)
    result.update(status=PROVISIONING, plan=dict(id=plan.get("id"), name=plan.get("name")))
    return result


def pick_addon(scalingo, app, addons, provider, addon_id):
    """The app's addon of ``provider`` (the one with ``addon_id`` when given), None when it has none."""
    if addon_id:
        found = next((item for item in addons if item.get("id") == addon_id), None)
        if found is not None and provider_id(found) != provider:
            scalingo.fail("addon_id: addon %s of app %s is a %s addon, not a %s one"
                          % (addon_id, app, provider_id(found), provider))
        return found
    mine = [item for item in addons if provider_id(item) == provider]
    if len(mine) > 1:
        listed = ", ".join("%s (plan %s)" % (item.get("id"), (item.get("plan") or {}).get("name")) for item in mine)
        scalingo.fail("app %s has %d addons of provider %s: %s; set addon_id to pick one"
                      % (app, len(mine), provider, listed), addons=[addon_result(item) for item in mine])
    return mine[0] if mine else None


def read_addons(scalingo, app):
    """The app's addons; None in check mode when the app does not exist (yet)."""
    try:
        return list_addons(scalingo.client, app)
    except ScalingoAPIError as error:
        if scalingo.app_missing_in_check_mode(error, app):
            return None
        raise


def resolve(scalingo, provider, name):
    plan, warning = resolve_plan(list_plans(scalingo.client, provider), provider, name)
    if warning:
        scalingo.module.warn(warning)
    return plan


def wait(scalingo, app, addon, changed, env_names):
    """Wait until the addon runs (wait=true), failing with its last state at wait_timeout."""
    params = scalingo.params
    if params["wait"]:
        try:
            addon = wait_for_addon(scalingo.client, app, addon, params["wait_timeout"], params["poll_interval"])
        except AddonWaitError as error:
            scalingo.fail_from_error(error, changed=changed, scalingo_addon=addon_result(addon, env_names))
    return addon


def absent(scalingo, app, params):
    addons = read_addons(scalingo, app)
    addon = pick_addon(scalingo, app, addons or [], params["provider"], params["addon_id"])
    diff = dict(before=view(addon), after=dict(ABSENT))
    if addon is None:
        scalingo.exit(changed=False, diff=diff, scalingo_addon={})
    if not scalingo.check_mode:
        try:
            scalingo.client.delete(addon_path(app, addon["id"]))
        except ScalingoAPIError as error:
            if error.status != 404:   # removed in the meantime
                raise
    scalingo.exit(changed=True, diff=diff, scalingo_addon={})


def present(scalingo, app, params):
    provider, name = params["provider"], params["plan"]
    addons = read_addons(scalingo, app)
    addon = pick_addon(scalingo, app, addons or [], provider, params["addon_id"])
    if addon is None and params["addon_id"] and addons is not None:
        scalingo.fail("addon_id: app %s has no addon %s; its %s addons: %s" % (
            app, params["addon_id"], provider,
            ", ".join(item.get("id") for item in addons if provider_id(item) == provider) or "none"))
    before = view(addon)
    after = dict(state="present", provider=provider, plan=name)
    diff = dict(before=before, after=after)

    if addon is not None and (addon.get("plan") or {}).get("name") == name:
        changed = False
        if addon.get("status") == PROVISIONING:
            addon = wait(scalingo, app, addon, False, None)
        scalingo.exit(changed=changed, diff=diff, scalingo_addon=addon_result(addon))

    plan = resolve(scalingo, provider, name)
    if scalingo.check_mode:
        scalingo.exit(changed=True, diff=diff, scalingo_addon=predicted(provider, plan, addon))
    if addon is None:
        body = dict(addon=dict(addon_provider_id=provider, plan_id=plan["id"]))
        answer = scalingo.client.post(addons_path(app), json=body).json or {}
    else:
        answer = scalingo.client.patch(addon_path(app, addon["id"]), json=dict(addon=dict(plan_id=plan["id"]))).json or {}
    env_names = answer_env_names(answer)
    message = answer.get("message")
    result = answer.get("addon") if isinstance(answer.get("addon"), dict) else None
    if result is None:
        # an answer without the addon (the documented plan change answer): read it
        result = (scalingo.client.get(addon_path(app, addon["id"])).json or {}).get("addon") or {}
    result = wait(scalingo, app, result, True, env_names)
    extra = dict(message=message) if message else {}
    scalingo.exit(changed=True, diff=diff, scalingo_addon=addon_result(result, env_names), **extra)


def main_logic(scalingo):
    params = scalingo.params
    app = params["app"]
    errors = [app_name_error(app, "app"), provider_error(params["provider"])]
    if params["state"] == "present":
        errors.append(plan_name_error(params["plan"]))
    if params["addon_id"] is not None and not params["addon_id"].strip():
        errors.append("addon_id: must be an addon ID (ad-...), not an empty string")
    errors = [error for error in errors if error]
    if errors:
        scalingo.fail("; ".join(errors))
    if params["state"] == "absent":
        absent(scalingo, app, params)
    present(scalingo, app, params)


def main():
    run_module(dict(
        app=dict(type="str", required=True),
        provider=dict(type="str", required=True),
        plan=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        addon_id=dict(type="str"),
        wait_timeout=dict(type="int", default=600),
    ), main_logic, required_if=[("state", "present", ("plan",))])


if __name__ == "__main__":
    main()
