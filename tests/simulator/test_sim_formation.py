"""Formation, containers, scale, restart, operations, autoscalers, container sizes."""

import time

import pytest

from simhelpers import DURATION

SIZE_KEYS = {"id", "name", "human_name", "ordinal", "memory", "human_cpu", "hourly_price", "thirtydays_price",
             "pids_limit", "swap", "sku"}
PS_KEYS = {"id", "label", "type", "type_index", "created_at", "deleted_at", "state", "size", "command",
           "container_size"}


@pytest.fixture
def web_worker(sim):
    sim.admin("POST", "/_sim/apps", {"name": "example-app", "formation": [
        {"name": "web", "amount": 1, "size": "M"}, {"name": "worker", "amount": 1, "size": "M"}]})


def test_container_types_documented_example(api, web_worker):
    response = api.get("/v1/apps/example-app/containers")
    assert response.status_code == 200
    assert response.json() == {"containers": [{"name": "web", "amount": 1, "size": "M"},
                                              {"name": "worker", "amount": 1, "size": "M"}]}


def test_new_app_has_one_web_m_container(api, app):
    assert api.get("/v1/apps/example-app/containers").json() == {
        "containers": [{"name": "web", "amount": 1, "size": "M"}]}
    containers = api.get("/v1/apps/example-app/ps").json()["containers"]
    assert len(containers) == 1
    web = containers[0]
    assert set(web) == PS_KEYS
    assert (web["label"], web["type"], web["type_index"], web["state"], web["deleted_at"]) == (
        "web-1", "web", 1, "running", None)
    assert set(web["container_size"]) == SIZE_KEYS
    assert web["container_size"]["name"] == "M"
    assert web["container_size"]["memory"] == 536870912


def test_scale_documented_example_then_operation(api, sim, web_worker):
    response = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2, "size": "L"}]})
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location.startswith(sim.base + "/v1/apps/example-app/operations/")
    formation = response.json()["containers"]
    assert [(c["name"], c["amount"], c["size"]) for c in formation] == [("web", 2, "L"), ("worker", 1, "M")]
    assert all(len(c["id"]) == 24 for c in formation)
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "scaling"
    states = {c["label"]: c["state"] for c in api.get("/v1/apps/example-app/ps").json()["containers"]}
    assert states == {"web-1": "booting", "web-2": "booting", "worker-1": "running"}
    operation = api.wait_operation(location)
    assert (operation["status"], operation["type"], operation["error"]) == ("done", "scale", None)
    assert operation["finished_at"] is not None
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "running"
    ps = api.get("/v1/apps/example-app/ps").json()["containers"]
    assert sorted((c["label"], c["container_size"]["name"], c["state"]) for c in ps) == [
        ("web-1", "L", "running"), ("web-2", "L", "running"), ("worker-1", "M", "running")]


def test_operation_goes_pending_running_done(api, sim, app):
    sim.admin("POST", "/_sim/config", {"operation_duration": 1.0})
    location = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 3}]}).headers[
        "Location"]
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        operation = api.get(location).json()["operation"]
        assert set(operation) == {"id", "created_at", "finished_at", "status", "type", "error"}
        if not seen or seen[-1] != operation["status"]:
            seen.append(operation["status"])
        if operation["status"] == "done":
            break
        time.sleep(0.05)
    assert seen == ["pending", "running", "done"]


def test_busy_app_refuses_scale_and_restart(api, app):
    location = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]}).headers[
        "Location"]
    for path, body in (("/scale", {"containers": [{"name": "web", "amount": 3}]}), ("/restart", {})):
        response = api.post("/v1/apps/example-app" + path, body)
        assert (response.status_code, response.json()) == (422, {"errors": {"app": ["is scaling"]}})
    api.wait_operation(location)
    location = api.post("/v1/apps/example-app/restart", {"scope": ["web"]}).headers["Location"]
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "restarting"
    assert {c["state"] for c in api.get("/v1/apps/example-app/ps").json()["containers"]} == {"restarting"}
    for path, body in (("/scale", {"containers": [{"name": "web", "amount": 3}]}), ("/restart", {})):
        response = api.post("/v1/apps/example-app" + path, body)
        assert (response.status_code, response.json()) == (422, {"errors": {"app": ["is restarting"]}})
    assert api.wait_operation(location)["type"] == "restart"
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "running"


def test_scale_to_the_current_formation_is_a_400(api, app):
    response = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 1, "size": "M"}]})
    assert (response.status_code, response.json()) == (400, {"error": "no change in containers formation"})


