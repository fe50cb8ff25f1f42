"""Regions and projects: each region has its own API (simulator/regions.py) and its own projects
(simulator/projects.py); seeding takes a region and a project name."""

import json

import pytest
import requests

from simhelpers import OTHER_EMAIL, SimulatorProcess

REGIONS = ("osc-fr1", "osc-secnum-fr1", "simulator")


def region_api(sim, name):
    apis = {r["name"]: r["api"] for r in requests.get(sim.base + "/v1/regions", timeout=10).json()["regions"]}
    return apis[name]


def names(api, base):
    response = api.get(base + "/v1/apps")
    assert response.status_code == 200, response.text
    return [app["name"] for app in response.json()["apps"]]


def test_each_region_has_its_own_api_url(sim):
    apis = [region_api(sim, name) for name in REGIONS]
    assert apis == [sim.base + "/regions/osc-fr1", sim.base + "/regions/osc-secnum-fr1", sim.base]


def test_each_region_has_its_own_apps(sim, api):
    for region in REGIONS:
        sim.admin("POST", "/_sim/apps", {"name": "same-name", "region": region})
    sim.admin("POST", "/_sim/apps", {"name": "only-in-fr1", "region": "osc-fr1"})
    api.create_app("created-at-root")
    assert names(api, region_api(sim, "osc-fr1")) == ["same-name", "only-in-fr1"]
    assert names(api, region_api(sim, "osc-secnum-fr1")) == ["same-name"]
    assert names(api, sim.base) == ["same-name", "created-at-root"]
    # /regions/simulator is the root region under its own prefix
    assert names(api, sim.base + "/regions/simulator") == ["same-name", "created-at-root"]
    ids = {api.get(region_api(sim, r) + "/v1/apps/same-name").json()["app"]["id"] for r in REGIONS}
    assert len(ids) == 3


def test_a_name_is_unique_in_its_region_only(sim, api):
    base = region_api(sim, "osc-secnum-fr1")
    api.create_app("example-app")
    assert api.post(base + "/v1/apps", {"app": {"name": "example-app"}}).status_code == 201
    response = api.post(base + "/v1/apps", {"app": {"name": "example-app"}})
    assert (response.status_code, response.json()) == (422, {"errors": {"name": ["has already been taken"]}})


def test_regional_links_and_operations_stay_in_the_region(sim, api):
    base = region_api(sim, "osc-fr1")
    app = api.post(base + "/v1/apps", {"app": {"name": "regional-app"}}).json()["app"]
    assert app["links"]["deployments_stream"].startswith(base.replace("http", "ws", 1) + "/v1/apps/")
    response = api.post(base + "/v1/apps/regional-app/scale", {"containers": [{"name": "web", "amount": 2}]})
    assert response.status_code == 202
    assert response.headers["Location"].startswith(base + "/v1/apps/regional-app/operations/")
    assert api.wait_operation(response.headers["Location"])["status"] == "done"
    assert api.get(sim.base + "/v1/apps/regional-app").status_code == 404


def test_unknown_region_prefix_is_a_404(api, sim):
    response = api.get(sim.base + "/regions/mars-1/v1/apps")
    assert response.status_code == 404
    assert "mars-1" in response.json()["error"]


def test_the_request_log_keeps_the_region_prefix(sim, api):
    api.get(region_api(sim, "osc-secnum-fr1") + "/v1/apps")
    paths = [entry["path"] for entry in sim.admin("GET", "/_sim/requests")["requests"]]
    assert paths[-1] == "/regions/osc-secnum-fr1/v1/apps"


def test_auth_service_is_not_served_under_a_region(sim):
    response = requests.post(sim.base + "/regions/osc-fr1/v1/tokens/exchange", auth=("", "x"), json={}, timeout=10)
    assert response.status_code == 404


def test_seed_in_a_region_and_a_project(sim, api):
    app = sim.admin("POST", "/_sim/apps", {"name": "shop-web", "region": "osc-fr1", "project": "shop"})["app"]
    assert app["project"]["name"] == "shop" and app["project"]["id"].startswith("pr-")
    again = sim.admin("POST", "/_sim/apps", {"name": "shop-api", "region": "osc-fr1", "project": "shop"})["app"]
    assert again["project"] == app["project"]
    child = sim.admin("POST", "/_sim/apps", {"name": "shop-web-pr1", "region": "osc-fr1", "parent": "shop-web"})["app"]
    assert child["parent_app_name"] == "shop-web"
    assert child["project"] == app["project"], "a child app is in its parent's project"
    secnum = sim.admin("POST", "/_sim/apps", {"name": "shop-web", "region": "osc-secnum-fr1", "project": "shop"})["app"]
    assert secnum["project"]["name"] == "shop" and secnum["project"]["id"] != app["project"]["id"]
    plain = sim.admin("POST", "/_sim/apps", {"name": "plain-app"})["app"]
    assert plain["project"]["name"] == "default"
    listed = {a["name"]: a["project"]["name"] for a in api.get(region_api(sim, "osc-fr1") + "/v1/apps").json()["apps"]}
    assert listed == {"shop-web": "shop", "shop-api": "shop", "shop-web-pr1": "shop"}


