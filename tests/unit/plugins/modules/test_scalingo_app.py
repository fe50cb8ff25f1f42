# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_app

NAME = "my-shop-production"
PROJECT = "pr-82a3cac5-9b25-473e-b33d-6272b87e636f"
OTHER_PROJECT = "pr-00000000-1111-2222-3333-444444444444"
STACK = "st-4f3ab3b4-0f0a-4d0a-9d3c-7e5a1f8b2c11"

APP = {
    "id": "54100930736f7563d5030000",
    "name": NAME,
    "status": "running",
    "force_https": False,
    "sticky_session": False,
    "router_logs": True,
    "hds_resource": False,
    "stack_id": STACK,
    "owner": {"username": "john", "email": "john@example.com", "id": "54100245736f7563d5000000"},
    "project": {"id": PROJECT, "name": "my-shop"},
    "url": "https://my-shop-production.osc-fr1.scalingo.io",
}

NOT_FOUND = {"resource": "app", "error": "not found"}


def app(**changes):
    result = copy.deepcopy(APP)
    result.update(changes)
    return result


def view(data):
    return dict(name=data["name"], state="present", force_https=data["force_https"],
                sticky_session=data["sticky_session"], router_logs=data["router_logs"],
                stack_id=data.get("stack_id"), project_id=(data.get("project") or {}).get("id"),
                owner=(data.get("owner") or {}).get("email"))


def summary(calls):
    return [(c.method, c.path) for c in calls]


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault("name", NAME)
    return run_module(scalingo_app, args, check_mode=check_mode, diff=diff)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, words", [
    (dict(name="short"), ["name", "'short'", "6 to 48 lowercase letters, digits and hyphens"]),
    (dict(name="My-App-Name"), ["name", "6 to 48"]),
    (dict(name="-my-app-name"), ["name", "no hyphen at either end"]),
    (dict(name="my--app-name"), ["name", "no two hyphens in a row"]),
    (dict(name="a" * 49), ["name", "6 to 48"]),
    (dict(name="a" * 33, parent="my-parent-app"), ["name", "child app name", "6 to 32"]),
    (dict(parent="Parent_App"), ["parent", "6 to 48"]),
    (dict(rename_from="old_name"), ["rename_from", "6 to 48"]),
    (dict(rename_from=NAME), ["rename_from", "must differ from name"]),
    (dict(rename_from="my-old-name", state="absent"), ["rename_from", "only used with state=present"]),
    (dict(owner="not-an-email"), ["owner", "not an email address"]),
    (dict(stack_id=" "), ["stack_id", "must not be empty"]),
    (dict(project_id=""), ["project_id", "must not be empty"]),
    (dict(parent="my-parent-app", git_source="https://github.com/me/shop"), ["mutually exclusive", "parent",
                                                                             "git_source"]),
    (dict(parent="my-parent-app", hds_resource=True), ["mutually exclusive", "parent", "hds_resource"]),
])
def test_bad_input_fails_before_any_request(api, run_module, args, words):
    result = run(run_module, **args)
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert api.all_calls() == []    # not even the token exchange


def test_child_app_name_of_32_characters_is_accepted(api, run_module):
    name = "a" * 32
    api.add("GET", "/apps/" + name, json={"app": app(name=name)})
    result = run(run_module, name=name, parent="my-parent-app")
    assert result["failed"] is False
    assert summary(api.calls()) == [("GET", "/v1/apps/" + name)]


def test_several_errors_are_reported_together(api, run_module):
    result = run(run_module, name="x", owner="nobody")
    assert "name: 'x'" in result["msg"] and "owner: 'nobody'" in result["msg"]
    assert api.all_calls() == []


# ------------------------------------------------------------------ creation

