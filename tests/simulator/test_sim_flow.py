"""The documented curl flow from a fresh start, with the platform's 60 requests per minute."""

import time

from simhelpers import Api


def test_documented_curl_flow(sim):
    sim.admin("POST", "/_sim/config", {"rate_limit": 60})
    user = Api(sim.base)
    sent = 0

    def call(method, path, **kwargs):
        nonlocal sent
        sent += 1
        return user.request(method, path, **kwargs)

    created = call("POST", "/v1/apps", json={"app": {"name": "example-app"}})
    assert (created.status_code, created.json()["app"]["name"]) == (201, "example-app")
    again = call("POST", "/v1/apps", json={"app": {"name": "example-app"}})
    assert (again.status_code, again.json()) == (422, {"errors": {"name": ["has already been taken"]}})
    dry = call("POST", "/v1/apps", json={"app": {"name": "another-app"}}, headers={"X-Dry-Run": "true"})
    assert (dry.status_code, dry.json()["app"]["name"]) == (201, "another-app")
    assert [a["name"] for a in call("GET", "/v1/apps").json()["apps"]] == ["example-app"]
    scaled = call("POST", "/v1/apps/example-app/scale", json={"containers": [{"name": "web", "amount": 2}]})
    assert scaled.status_code == 202
    location = scaled.headers["Location"]
    assert location.startswith(sim.base + "/v1/apps/example-app/operations/")
    assert call("GET", "/v1/apps/example-app").json()["app"]["status"] == "scaling"
    while True:
        operation = call("GET", location).json()["operation"]
        if operation["status"] in ("done", "error"):
            break
        time.sleep(0.05)
    assert operation["status"] == "done"
    assert call("GET", "/v1/apps/example-app").json()["app"]["status"] == "running"
    while sent < 60:
        assert call("GET", "/v1/apps").status_code == 200
    refused = user.get("/v1/apps")
    assert (refused.status_code, refused.text) == (429, "Retry later")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
