"""Addons and addon providers: catalog without a bearer, provisioning through `provisioning`, plan changes,
variables added to and removed from the app's environment, free-plan limits, stuck provisioning."""

import time

import pytest
import requests

DURATION = 0.3
ADDON_KEYS = {"id", "app_id", "resource_id", "provisioned_at", "deprovisioned_at", "status", "plan",
              "addon_provider", "hds_resource", "updated_at"}
PLAN_KEYS = {"id", "name", "display_name", "price", "description", "position", "on_demand", "disabled",
             "disabled_alternative_plan_id", "sku", "hds_available", "to_be_discontinued", "trial_available"}


@pytest.fixture(autouse=True)
def short_addons(sim):
    sim.admin("POST", "/_sim/config", {"addon_duration": DURATION})


def plans(sim, provider, show_all=True):
    response = requests.get(sim.base + "/v1/addon_providers/%s/plans" % provider,
                            params={"show_all": "true"} if show_all else None, timeout=10)
    assert response.status_code == 200, response.text
    return {plan["name"]: plan for plan in response.json()["plans"]}


def provision(api, provider="postgresql", plan="postgresql-starter-512", app="example-app", sim=None):
    plan_id = plans(sim, provider)[plan]["id"]
    return api.post("/v1/apps/%s/addons" % app, {"addon": {"addon_provider_id": provider, "plan_id": plan_id}})


