# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import AnsibleScalingo
from ansible_collections.scalingo.cloud.plugins.modules import scalingo_one_off
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_utils.test_one_off import CONTAINER
# the fixture of a local attach endpoint
from ansible_collections.scalingo.cloud.tests.unit.plugins.module_utils.test_one_off import server  # noqa: F401 pylint: disable=unused-import
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE

APP = "my-app"
SECRET = "s3cret-db-password"
WEB = dict(id="ct-0", type="web", type_index=1, label="web-1", state="running")


@pytest.fixture
def one_off(api, run_module):
    def run(check_mode=False, diff=False, **args):
        args.setdefault("app", APP)
        return run_module(scalingo_one_off, args, check_mode=check_mode, diff=diff)
    return run


def accepted(api, endpoint, exit_code=0, wait_status=200):
    """The run is accepted, its operation is done with the endpoint's attach URL, /wait gives exit_code."""
    api.add("POST", "/apps/my-app/run", json={
        "container": CONTAINER, "operation": "op-1", "operation_url": API_BASE + "/apps/my-app/operations/op-1"})
    api.add("GET", "/apps/my-app/operations/op-1", json={"operation": dict(
        id="op-1", type="start-one-off", status="done", start_one_off_data={"attach_url": endpoint.url()})})
    if wait_status == 200:
        api.add("GET", endpoint.url() + "/wait", json={"exit_code": exit_code})
    else:
        api.add("GET", endpoint.url() + "/wait", status=wait_status, body="")


def requests_of(api):
    return [(c.method, c.url.replace(API_BASE, ""), c.json) for c in api.calls()]


# ------------------------------------------------------------------ bad input, before any request

@pytest.mark.parametrize("args, message", [
    (dict(app="A", command="true"), "app: 'A' is not a valid Scalingo app name"),
    (dict(), "command: required with state=present, and must not be empty or blank"),
    (dict(command="   "), "command: required with state=present, and must not be empty or blank"),
    (dict(command="true", env={"BAD-NAME": SECRET}), "env: 'BAD-NAME' is not a valid environment variable name"),
    (dict(command="true", env={"LIST": [SECRET]}), "env: the value of LIST must be a string"),
    (dict(command="true", size="medium"), "size: 'medium' is not a container size"),
    (dict(command="cat", detached=True, stdin="x"), "stdin: only for attached runs"),
    (dict(command="true", detached=True, run_timeout=5), "run_timeout: only for attached runs"),
    (dict(command="true", run_timeout=0), "run_timeout: must be greater than 0 seconds"),
    (dict(state="stopped"), "container: give the label (like one-off-1234) or the id of the one-off to stop"),
    (dict(state="stopped", container=" "), "container: give the label"),
])
def test_bad_input_is_refused_before_any_request(api, one_off, args, message):
    result = one_off(**args)
    assert result["failed"]
    assert result["msg"].startswith(message)
    assert SECRET not in str(result)
    assert api.all_calls() == []


def test_errors_are_all_reported_at_once(api, one_off):
    result = one_off(command="", env={"1X": "v"}, size="m")
    assert result["msg"].count("; ") == 2
    assert api.all_calls() == []


# ------------------------------------------------------------------ check mode

def given_app(api):
    api.add("GET", "/apps/my-app", json={"app": {"id": "app-1", "name": APP}})


def test_check_mode_reads_the_app_and_says_what_would_run(api, one_off):
    given_app(api)
    result = one_off(check_mode=True, command="rake db:migrate", env={"WORKERS": 2},
                     secret_env={"DB_PASSWORD": SECRET}, size="L")
    assert not result["failed"]
    assert result["changed"] is True
    assert result["scalingo_one_off"] == dict(container=None, command="rake db:migrate", detached=False, size="L",
                                              env_names=["DB_PASSWORD", "WORKERS"])
    assert result["msg"] == "check mode: the command would run attached in a one-off container of my-app"
    assert SECRET not in str(result)
    assert requests_of(api) == [("GET", "/apps/my-app", None)]
    assert result["warnings"] == []


def test_check_mode_detached(api, one_off):
    given_app(api)
    result = one_off(check_mode=True, command="rake import", detached=True, wait=True)
    assert result["changed"] is True and result["scalingo_one_off"]["detached"] is True
    assert [c.method for c in api.calls()] == ["GET"]


