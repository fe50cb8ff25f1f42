# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Collaborators of an app (``/apps/{app}/collaborators``): lookup by email without case, the owner, results.

Every invitation sends an email, so a collaborator already listed (pending or accepted) is never invited again.
The owner of an app is not one of its collaborators (the API does not list it)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path

RESULT_KEYS = ("id", "email", "username", "user_id", "status", "limited")
DIFF_KEYS = ("email", "status", "limited")


def collaborators_path(app, collaborator_id=None):
    path = app_path(app) + "/collaborators"
    return path + "/" + collaborator_id if collaborator_id else path


def same_email(first, second):
    return isinstance(first, str) and isinstance(second, str) and first.strip().lower() == second.strip().lower()


def list_collaborators(client, app):
    return (client.get(collaborators_path(app)).json or {}).get("collaborators") or []


def find_collaborator(collaborators, email):
    for collaborator in collaborators:
        if same_email(collaborator.get("email"), email):
            return collaborator
    return None


def answer_collaborator(body):
    """The collaborator of a POST or PATCH answer: ``{"collaborator": {...}}``, or a one-item list as the
    documentation shows for the invitation."""
    value = (body or {}).get("collaborator")
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def owner_email(client, app):
    """Email of the app's owner (``GET /apps/{app}``), or None when the API does not say."""
    found = (client.get(app_path(app)).json or {}).get("app") or {}
    owner = found.get("owner")
    return owner.get("email") if isinstance(owner, dict) else None


def collaborator_result(collaborator):
    """The module's view of a collaborator (RESULT_KEYS); never the invitation link, which lets anyone join."""
    result = dict((key, collaborator.get(key)) for key in RESULT_KEYS if key != "limited")
    result["limited"] = collaborator.get("is_limited")
    return result