def test_create_sends_creation_options_without_dry_run(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=201, json={"app": app(hds_resource=True)})
    result = run(run_module, project_id=PROJECT, stack_id=STACK, git_source="https://github.com/me/shop",
                 hds_resource=True)
    assert result["failed"] is False
    assert result["changed"] is True
    assert result["scalingo_app"] == app(hds_resource=True)
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("POST", "/v1/apps")]
    assert calls[1].json == {"app": {"name": NAME, "project_id": PROJECT, "stack_id": STACK,
                                     "git_source": "https://github.com/me/shop", "hds_resource": True}}
    assert "X-Dry-Run" not in calls[1].headers
    assert result["warnings"] == []
    assert "diff" not in result


def test_create_then_patches_only_the_settings_that_differ(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=201, json={"app": app()})
    api.add("PATCH", "/apps/" + NAME, json={"app": app(force_https=True)})
    result = run(run_module, force_https=True, sticky_session=False, router_logs=True, diff=True)
    assert result["changed"] is True
    assert result["scalingo_app"] == app(force_https=True)
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("POST", "/v1/apps"), ("PATCH", "/v1/apps/" + NAME)]
    assert calls[1].json == {"app": {"name": NAME}}
    assert calls[2].json == {"app": {"force_https": True}}
    assert result["diff"] == {"before": {"state": "absent"}, "after": view(app(force_https=True))}


def test_check_mode_create_sends_a_dry_run_and_returns_the_predicted_app(api, run_module):
    predicted = app(project={"id": PROJECT, "name": "my-shop"})
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=201, json={"app": predicted})
    result = run(run_module, check_mode=True, diff=True, project_id=PROJECT, force_https=True)
    assert result["failed"] is False
    assert result["changed"] is True
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("POST", "/v1/apps")]   # no PATCH
    assert calls[1].headers["X-Dry-Run"] == "true"
    assert calls[1].json == {"app": {"name": NAME, "project_id": PROJECT}}
    assert result["scalingo_app"] == app(force_https=True)
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["force_https"] is True
    assert result["diff"]["after"]["state"] == "present"


def test_check_mode_create_predicts_from_the_options_when_the_answer_has_no_app(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=200, json={})
    result = run(run_module, check_mode=True, project_id=PROJECT, stack_id=STACK, router_logs=True)
    assert result["changed"] is True
    assert result["scalingo_app"] == {"name": NAME, "project": {"id": PROJECT}, "stack_id": STACK,
                                      "router_logs": True}
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME), ("POST", "/v1/apps")]


@pytest.mark.parametrize("status, body, words", [
    (422, {"errors": {"name": ["has already been taken"]}}, ["POST /v1/apps (422)", "name has already been taken"]),
    (402, {"error": "you need to add a payment method", "url": "https://dashboard.scalingo.com/billing"},
     ["POST /v1/apps (402)", "payment method"]),
])
@pytest.mark.parametrize("check_mode", [True, False])
def test_create_refused_fails_the_same_in_check_mode(api, run_module, status, body, words, check_mode):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=status, json=body)
    result = run(run_module, check_mode=check_mode)
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert result["failure"]["status"] == status
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("POST", "/v1/apps")]
    assert calls[1].headers.get("X-Dry-Run") == ("true" if check_mode else None)


def test_creation_options_are_not_warned_about_on_a_new_app(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=200, json={"app": app(hds_resource=False)})
    result = run(run_module, check_mode=True, hds_resource=True)
    assert result["changed"] is True
    assert result["warnings"] == []
    assert api.calls()[1].json == {"app": {"name": NAME, "hds_resource": True}}


def test_create_child_app(api, run_module):
    child = app(name="my-shop-review-42", parent_app_name="my-shop-staging")
    api.add("GET", "/apps/my-shop-review-42", status=404, json=NOT_FOUND)
    api.add("POST", "/apps/my-shop-staging/child_apps", status=201, json={"app": child})
    result = run(run_module, name="my-shop-review-42", parent="my-shop-staging")
    assert result["changed"] is True
    assert result["scalingo_app"] == child
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/my-shop-review-42"), ("POST", "/v1/apps/my-shop-staging/child_apps")]
    assert calls[1].json == {"app": {"name": "my-shop-review-42"}}
    assert "X-Dry-Run" not in calls[1].headers


