#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_app
short_description: Create, update, rename, transfer and delete Scalingo applications
version_added: 0.1.0
description:
  - Makes sure a Scalingo application exists with the given settings, or does not exist.
  - Creates the app when it is missing, as a standalone app or as a child app of O(parent).
  - Keeps the settings O(force_https), O(sticky_session), O(router_logs), O(stack_id) and O(project_id) in sync
    on every run. Only the options you set are compared, and only the settings that differ are sent, in one request.
  - Transfers the ownership of the app to O(owner) when the current owner has another email address.
  - Renames an app in an idempotent way with O(rename_from).
  - A run that changes nothing sends exactly one API request (C(GET /v1/apps/{name})), plus the token exchange
    when no cached bearer token is valid.
  - Every option is checked against the rules of the Scalingo API before any request is sent.
options:
  name:
    description:
      - Name of the application.
      - Between 6 and 48 lowercase letters, digits and hyphens, with no hyphen at either end and no two hyphens
        in a row. A child app (O(parent) set) has at most 32 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates the app when it does not exist and keeps its settings in sync.
      - V(absent) deletes the app. Deleting an app that does not exist changes nothing.
    type: str
    choices: [present, absent]
    default: present
  rename_from:
    description:
      - Former name of the app, to rename it to O(name).
      - When an app named O(name) exists, there is nothing to rename and this option is ignored, so the task can
        stay in a playbook after the rename.
      - When only an app named O(rename_from) exists, it is renamed to O(name), then its settings are synced.
      - When neither exists, the module fails and creates nothing.
      - Only used with O(state=present).
    type: str
  parent:
    description:
      - Name of an existing app; when the app has to be created, it is created as a child app of O(parent)
        (a review app), which takes its settings from the parent.
      - Only used when the app is created. A child app name has at most 32 characters.
      - Cannot be used with O(git_source) or O(hds_resource), which the child app takes from its parent.
    type: str
  project_id:
    description:
      - ID of the project the app belongs to, like V(pr-82a3cac5-9b25-473e-b33d-6272b87e636f).
      - Sent at creation, then compared with the app's C(project.id) and moved when it differs.
      - When not set, a new app goes to your default project and the project of an existing app is left alone.
    type: str
  stack_id:
    description:
      - ID of the stack the app runs on.
      - Sent at creation, then compared with the app's C(stack_id) and changed when it differs.
    type: str
  git_source:
    description:
      - URL of the GitHub repository the app is deployed from, for apps that do not use C(git push).
      - Only used when the app is created.
    type: str
  hds_resource:
    description:
      - Whether the app hosts health data (HDS compliant).
      - Only used when the app is created. It cannot be changed afterwards, so when an existing app differs
        the module warns and leaves it alone.
    type: bool
  force_https:
    description:
      - Redirect HTTP requests to HTTPS.
      - When not set, the setting is not managed.
    type: bool
  sticky_session:
    description:
      - Route the requests of a client to the same container.
      - When not set, the setting is not managed.
    type: bool
  router_logs:
    description:
      - Add the router logs to the app logs.
      - When not set, the setting is not managed.
    type: bool
  owner:
    description:
      - Email address of the owner of the app.
      - When the current owner has another email address, the app is transferred to O(owner), who must already
        be a collaborator of the app. The comparison ignores case.
      - When not set, the owner is not managed.
    type: str
notes:
  - In check mode, creating an app sends the real creation request with the header C(X-Dry-Run=true) to
    C(POST /apps), the endpoint whose dry run the API documents (a child app is then sent there with the
    C(parent_id) of O(parent), read first). Scalingo validates it without creating anything, so a name already
    taken or a missing payment method fails the check run exactly as it would fail the real run. The module returns
    the app predicted from the answer. A parent that does not exist (yet) gives a warning in check mode, since an
    earlier task may create it; the real run fails on it.
  - In check mode, updates, transfers, renames and deletions send no write request; the module returns the app as
    it would be after the run.
  - With O(state=absent), only O(name) is used; the settings, O(owner) and the creation options are ignored.
seealso:
  - module: scalingo.cloud.scalingo_app_info
  - name: Scalingo API, applications
    description: The API endpoints this module uses.
    link: https://developers.scalingo.com/apps
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait_unused
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the app it predicts, without changing it.
    support: full
    details:
      - Creation is validated by Scalingo with a dry-run request; nothing else is written.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
    support: full
    details:
      - Shows O(name), O(state), the settings, O(project_id) and O(owner) before and after, in check mode too.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
"""

EXAMPLES = r"""
# The API token is read from the SCALINGO_API_TOKEN environment variable when api_token is not set.
- name: Create an app with HTTPS forced
  scalingo.cloud.scalingo_app:
    name: my-shop-production
    force_https: true