def test_check_mode_on_an_app_a_play_creates_warns(api, one_off):
    api.add("GET", "/apps/my-app", status=404, json={"resource": "app", "error": "not found"})
    result = one_off(check_mode=True, command="rake db:migrate")
    assert not result["failed"] and result["changed"] is True
    assert len(result["warnings"]) == 1 and "app my-app does not exist (yet)" in result["warnings"][0]
    assert requests_of(api) == [("GET", "/apps/my-app", None)]


def test_missing_app_fails_a_real_run(api, one_off):
    api.add("POST", "/apps/my-app/run", status=404, json={"resource": "app", "error": "not found"})
    result = one_off(command="rake db:migrate")
    assert result["failed"] and result["failure"]["status"] == 404
    assert [c.method for c in api.calls()] == ["POST"]


def test_a_name_in_env_and_secret_env_is_refused_before_any_request(api, one_off):
    result = one_off(command="true", env={"PASSWORD": "x"}, secret_env={"PASSWORD": SECRET})
    assert result["failed"]
    assert result["msg"] == ("env and secret_env: PASSWORD given in both; give each variable once, in secret_env "
                             "when its value is a secret")
    assert SECRET not in str(result)
    assert api.all_calls() == []


# ------------------------------------------------------------------ attached runs

def test_attached_run_returns_output_and_rc(api, one_off, server):
    endpoint = server(output=b"== migrating ==\r\ndone\r\n")
    accepted(api, endpoint)
    result = one_off(command="rake db:migrate", env={"WORKERS": 2, "VERBOSE": True},
                     secret_env={"DB_PASSWORD": SECRET}, size="L", stdin="yes\n")
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert requests_of(api) == [
        ("POST", "/apps/my-app/run", {"command": "rake db:migrate", "size": "L", "detached": False,
                                      "env": {"DB_PASSWORD": SECRET, "WORKERS": "2", "VERBOSE": "true"}}),
        ("GET", "/apps/my-app/operations/op-1", None),
        ("GET", endpoint.url() + "/wait", None),
    ]
    assert endpoint.inputs == [b"yes\n\x04"]
    one = result["scalingo_one_off"]
    assert one["stdout"] == "== migrating ==\r\ndone\r\n"
    assert one["stdout_lines"] == ["== migrating ==", "done"]
    assert one["rc"] == 0 and one["container"] == CONTAINER
    assert one["operation"] == dict(id="op-1", url=API_BASE + "/apps/my-app/operations/op-1", type="start-one-off",
                                    status="done", error=None, created_at=None, finished_at=None)
    assert set(one) == {"container", "operation", "stdout", "stdout_lines", "rc", "started_at", "finished_at",
                        "duration"}
    assert (result["stdout"], result["stdout_lines"], result["rc"]) == (one["stdout"], one["stdout_lines"], 0)
    assert result["warnings"] == []


def test_non_zero_rc_fails_like_command_without_echoing_the_command_or_env(api, one_off, server):
    endpoint = server(output=b"boom\n")
    accepted(api, endpoint, exit_code=3)
    result = one_off(command="bin/check --password=inline", env={"TOKEN": SECRET})
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "non-zero return code 3 from the command of one-off container one-off-1234"
    assert (result["rc"], result["stdout"], result["scalingo_one_off"]["rc"]) == (3, "boom\n", 3)
    assert "inline" not in result["msg"] and SECRET not in str(result)


def test_non_zero_rc_with_fail_on_error_false_succeeds(api, one_off, server, mocker):
    exit_json = mocker.spy(AnsibleScalingo, "exit")
    endpoint = server(output=b"boom\n")
    accepted(api, endpoint, exit_code=3)
    result = one_off(command="bin/check", fail_on_error=False)
    assert not result["failed"] and result["changed"] is True
    assert result["rc"] == 3
    # Ansible fails a task whose result has a non-zero rc unless the module says failed=False itself
    assert exit_json.call_args.kwargs["failed"] is False


def test_inactivity_408_fails_with_the_output_read(api, one_off, server):
    endpoint = server(output=b"silence...\n")
    accepted(api, endpoint, wait_status=408)
    result = one_off(command="sleep 4000")
    assert result["failed"] and result["changed"] is True
    assert result["msg"].startswith("the platform stopped the one-off after a long time without any output")
    assert result["failure"]["status"] == 408 and result["failure"]["type"] == "OneOffInactivityError"
    assert result["stdout"] == "silence...\n" and "rc" not in result
    assert [c.method for c in api.calls()] == ["POST", "GET", "GET"]     # nothing stopped: it has ended