def wait_running(api, app, addon_id, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        addon = api.get("/v1/apps/%s/addons/%s" % (app, addon_id)).json()["addon"]
        if addon["status"] != "provisioning" or time.monotonic() > deadline:
            return addon
        time.sleep(0.05)


def addon_variables(sim, addon_id):
    return next(a for a in sim.admin("GET", "/_sim/addons")["addons"] if a["id"] == addon_id)["variables"]


def test_catalog_is_public(sim):
    response = requests.get(sim.base + "/v1/addon_providers", timeout=10)
    assert response.status_code == 200
    providers = {p["id"]: p for p in response.json()["addon_providers"]}
    assert {"postgresql", "mysql", "redis", "mongodb"} <= set(providers)
    for provider in providers.values():
        assert len(provider["plans"]) >= 3
        assert provider["category"]["name"] == "Databases"
    categories = requests.get(sim.base + "/v1/addon_categories", timeout=10).json()["addon_categories"]
    assert [c["name"] for c in categories] == ["Databases"]
    filtered = requests.get(sim.base + "/v1/addon_providers", params={"category_id": "nope"}, timeout=10)
    assert filtered.json() == {"addon_providers": []}


def test_plans_disabled_alternative_and_discontinued(sim):
    every = plans(sim, "postgresql")
    assert set(every["postgresql-sandbox"]) == PLAN_KEYS | {"pricings"}
    disabled = every["postgresql-starter-256"]
    assert disabled["disabled"] is True
    assert disabled["disabled_alternative_plan_id"] == every["postgresql-starter-512"]["id"]
    assert "postgresql-starter-256" not in plans(sim, "postgresql", show_all=False)
    assert plans(sim, "redis")["redis-starter-256"]["to_be_discontinued"] is True
    unknown = requests.get(sim.base + "/v1/addon_providers/nosql/plans", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json() == {"resource": "addon_provider", "error": "not found"}


def test_provision_goes_through_provisioning_and_sets_variables(sim, api, app):
    response = provision(api, sim=sim)
    assert response.status_code == 201, response.text
    body = response.json()
    addon = body["addon"]
    assert set(addon) == ADDON_KEYS
    assert addon["status"] == "provisioning"
    assert addon["id"].startswith("ad-")
    assert addon["app_id"] == app["id"]
    assert addon["plan"]["name"] == "postgresql-starter-512"
    assert addon["addon_provider"] == {"id": "postgresql", "name": "PostgreSQL",
                                       "logo_url": "//cdn.scalingo.com/addons/Scalingo_Postgresql.svg"}
    assert body["variables"] == ["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"]
    assert addon_variables(sim, addon["id"]) == ["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"]
    assert wait_running(api, "example-app", addon["id"])["status"] == "running"
    listed = api.get("/v1/apps/example-app/addons").json()["addons"]
    assert [a["id"] for a in listed] == [addon["id"]]


def test_credentials_are_generated_per_addon_and_listed_for_scans(sim, api, app):
    api.create_app("second-app")
    before = len(sim.admin("GET", "/_sim/addons/secrets")["secrets"])   # kept across resets
    first = provision(api, sim=sim).json()["addon"]
    second = provision(api, app="second-app", sim=sim).json()["addon"]
    secrets = sim.admin("GET", "/_sim/addons/secrets")["secrets"][before:]
    assert len(secrets) == 2 and secrets[0] != secrets[1]
    state = sim.admin("GET", "/_sim/state")
    values = [v["value"] for a in state["apps"].values() for v in a.get("variables", [])]
    assert any(secrets[0] in value for value in values)
    assert first["resource_id"] != second["resource_id"]
    # the request log never holds them (bodies of requests only, no answers)
    log = sim.admin("GET", "/_sim/requests")["requests"]
    assert not any(secret in str(log) for secret in secrets)


def test_aliases_only_when_free(sim, api, app):
    provision(api, sim=sim)
    mysql = provision(api, "mysql", "mysql-sandbox", sim=sim).json()
    assert mysql["variables"] == ["SCALINGO_MYSQL_URL"]
    redis = provision(api, "redis", "redis-sandbox", sim=sim).json()
    assert redis["variables"] == ["REDIS_URL", "SCALINGO_REDIS_URL"]


def test_plan_change_goes_through_provisioning(sim, api, app):
    addon = provision(api, sim=sim).json()["addon"]
    wait_running(api, "example-app", addon["id"])
    target = plans(sim, "postgresql")["postgresql-business-1024"]["id"]
    response = api.patch("/v1/apps/example-app/addons/" + addon["id"], {"addon": {"plan_id": target}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["vars"] == ["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"]
    assert body["addon"]["status"] == "provisioning"
    assert body["addon"]["plan"]["name"] == "postgresql-business-1024"
    final = wait_running(api, "example-app", addon["id"])
    assert final["status"] == "running"
    assert final["plan"]["id"] == target


def test_refusals(sim, api, app):
    every = plans(sim, "postgresql")
    path = "/v1/apps/example-app/addons"
    cases = [
        ({}, 422, {"errors": {"addon": ["can't be blank"]}}),
        ({"addon": {"plan_id": "x"}}, 422, {"errors": {"addon_provider_id": ["can't be blank"]}}),
        ({"addon": {"addon_provider_id": "nosql", "plan_id": "x"}}, 404,
         {"resource": "addon_provider", "error": "not found"}),
        ({"addon": {"addon_provider_id": "postgresql", "plan_id": "x"}}, 404, {"resource": "plan", "error": "not found"}),
        ({"addon": {"addon_provider_id": "postgresql", "plan_id": every["postgresql-starter-256"]["id"]}}, 422,
         {"errors": {"plan_id": ["is disabled, use plan %s instead" % every["postgresql-starter-512"]["id"]]}}),
    ]
    for body, status, answer in cases:
        response = api.post(path, body)
        assert (response.status_code, response.json()) == (status, answer), body
    assert api.get(path).json() == {"addons": []}
    assert api.get(path + "/ad-nope").json() == {"resource": "addon", "error": "not found"}
    assert api.get("/v1/apps/nope-app/addons").status_code == 404
    assert requests.get(sim.base + path, timeout=10).status_code == 401


def test_free_plan_refuses_paid_plans(sim, api, app):
    sim.admin("POST", "/_sim/config", {"free_plan": True})
    refused = provision(api, sim=sim)
    assert refused.status_code == 402
    assert refused.json()["url"] == "https://my.scalingo.com/apps/billing"
    sandbox = provision(api, plan="postgresql-sandbox", sim=sim)
    assert sandbox.status_code == 201
    addon = sandbox.json()["addon"]
    upgrade = api.patch("/v1/apps/example-app/addons/" + addon["id"],
                        {"addon": {"plan_id": plans(sim, "postgresql")["postgresql-starter-512"]["id"]}})
    assert upgrade.status_code == 402


def test_remove_drops_the_variables(sim, api, app):
    addon = provision(api, sim=sim).json()["addon"]
    assert api.delete("/v1/apps/example-app/addons/" + addon["id"]).status_code == 204
    state = sim.admin("GET", "/_sim/state")
    assert [a.get("variables") for a in state["apps"].values()] == [[]]
    assert api.get("/v1/apps/example-app/addons").json() == {"addons": []}
    assert api.delete("/v1/apps/example-app/addons/" + addon["id"]).status_code == 404


def test_stuck_provisioning_fault(sim, api, app):
    sim.admin("POST", "/_sim/addons/faults", {"app": "example-app", "provider": "postgresql"})
    addon = provision(api, sim=sim).json()["addon"]
    time.sleep(DURATION + 0.2)
    assert api.get("/v1/apps/example-app/addons/" + addon["id"]).json()["addon"]["status"] == "provisioning"
    assert sim.admin("GET", "/_sim/addons/faults") == {"faults": []}
    other = provision(api, "redis", "redis-sandbox", sim=sim).json()["addon"]
    assert wait_running(api, "example-app", other["id"])["status"] == "running"


def test_token_and_sso(sim, api, app):
    addon = provision(api, sim=sim).json()["addon"]
    token = api.post("/v1/apps/example-app/addons/%s/token" % addon["id"]).json()["addon"]["token"]
    sso = api.post("/v1/apps/example-app/addons/%s/sso" % addon["id"]).json()["addon"]["sso_url"]
    secrets = sim.admin("GET", "/_sim/addons/secrets")["secrets"]
    assert token in secrets
    assert any(secret in sso for secret in secrets)
