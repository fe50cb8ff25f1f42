"""Apps: the documented examples of apps.md and the rules around them."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from simhelpers import OTHER_EMAIL

DOC_CREATE_FIELDS = {"created_at", "git_url", "id", "name", "last_deployed_at", "last_deployed_by",
                     "last_deployment_id", "owner", "project", "updated_at", "url", "links"}
ATTRIBUTES = {"id", "name", "created_at", "updated_at", "git_url", "owner", "project", "url", "base_url", "links",
              "force_https", "flags", "sticky_session", "router_logs", "last_deployed_at", "last_deployed_by",
              "last_deployment_id", "stack_id", "hds_resource", "private_networks_ids", "status"}


def test_create_documented_example(api):
    response = api.post("/v1/apps", {"app": {"name": "example-app"}})
    assert response.status_code == 201
    app = response.json()["app"]
    assert DOC_CREATE_FIELDS <= set(app) and ATTRIBUTES <= set(app)
    assert app["name"] == "example-app"
    assert app["owner"] == {"username": "user", "email": "user@example.com", "id": app["owner"]["id"]}
    assert set(app["project"]) == {"id", "name"}
    assert app["git_url"].endswith(":example-app.git")
    assert set(app["links"]) == {"deployments_stream"}
    assert app["created_at"].endswith("Z") and len(app["created_at"]) == 24
    assert (app["force_https"], app["sticky_session"], app["router_logs"], app["hds_resource"]) == (
        False, False, False, False)
    assert app["status"] == "running"


def test_create_with_optional_fields(api):
    app = api.create_app("example-app", stack_id="st-custom", project_id="pr-82a3cac5-9b25-473e-b33d-6272b87e636f",
                         git_source="https://github.com/example/app", hds_resource=True)
    assert app["stack_id"] == "st-custom"
    assert app["project"]["id"] == "pr-82a3cac5-9b25-473e-b33d-6272b87e636f"
    assert app["git_source"] == "https://github.com/example/app"
    assert app["hds_resource"] is True
    response = api.post("/v1/apps", {"app": {"name": "other-app", "hds_resource": "yes"}})
    assert (response.status_code, response.json()) == (422, {"errors": {"hds_resource": ["must be a boolean"]}})


def test_create_twice_is_refused(api, app):
    response = api.post("/v1/apps", {"app": {"name": "example-app"}})
    assert (response.status_code, response.json()) == (422, {"errors": {"name": ["has already been taken"]}})


@pytest.mark.parametrize("name, message", [
    ("AnotherApp", "should contain only lowercap letters, digits and hyphens"),
    ("short", "is too short (minimum is 6 characters)"),
    ("a" * 49, "is too long (maximum is 48 characters)"),
    ("-abcdef", "can't start or end with a hyphen"),
    ("abcdef-", "can't start or end with a hyphen"),
    ("abc--def", "can't contain two hyphens in a row"),
    ("", "can't be blank"),
])
def test_name_rules(api, name, message):
    response = api.post("/v1/apps", {"app": {"name": name}})
    assert response.status_code == 422
    assert message in response.json()["errors"]["name"]
    assert api.get("/v1/apps").json() == {"apps": []}


def test_longest_name_is_accepted(api):
    assert api.create_app("a" * 48)["name"] == "a" * 48


def test_missing_app_field_and_invalid_json(api):
    response = api.post("/v1/apps", {})
    assert (response.status_code, response.json()) == (422, {"errors": {"app": ["missing field"]}})
    response = api.post("/v1/apps", data='{"user": {', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "There was a problem in the JSON you submitted: 795: unexpected token at '{\"user\": {'"}


def test_dry_run_validates_and_creates_nothing(api, app):
    response = api.post("/v1/apps", {"app": {"name": "other-app"}}, headers={"X-Dry-Run": "true"})
    assert response.status_code == 201
    assert response.json()["app"]["name"] == "other-app"
    assert DOC_CREATE_FIELDS <= set(response.json()["app"])
    assert api.get("/v1/apps/other-app").status_code == 404
    assert [a["name"] for a in api.get("/v1/apps").json()["apps"]] == ["example-app"]
    taken = api.post("/v1/apps", {"app": {"name": "example-app"}}, headers={"X-Dry-Run": "true"})
    assert (taken.status_code, taken.json()) == (422, {"errors": {"name": ["has already been taken"]}})
    bad = api.post("/v1/apps", {"app": {"name": "Bad"}}, headers={"X-Dry-Run": "true"})
    assert bad.status_code == 422


def test_free_plan_refuses_a_second_app_even_in_dry_run(api, sim):
    sim.admin("POST", "/_sim/config", {"free_plan": True})
    api.create_app("first-app")
    expected = {"error": "Sorry, you need to verify your account (billing profile and payment card) to create "
                         "a new app", "url": "https://my.scalingo.com/apps/billing"}
    for headers in ({"X-Dry-Run": "true"}, {}):
        response = api.post("/v1/apps", {"app": {"name": "second-app"}}, headers=headers)
        assert (response.status_code, response.json()) == (402, expected)
    assert len(api.get("/v1/apps").json()["apps"]) == 1


def test_list_and_show(api, other_api, app):
    other_api.create_app("another-app")
    response = api.get("/v1/apps")
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["apps"]] == ["example-app"]
    shown = api.get("/v1/apps/example-app")
    assert shown.status_code == 200
    assert shown.json()["app"]["status"] == "running"
    assert shown.json()["app"]["id"] == app["id"]
    assert api.get("/v1/apps/" + app["id"]).json()["app"]["name"] == "example-app"
    assert "limits" not in shown.json()["app"]


def test_unknown_app_is_the_documented_404(api, other_api, app):
    for user, path in ((api, "/v1/apps/123"), (other_api, "/v1/apps/example-app")):
        response = user.get(path)
        assert (response.status_code, response.json()) == (404, {"resource": "app", "error": "not found"})


def test_bare_question_mark_and_content_type_on_get(api, app):
    response = api.get("/v1/apps/example-app?", headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert api.request("GET", "/v1/apps?", headers={"Content-Type": "application/json"}).status_code == 200


def test_update_settings_documented_example(api, app):
    response = api.patch("/v1/apps/example-app", {"app": {
        "force_https": True, "router_logs": False, "project_id": "pr-82a3cac5-9b25-473e-b33d-6272b87e636f"}})
    assert response.status_code == 200
    updated = response.json()["app"]
    assert updated["name"] == "example-app"
    assert (updated["force_https"], updated["router_logs"]) == (True, False)
    assert updated["project"]["id"] == "pr-82a3cac5-9b25-473e-b33d-6272b87e636f"
    response = api.patch("/v1/apps/example-app", {"app": {"sticky_session": True, "stack_id": "st-new"}})
    assert (response.json()["app"]["sticky_session"], response.json()["app"]["stack_id"]) == (True, "st-new")
    assert api.get("/v1/apps/example-app").json()["app"]["force_https"] is True


def test_update_settings_refusals(api, app):
    response = api.patch("/v1/apps/example-app", {"app": {"force_https": "yes"}})
    assert (response.status_code, response.json()) == (422, {"errors": {"force_https": ["must be a boolean"]}})
    response = api.patch("/v1/apps/example-app", {"force_https": True})
    assert (response.status_code, response.json()) == (422, {"errors": {"app": ["missing field"]}})


def test_put_with_a_flat_body_is_accepted(api, app):
    response = api.put("/v1/apps/example-app", {"force_https": True, "sticky_session": True})
    assert response.status_code == 200
    assert (response.json()["app"]["force_https"], response.json()["app"]["sticky_session"]) == (True, True)


def test_transfer_to_a_collaborator(api, other_api, sim, app):
    path = "/v1/apps/example-app?current_name=example-app"
    response = api.patch(path, {"app": {"owner": OTHER_EMAIL}})
    assert (response.status_code, response.json()) == (
        422, {"errors": {"owner": ["should be a collaborator of the app"]}})
    sim.admin("POST", "/_sim/apps/example-app/collaborators", {"email": OTHER_EMAIL})
    mismatch = api.patch("/v1/apps/example-app?current_name=wrong-name", {"app": {"owner": OTHER_EMAIL}})
    assert (mismatch.status_code, mismatch.json()) == (
        422, {"errors": {"current_name": ["should be the name of the app"]}})
    missing = api.patch("/v1/apps/example-app", {"app": {"owner": OTHER_EMAIL}})
    assert (missing.status_code, missing.json()) == (422, {"errors": {"current_name": ["missing field"]}})
    response = api.patch(path, {"app": {"owner": OTHER_EMAIL}})
    assert response.status_code == 200
    assert response.json()["app"]["owner"]["email"] == OTHER_EMAIL
    assert other_api.get("/v1/apps/example-app").json()["app"]["owner"]["email"] == OTHER_EMAIL
    assert [a["name"] for a in api.get("/v1/apps").json()["apps"]] == ["example-app"]
    refused = api.delete("/v1/apps/example-app", params={"current_name": "example-app"})
    assert refused.status_code == 403


def test_rename_documented_example(api, app):
    response = api.post("/v1/apps/example-app/rename",
                        {"current_name": "example-app", "new_name": "renamed-example-app"})
    assert response.status_code == 200
    assert response.json()["app"]["name"] == "renamed-example-app"
    assert response.json()["app"]["id"] == app["id"]
    assert api.get("/v1/apps/example-app").status_code == 404
    assert api.get("/v1/apps/renamed-example-app").status_code == 200


def test_rename_refusals(api, app):
    api.create_app("taken-name")
    cases = [
        ({"current_name": "wrong-name", "new_name": "new-name-ok"}, "current_name", "should be the name of the app"),
        ({"new_name": "new-name-ok"}, "current_name", "missing field"),
        ({"current_name": "example-app", "new_name": "taken-name"}, "name", "has already been taken"),
        ({"current_name": "example-app", "new_name": "Bad_Name"}, "name",
         "should contain only lowercap letters, digits and hyphens"),
    ]
    for body, field, message in cases:
        response = api.post("/v1/apps/example-app/rename", body)
        assert response.status_code == 422, body
        assert message in response.json()["errors"][field]
    assert api.get("/v1/apps/example-app").status_code == 200


def test_delete_documented_example(api, app):
    for params in ({"current_name": "wrong-name"}, {}):
        response = api.delete("/v1/apps/example-app", params=params)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["current_name"]
    response = api.delete("/v1/apps/example-app", params={"current_name": "example-app"})
    assert (response.status_code, response.content) == (204, b"")
    assert api.get("/v1/apps/example-app").status_code == 404
    assert api.delete("/v1/apps/example-app", params={"current_name": "example-app"}).status_code == 404


def test_child_app_documented_example(api):
    api.create_app("example-parent-app")
    response = api.post("/v1/apps/example-parent-app/child_apps", {"app": {"name": "example-child-app"}})
    assert response.status_code == 201
    child = response.json()["app"]
    assert child["name"] == "example-child-app"
    assert child["parent_app_name"] == "example-parent-app"
    too_long = api.post("/v1/apps/example-parent-app/child_apps", {"app": {"name": "c" * 33}})
    assert (too_long.status_code, too_long.json()) == (
        422, {"errors": {"name": ["is too long (maximum is 32 characters)"]}})
    missing = api.post("/v1/apps/no-such-parent/child_apps", {"app": {"name": "example-child-two"}})
    assert (missing.status_code, missing.json()) == (404, {"resource": "app", "error": "not found"})


def test_child_app_through_apps_with_parent_id_honours_dry_run(api):
    parent = api.create_app("example-parent-app")
    dry = api.post("/v1/apps", {"app": {"name": "example-child-app", "parent_id": parent["id"]}},
                   headers={"X-Dry-Run": "true"})
    assert dry.status_code == 201 and dry.json()["app"]["parent_app_name"] == "example-parent-app"
    assert api.get("/v1/apps/example-child-app").status_code == 404
    created = api.post("/v1/apps", {"app": {"name": "example-child-app", "parent_id": "example-parent-app"}})
    assert created.status_code == 201 and created.json()["app"]["parent_app_name"] == "example-parent-app"
    missing = api.post("/v1/apps", {"app": {"name": "example-child-two", "parent_id": "no-such-parent"}},
                       headers={"X-Dry-Run": "true"})
    assert (missing.status_code, missing.json()) == (404, {"resource": "app", "error": "not found"})


def test_child_apps_endpoint_ignores_dry_run(api):
    """The documentation never says X-Dry-Run is honoured on child_apps: the simulator assumes the worst."""
    api.create_app("example-parent-app")
    response = api.post("/v1/apps/example-parent-app/child_apps", {"app": {"name": "example-child-app"}},
                        headers={"X-Dry-Run": "true"})
    assert response.status_code == 201
    assert api.get("/v1/apps/example-child-app").status_code == 200


def test_child_apps_list_is_paginated(api):
    api.create_app("example-parent-app")
    for index in range(5):
        api.post("/v1/apps/example-parent-app/child_apps", {"app": {"name": "child-app-%d" % index}})
    response = api.get("/v1/apps/example-parent-app/child_apps")
    assert response.status_code == 200
    body = response.json()
    assert [a["name"] for a in body["child_apps"]] == ["child-app-%d" % i for i in range(5)]
    assert {a["parent_app_name"] for a in body["child_apps"]} == {"example-parent-app"}
    assert body["meta"]["pagination"] == {"prev_page": None, "current_page": 1, "next_page": None,
                                          "total_pages": 1, "total_count": 5}
    page = api.get("/v1/apps/example-parent-app/child_apps", params={"page": 2, "per_page": 2}).json()
    assert [a["name"] for a in page["child_apps"]] == ["child-app-2", "child-app-3"]
    assert page["meta"]["pagination"] == {"prev_page": 1, "current_page": 2, "next_page": 3,
                                          "total_pages": 3, "total_count": 5}
    last = api.get("/v1/apps/example-parent-app/child_apps", params={"page": 3, "per_page": 2}).json()
    assert (len(last["child_apps"]), last["meta"]["pagination"]["next_page"]) == (1, None)
    bad = api.get("/v1/apps/example-parent-app/child_apps", params={"page": "abc"})
    assert (bad.status_code, bad.json()) == (400, {"error": "page should be a positive integer"})


def test_unknown_routes(api):
    assert api.get("/v1/nothing-here").status_code == 404
    response = api.request("DELETE", "/v1/apps")
    assert response.status_code == 405


def test_concurrent_creations_of_one_name_have_one_winner(api):
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: api.post("/v1/apps", {"app": {"name": "racing-app"}}).status_code,
                                 range(16)))
    assert sorted(statuses) == [201] + [422] * 15
    assert [a["name"] for a in api.get("/v1/apps").json()["apps"]] == ["racing-app"]


def test_concurrent_scales_start_one_operation(api, app):
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda n: api.post("/v1/apps/example-app/scale", {
            "containers": [{"name": "web", "amount": n + 2}]}), range(8)))
    assert sorted(r.status_code for r in responses) == [202] + [422] * 7
    assert {r.json()["errors"]["app"][0] for r in responses if r.status_code == 422} == {"is scaling"}
