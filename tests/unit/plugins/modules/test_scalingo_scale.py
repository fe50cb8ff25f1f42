# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_scale
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE, shaped_operation

APP = "my-app"
OPERATION = API_BASE + "/apps/my-app/operations/op-1"
FORMATION = [dict(name="web", amount=1, size="M"), dict(name="worker", amount=1, size="S"),
             dict(name="clock", amount=0, size="S")]


def formation_after(**changes):
    """The scale answer: the whole formation, with ids, after the given {type: (amount, size)} changes."""
    items = []
    for item in FORMATION:
        amount, size = changes.get(item["name"], (item["amount"], item["size"]))
        items.append(dict(id="ct-" + item["name"], name=item["name"], amount=amount, size=size))
    return {"containers": items}


def operation(status, **extra):
    return {"operation": dict(id="op-1", type="scale", status=status, **extra)}


@pytest.fixture
def scale(api, run_module):
    def run(containers, check_mode=False, diff=False, **args):
        return run_module(scalingo_scale, dict(app=APP, containers=containers, **args),
                          check_mode=check_mode, diff=diff)
    return run


def given_formation(api, formation=None, autoscalers=None):
    api.add("GET", "/apps/my-app/containers", json={"containers": FORMATION if formation is None else formation})
    api.add("GET", "/apps/my-app/autoscalers", json={"autoscalers": autoscalers or []})


def requests_sent(api):
    return [(c.method, c.path, c.json) for c in api.calls()]


# ------------------------------------------------------------------ input rules, before any request

@pytest.mark.parametrize("containers, message", [
    ([], "containers: give at least one container type"),
    ([dict(name="", amount=1)], "containers[0].name: '' is not a container type name"),
    ([dict(name="my web", amount=1)], "containers[0].name: 'my web' is not a container type name"),
    ([dict(name="web", amount=1), dict(name="web", amount=2)], "containers[1].name: 'web' is listed more than once"),
    ([dict(name="web", amount=-1)], "containers[0].amount: -1 is out of range: from 0 to 10"),
    ([dict(name="web", amount=11)], "containers[0].amount: 11 is out of range: from 0 to 10"),
    ([dict(name="web", amount=1, size="m")], "containers[0].size: 'm' is not a container size"),
    ([dict(name="web", amount=1, size="X-L")], "containers[0].size: 'X-L' is not a container size"),
])
def test_bad_containers_are_refused_before_any_request(api, scale, containers, message):
    result = scale(containers)
    assert result["failed"]
    assert message in result["msg"]
    assert api.all_calls() == []


def test_every_broken_rule_is_named_at_once(api, scale):
    result = scale([dict(name="web", amount=12, size="xl"), dict(name="web", amount=1)])
    assert result["failed"]
    assert "containers[0].amount: 12" in result["msg"]
    assert "containers[0].size: 'xl'" in result["msg"]
    assert "containers[1].name: 'web' is listed more than once" in result["msg"]
    assert api.all_calls() == []


def test_bad_app_name_is_refused_before_any_request(api, run_module):
    result = run_module(scalingo_scale, dict(app="My_App", containers=[dict(name="web", amount=1)]))
    assert result["failed"]
    assert result["msg"].startswith("app: 'My_App' is not a valid Scalingo app name")
    assert api.all_calls() == []


def test_missing_amount_is_refused_by_the_argument_spec(api, scale):
    result = scale([dict(name="web")])
    assert result["failed"]
    assert "amount" in result["msg"]
    assert api.all_calls() == []


# ------------------------------------------------------------------ no change

def test_no_change_costs_one_get(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=1, size="M"), dict(name="worker", amount=1)], diff=True)
    assert not result["failed"]
    assert result["changed"] is False
    assert requests_sent(api) == [("GET", "/v1/apps/my-app/containers", None)]
    assert result["scalingo_formation"] == FORMATION
    assert "operation" not in result
    assert result["diff"]["before"] == result["diff"]["after"] == {
        "web": {"amount": 1, "size": "M"}, "worker": {"amount": 1, "size": "S"}, "clock": {"amount": 0, "size": "S"}}