- name: Manage several apps with the connection options given once
  module_defaults:
    group/scalingo.cloud.scalingo:
      api_token: "{{ scalingo_api_token }}"
      region: osc-fr1
  block:
    - name: Create the staging app in a project, with sticky sessions and without router logs
      scalingo.cloud.scalingo_app:
        name: my-shop-staging
        project_id: pr-82a3cac5-9b25-473e-b33d-6272b87e636f
        sticky_session: true
        router_logs: false

    - name: Create a review app as a child app of staging
      scalingo.cloud.scalingo_app:
        name: my-shop-review-42
        parent: my-shop-staging

- name: Rename an app (nothing happens once it bears the new name)
  scalingo.cloud.scalingo_app:
    name: my-shop-prod
    rename_from: my-shop-production

- name: Transfer an app to another collaborator
  scalingo.cloud.scalingo_app:
    name: my-shop-prod
    owner: cto@example.com

- name: See what would change, without changing anything
  scalingo.cloud.scalingo_app:
    name: my-shop-prod
    force_https: false
  check_mode: true
  diff: true
  register: preview

- name: Delete a review app
  scalingo.cloud.scalingo_app:
    name: my-shop-review-42
    state: absent
"""

RETURN = r"""
scalingo_app:
  description:
    - The app as the Scalingo API returns it, after the changes.
    - In check mode, the app as it would be after the run.
    - Empty when O(state=absent).
  returned: always
  type: dict
  sample:
    id: 54100930736f7563d5030000
    name: my-shop-production
    created_at: "2014-09-10T10:17:52.690+02:00"
    updated_at: "2014-09-10T10:17:52.690+02:00"
    git_url: git@ssh.osc-fr1.scalingo.com:my-shop-production.git
    url: https://my-shop-production.osc-fr1.scalingo.io
    status: running
    force_https: true
    sticky_session: false
    router_logs: true
    hds_resource: false
    stack_id: st-4f3ab3b4-0f0a-4d0a-9d3c-7e5a1f8b2c11
    owner:
      id: 54100245736f7563d5000000
      username: john
      email: user@example.com
    project:
      id: pr-82a3cac5-9b25-473e-b33d-6272b87e636f
      name: my-shop
diff:
  description:
    - With C(--diff), the managed fields before and after the run (C(name), C(state), C(force_https),
      C(sticky_session), C(router_logs), C(stack_id), C(project_id), C(owner)).
    - An app that does not exist is shown as the single field C(state) with the value C(absent).
  returned: when diff mode is on
  type: dict
  sample:
    before: {name: my-shop-production, state: present, force_https: false, sticky_session: false,
             router_logs: true, stack_id: st-4f3ab3b4, project_id: pr-82a3cac5, owner: user@example.com}
    after: {name: my-shop-production, state: present, force_https: true, sticky_session: false,
            router_logs: true, stack_id: st-4f3ab3b4, project_id: pr-82a3cac5, owner: user@example.com}
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
      sample: /v1/apps
    errors:
      description: Field errors of the API answer (field name to messages).
      type: dict
      sample: {name: ["has already been taken"]}
    outcome_unknown:
      description: V(true) when a write may have reached the platform before the connection failed (it is never repeated).
      type: bool
      sample: false