@pytest.mark.parametrize("body, field", [
    ({"name": "bad-region", "region": "mars-1"}, "region"),
    ({"name": "bad-region", "region": 1}, "region"),
    ({"name": "bad-project", "project": ""}, "project"),
])
def test_seed_refuses_bad_region_or_project(sim, body, field):
    response = requests.post(sim.base + "/_sim/apps", json=body, timeout=10)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_state_of_a_region(sim):
    sim.admin("POST", "/_sim/apps", {"name": "secnum-app", "region": "osc-secnum-fr1"})
    state = sim.admin("GET", "/_sim/state?region=osc-secnum-fr1")
    assert [a["name"] for a in state["apps"].values()] == ["secnum-app"]
    assert sim.admin("GET", "/_sim/state")["apps"] == {}


def test_reset_empties_every_region(sim, api):
    sim.admin("POST", "/_sim/apps", {"name": "fr1-app", "region": "osc-fr1"})
    sim.admin("POST", "/_sim/reset")
    assert names(api, region_api(sim, "osc-fr1")) == []


# -- projects -------------------------------------------------------------------------------------

def test_projects_list_has_the_default_project(api):
    projects = api.get("/v1/projects").json()["projects"]
    assert len(projects) == 1
    project = projects[0]
    assert set(project) == {"id", "name", "default", "created_at", "updated_at", "owner", "flags"}
    assert (project["name"], project["default"]) == ("default", True)
    assert set(project["owner"]) == {"id", "username", "email", "flags"}
    assert project["id"] == api.create_app("example-app")["project"]["id"]


def test_project_lifecycle(api):
    created = api.post("/v1/projects", {"project": {"name": "example-project"}})
    assert created.status_code == 201
    project = created.json()["project"]
    assert (project["name"], project["default"]) == ("example-project", False)
    assert api.get("/v1/projects/" + project["id"]).json()["project"] == project
    app = api.create_app("example-app", project_id=project["id"])
    assert app["project"] == {"id": project["id"], "name": "example-project"}
    renamed = api.patch("/v1/projects/" + project["id"], {"project": {"name": "renamed-project"}})
    assert renamed.status_code == 200 and renamed.json()["project"]["name"] == "renamed-project"
    assert api.get("/v1/apps/example-app").json()["app"]["project"]["name"] == "renamed-project"
    refused = api.delete("/v1/projects/" + project["id"])
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["project"]
    api.delete("/v1/apps/example-app", params={"current_name": "example-app"})
    assert api.delete("/v1/projects/" + project["id"]).status_code == 204
    missing = api.get("/v1/projects/" + project["id"])
    assert (missing.status_code, missing.json()) == (404, {"resource": "project", "error": "not found"})


def test_default_project_moves(api):
    default_id = api.get("/v1/projects").json()["projects"][0]["id"]
    new = api.post("/v1/projects", {"project": {"name": "new-default", "default": True}}).json()["project"]
    flags = {p["id"]: p["default"] for p in api.get("/v1/projects").json()["projects"]}
    assert flags == {default_id: False, new["id"]: True}
    refused = api.patch("/v1/projects/" + new["id"], {"project": {"default": False}})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["default"]
    assert api.delete("/v1/projects/" + new["id"]).status_code == 422


@pytest.mark.parametrize("body, field", [
    ({"project": {}}, "name"),
    ({"project": {"name": " "}}, "name"),
    ({"project": {"name": "x" * 65}}, "name"),
    ({"project": {"name": "ok", "default": "yes"}}, "default"),
    ({}, "project"),
])
def test_project_bad_input(api, body, field):
    response = api.post("/v1/projects", body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_projects_are_per_user_and_per_region(sim, api, other_api):
    project = api.post("/v1/projects", {"project": {"name": "mine"}}).json()["project"]
    assert other_api.get("/v1/projects/" + project["id"]).status_code == 404
    assert [p["owner"]["email"] for p in other_api.get("/v1/projects").json()["projects"]] == [OTHER_EMAIL]
    fr1 = [p["name"] for p in api.get(region_api(sim, "osc-fr1") + "/v1/projects").json()["projects"]]
    assert fr1 == ["default"]


def test_regions_and_projects_survive_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with SimulatorProcess("--state-file", str(state)) as first:
        first.admin("POST", "/_sim/apps", {"name": "kept-app", "region": "osc-secnum-fr1", "project": "kept"})
    assert json.loads((tmp_path / "state.json.osc-secnum-fr1").read_text())["projects"]
    with SimulatorProcess("--state-file", str(state)) as second:
        apps = second.admin("GET", "/_sim/state?region=osc-secnum-fr1")["apps"]
        assert [(a["name"], a["project"]["name"]) for a in apps.values()] == [("kept-app", "kept")]