def test_run_timeout_stops_the_container_and_fails(api, one_off, server):
    endpoint = server(output=b"step 1\n", hang=True)
    accepted(api, endpoint)
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    result = one_off(command="sleep 100", run_timeout=1)
    assert result["failed"] and result["changed"] is True
    assert result["msg"] == ("the one-off did not finish within run_timeout (1 s): the time ran out while reading "
                             "the output; container one-off-1234 was stopped")
    assert result["failure"]["type"] == "OneOffTimeoutError"
    assert result["stdout"] == "step 1\n" and "rc" not in result
    assert requests_of(api)[-1] == ("POST", "/apps/my-app/containers/ct-1/stop", None)


def test_reset_connection_warns_that_the_output_may_be_incomplete(api, one_off, server):
    endpoint = server(output=b"", reset=True)
    accepted(api, endpoint)
    result = one_off(command="true")
    assert not result["failed"]
    assert result["warnings"] == ["the connection to the one-off was reset by the platform: the output may be "
                                  "incomplete"]


def test_api_refusal_of_the_run_is_not_a_change(api, one_off):
    api.add("POST", "/apps/my-app/run", status=404, json={"resource": "app", "error": "not found"})
    result = one_off(command="true")
    assert result["failed"] and not result.get("changed")
    assert result["msg"] == "Scalingo API refused POST /v1/apps/my-app/run (404): app not found"
    assert len(api.calls()) == 1


def test_a_size_the_region_does_not_offer_is_refused_before_the_run(api, one_off):
    api.add("GET", "/features/container_sizes", json={"container_sizes": [dict(name=n) for n in ("S", "M", "4XL")]})
    result = one_off(command="true", size="XXL", detached=True)
    assert result["failed"] and not result.get("changed")
    assert result["msg"] == "size: 'XXL' is not a container size this region offers (S, M, 4XL)"
    assert requests_of(api) == [("GET", "/features/container_sizes", None)]


def test_a_size_the_region_offers_beyond_the_known_ones_is_sent(api, one_off):
    api.add("GET", "/features/container_sizes", json={"container_sizes": [dict(name=n) for n in ("S", "M", "4XL")]})
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-2"})
    result = one_off(command="rake import", size="4XL", detached=True)
    assert result["changed"] is True
    assert requests_of(api) == [("GET", "/features/container_sizes", None),
                                ("POST", "/apps/my-app/run", {"command": "rake import", "env": {}, "detached": True,
                                                              "size": "4XL"})]


def test_check_mode_does_not_check_sizes(api, one_off):
    given_app(api)
    result = one_off(check_mode=True, command="true", size="XXL")
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET"]


# ------------------------------------------------------------------ detached runs

def test_detached_run_returns_at_once(api, one_off):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-2"})
    result = one_off(command="rake import", detached=True, env={"WEB_CONCURRENCY": 2}, secret_env={"K": SECRET})
    assert not result["failed"] and result["changed"] is True
    assert requests_of(api) == [("POST", "/apps/my-app/run", {
        "command": "rake import", "env": {"WEB_CONCURRENCY": "2", "K": SECRET}, "detached": True})]
    assert result["scalingo_one_off"] == dict(
        container=CONTAINER, detached=True, finished=False,
        operation=dict(id="op-2", url=API_BASE + "/apps/my-app/operations/op-2", type=None, status=None, error=None,
                       created_at=None, finished_at=None))


def test_the_container_drops_the_embedded_app_and_the_prices(api, one_off):
    container = dict(CONTAINER, app={"id": "app-1", "name": APP, "owner": {"email": "user@example.com"}},
                     container_size={"id": "cs-m", "name": "M", "human_name": "Medium", "memory": 536870912,
                                     "hourly_price": 2, "thirtydays_price": 1440, "pricings": {"eur": 1}})
    api.add("POST", "/apps/my-app/run", json={"container": container, "operation": "op-2"})
    result = one_off(command="rake import", detached=True)
    shown = result["scalingo_one_off"]["container"]
    assert "app" not in shown
    assert shown["container_size"] == {"id": "cs-m", "name": "M", "human_name": "Medium", "memory": 536870912}
    assert dict((k, v) for k, v in shown.items() if k != "container_size") == CONTAINER
    assert "rc" not in result and "stdout" not in result