def test_create_child_app_then_syncs_stack_and_project(api, run_module):
    child = app(name="my-shop-review-42", project={"id": PROJECT})
    moved = app(name="my-shop-review-42", project={"id": OTHER_PROJECT}, stack_id="st-new")
    api.add("GET", "/apps/my-shop-review-42", status=404, json=NOT_FOUND)
    api.add("POST", "/apps/my-shop-staging/child_apps", status=201, json={"app": child})
    api.add("PATCH", "/apps/my-shop-review-42", json={"app": moved})
    result = run(run_module, name="my-shop-review-42", parent="my-shop-staging", project_id=OTHER_PROJECT,
                 stack_id="st-new")
    assert result["scalingo_app"] == moved
    calls = api.calls()
    assert calls[1].json == {"app": {"name": "my-shop-review-42"}}
    assert calls[2].method == "PATCH"
    assert calls[2].json == {"app": {"stack_id": "st-new", "project_id": OTHER_PROJECT}}


def test_check_mode_create_child_app_sends_a_dry_run_to_apps_with_parent_id(api, run_module):
    child = app(name="my-shop-review-42", parent_app_name="my-shop-staging")
    api.add("GET", "/apps/my-shop-review-42", status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-staging", json={"app": app(name="my-shop-staging", id="parent-id-1")})
    api.add("POST", "/apps", status=201, json={"app": child})
    result = run(run_module, check_mode=True, name="my-shop-review-42", parent="my-shop-staging")
    assert result["changed"] is True
    assert result["scalingo_app"] == child
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/my-shop-review-42"), ("GET", "/v1/apps/my-shop-staging"),
                              ("POST", "/v1/apps")]
    assert calls[2].headers["X-Dry-Run"] == "true"
    assert calls[2].json == {"app": {"name": "my-shop-review-42", "parent_id": "parent-id-1"}}
    assert not any("child_apps" in call.path for call in calls)


def test_create_child_app_of_a_missing_parent_fails(api, run_module):
    api.add("GET", "/apps/my-shop-review-42", status=404, json=NOT_FOUND)
    api.add("POST", "/apps/my-shop-staging/child_apps", status=404, json=NOT_FOUND)
    result = run(run_module, name="my-shop-review-42", parent="my-shop-staging")
    assert result["failed"] is True
    assert "POST /v1/apps/my-shop-staging/child_apps (404)" in result["msg"]
    assert result["failure"]["status"] == 404
    assert len(api.calls()) == 2


def test_check_mode_child_app_of_a_parent_created_earlier_warns(api, run_module):
    api.add("GET", "/apps/my-shop-review-42", status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-staging", status=404, json=NOT_FOUND)
    result = run(run_module, check_mode=True, name="my-shop-review-42", parent="my-shop-staging")
    assert result["failed"] is False and result["changed"] is True
    assert result["scalingo_app"]["name"] == "my-shop-review-42"
    assert result["scalingo_app"]["parent_app_name"] == "my-shop-staging"
    assert len(result["warnings"]) == 1 and "app my-shop-staging does not exist (yet)" in result["warnings"][0]
    assert summary(api.calls()) == [("GET", "/v1/apps/my-shop-review-42"), ("GET", "/v1/apps/my-shop-staging")]


# ------------------------------------------------------------ existing app

def test_no_change_costs_one_get(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    result = run(run_module, diff=True, force_https=False, sticky_session=False, router_logs=True, stack_id=STACK,
                 project_id=PROJECT, owner="John@Example.com", hds_resource=False,
                 git_source="https://github.com/me/other")
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["scalingo_app"] == app()
    assert result["diff"] == {"before": view(app()), "after": view(app())}
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]
    assert result["warnings"] == []


def test_options_not_set_are_not_compared(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app(force_https=True, sticky_session=True, router_logs=False)})
    result = run(run_module)
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_update_patches_only_the_changed_settings_and_returns_the_answer(api, run_module):
    updated = app(force_https=True, project={"id": OTHER_PROJECT, "name": "other"}, updated_at="now")
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    api.add("PATCH", "/apps/" + NAME, json={"app": updated})
    result = run(run_module, diff=True, force_https=True, sticky_session=False, router_logs=True,
                 project_id=OTHER_PROJECT, stack_id=STACK)
    assert result["changed"] is True
    assert result["scalingo_app"] == updated
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("PATCH", "/v1/apps/" + NAME)]
    assert calls[1].json == {"app": {"force_https": True, "project_id": OTHER_PROJECT}}
    assert calls[1].query == {}
    assert result["diff"] == {"before": view(app()), "after": view(updated)}


