# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_restart
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE, shaped_operation

APP = "my-app"
OPERATION = API_BASE + "/apps/my-app/operations/op-7"
FORMATION = [dict(name="web", amount=2, size="M"), dict(name="worker", amount=1, size="S"),
             dict(name="clock", amount=0, size="S")]


def operation(status, **extra):
    return {"operation": dict(id="op-7", type="restart", status=status, **extra)}


@pytest.fixture
def restart(api, run_module):
    def run(check_mode=False, **args):
        return run_module(scalingo_restart, dict(app=APP, **args), check_mode=check_mode)
    return run


def given_formation(api):
    api.add("GET", "/apps/my-app/containers", json={"containers": FORMATION})


def accepted(api, *statuses):
    api.add("POST", "/apps/my-app/restart", status=202, headers={"Location": OPERATION}, body="")
    for status in statuses:
        api.add("GET", OPERATION, json=operation(status))


def test_bad_app_name_is_refused_before_any_request(api, run_module):
    result = run_module(scalingo_restart, dict(app="a"))
    assert result["failed"]
    assert result["msg"].startswith("app: 'a' is not a valid Scalingo app name")
    assert api.all_calls() == []


def test_empty_scope_entry_is_refused_before_any_request(api, restart):
    result = restart(scope=["web", " "])
    assert result["failed"]
    assert result["msg"] == "scope[1]: must be a container type or a container name, not an empty string"
    assert api.all_calls() == []


def test_unknown_scope_entries_are_named_and_nothing_is_sent(api, restart):
    given_formation(api)
    result = restart(scope=["web", "web-3", "worker-0", "mailer", "clock-1", "web-2"])
    assert result["failed"]
    assert result["msg"] == (
        "scope: 'web-3', 'worker-0', 'mailer', 'clock-1' are not in the app's formation; its container types and "
        "containers are: clock (no container), web (web-1 to web-2), worker (worker-1)")
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/my-app/containers")]


def test_restart_everything_and_wait(api, restart, clock):
    given_formation(api)
    accepted(api, "pending", "running", "done")
    result = restart()
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert [(c.method, c.path, c.json) for c in api.calls()] == [
        ("GET", "/v1/apps/my-app/containers", None),
        ("POST", "/v1/apps/my-app/restart", {"scope": []}),
        ("GET", "/v1/apps/my-app/operations/op-7", None),
        ("GET", "/v1/apps/my-app/operations/op-7", None),
        ("GET", "/v1/apps/my-app/operations/op-7", None),
    ]
    assert clock.sleeps == [2, 2, 2]   # the first poll comes one poll_interval after the restart request
    assert result["scalingo_restart"] == {"scope": [], "restarted": ["web-1", "web-2", "worker-1"]}
    assert result["scope"] == []   # deprecated aliases
    assert result["restarted"] == ["web-1", "web-2", "worker-1"]
    assert result["operation"] == shaped_operation(operation("done")["operation"], OPERATION)


def test_restart_types_and_containers(api, restart, clock):
    given_formation(api)
    accepted(api, "done")
    result = restart(scope=["worker", "web-2", "worker"])
    assert result["changed"] is True
    assert api.calls()[1].json == {"scope": ["worker", "web-2"]}
    assert result["scope"] == ["worker", "web-2"]
    assert result["restarted"] == ["web-2", "worker-1"]


def test_type_names_with_dashes(api, restart, clock):
    api.add("GET", "/apps/my-app/containers", json={"containers": [dict(name="mail-worker", amount=2, size="S")]})
    accepted(api, "done")
    result = restart(scope=["mail-worker-2"])
    assert not result["failed"], result["msg"]
    assert result["restarted"] == ["mail-worker-2"]


def test_check_mode_reads_the_formation_only(api, restart):
    given_formation(api)
    result = restart(scope=["web"], check_mode=True)
    assert not result["failed"]
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET"]
    assert result["restarted"] == ["web-1", "web-2"]
    assert "operation" not in result


def test_check_mode_still_checks_the_scope(api, restart):
    given_formation(api)
    result = restart(scope=["web-9"], check_mode=True)
    assert result["failed"]
    assert "'web-9' is not in the app's formation" in result["msg"]