def test_no_change_with_exclusive_when_unlisted_types_are_already_stopped(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=1), dict(name="worker", amount=1)], exclusive=True)
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_no_diff_key_without_diff_mode(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=1)])
    assert "diff" not in result


# ------------------------------------------------------------------ changes

def test_scale_up_sends_only_changed_types_and_waits(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(3, "L")))
    api.add("GET", OPERATION, json=operation("pending"))
    api.add("GET", OPERATION, json=operation("running"))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=3, size="L"), dict(name="worker", amount=1, size="S")], diff=True)
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert requests_sent(api) == [
        ("GET", "/v1/apps/my-app/containers", None),
        ("GET", "/v1/apps/my-app/autoscalers", None),
        ("POST", "/v1/apps/my-app/scale", {"containers": [{"name": "web", "amount": 3, "size": "L"}]}),
        ("GET", "/v1/apps/my-app/operations/op-1", None),
        ("GET", "/v1/apps/my-app/operations/op-1", None),
        ("GET", "/v1/apps/my-app/operations/op-1", None),
    ]
    assert clock.sleeps == [2, 2, 2]   # the first poll comes one poll_interval after the scale request
    assert result["operation"] == shaped_operation(operation("done")["operation"], OPERATION)
    assert result["scalingo_scale"] == [dict(name="web", amount=3, size="L"), dict(name="worker", amount=1, size="S"),
                                        dict(name="clock", amount=0, size="S")]
    assert result["scalingo_formation"] == result["scalingo_scale"]   # deprecated alias
    assert result["diff"]["before"]["web"] == {"amount": 1, "size": "M"}
    assert result["diff"]["after"]["web"] == {"amount": 3, "size": "L"}
    assert result["diff"]["after"]["worker"] == {"amount": 1, "size": "S"}


def test_size_is_sent_only_when_given(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(worker=(2, "S")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="worker", amount=2)], poll_interval=5)
    assert result["changed"] is True
    assert api.calls()[2].json == {"containers": [{"name": "worker", "amount": 2}]}
    assert clock.sleeps == [5]


def test_a_size_change_alone_is_a_change(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(1, "XL")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=1, size="XL")])
    assert result["changed"] is True
    assert api.calls()[2].json == {"containers": [{"name": "web", "amount": 1, "size": "XL"}]}


SIZES = {"container_sizes": [dict(name=name) for name in ("S", "M", "L", "XL", "2XL", "3XL", "4XL")]}


def test_a_size_the_region_does_not_offer_is_refused_before_the_scale(api, scale):
    given_formation(api)
    api.add("GET", "/features/container_sizes", json=SIZES)
    result = scale([dict(name="worker", amount=1), dict(name="web", amount=2, size="XXL")], check_mode=True)
    assert result["failed"]
    assert result["msg"] == ("containers[1].size: 'XXL' is not a container size this region offers "
                             "(S, M, L, XL, 2XL, 3XL, 4XL)")
    assert requests_sent(api) == [("GET", "/v1/apps/my-app/containers", None),
                                  ("GET", "/v1/features/container_sizes", None)]


def test_a_size_the_region_offers_beyond_the_known_ones_is_sent(api, scale, clock):
    given_formation(api)
    api.add("GET", "/features/container_sizes", json=SIZES)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(1, "4XL")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=1, size="4XL")])
    assert result["changed"] is True
    assert [call.path for call in api.calls()] == [
        "/v1/apps/my-app/containers", "/v1/features/container_sizes", "/v1/apps/my-app/autoscalers",
        "/v1/apps/my-app/scale", "/v1/apps/my-app/operations/op-1"]
    assert api.calls()[3].json == {"containers": [{"name": "web", "amount": 1, "size": "4XL"}]}


