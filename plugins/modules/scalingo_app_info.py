#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_app_info
short_description: Read Scalingo applications, with their formation, containers, stats, logs URL, child apps, domains and collaborators
version_added: 0.1.0
description:
  - Returns one Scalingo application by O(name), or every application the API token can see.
  - Optionally adds, for each app, the data listed in O(include).
  - Never changes anything. An app that does not exist gives an empty list, not a failure.
  - One app without O(include) costs one API request, plus the token exchange when no cached bearer token is
    valid; each item of O(include) adds one request per app, or one per page for V(child_apps).
options:
  name:
    description:
      - Name of the application.
      - When not set, every application the API token can see is returned (the apps you own and the ones
        you are a collaborator of).
    type: str
  include:
    description:
      - Extra data to read for each app, each under its own key of the app in RV(scalingo_app_info).
      - V(formation) adds C(formation), the container types with their amount and size (C(/containers)).
      - V(processes) adds C(processes), the running containers, one-off containers included (C(/ps)).
      - V(stats) adds C(stats), the real-time CPU, memory and swap usage of each container (C(/stats)).
      - V(logs_url) adds C(logs_url), a URL to read the app logs (C(/logs)). Anyone holding it can read the
        logs, so treat it as a secret.
      - V(child_apps) adds C(child_apps), the child apps of the app (every page of C(/child_apps)).
      - V(domains) adds C(domains), the custom domain names of the app with their certificate's subject and
        validity and their Let's Encrypt status (C(/domains)); the API never returns a certificate nor a key.
      - V(collaborators) adds C(collaborators), the collaborators of the app and their invitations, the owner
        apart (C(/collaborators)), without their invitation links, which let anyone join the app.
    type: list
    elements: str
    choices: [formation, processes, stats, logs_url, child_apps, domains, collaborators]
    default: []
seealso:
  - module: scalingo.cloud.scalingo_app
  - name: Scalingo API, applications
    description: The API endpoints this module uses.
    link: https://developers.scalingo.com/apps
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait_unused
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the same result, since it changes nothing.
    support: full
    details:
      - The module only reads, so check mode changes nothing in what it does.
  diff_mode:
    description: Returns details on what has changed when in diff mode.
    support: N/A
    details:
      - The module never changes anything.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
"""

EXAMPLES = r"""
# The API token is read from the SCALINGO_API_TOKEN environment variable when api_token is not set.
- name: Read one app
  scalingo.cloud.scalingo_app_info:
    name: my-shop-production
  register: shop

- name: Show its status and URL
  ansible.builtin.debug:
    msg: "{{ shop.scalingo_app_info[0].status }} at {{ shop.scalingo_app_info[0].url }}"
  when: shop.scalingo_app_info | length > 0

- name: Read an app with its formation, its running containers and its child apps
  scalingo.cloud.scalingo_app_info:
    name: my-shop-production
    include:
      - formation
      - processes
      - child_apps
  register: shop

- name: Show the number of web containers
  ansible.builtin.debug:
    msg: "{{ (shop.scalingo_app_info[0].formation | selectattr('name', 'equalto', 'web') | first).amount }}"

- name: List the names of every app, with the connection options given once
  module_defaults:
    group/scalingo.cloud.scalingo:
      api_token: "{{ scalingo_api_token }}"
      region: osc-fr1
  block:
    - name: Read every app
      scalingo.cloud.scalingo_app_info:
      register: all_apps

    - name: Show their names
      ansible.builtin.debug:
        msg: "{{ all_apps.scalingo_app_info | map(attribute='name') | list }}"