def test_detached_run_waits_until_the_container_left_ps(api, one_off, clock):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-2"})
    for containers in ([WEB, CONTAINER], [WEB, CONTAINER], [WEB]):
        api.add("GET", "/apps/my-app/ps", json={"containers": containers})
    result = one_off(command="rake import", detached=True, wait=True, poll_interval=3)
    assert result["scalingo_one_off"]["finished"] is True
    assert [c.method for c in api.calls()] == ["POST", "GET", "GET", "GET"]
    assert clock.sleeps == [3, 3]


def test_detached_wait_timeout_fails_and_leaves_it_running(api, one_off, clock):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-2"})
    api.add("GET", "/apps/my-app/ps", json={"containers": [CONTAINER]})
    result = one_off(command="rake import", detached=True, wait=True, wait_timeout=4)
    assert result["failed"] and result["changed"] is True
    assert result["msg"].startswith("the detached one-off one-off-1234 still runs after wait_timeout (4 s)")
    assert result["scalingo_one_off"]["finished"] is False
    assert "stop" not in " ".join(c.path for c in api.calls())


# ------------------------------------------------------------------ stop

def given_ps(api, *containers):
    api.add("GET", "/apps/my-app/ps", json={"containers": list(containers)})


@pytest.mark.parametrize("ident", ["one-off-1234", "ct-1"])
def test_stop_by_label_or_id(api, one_off, ident):
    given_ps(api, WEB, dict(CONTAINER, state="running"))
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    result = one_off(state="stopped", container=ident, diff=True)
    assert not result["failed"] and result["changed"] is True
    assert requests_of(api) == [("GET", "/apps/my-app/ps", None),
                                ("POST", "/apps/my-app/containers/ct-1/stop", None)]
    assert result["scalingo_one_off"] == dict(container=dict(CONTAINER, state="running"), finished=False)
    assert result["diff"] == dict(before=dict(container="one-off-1234", state="running"),
                                  after=dict(container="one-off-1234", state="stopping"))


def test_stop_of_a_container_already_gone_costs_one_request(api, one_off):
    given_ps(api, WEB)
    result = one_off(state="stopped", container="one-off-1234", diff=True)
    assert not result["failed"] and result["changed"] is False
    assert result["scalingo_one_off"] == dict(container=None, finished=True)
    assert "diff" not in result
    assert len(api.calls()) == 1


def test_stop_of_a_container_already_stopping_is_no_change(api, one_off):
    given_ps(api, dict(CONTAINER, state="stopping"))
    result = one_off(state="stopped", container="one-off-1234")
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_stop_racing_with_the_end_is_no_change(api, one_off):
    given_ps(api, CONTAINER)
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=404, json={"error": "not found"})
    result = one_off(state="stopped", container="one-off-1234")
    assert not result["failed"] and result["changed"] is False


def test_stop_refuses_other_containers(api, one_off):
    given_ps(api, WEB)
    result = one_off(state="stopped", container="web-1")
    assert result["failed"]
    assert result["msg"] == ("container: web-1 is a web container; only one-off containers can be stopped (restart "
                             "or scale the others)")
    assert len(api.calls()) == 1


def test_stop_in_check_mode_only_reads(api, one_off):
    given_ps(api, CONTAINER)
    result = one_off(state="stopped", container="one-off-1234", check_mode=True)
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET"]


def test_stop_and_wait(api, one_off, clock):
    for containers in ([CONTAINER], [dict(CONTAINER, state="stopping")], []):
        given_ps(api, *containers)
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    result = one_off(state="stopped", container="one-off-1234", wait=True)
    assert result["changed"] is True and result["scalingo_one_off"]["finished"] is True
    assert [c.method for c in api.calls()] == ["GET", "POST", "GET", "GET"]
    assert clock.sleeps == [2]


def test_stop_and_wait_timeout(api, one_off, clock):
    given_ps(api, CONTAINER)
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    result = one_off(state="stopped", container="one-off-1234", wait=True, wait_timeout=3)
    assert result["failed"] and result["changed"] is True
    assert result["msg"] == "the one-off container one-off-1234 is still listed after wait_timeout (3 s)"
