"""Logs, logs archives, real-time stats, metrics, recommended values, admin seeding and health."""

import json

import pytest
import requests

STAT_KEYS = {"id", "cpu_usage", "memory_usage", "memory_limit", "highest_memory_usage", "swap_usage",
             "swap_limit", "highest_swap_usage"}


def test_logs_documented_example(api, sim, app):
    response = api.get("/v1/apps/example-app/logs")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"app", "logs_url"}
    assert body["app"]["name"] == "example-app"
    assert body["logs_url"].startswith(sim.base + "/logs/apps/")
    logs = requests.get(body["logs_url"])
    assert logs.status_code == 200
    assert "app example-app created" in logs.text
    assert requests.get(body["logs_url"].split("?")[0] + "?token=wrong").status_code == 404
    logged = [e for e in sim.admin("GET", "/_sim/requests")["requests"] if e["path"].startswith("/logs/")]
    assert [e["query"] for e in logged] == [{"token": "***"}, {"token": "***"}]


def test_logs_archives_cursor_pagination(api, app):
    first = api.get("/v1/apps/example-app/logs_archives")
    assert first.status_code == 200
    page = first.json()
    assert set(page) == {"next_cursor", "has_more", "archives"}
    assert (page["has_more"], len(page["archives"])) == (True, 10)
    assert set(page["archives"][0]) == {"url", "size", "from", "to"}
    seen = list(page["archives"])
    while page["has_more"]:
        page = api.get("/v1/apps/example-app/logs_archives", params={"cursor": page["next_cursor"]}).json()
        seen.extend(page["archives"])
    assert (len(seen), page["next_cursor"]) == (25, "")
    assert len({a["url"] for a in seen}) == 25
    assert api.get("/v1/apps/example-app/logs_archives", params={"cursor": "x"}).status_code == 400


def test_real_time_stats_documented_example(api, sim):
    sim.admin("POST", "/_sim/apps", {"name": "example-app", "formation": [
        {"name": "web", "amount": 2, "size": "M"}, {"name": "worker", "amount": 1, "size": "L"}]})
    response = api.get("/v1/apps/example-app/stats")
    assert response.status_code == 200
    stats = response.json()["stats"]
    assert [s["id"] for s in stats] == ["web-1", "web-2", "worker-1"]
    assert all(set(s) == STAT_KEYS for s in stats)
    assert [s["memory_limit"] for s in stats] == [536870912, 536870912, 1073741824]
    assert all(0 <= s["memory_usage"] <= s["memory_limit"] for s in stats)


@pytest.mark.parametrize("path", ["/cpu", "/memory/web", "/swap/web/1", "/router?status_code=5XX",
                                  "/cpu/web/1?since=48"])
def test_metrics(api, app, path):
    response = api.get("/v1/apps/example-app/stats" + path)
    assert response.status_code == 200
    points = response.json()
    assert isinstance(points, list) and len(points) > 10
    assert all(set(p) == {"time", "value"} and p["time"].endswith("Z") for p in points)
    assert [p["time"] for p in points] == sorted(p["time"] for p in points)


@pytest.mark.parametrize("path, status", [("/disk", 400), ("/cpu/clock", 404), ("/cpu/web/2", 404),
                                          ("/router?status_code=6XX", 400)])
def test_metrics_refusals(api, app, path, status):
    assert api.get("/v1/apps/example-app/stats" + path).status_code == status


def test_recommended_value(api, app):
    response = api.get("/v1/apps/example-app/stats/cpu/recommended_value", params={"container_type": "web"})
    assert response.status_code == 200
    assert set(response.json()) == {"time", "value"}
    assert api.get("/v1/apps/example-app/stats/p95_response_time/recommended_value").status_code == 200
    missing = api.get("/v1/apps/example-app/stats/cpu/recommended_value")
    assert (missing.status_code, missing.json()) == (422, {"errors": {"container_type": ["missing field"]}})


def test_seeded_app_with_owner_and_collaborators(api, other_api, sim):
    seeded = sim.admin("POST", "/_sim/apps", {"name": "seeded-app", "owner": "other@example.com",
                                              "collaborators": ["user@example.com"], "force_https": True})
    assert seeded["app"]["owner"]["email"] == "other@example.com"
    assert api.get("/v1/apps/seeded-app").json()["app"]["force_https"] is True
    assert [a["name"] for a in other_api.get("/v1/apps").json()["apps"]] == ["seeded-app"]
    duplicate = requests.post(sim.base + "/_sim/apps", json={"name": "seeded-app"})
    assert duplicate.status_code == 422


def test_health_and_reset(api, sim, app):
    health = sim.admin("GET", "/_sim/health")
    assert (health["status"], health["apps"]) == ("ok", 1)
    sim.admin("POST", "/_sim/reset")
    assert sim.admin("GET", "/_sim/health")["apps"] == 0
    assert api.get("/v1/apps").json() == {"apps": []}
    assert requests.get(sim.base + "/_sim/nothing").status_code == 404


def test_request_log_masks_secret_values_in_bodies(api, sim, app):
    """One-off environment values and secret fields are masked in the request log, like the Authorization header."""
    run = api.post("/v1/apps/example-app/run",
                   {"command": "env", "env": {"DB_PASSWORD": "p4ss-w0rd-x1"}, "detached": True})
    assert run.status_code == 200
    api.put("/v1/apps/example-app/variables", {"variables": [{"name": "TOKEN", "value": "p4ss-w0rd-x2"}]})
    api.post("/v1/apps/example-app/domains",
             {"domain": {"name": "example.com", "tlscert": "CERT", "tlskey": "p4ss-w0rd-x3" * 200}})
    log = sim.admin("GET", "/_sim/requests")["requests"]
    assert "p4ss-w0rd" not in json.dumps(log)
    run_entry = [e for e in log if e["path"] == "/v1/apps/example-app/run"][0]
    assert run_entry["body"] == {"command": "env", "env": {"DB_PASSWORD": "***"}, "detached": True}
    variables = [e for e in log if e["path"] == "/v1/apps/example-app/variables"][0]
    assert variables["body"] == {"variables": [{"name": "TOKEN", "value": "***"}]}
