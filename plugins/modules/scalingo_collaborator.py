#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: scalingo_collaborator
short_description: Invite a collaborator to a Scalingo app, set their role, or remove them
version_added: 0.2.0
description:
  - Invites a person to collaborate on a Scalingo app by email, sets whether they are a limited collaborator, or
    removes them from the app.
  - Idempotent on the email address, compared without case. A person already invited (whether the invitation
    is still V(pending) or V(accepted)) is never invited again, since every invitation sends an email; only their
    role is updated when O(limited) differs.
  - The owner of the app is not one of its collaborators; the module refuses to invite or remove the owner.
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
options:
  app:
    description:
      - Name (or ID) of the app.
    type: str
    required: true
  email:
    description:
      - Email address of the collaborator, compared without case.
    type: str
    required: true
  limited:
    description:
      - Whether the collaborator has the limited role (they can deploy and operate the app, but not manage its
        collaborators, its billing, nor delete it).
      - With V(false), the collaborator has the full collaborator role.
      - With O(state=present), a collaborator whose role differs is updated.
    type: bool
    default: false
  state:
    description:
      - V(present) invites the person when they are not a collaborator yet (the platform emails them an
        invitation, which stays V(pending) until they accept it); V(absent) removes the collaborator, or their
        pending invitation. Removing someone who is not a collaborator changes nothing.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - scalingo.cloud.scalingo
  - scalingo.cloud.scalingo.wait_unused
  - scalingo.cloud.scalingo.attributes
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the collaborators (and the app, to recognise its owner) and sends no invitation, update nor removal.
      - When the app does not exist (yet), reports the invitation it would send, with a warning, instead of failing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in
      diff mode.
    support: full
    details:
      - The collaborator's email, status and role before and after.
notes:
  - A run on an existing collaborator sends one request, C(GET /apps/{app}/collaborators), plus one
    C(PATCH /apps/{app}/collaborators/{id}) when the role differs.
  - When the email is not among the collaborators, the module also reads the app (C(GET /apps/{app})) to tell
    the owner apart, then sends one C(POST /apps/{app}/collaborators) (O(state=present)) or nothing
    (O(state=absent)).
  - The invitation link the API returns lets anyone who holds it join the app; the module never returns it.
seealso:
  - module: scalingo.cloud.scalingo_app
    description: Transfers an app to one of its collaborators (O(scalingo.cloud.scalingo_app#module:owner)).
  - module: scalingo.cloud.scalingo_app_info
  - name: Scalingo API, collaborators
    description: The API endpoints this module uses.
    link: https://developers.scalingo.com/collaborators
"""

EXAMPLES = r"""
- name: Invite a developer with the full collaborator role
  scalingo.cloud.scalingo_collaborator:
    app: my-app
    email: dev@example.com

- name: Invite an agency with the limited role
  scalingo.cloud.scalingo_collaborator:
    app: my-app
    email: agency@example.org
    limited: true
  register: agency

- name: Tell whether the invitation was accepted
  ansible.builtin.debug:
    msg: "{{ agency.scalingo_collaborator.email }} is {{ agency.scalingo_collaborator.status }}"

- name: Remove a former collaborator (or their pending invitation)
  scalingo.cloud.scalingo_collaborator:
    app: my-app
    email: former@example.com
    state: absent
"""

RETURN = r"""
scalingo_collaborator:
  description:
    - The collaborator after the task (the prediction in check mode).
    - Empty when O(state=absent).
  returned: success
  type: dict
  contains:
    id:
      description: ID of the collaborator; V(null) in check mode for an invitation to send.
      type: str
      sample: 54101e25736f7563d5060000
    email:
      description: Email address, as the platform knows it.
      type: str
      sample: dev@example.com
    username:
      description: Username of the collaborator, V(n/a) while the invitation is pending.
      type: str
      sample: dev
    user_id:
      description: ID of the user once the invitation is accepted, else V(null).
      type: str
      sample: us-8ba226e5-93e0-4545-8363-9c16b2d68d67
    status:
      description: V(pending) until the invitation is accepted, then V(accepted).
      type: str
      sample: pending
    limited:
      description: Whether the collaborator has the limited role.
      type: bool
      sample: false
failure:
  description:
    - Structured description of a failed request, with the API's answer (never a secret).
  returned: failure
  type: dict
  contains:
    type:
      description: Kind of failure (C(ScalingoAPIError), C(ScalingoConnectionError), ...).
      type: str
      sample: ScalingoAPIError
    message:
      description: The message of the task's failure.
      type: str
    status:
      description: HTTP status of a refused request.
      type: int
      sample: 422
    errors:
      description: The field errors of the API's answer.
      type: dict
      sample: {email: [is invalid]}
"""

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import run_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.collaborators import (
    DIFF_KEYS,
    answer_collaborator,
    collaborator_result,
    collaborators_path,
    find_collaborator,
    list_collaborators,
    owner_email,
    same_email,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import app_name_error, email_error

ARGUMENT_SPEC = dict(
    app=dict(type="str", required=True),
    email=dict(type="str", required=True),
    limited=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def refuse_owner(scalingo, app, email):
    """Fail when ``email`` is the owner of the app (one GET), which is not a collaborator."""
    owner = owner_email(scalingo.client, app)
    if same_email(owner, email):
        verb = "invited" if scalingo.params["state"] == "present" else "removed"
        scalingo.fail("email: %s is the owner of app %s, not a collaborator: the owner cannot be %s; transfer "
                      "the app to another collaborator first (scalingo.cloud.scalingo_app, option owner)"
                      % (email, app, verb))


def run(scalingo):
    params = scalingo.params
    app, email, limited = params["app"], (params["email"] or "").strip(), params["limited"]
    errors = [e for e in (app_name_error(app, "app"), email_error(email, "email")) if e]
    if errors:
        scalingo.fail("; ".join(errors))
    client = scalingo.client
    try:
        collaborators = list_collaborators(client, app)
        app_missing = False
    except ScalingoAPIError as error:
        if not scalingo.app_missing_in_check_mode(error, app):
            raise
        collaborators, app_missing = [], True
    current = find_collaborator(collaborators, email)
    before = collaborator_result(current) if current else None

    if params["state"] == "absent":
        if current is None:
            if not app_missing:
                refuse_owner(scalingo, app, email)
            scalingo.exit(changed=False, scalingo_collaborator={}, diff=scalingo.make_diff(None, None, DIFF_KEYS))
            return
        if not scalingo.check_mode:
            client.delete(collaborators_path(app, current["id"]))
        scalingo.exit(changed=True, scalingo_collaborator={}, diff=scalingo.make_diff(before, None, DIFF_KEYS))
        return

    if current is None:
        if not app_missing:
            refuse_owner(scalingo, app, email)
        if scalingo.check_mode:
            found = dict(id=None, email=email, username="n/a", user_id=None, status="pending", is_limited=limited)
        else:
            found = answer_collaborator(client.post(collaborators_path(app), json=dict(
                collaborator=dict(email=email, is_limited=limited))).json)
        changed = True
    elif bool(current.get("is_limited")) != limited:
        if scalingo.check_mode:
            found = dict(current, is_limited=limited)
        else:
            found = answer_collaborator(client.patch(collaborators_path(app, current["id"]), json=dict(
                collaborator=dict(is_limited=limited))).json) or dict(current, is_limited=limited)
        changed = True
    else:
        found, changed = current, False
    result = collaborator_result(found)
    scalingo.exit(changed=changed, scalingo_collaborator=result, diff=scalingo.make_diff(before, result, DIFF_KEYS))


def main():
    run_module(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