def test_empty_size_keeps_the_current_size(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=1, size="")])
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_exclusive_scales_unlisted_running_types_to_zero(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M"), worker=(0, "S")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=2)], exclusive=True)
    assert result["changed"] is True
    # clock already runs no container: it is left out of the body
    assert api.calls()[2].json == {"containers": [{"name": "web", "amount": 2}, {"name": "worker", "amount": 0}]}


def test_unlisted_types_are_left_alone_without_exclusive(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M")))
    api.add("GET", OPERATION, json=operation("done"))
    scale([dict(name="web", amount=2)])
    assert api.calls()[2].json == {"containers": [{"name": "web", "amount": 2}]}


def test_a_type_missing_from_the_formation_is_sent_with_a_warning(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=422,
            json={"errors": {"containers": ["type 'mailer' does not exist in the Procfile"]}})
    result = scale([dict(name="mailer", amount=1)])
    assert result["failed"]
    assert result["warnings"] == ["container type mailer is not in the formation of app my-app (web, worker, clock); "
                                  "the API decides whether it accepts it"]
    assert result["msg"] == ("Scalingo API refused POST /v1/apps/my-app/scale (422): containers type 'mailer' does "
                             "not exist in the Procfile")
    assert result["failure"]["status"] == 422


def test_unknown_size_refused_by_the_api_is_shown(api, scale):
    """A region that does not list its sizes leaves them to the API."""
    given_formation(api)
    api.add("GET", "/features/container_sizes", status=404, json={"error": "not found"})
    api.add("POST", "/apps/my-app/scale", status=422, json={"errors": {"size": ["4XL is not a valid size"]}})
    result = scale([dict(name="web", amount=1, size="4XL")])
    assert result["failed"]
    assert result["msg"] == "Scalingo API refused POST /v1/apps/my-app/scale (422): size 4XL is not a valid size"
    assert result["failure"]["errors"] == {"size": ["4XL is not a valid size"]}


# ------------------------------------------------------------------ answers of the scale request

def test_wait_false_returns_the_operation_reference(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M")))
    result = scale([dict(name="web", amount=2)], wait=False)
    assert result["changed"] is True
    assert result["operation"] == shaped_operation({"id": "op-1"}, OPERATION)
    assert [c.method for c in api.calls()] == ["GET", "GET", "POST"]
    assert result["scalingo_formation"][0] == dict(name="web", amount=2, size="M")


def test_location_on_another_host_is_reported_on_the_configured_api(api, scale):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202,
            headers={"Location": "https://internal.example.net/v1/apps/my-app/operations/op-1"},
            json=formation_after(web=(2, "M")))
    result = scale([dict(name="web", amount=2)], wait=False)
    assert result["operation"] == shaped_operation({"id": "op-1"}, OPERATION)


def test_never_deployed_app_answers_200_without_operation(api, scale):
    given_formation(api, formation=[dict(name="web", amount=0, size="M")])
    api.add("POST", "/apps/my-app/scale", status=200, json={"containers": [dict(id="ct-1", name="web", amount=1,
                                                                                size="M")]})
    result = scale([dict(name="web", amount=1)])
    assert not result["failed"]
    assert result["changed"] is True
    assert "operation" not in result
    assert result["scalingo_formation"] == [dict(name="web", amount=1, size="M")]
    assert len(api.calls()) == 3


def test_api_no_change_answer_is_not_a_change(api, scale):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=400, json={"error": "no change in containers formation"})
    result = scale([dict(name="web", amount=2)], diff=True)
    assert not result["failed"]
    assert result["changed"] is False
    assert result["scalingo_formation"] == FORMATION
    assert result["diff"]["before"] == result["diff"]["after"]


def test_other_400_fails(api, scale):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=400, json={"error": "invalid containers"})
    result = scale([dict(name="web", amount=2)])
    assert result["failed"]
    assert result["msg"] == "Scalingo API refused POST /v1/apps/my-app/scale (400): invalid containers"