"""

RETURN = r"""
scalingo_app_info:
  description:
    - The apps found, each as the Scalingo API returns it, plus the keys asked for in O(include).
    - Empty when the app named O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the app.
      type: str
      sample: my-shop-production
    formation:
      description: Container types of the app (C(name), C(amount), C(size)).
      type: list
      elements: dict
      returned: when O(include) contains V(formation)
      sample: [{name: web, amount: 2, size: M}, {name: worker, amount: 1, size: S}]
    processes:
      description: Containers of the app (C(id), C(label), C(type), C(type_index), C(state), C(command), C(size),
        C(container_size), ...).
      type: list
      elements: dict
      returned: when O(include) contains V(processes)
      sample: [{id: 6054bcc56d80de00682f7a18, label: web-1, type: web, type_index: 1, state: running}]
    stats:
      description: Real-time usage of each container (C(id), C(cpu_usage), C(memory_usage), C(memory_limit),
        C(swap_usage), ...).
      type: list
      elements: dict
      returned: when O(include) contains V(stats)
      sample: [{id: web-1, cpu_usage: 0, memory_usage: 200105984, memory_limit: 536870912}]
    logs_url:
      description: URL to read the logs of the app; it grants access to the logs.
      type: str
      returned: when O(include) contains V(logs_url)
      sample: https://logs.scalingo.com/apps/my-shop-production/logs?token=0123456789
    child_apps:
      description: Child apps of the app, as app objects.
      type: list
      elements: dict
      returned: when O(include) contains V(child_apps)
      sample: [{name: my-shop-review-42, parent_app_name: my-shop-production}]
    domains:
      description: Domains of the app, as the API returns them (C(id), C(name), C(canonical), C(ssl), C(tlscert)
        (the certificate's subject), C(validity), C(letsencrypt_enabled), C(letsencrypt_status), ...).
      type: list
      elements: dict
      returned: when O(include) contains V(domains)
      sample: [{id: 541067ec736f7504a5110000, name: www.example.com, canonical: true, ssl: false,
               letsencrypt_enabled: true, letsencrypt_status: created}]
    collaborators:
      description: Collaborators of the app, as the API returns them without C(invitation_link) (C(id),
        C(email), C(username), C(status), C(is_limited), ...).
      type: list
      elements: dict
      returned: when O(include) contains V(collaborators)
      sample: [{id: 54101e25736f7563d5060000, email: dev@example.com, username: dev, status: accepted,
               is_limited: false}]
  sample:
    - id: 54100930736f7563d5030000
      name: my-shop-production
      status: running
      url: https://my-shop-production.osc-fr1.scalingo.io
      force_https: true
      sticky_session: false
      router_logs: true
      owner: {id: 54100245736f7563d5000000, username: john, email: user@example.com}
      project: {id: pr-82a3cac5-9b25-473e-b33d-6272b87e636f, name: my-shop}
      formation: [{name: web, amount: 2, size: M}]
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
      sample: 403
    method:
      description: HTTP method of the request that failed.
      type: str
      sample: GET
    path:
      description: Path of the request that failed.
      type: str
      sample: /v1/apps/my-app
    errors:
      description: Field errors of the API answer (field name to messages).
      type: dict
      sample: {}
    outcome_unknown:
      description: V(true) when a write may have reached the platform before the connection failed (it is never repeated).
      type: bool
      sample: false
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path, find_app
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error

# include choice -> (path under the app, key of the answer); read in this order
EXTRAS = (
    ("formation", "/containers", "containers"),
    ("processes", "/ps", "containers"),
    ("stats", "/stats", "stats"),
    ("logs_url", "/logs", "logs_url"),
    ("domains", "/domains", "domains"),
    ("collaborators", "/collaborators", "collaborators"),
)

ARGUMENT_SPEC = dict(
    name=dict(type="str"),
    include=dict(type="list", elements="str", default=[],
                 choices=["formation", "processes", "stats", "logs_url", "child_apps", "domains", "collaborators"]),
)


def with_extras(client, app, include):
    """The app plus the extra data asked for."""
    item = dict(app)
    path = app_path(app["name"])
    for key, suffix, answer_key in EXTRAS:
        if key in include:
            item[key] = (client.get(path + suffix).json or {}).get(answer_key)
    if item.get("collaborators"):
        item["collaborators"] = [dict((k, v) for k, v in c.items() if k != "invitation_link")
                                 for c in item["collaborators"]]
    if "child_apps" in include:
        item["child_apps"] = list(client.paginate(path + "/child_apps", "child_apps"))
    return item


def run(scalingo):
    name = scalingo.params["name"]
    if name is not None:
        error = app_name_error(name, "name")
        if error:
            scalingo.fail(error)
        app = find_app(scalingo.client, name)
        apps = [app] if app is not None else []
    else:
        apps = list(scalingo.client.paginate("/apps", "apps"))
    include = scalingo.params["include"]
    scalingo.exit(changed=False, scalingo_app_info=[with_extras(scalingo.client, app, include) for app in apps])


def main():
    run_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
