#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_addon_info
short_description: List the addons of a Scalingo app, or the plans of an addon provider
version_added: 0.2.0
description:
  - With O(app), returns the app's addons (databases, ...), each with its provider, plan and status.
  - With O(provider) and no O(app), returns the provider's plans, which tell what to write in
    M(scalingo.cloud.scalingo_addon)'s O(scalingo.cloud.scalingo_addon#module:plan).
  - With both, returns the app's addons of that provider.
  - Never returns the values of the addons' environment variables, which hold credentials.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app whose addons to list.
      - One of O(app) and O(provider) is required.
    type: str
  provider:
    description:
      - ID of an addon provider, for example V(postgresql), V(mysql), V(redis) or V(mongodb).
      - Without O(app), the module lists the provider's plans; with O(app), only the app's addons of that provider.
    type: str
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait_unused
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the same result, since it changes nothing.
    support: full
    details:
      - Reads only, in check mode as in a normal run. An app that does not exist (yet) is reported, in check mode,
        with a warning and no addon.
  diff_mode:
    description: Returns details on what has changed when in diff mode.
    support: N/A
    details:
      - The module never changes anything.
notes:
  - One request, C(GET /apps/{app}/addons) with O(app), else C(GET /addon_providers/{provider}/plans?show_all=true)
    (plus C(GET /addon_providers) to list the valid providers when O(provider) is unknown).
seealso:
  - module: scalingo.cloud.scalingo_addon
  - name: Addon providers (API)
    description: The catalog of addons and plans.
    link: https://developers.scalingo.com/addon_providers
"""

EXAMPLES = r"""
- name: List the plans of the PostgreSQL addon
  scalingo.cloud.scalingo_addon_info:
    provider: postgresql
  register: postgresql

- name: Show the plans that can be provisioned
  ansible.builtin.debug:
    msg: "{{ postgresql.plans | rejectattr('disabled') | map(attribute='name') }}"

- name: List the addons of an app
  scalingo.cloud.scalingo_addon_info:
    app: my-app
  register: addons

- name: Fail when the database does not run
  ansible.builtin.assert:
    that:
      - addons.scalingo_addon_info | selectattr('provider.id', '==', 'postgresql')
        | map(attribute='status') | list == ['running']
"""

RETURN = r"""
scalingo_addon_info:
  description:
    - The app's addons (only those of O(provider) when it is set), in the shape of
      M(scalingo.cloud.scalingo_addon)'s RV(scalingo.cloud.scalingo_addon#module:scalingo_addon).
    - Empty without O(app).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Addon ID.
      type: str
      sample: ad-0b3e4a7c-2f1d-4d59-9e4b-6a6c1f0e8a21
    resource_id:
      description: Resource reference of the addon.
      type: str
      sample: my_app_3083
    status:
      description: V(running), V(provisioning) or V(suspended).
      type: str
      sample: running
    provider:
      description: The addon provider, C(id) and C(name).
      type: dict
      sample: {id: postgresql, name: PostgreSQL}
    plan:
      description: The addon's plan, C(id) and C(name).
      type: dict
      sample: {id: 5cc45d223e6b3b001249e5a3, name: postgresql-starter-512}
    env_names:
      description: Always null here (the API lists an addon's variables only when it provisions it).
      type: list
      elements: str
plans:
  description:
    - The plans of O(provider), in the API's order, disabled ones included.
  returned: when O(provider) is set and O(app) is not
  type: list
  elements: dict
  contains:
    name:
      description: Plan name, the value of M(scalingo.cloud.scalingo_addon)'s O(scalingo.cloud.scalingo_addon#module:plan).
      type: str
      sample: postgresql-starter-512
    id:
      description: Plan ID.
      type: str
      sample: 5cc45d223e6b3b001249e5a3
    display_name:
      description: Name shown in the dashboard.
      type: str
      sample: Starter 512M
    price:
      description: Price in euros per month, when the API gives it (a deprecated field of the API).
      type: float
      sample: 7.2
    disabled:
      description: Whether the plan can no longer be provisioned.
      type: bool
      sample: false
    disabled_alternative_plan_id:
      description: ID of the plan the API offers instead of a disabled plan.
      type: str
      sample: null
    to_be_discontinued:
      description: Whether the plan is to be discontinued.
      type: bool
      sample: false
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.addons import (
    addon_result,
    list_addons,
    list_plans,
    plan_summary,
    provider_error,
    provider_id,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error


def main_logic(scalingo):
    params = scalingo.params
    app, provider = params["app"], params["provider"]
    errors = [error for error in (app_name_error(app, "app") if app is not None else None, provider_error(provider))
              if error]
    if errors:
        scalingo.fail("; ".join(errors))
    if app is None:
        plans = list_plans(scalingo.client, provider)
        scalingo.exit(changed=False, scalingo_addon_info=[], plans=[plan_summary(plan) for plan in plans])
    try:
        addons = list_addons(scalingo.client, app)
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        addons = []
    scalingo.exit(changed=False, scalingo_addon_info=[addon_result(addon) for addon in addons
                                                      if provider in (None, provider_id(addon))])


def main():
    run_module(dict(
        app=dict(type="str"),
        provider=dict(type="str"),
    ), main_logic, required_one_of=[("app", "provider")])


if __name__ == "__main__":
    main()