@pytest.mark.parametrize("reason", ["is scaling", "is restarting"])
def test_busy_app_fails_saying_so(api, scale, reason):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=422, json={"errors": {"app": [reason]}})
    result = scale([dict(name="web", amount=2)])
    assert result["failed"]
    assert result["msg"] == (
        "Scalingo API refused POST /v1/apps/my-app/scale (422): app %s; app my-app is busy with another operation "
        "(it %s): a scale, restart or deployment must end first; run the task again when it is over, or set "
        "wait_for_idle=true to wait for it" % (reason, reason))
    assert result["failure"]["errors"] == {"app": [reason]}
    assert [c.method for c in api.calls()] == ["GET", "GET", "POST"]


def test_wait_for_idle_polls_the_app_and_sends_again(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=422, json={"errors": {"app": ["is restarting"]}})
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M")))
    api.add("GET", "/apps/my-app", json={"app": {"name": APP, "status": "restarting"}})
    api.add("GET", "/apps/my-app", json={"app": {"name": APP, "status": "running"}})
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=2)], wait_for_idle=True, poll_interval=3)
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert [(c.method, c.path) for c in api.calls()] == [
        ("GET", "/v1/apps/my-app/containers"), ("GET", "/v1/apps/my-app/autoscalers"),
        ("POST", "/v1/apps/my-app/scale"), ("GET", "/v1/apps/my-app"), ("GET", "/v1/apps/my-app"),
        ("POST", "/v1/apps/my-app/scale"), ("GET", "/v1/apps/my-app/operations/op-1")]
    assert api.calls()[2].json == api.calls()[5].json == {"containers": [{"name": "web", "amount": 2}]}
    assert clock.sleeps == [3, 3, 3]


def test_wait_for_idle_gives_up_at_wait_timeout(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=422, json={"errors": {"app": ["is scaling"]}})
    api.add("GET", "/apps/my-app", json={"app": {"name": APP, "status": "scaling"}})
    result = scale([dict(name="web", amount=2)], wait_for_idle=True, wait_timeout=10, poll_interval=4)
    assert result["failed"]
    assert result["msg"].startswith("app my-app is still scaling: gave up waiting for it to be idle")
    assert sum(clock.sleeps) == 10
    assert [c.method for c in api.calls()].count("POST") == 1


def test_dropped_connection_after_the_scale_request_is_an_unknown_outcome(api, scale):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", body=requests.exceptions.ConnectionError("Connection aborted."))
    result = scale([dict(name="web", amount=2)])
    assert result["failed"]
    assert "outcome is unknown and it was not repeated" in result["msg"]
    assert result["failure"]["outcome_unknown"] is True
    assert [c.method for c in api.calls()].count("POST") == 1


def test_operation_ending_in_error_fails_with_its_text(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M")))
    api.add("GET", OPERATION, json=operation("running"))
    api.add("GET", OPERATION, json=operation("error", error="not enough capacity for 2 M containers"))
    result = scale([dict(name="web", amount=2)])
    assert result["failed"]
    assert result["msg"] == "operation op-1 (scale) failed: not enough capacity for 2 M containers"
    assert result["failure"]["operation"]["status"] == "error"


def test_operation_timeout_fails_clearly(api, scale, clock):
    given_formation(api)
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(2, "M")))
    api.add("GET", OPERATION, json=operation("running"))
    result = scale([dict(name="web", amount=2)], wait_timeout=5, poll_interval=2)
    assert result["failed"]
    assert result["msg"].startswith("operation op-1 (scale) still running after 5 s")
    assert clock.sleeps == [2, 2, 1]


# ------------------------------------------------------------------ autoscalers

AUTOSCALER = dict(id="au-1", app_id="ap-1", container_type="web", metric="cpu", target=0.8,
                  min_containers=1, max_containers=5, disabled=False)


def test_active_autoscaler_on_a_changed_type_is_refused(api, scale):
    given_formation(api, autoscalers=[AUTOSCALER])
    result = scale([dict(name="web", amount=3)])
    assert result["failed"]
    assert result["msg"] == ("container type web of app my-app has an active autoscaler, and scaling it by hand "
                             "disables the autoscaler: remove web from containers, or set allow_autoscaled=true to "
                             "scale it anyway")
    assert result["autoscaled_types"] == ["web"]
    assert [c.method for c in api.calls()] == ["GET", "GET"]