def test_check_mode_update_sends_no_write_and_predicts(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    result = run(run_module, check_mode=True, diff=True, sticky_session=True, project_id=OTHER_PROJECT)
    assert result["changed"] is True
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]
    assert result["scalingo_app"] == app(sticky_session=True, project={"id": OTHER_PROJECT})
    assert result["diff"]["before"] == view(app())
    assert result["diff"]["after"] == dict(view(app()), sticky_session=True, project_id=OTHER_PROJECT)


def test_transfer_sends_current_name_and_the_owner(api, run_module):
    transferred = app(owner={"email": "cto@example.com", "username": "cto", "id": "u2"})
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    api.add("PATCH", "/apps/" + NAME, json={"app": transferred})
    result = run(run_module, diff=True, owner="cto@example.com")
    assert result["changed"] is True
    assert result["scalingo_app"] == transferred
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("PATCH", "/v1/apps/" + NAME)]
    assert calls[1].query == {"current_name": [NAME]}
    assert calls[1].json == {"app": {"owner": "cto@example.com"}}
    assert result["diff"]["before"]["owner"] == "john@example.com"
    assert result["diff"]["after"]["owner"] == "cto@example.com"


def test_check_mode_transfer_sends_no_write(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    result = run(run_module, check_mode=True, owner="cto@example.com")
    assert result["changed"] is True
    assert result["scalingo_app"]["owner"] == {"email": "cto@example.com"}
    assert len(api.calls()) == 1


def test_settings_are_patched_before_the_transfer(api, run_module):
    patched = app(router_logs=False)
    transferred = app(router_logs=False, owner={"email": "cto@example.com"})
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    api.add("PATCH", "/apps/" + NAME, json={"app": patched})
    api.add("PATCH", "/apps/" + NAME, json={"app": transferred})
    result = run(run_module, router_logs=False, owner="cto@example.com")
    assert result["scalingo_app"] == transferred
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("PATCH", "/v1/apps/" + NAME),
                              ("PATCH", "/v1/apps/" + NAME)]
    assert (calls[1].json, calls[1].query) == ({"app": {"router_logs": False}}, {})
    assert (calls[2].json, calls[2].query) == ({"app": {"owner": "cto@example.com"}}, {"current_name": [NAME]})


