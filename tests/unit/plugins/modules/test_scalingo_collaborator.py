# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_collaborator

PATH = "/apps/my-app/collaborators"
OWNER = dict(id="us-1", username="john", email="owner@example.com")


def collaborator(**fields):
    base = dict(id="col-1", email="dev@example.com", user_id=None, username="n/a", tfa_status=None, status="pending",
                is_limited=False, invitation_link="https://my.scalingo.com/apps/collaboration?token=abc",
                app_id="app-1", app_name="my-app")
    base.update(fields)
    return base


def listing(api, *items):
    api.add("GET", PATH, json={"collaborators": list(items)})


def the_app(api):
    api.add("GET", "/apps/my-app", json={"app": dict(id="app-1", name="my-app", owner=OWNER)})


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault("email", "dev@example.com")
    return run_module(scalingo_collaborator, dict(app="my-app", **args), check_mode=check_mode, diff=diff)


@pytest.mark.parametrize("args,msg", [
    (dict(email="not-an-email"), "email: 'not-an-email' is not an email address"),
    (dict(app="A", email="dev@example.com"), "app: 'A' is not a valid Scalingo app name"),
])
def test_bad_input_before_any_request(api, run_module, args, msg):
    result = run_module(scalingo_collaborator, dict(dict(app="my-app"), **args))
    assert result["failed"] and result["msg"].startswith(msg)
    assert api.all_calls() == []


@pytest.mark.parametrize("answer", [collaborator(), [collaborator()]])
def test_invite(api, run_module, answer):
    listing(api)
    the_app(api)
    api.add("POST", PATH, status=201, json={"collaborator": answer})
    result = run(run_module, diff=True)
    assert result["changed"]
    calls = api.calls()
    assert [(c.method, c.path, c.json) for c in calls] == [
        ("GET", "/v1" + PATH, None), ("GET", "/v1/apps/my-app", None),
        ("POST", "/v1" + PATH, {"collaborator": {"email": "dev@example.com", "is_limited": False}})]
    assert calls[2].headers["Content-Type"] == "application/json"
    assert result["scalingo_collaborator"] == dict(id="col-1", email="dev@example.com", username="n/a", user_id=None,
                                                   status="pending", limited=False)
    assert "invitation_link" not in str(result) and "token=abc" not in str(result)
    assert result["diff"] == {"before": {}, "after": {"email": "dev@example.com", "status": "pending",
                                                      "limited": False}}


def test_existing_collaborator_is_never_reinvited(api, run_module):
    listing(api, collaborator(email="Dev@Example.com", status="accepted", username="dev", user_id="us-2"))
    result = run(run_module, email="dev@EXAMPLE.com ")
    assert not result["changed"]
    assert [c.method for c in api.calls()] == ["GET"]
    assert result["scalingo_collaborator"]["status"] == "accepted"


def test_pending_invitation_is_not_sent_again(api, run_module):
    listing(api, collaborator())
    result = run(run_module)
    assert not result["changed"] and [c.method for c in api.calls()] == ["GET"]


def test_role_update(api, run_module):
    listing(api, collaborator(status="accepted"))
    api.add("PATCH", PATH + "/col-1", json={"collaborator": collaborator(status="accepted", is_limited=True)})
    result = run(run_module, limited=True)
    assert result["changed"]
    assert [(c.method, c.path, c.json) for c in api.calls()][1] == (
        "PATCH", "/v1" + PATH + "/col-1", {"collaborator": {"is_limited": True}})
    assert result["scalingo_collaborator"]["limited"] is True


def test_check_mode_sends_no_write(api, run_module):
    listing(api, collaborator())
    result = run(run_module, limited=True, check_mode=True)
    assert result["changed"] and result["scalingo_collaborator"]["limited"] is True
    assert [c.method for c in api.calls()] == ["GET"]
    listing(api)
    the_app(api)
    result = run(run_module, email="new@example.com", check_mode=True)
    assert result["changed"] and result["scalingo_collaborator"]["status"] == "pending"
    assert all(c.method == "GET" for c in api.calls())


def test_owner_is_refused(api, run_module):
    listing(api)
    the_app(api)
    for state, verb in (("absent", "removed"), ("present", "invited")):
        result = run(run_module, email="OWNER@example.com", state=state)
        assert result["failed"]
        assert result["msg"].startswith("email: OWNER@example.com is the owner of app my-app, not a collaborator: "
                                        "the owner cannot be %s" % verb)
    assert all(c.method == "GET" for c in api.calls())


def test_absent(api, run_module):
    listing(api, collaborator())
    api.add("DELETE", PATH + "/col-1", status=204, body="")
    result = run(run_module, state="absent", email="DEV@example.com")
    assert result["changed"] and result["scalingo_collaborator"] == {}
    assert [(c.method, c.path) for c in api.calls()][-1] == ("DELETE", "/v1" + PATH + "/col-1")


def test_absent_when_not_a_collaborator(api, run_module):
    listing(api)
    the_app(api)
    result = run(run_module, state="absent")
    assert not result["changed"]
    assert [c.method for c in api.calls()] == ["GET", "GET"]


def test_missing_app_in_check_mode(api, run_module):
    api.add("GET", PATH, status=404, json={"resource": "app", "error": "not found"})
    result = run(run_module, check_mode=True)
    assert result["changed"] and "does not exist (yet)" in result["warnings"][0]
    assert [c.method for c in api.calls()] == ["GET"]


def test_api_refusal(api, run_module):
    listing(api)
    the_app(api)
    api.add("POST", PATH, status=422, json={"errors": {"email": ["is invalid"]}})
    result = run(run_module)
    assert result["failed"] and result["failure"]["errors"] == {"email": ["is invalid"]}