def test_active_autoscaler_is_refused_in_check_mode_too(api, scale):
    given_formation(api, autoscalers=[AUTOSCALER])
    result = scale([dict(name="web", amount=3)], check_mode=True)
    assert result["failed"]
    assert "allow_autoscaled" in result["msg"]


def test_autoscalers_of_unchanged_or_disabled_types_do_not_matter(api, scale, clock):
    given_formation(api, autoscalers=[dict(AUTOSCALER, container_type="worker"),
                                      dict(AUTOSCALER, id="au-2", disabled=True)])
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(3, "M")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=3), dict(name="worker", amount=1)])
    assert not result["failed"], result["msg"]
    assert result["warnings"] == []


def test_allow_autoscaled_scales_and_warns(api, scale, clock):
    given_formation(api, autoscalers=[AUTOSCALER])
    api.add("POST", "/apps/my-app/scale", status=202, headers={"Location": OPERATION},
            json=formation_after(web=(3, "M")))
    api.add("GET", OPERATION, json=operation("done"))
    result = scale([dict(name="web", amount=3)], allow_autoscaled=True)
    assert result["changed"] is True
    assert result["warnings"] == ["scaling container type web of app my-app disables its autoscaler"]
    assert api.calls()[2].json == {"containers": [{"name": "web", "amount": 3}]}


def test_autoscalers_are_not_read_when_nothing_changes(api, scale):
    given_formation(api, autoscalers=[AUTOSCALER])
    result = scale([dict(name="web", amount=1)])
    assert result["changed"] is False
    assert [c.path for c in api.calls()] == ["/v1/apps/my-app/containers"]


# ------------------------------------------------------------------ check mode

def test_check_mode_predicts_without_scaling(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=2, size="L"), dict(name="mailer", amount=1)], check_mode=True,
                   diff=True, exclusive=True)
    assert not result["failed"]
    assert result["changed"] is True
    assert [(c.method, c.path) for c in api.calls()] == [
        ("GET", "/v1/apps/my-app/containers"), ("GET", "/v1/apps/my-app/autoscalers")]
    assert result["scalingo_formation"] == [dict(name="web", amount=2, size="L"), dict(name="worker", amount=0, size="S"),
                                            dict(name="clock", amount=0, size="S"),
                                            dict(name="mailer", amount=1, size=None)]
    assert result["diff"] == {
        "before": {"web": {"amount": 1, "size": "M"}, "worker": {"amount": 1, "size": "S"},
                   "clock": {"amount": 0, "size": "S"}},
        "after": {"web": {"amount": 2, "size": "L"}, "worker": {"amount": 0, "size": "S"},
                  "clock": {"amount": 0, "size": "S"}, "mailer": {"amount": 1, "size": None}},
    }
    assert "operation" not in result


def test_check_mode_without_change(api, scale):
    given_formation(api)
    result = scale([dict(name="web", amount=1)], check_mode=True)
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_missing_app_fails_with_the_api_answer(api, scale):
    api.add("GET", "/apps/my-app/containers", status=404, json={"resource": "app", "error": "not found"})
    result = scale([dict(name="web", amount=1)])
    assert result["failed"] and result["failure"]["status"] == 404
    assert result["msg"] == "Scalingo API refused GET /v1/apps/my-app/containers (404): app not found"
    assert [c.method for c in api.calls()] == ["GET"]


def test_check_mode_on_an_app_a_play_creates_predicts_the_formation_with_one_warning(api, scale):
    api.add("GET", "/apps/my-app/containers", status=404, json={"resource": "app", "error": "not found"})
    result = scale([dict(name="web", amount=2, size="L")], check_mode=True, diff=True)
    assert not result["failed"] and result["changed"] is True
    assert result["scalingo_scale"] == [dict(name="web", amount=2, size="L")]
    assert result["diff"] == {"before": {}, "after": {"web": {"amount": 2, "size": "L"}}}
    assert len(result["warnings"]) == 1 and "app my-app does not exist (yet)" in result["warnings"][0]
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/my-app/containers")]