def test_wait_false_returns_the_operation_reference(api, restart):
    given_formation(api)
    accepted(api)
    result = restart(scope=["web"], wait=False)
    assert result["changed"] is True
    assert result["operation"] == shaped_operation({"id": "op-7"}, OPERATION)
    assert [c.method for c in api.calls()] == ["GET", "POST"]


def test_busy_app_fails_saying_so(api, restart):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", status=422, json={"errors": {"app": ["is scaling"]}})
    result = restart()
    assert result["failed"]
    assert "(422): app is scaling; app my-app is busy with another operation (it is scaling)" in result["msg"]
    assert "wait_for_idle=true" in result["msg"]


def test_wait_for_idle_sends_again_once_idle(api, restart, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", status=422, json={"errors": {"app": ["is scaling"]}})
    accepted(api, "done")
    api.add("GET", "/apps/my-app", json={"app": {"name": APP, "status": "running"}})
    result = restart(wait_for_idle=True)
    assert not result["failed"], result["msg"]
    assert [(c.method, c.path) for c in api.calls()] == [
        ("GET", "/v1/apps/my-app/containers"), ("POST", "/v1/apps/my-app/restart"), ("GET", "/v1/apps/my-app"),
        ("POST", "/v1/apps/my-app/restart"), ("GET", "/v1/apps/my-app/operations/op-7")]
    assert clock.sleeps == [2, 2]


def test_wait_for_idle_waits_out_a_409_conflict_too(api, restart, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", status=409, json={"error": "an operation is already running"})
    accepted(api, "done")
    api.add("GET", "/apps/my-app", json={"app": {"name": APP, "status": "running"}})
    result = restart(wait_for_idle=True)
    assert not result["failed"], result["msg"]
    assert [(c.method, c.path) for c in api.calls()] == [
        ("GET", "/v1/apps/my-app/containers"), ("POST", "/v1/apps/my-app/restart"), ("GET", "/v1/apps/my-app"),
        ("POST", "/v1/apps/my-app/restart"), ("GET", "/v1/apps/my-app/operations/op-7")]
    assert result["scalingo_restart"] == {"scope": [], "restarted": ["web-1", "web-2", "worker-1"]}


def test_busy_409_without_wait_for_idle_fails_saying_so(api, restart):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", status=409, json={"error": "an operation is already running"})
    result = restart()
    assert result["failed"]
    assert "app my-app is busy with another operation (it answers 409 Conflict (an operation is already " \
           "running))" in result["msg"]
    assert "wait_for_idle=true" in result["msg"]


@pytest.mark.parametrize("wait", [True, False])
def test_check_mode_on_an_app_a_play_creates_predicts_with_a_warning(api, restart, wait):
    api.add("GET", "/apps/my-app/containers", status=404, json={"resource": "app", "error": "not found"})
    result = restart(scope=["web"], check_mode=True, wait=wait)
    assert not result["failed"] and result["changed"] is True
    assert result["scalingo_restart"] == {"scope": ["web"], "restarted": []}
    assert len(result["warnings"]) == 1 and "app my-app does not exist (yet)" in result["warnings"][0]
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/my-app/containers")]


def test_missing_app_fails_a_real_run(api, restart):
    api.add("GET", "/apps/my-app/containers", status=404, json={"resource": "app", "error": "not found"})
    result = restart()
    assert result["failed"] and result["failure"]["status"] == 404
    assert [c.method for c in api.calls()] == ["GET"]


def test_operation_ending_in_error_fails_with_its_text(api, restart, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", status=202, headers={"Location": OPERATION}, body="")
    api.add("GET", OPERATION, json=operation("error", error="container web-1 failed to boot"))
    result = restart()
    assert result["failed"]
    assert result["msg"] == "operation op-7 (restart) failed: container web-1 failed to boot"


def test_operation_timeout_fails_clearly(api, restart, clock):
    given_formation(api)
    accepted(api, "running")
    result = restart(wait_timeout=3, poll_interval=2)
    assert result["failed"]
    assert result["msg"].startswith("operation op-7 (restart) still running after 3 s")
    assert clock.sleeps == [2, 1]


def test_dropped_connection_after_the_restart_request_is_an_unknown_outcome(api, restart):
    given_formation(api)
    api.add("POST", "/apps/my-app/restart", body=requests.exceptions.ConnectionError("Connection aborted."))
    result = restart()
    assert result["failed"]
    assert result["failure"]["outcome_unknown"] is True
    assert "outcome is unknown" in result["msg"]