def test_transfer_refused_fails_with_the_api_message(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    api.add("PATCH", "/apps/" + NAME, status=422, json={"errors": {"owner": ["must be a collaborator"]}})
    result = run(run_module, owner="stranger@example.com")
    assert result["failed"] is True
    assert "owner must be a collaborator" in result["msg"]
    assert result["failure"]["errors"] == {"owner": ["must be a collaborator"]}


@pytest.mark.parametrize("existing, wanted", [(False, True), (True, False)])
def test_hds_resource_of_an_existing_app_is_only_warned_about(api, run_module, existing, wanted):
    api.add("GET", "/apps/" + NAME, json={"app": app(hds_resource=existing)})
    result = run(run_module, hds_resource=wanted)
    assert result["failed"] is False
    assert result["changed"] is False
    assert len(result["warnings"]) == 1
    assert "hds_resource" in result["warnings"][0] and "cannot be changed" in result["warnings"][0]
    assert len(api.calls()) == 1


def test_error_other_than_404_on_read_fails(api, run_module):
    api.add("GET", "/apps/" + NAME, status=403, json={"error": "forbidden"})
    result = run(run_module)
    assert result["failed"] is True
    assert result["msg"] == "Scalingo API refused GET /v1/apps/%s (403): forbidden" % NAME
    assert result["failure"]["status"] == 403


# ------------------------------------------------------------------- rename

def test_rename_from_the_old_name_then_syncs_settings(api, run_module):
    old = app(name="my-shop-old")
    renamed = app()
    patched = app(force_https=True)
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-old", json={"app": old})
    api.add("POST", "/apps/my-shop-old/rename", json={"app": renamed})
    api.add("PATCH", "/apps/" + NAME, json={"app": patched})
    result = run(run_module, diff=True, rename_from="my-shop-old", force_https=True)
    assert result["changed"] is True
    assert result["scalingo_app"] == patched
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("GET", "/v1/apps/my-shop-old"),
                              ("POST", "/v1/apps/my-shop-old/rename"), ("PATCH", "/v1/apps/" + NAME)]
    assert calls[2].json == {"current_name": "my-shop-old", "new_name": NAME}
    assert calls[3].json == {"app": {"force_https": True}}
    assert result["diff"] == {"before": view(old), "after": view(patched)}


def test_rename_alone(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-old", json={"app": app(name="my-shop-old")})
    api.add("POST", "/apps/my-shop-old/rename", json={"app": app()})
    result = run(run_module, rename_from="my-shop-old")
    assert result["changed"] is True
    assert result["scalingo_app"] == app()
    assert len(api.calls()) == 3


def test_check_mode_rename_sends_no_write(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-old", json={"app": app(name="my-shop-old")})
    result = run(run_module, check_mode=True, diff=True, rename_from="my-shop-old", router_logs=False)
    assert result["changed"] is True
    assert result["scalingo_app"] == app(router_logs=False)
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME), ("GET", "/v1/apps/my-shop-old")]
    assert result["diff"]["before"]["name"] == "my-shop-old"
    assert result["diff"]["after"]["name"] == NAME


def test_rename_already_done_costs_one_get(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    result = run(run_module, rename_from="my-shop-old")
    assert result["changed"] is False
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]


@pytest.mark.parametrize("check_mode", [True, False])
def test_rename_when_neither_app_exists_fails_and_creates_nothing(api, run_module, check_mode):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("GET", "/apps/my-shop-old", status=404, json=NOT_FOUND)
    result = run(run_module, check_mode=check_mode, rename_from="my-shop-old", parent="my-shop-staging")
    assert result["failed"] is True
    assert "'%s' (name)" % NAME in result["msg"]
    assert "'my-shop-old' (rename_from)" in result["msg"]
    assert "nothing was created" in result["msg"]
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME), ("GET", "/v1/apps/my-shop-old")]


# ------------------------------------------------------------------- delete

def test_delete_sends_current_name(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    api.add("DELETE", "/apps/" + NAME, status=204, body="")
    result = run(run_module, state="absent", diff=True, force_https=True, owner="cto@example.com")
    assert result["changed"] is True
    assert result["scalingo_app"] == {}
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME), ("DELETE", "/v1/apps/" + NAME)]
    assert calls[1].query == {"current_name": [NAME]}
    assert result["diff"] == {"before": view(app()), "after": {"state": "absent"}}


def test_check_mode_delete_sends_no_write(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": app()})
    result = run(run_module, state="absent", check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"] == {"state": "absent"}
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]


@pytest.mark.parametrize("check_mode", [True, False])
def test_delete_of_an_absent_app_changes_nothing(api, run_module, check_mode):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    result = run(run_module, state="absent", check_mode=check_mode, diff=True)
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["scalingo_app"] == {}
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"state": "absent"}}
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]


def test_token_never_appears_in_the_result(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json=NOT_FOUND)
    api.add("POST", "/apps", status=422, json={"errors": {"name": ["has already been taken"]}})
    result = run(run_module)
    text = repr(result)
    assert "tk-us-unit-test-token" not in text
    assert api.bearer not in text