"""

import copy

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path, find_app, read_app
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error, email_error

SETTINGS = ("force_https", "sticky_session", "router_logs", "stack_id", "project_id")
CREATION = ("git_source", "stack_id", "project_id", "hds_resource")
ABSENT = {"state": "absent"}

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    rename_from=dict(type="str"),
    parent=dict(type="str"),
    project_id=dict(type="str"),
    stack_id=dict(type="str"),
    git_source=dict(type="str"),
    hds_resource=dict(type="bool"),
    force_https=dict(type="bool"),
    sticky_session=dict(type="bool"),
    router_logs=dict(type="bool"),
    owner=dict(type="str"),
)


def input_errors(params):
    """Messages for options that break the API rules, checked before any request."""
    name, parent, rename_from = params["name"], params["parent"], params["rename_from"]
    errors = [app_name_error(name, "name", child=parent is not None)]
    if parent is not None:
        errors.append(app_name_error(parent, "parent"))
    if rename_from is not None:
        errors.append(app_name_error(rename_from, "rename_from"))
        if rename_from == name:
            errors.append("rename_from: must differ from name (it is the former name of the app)")
        if params["state"] == "absent":
            errors.append("rename_from: only used with state=present; to delete the app, give its current name")
    if params["owner"] is not None:
        errors.append(email_error(params["owner"], "owner"))
    for option in ("project_id", "stack_id", "git_source"):
        if params[option] is not None and not params[option].strip():
            errors.append("%s: must not be empty; leave it out to keep the current value" % option)
    return [error for error in errors if error]


def current(app, key):
    """The value of a managed field in an app object."""
    if key == "project_id":
        return (app.get("project") or {}).get("id")
    if key == "owner":
        return (app.get("owner") or {}).get("email")
    return app.get(key)


def view(app):
    """The managed fields, for the diff."""
    if app is None:
        return dict(ABSENT)
    fields = dict((key, current(app, key)) for key in SETTINGS + ("owner",))
    fields.update(name=app.get("name"), state="present")
    return fields


def predict(app, changes):
    """The app as it will be once ``changes`` (managed field -> value) are applied."""
    app = copy.deepcopy(app)
    for key, value in changes.items():
        if key == "project_id":
            app["project"] = {"id": value}
        elif key == "owner":
            app["owner"] = {"email": value}
        else:
            app[key] = value
    return app


def answered_app(response, fallback):
    """The app of an API answer, or ``fallback`` when the answer carries none."""
    body = response.json if isinstance(response.json, dict) else {}
    return body.get("app") if isinstance(body.get("app"), dict) else fallback


def create(scalingo, params):
    """Create the app (a dry run in check mode); returns the app the API answers or predicts."""
    name, parent = params["name"], params["parent"]
    fields = {} if parent is not None else dict((key, params[key]) for key in CREATION if params[key] is not None)
    predicted = predict(dict(name=name), dict((k, v) for k, v in fields.items() if k in SETTINGS))
    if not scalingo.check_mode:
        path = "/apps" if parent is None else app_path(parent) + "/child_apps"
        return answered_app(scalingo.client.post(path, json={"app": dict(fields, name=name)}), predicted)
    if parent is not None:
        # X-Dry-Run is documented for POST /apps only: the dry run of a child app goes there with the parent's
        # id, as the official clients create child apps (never to child_apps, which might create it).
        try:
            fields = dict(parent_id=read_app(scalingo.client, parent)["id"])
        except ScalingoAPIError as error:
            if not scalingo.app_missing_in_check_mode(error, parent):
                raise
            return dict(predicted, parent_app_name=parent)
    response = scalingo.client.post("/apps", json={"app": dict(fields, name=name)}, headers={"X-Dry-Run": "true"})
    return answered_app(response, predicted)


def rename(scalingo, app, old_name, name):
    if scalingo.check_mode:
        return predict(app, {"name": name})
    response = scalingo.client.post(app_path(old_name) + "/rename", json={"current_name": old_name, "new_name": name})
    return answered_app(response, predict(app, {"name": name}))


def update(scalingo, app, changes):
    """One PATCH of the changed settings."""
    if scalingo.check_mode:
        return predict(app, changes)
    response = scalingo.client.patch(app_path(app["name"]), json={"app": changes})
    return answered_app(response, predict(app, changes))


def transfer(scalingo, app, owner):
    if scalingo.check_mode:
        return predict(app, {"owner": owner})
    name = app["name"]
    response = scalingo.client.patch(app_path(name), json={"app": {"owner": owner}}, params={"current_name": name})
    return answered_app(response, predict(app, {"owner": owner}))


def present(scalingo, params):
    name = params["name"]
    app = find_app(scalingo.client, name)
    before, existed = app, app is not None
    if app is None and params["rename_from"] is not None:
        before = find_app(scalingo.client, params["rename_from"])
        if before is None:
            scalingo.fail("rename_from: neither the app %r (name) nor the app %r (rename_from) exists, so there is "
                          "nothing to rename; nothing was created" % (name, params["rename_from"]))
        app, existed = rename(scalingo, before, params["rename_from"], name), True
    elif app is None:
        app = create(scalingo, params)
    changed = app is not before     # created or renamed

    changes = dict((key, params[key]) for key in SETTINGS
                   if params[key] is not None and params[key] != current(app, key))
    if changes:
        app, changed = update(scalingo, app, changes), True
    owner = params["owner"]
    if owner is not None and owner.lower() != (current(app, "owner") or "").lower():
        app, changed = transfer(scalingo, app, owner), True
    hds = params["hds_resource"]
    if existed and hds is not None and hds != bool(app.get("hds_resource")):
        scalingo.module.warn("hds_resource: the app %s has hds_resource=%s, which is chosen at creation and cannot be "
                             "changed afterwards; the option was left alone" % (name, bool(app.get("hds_resource"))))
    scalingo.exit(changed=changed, diff=dict(before=view(before), after=view(app)), scalingo_app=app)


def absent(scalingo, params):
    name = params["name"]
    app = find_app(scalingo.client, name)
    if app is not None and not scalingo.check_mode:
        scalingo.client.delete(app_path(name), params={"current_name": name})
    scalingo.exit(changed=app is not None, diff=dict(before=view(app), after=dict(ABSENT)), scalingo_app={})


def run(scalingo):
    errors = input_errors(scalingo.params)
    if errors:
        scalingo.fail("; ".join(errors))
    if scalingo.params["state"] == "absent":
        absent(scalingo, scalingo.params)
    else:
        present(scalingo, scalingo.params)


def main():
    run_module(ARGUMENT_SPEC, run, mutually_exclusive=[("parent", "git_source"), ("parent", "hds_resource")])


if __name__ == "__main__":
    main()