@pytest.mark.parametrize("containers, field", [
    ([{"name": "web", "amount": 11}], "amount"),
    ([{"name": "web", "amount": -1}], "amount"),
    ([{"name": "web", "amount": "2"}], "amount"),
    ([{"name": "web", "amount": 2, "size": "XXL"}], "size"),
    ([{"name": "clock", "amount": 1}], "name"),
    ([{"amount": 1}], "name"),
    ([], "containers"),
])
def test_scale_refusals(api, app, containers, field):
    response = api.post("/v1/apps/example-app/scale", {"containers": containers})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "running"


def test_scale_limits_are_inclusive(api, app):
    response = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 10}]})
    assert response.status_code == 202
    assert response.json()["containers"][0]["amount"] == 10


def test_free_plan_scale_beyond_one_small_web_is_402(api, sim, app):
    sim.admin("POST", "/_sim/config", {"free_plan": True})
    response = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]})
    assert response.status_code == 402
    assert response.json()["url"] == "https://my.scalingo.com/apps/billing"
    assert api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 1, "size": "S"}]}
                    ).status_code == 202


def test_never_deployed_app_scales_with_200_and_no_location(api, sim):
    created = sim.admin("POST", "/_sim/apps", {"name": "example-app", "never_deployed": True})["app"]
    assert created["status"] == "new"
    assert (created["last_deployed_at"], created["last_deployment_id"]) == (None, None)
    assert api.get("/v1/apps/example-app/containers").json() == {"containers": []}
    assert api.get("/v1/apps/example-app/ps").json() == {"containers": []}
    response = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]})
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert [(c["name"], c["amount"], c["size"]) for c in response.json()["containers"]] == [("web", 2, "M")]
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "new"


def test_never_deployed_config_applies_to_created_apps(api, sim):
    sim.admin("POST", "/_sim/config", {"never_deployed": True})
    assert api.create_app("example-app")["status"] == "new"


def test_restart_documented_example(api, sim, web_worker):
    response = api.post("/v1/apps/example-app/restart", {"scope": ["web"]})
    assert (response.status_code, response.content) == (202, b"")
    assert response.headers["Location"].startswith(sim.base + "/v1/apps/example-app/operations/")
    states = {c["label"]: c["state"] for c in api.get("/v1/apps/example-app/ps").json()["containers"]}
    assert states == {"web-1": "restarting", "worker-1": "running"}
    assert api.wait_operation(response.headers["Location"])["status"] == "done"


@pytest.mark.parametrize("body", [None, {}, {"scope": None}, {"scope": []}, {"scope": ["web-1", "worker"]}])
def test_restart_scopes_accepted(api, web_worker, body):
    response = api.post("/v1/apps/example-app/restart", body)
    assert response.status_code == 202


@pytest.mark.parametrize("scope", [["web-2"], ["clock"], "web", [1]])
def test_restart_scopes_refused(api, web_worker, scope):
    response = api.post("/v1/apps/example-app/restart", {"scope": scope})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["scope"]


def test_unknown_operation_is_404(api, app):
    response = api.get("/v1/apps/example-app/operations/000000000000000000000000")
    assert (response.status_code, response.json()) == (404, {"resource": "operation", "error": "not found"})


def test_scaling_a_type_under_autoscaler_disables_it(api, sim, web_worker):
    sim.admin("POST", "/_sim/apps/example-app/autoscalers", {"container_type": "web", "max_containers": 4})
    sim.admin("POST", "/_sim/apps/example-app/autoscalers", {"container_type": "worker"})
    autoscalers = api.get("/v1/apps/example-app/autoscalers").json()["autoscalers"]
    assert [(a["container_type"], a["disabled"]) for a in autoscalers] == [("web", False), ("worker", False)]
    assert autoscalers[0]["max_containers"] == 4 and autoscalers[0]["id"].startswith("au-")
    assert api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 3}]}).status_code == 202
    autoscalers = api.get("/v1/apps/example-app/autoscalers").json()["autoscalers"]
    assert [(a["container_type"], a["disabled"]) for a in autoscalers] == [("web", True), ("worker", False)]


def test_container_sizes(api):
    response = api.get("/v1/features/container_sizes")
    assert response.status_code == 200
    sizes = response.json()["container_sizes"]
    assert [s["name"] for s in sizes] == ["S", "M", "L", "XL", "2XL", "3XL"]
    assert all(set(s) == SIZE_KEYS for s in sizes)
    assert [s["ordinal"] for s in sizes] == sorted(s["ordinal"] for s in sizes)
    assert [s["memory"] for s in sizes] == sorted(s["memory"] for s in sizes)


def test_operation_duration_is_the_configured_one(api, app):
    started = time.monotonic()
    location = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]}).headers[
        "Location"]
    assert api.wait_operation(location)["status"] == "done"
    assert DURATION <= time.monotonic() - started < DURATION + 2
