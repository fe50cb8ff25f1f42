"""Fault injection, rate limit, region_disabled, and the request log."""

import email.utils
import json
import time

import pytest
import requests

from simhelpers import OTHER_TOKEN, TOKEN, Api

INTERNAL = {"error": "Internal error occured, we're on it!"}


def test_status_fault_answers_the_documented_500_once(api, sim):
    sim.admin("POST", "/_sim/faults", {"method": "POST", "path": "/v1/apps", "status": 500})
    response = api.post("/v1/apps", {"app": {"name": "example-app"}})
    assert (response.status_code, response.json()) == (500, INTERNAL)
    assert api.get("/v1/apps/example-app").status_code == 404
    assert api.post("/v1/apps", {"app": {"name": "example-app"}}).status_code == 201


def test_fault_counts_and_method_filters(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"method": "GET", "path_regex": r"^/v1/apps/[^/]+$", "count": 2,
                                       "status": 404, "body": {"resource": "app", "error": "not found"}})
    assert api.patch("/v1/apps/example-app", {"app": {"force_https": True}}).status_code == 200
    for dummy in range(2):
        response = api.get("/v1/apps/example-app")
        assert (response.status_code, response.json()) == (404, {"resource": "app", "error": "not found"})
    assert api.get("/v1/apps/example-app").status_code == 200


def test_429_fault_is_plain_text_with_retry_after(api, sim):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 429, "retry_after": 7})
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 429, "retry_after": None})
    response = api.get("/v1/apps")
    assert (response.status_code, response.text, response.headers["Retry-After"]) == (429, "Retry later", "7")
    assert response.headers["Content-Type"].startswith("text/plain")
    response = api.get("/v1/apps")
    assert (response.status_code, response.text) == (429, "Retry later")
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("status, kind, fragment", [(502, "text/html", "502 Bad Gateway"),
                                                    (503, "text/html", "503 Service"),
                                                    (504, "text/html", "504 Gateway Time-out"),
                                                    (401, "application/json", '"error"'),
                                                    (403, "application/json", '"code":"region_disabled"')])
def test_fault_default_bodies(api, sim, status, kind, fragment):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": status})
    response = api.get("/v1/apps")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(kind)
    assert fragment in response.text


def test_delay_fault(api, sim):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "delay": 0.4})
    started = time.monotonic()
    assert api.get("/v1/apps").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_a_request_whose_client_gave_up_is_processed_and_logged(api, sim):
    sim.admin("POST", "/_sim/faults", {"method": "POST", "path": "/v1/apps", "delay": 0.6})
    with pytest.raises(requests.Timeout):
        api.post("/v1/apps", {"app": {"name": "slow-create-app"}}, timeout=0.2)
    logged = sim.logged("POST", "/v1/apps")
    assert len(logged) == 1 and logged[0]["status"] == 201 and logged[0]["client_gone"] is True
    assert [a["name"] for a in api.get("/v1/apps").json()["apps"]] == ["slow-create-app"]


def test_drop_before_processing(api, sim):
    sim.admin("POST", "/_sim/faults", {"method": "POST", "path": "/v1/apps", "drop": True})
    with pytest.raises(requests.ConnectionError):
        api.post("/v1/apps", {"app": {"name": "example-app"}})
    assert api.get("/v1/apps").json() == {"apps": []}


def test_drop_after_processing_keeps_the_effect(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"method": "POST", "path": "/v1/apps/example-app/scale", "drop": True,
                                       "after_processing": True})
    with pytest.raises(requests.ConnectionError):
        api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]})
    assert api.get("/v1/apps/example-app/containers").json()["containers"][0]["amount"] == 2
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "scaling"
    logged = [r for r in sim.admin("GET", "/_sim/requests")["requests"] if r["path"].endswith("/scale")]
    assert (logged[0]["status"], logged[0]["dropped"]) == (202, True)


def test_operation_error_fault(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"operation": "error", "error": "container web-1 failed to start",
                                       "app": "example-app"})
    location = api.post("/v1/apps/example-app/scale", {"containers": [{"name": "web", "amount": 2}]}).headers[
        "Location"]
    operation = api.wait_operation(location)
    assert (operation["status"], operation["error"]) == ("error", "container web-1 failed to start")
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "running"
    location = api.post("/v1/apps/example-app/restart").headers["Location"]
    assert api.wait_operation(location)["status"] == "done"


def test_operation_fault_for_another_app_does_not_apply(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"operation": "error", "app": "other-app"})
    location = api.post("/v1/apps/example-app/restart").headers["Location"]
    assert api.wait_operation(location)["status"] == "done"


def test_operation_hang_fault(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"operation": "hang"})
    location = api.post("/v1/apps/example-app/restart").headers["Location"]
    time.sleep(0.5)
    assert api.get(location).json()["operation"]["status"] == "running"
    assert api.get("/v1/apps/example-app").json()["app"]["status"] == "restarting"
    response = api.post("/v1/apps/example-app/restart")
    assert (response.status_code, response.json()) == (422, {"errors": {"app": ["is restarting"]}})


def test_retry_after_zero_and_verbatim(api, sim):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 429, "retry_after": 0})
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 429, "retry_after": "soon"})
    assert api.get("/v1/apps").headers["Retry-After"] == "0"
    assert api.get("/v1/apps").headers["Retry-After"] == "soon"


def test_retry_after_as_an_http_date_in_the_past(api, sim):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 429, "retry_after_date": -3600})
    response = api.get("/v1/apps")
    assert response.status_code == 429
    when = email.utils.parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
    assert abs(when - (time.time() - 3600)) < 5


def test_success_fault_answers_a_proxy_page_unprocessed(api, sim):
    page = "<html><body>Please log in</body></html>"
    sim.admin("POST", "/_sim/faults", {"method": "POST", "path": "/v1/apps", "status": 200, "body": page})
    response = api.post("/v1/apps", {"app": {"name": "example-app"}})
    assert (response.status_code, response.text) == (200, page)
    assert response.headers["Content-Type"].startswith("text/html")
    assert api.get("/v1/apps").json() == {"apps": []}


def test_success_fault_with_truncated_json_and_its_content_type(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"method": "GET", "path": "/v1/apps/example-app", "status": 200,
                                       "body": '{"app": {"na', "content_type": "application/json"})
    response = api.get("/v1/apps/example-app")
    assert (response.status_code, response.text) == (200, '{"app": {"na')
    assert response.headers["Content-Type"] == "application/json"


def test_redirect_fault(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"method": "GET", "path": "/v1/apps/example-app", "status": 302,
                                       "location": "http://127.0.0.1:9/v1/apps/example-app"})
    response = api.get("/v1/apps/example-app", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302, "http://127.0.0.1:9/v1/apps/example-app")
    assert response.content == b""


def test_trickle_fault_sends_the_real_answer_byte_by_byte(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"method": "GET", "path": "/v1/apps/example-app", "trickle": 0.1,
                                       "trickle_bytes": 50})
    started = time.monotonic()
    response = api.get("/v1/apps/example-app")
    assert response.json()["app"]["name"] == "example-app"
    pieces = -(-len(response.content) // 50)
    assert pieces >= 3
    assert time.monotonic() - started >= 0.1 * (pieces - 1) - 0.05
    sim.admin("POST", "/_sim/faults", {"method": "GET", "path": "/v1/apps/example-app", "trickle": 0.3})
    response = api.get("/v1/apps/example-app", stream=True, timeout=0.2)   # the head comes at once
    assert response.status_code == 200
    with pytest.raises(Exception, match="timed out"):
        response.raw.read(1000)   # one byte every 0.3 s: each read waits longer than 0.2 s
    response.close()
    # logged once the simulator's next write fails: wait for it, or it lands in a later test's request log
    assert [entry.get("client_gone") for entry in sim.logged("GET", "/v1/apps/example-app", count=2)] == [None, True]


def test_invalid_faults_are_refused(sim):
    for spec in ({"path": "/v1/apps"}, {"status": 500}, {"path": "/v1/apps", "status": 200},
                 {"path": "/v1/apps", "status": 302}, {"path": "/v1/apps", "status": 429, "retry_after": -1},
                 {"path": "/v1/apps", "status": 429, "retry_after_date": "yesterday"},
                 {"path": "/v1/apps", "trickle": -1}, {"path": "/v1/apps", "trickle": 1, "trickle_bytes": 0},
                 {"path": "/v1/apps", "status": 199, "body": "x"},
                 {"path_regex": "(", "status": 500}, {"operation": "explode"}):
        response = requests.post(sim.base + "/_sim/faults", json=spec)
        assert response.status_code == 422, spec


def test_delete_faults_clears_them(api, sim):
    sim.admin("POST", "/_sim/faults", {"path": "/v1/apps", "status": 500, "count": None})
    sim.admin("POST", "/_sim/faults", {"operation": "hang"})
    assert api.get("/v1/apps").status_code == 500
    assert api.get("/v1/apps").status_code == 500
    sim.admin("DELETE", "/_sim/faults")
    assert api.get("/v1/apps").status_code == 200
    assert sim.admin("GET", "/_sim/faults") == {"faults": [], "operation_faults": []}


def test_region_disabled(api, sim):
    sim.admin("POST", "/_sim/config", {"region_disabled": True})
    response = api.get("/v1/apps")
    assert response.status_code == 403
    assert response.json()["code"] == "region_disabled"
    assert isinstance(response.json()["error"], str)
    assert Api(sim.base).bearer


def test_rate_limit_sixty_first_request(api, sim):
    sim.admin("POST", "/_sim/config", {"rate_limit": 60})
    statuses = [api.get("/v1/apps").status_code for dummy in range(60)]
    assert statuses == [200] * 60
    response = api.get("/v1/apps")
    assert (response.status_code, response.text) == (429, "Retry later")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert api.get("/v1/apps").status_code == 429
    assert requests.post(sim.base + "/v1/tokens/exchange", auth=("", TOKEN), json={}).status_code == 200
    assert requests.get(sim.base + "/_sim/health").status_code == 200
    assert Api(sim.base, OTHER_TOKEN).get("/v1/apps").status_code == 200
    assert Api(sim.base).get("/v1/apps").status_code == 429


def test_rate_limit_window_slides(api, sim):
    sim.admin("POST", "/_sim/config", {"rate_limit": 2})
    assert [api.get("/v1/apps").status_code for dummy in range(3)] == [200, 200, 429]
    sim.admin("POST", "/_sim/reset")
    assert api.get("/v1/apps").status_code == 200


def test_request_log_masks_credentials(api, sim, app):
    api.get("/v1/apps/example-app", headers={"User-Agent": "scalingo-test/1.0"})
    api.post("/v1/apps", {"app": {"name": "dry-run-app"}}, headers={"X-Dry-Run": "true"})
    requests.get(sim.base + "/_sim/health")
    entries = sim.admin("GET", "/_sim/requests")["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/tokens/exchange", 200), ("POST", "/v1/apps", 201), ("GET", "/v1/apps/example-app", 200),
        ("POST", "/v1/apps", 201)]
    exchange, created, shown, dry = entries
    assert exchange["headers"]["Authorization"] == "Basic ***"
    assert shown["headers"]["Authorization"] == "Bearer ***"
    assert shown["headers"]["User-Agent"] == "scalingo-test/1.0"
    assert created["body"] == {"app": {"name": "example-app"}}
    assert dry["headers"]["X-Dry-Run"] == "true"
    assert set(shown) >= {"time", "method", "path", "query", "headers", "body", "status", "duration_ms"}
    dumped = json.dumps(entries)
    assert api.bearer not in dumped and TOKEN not in dumped
    assert requests.delete(sim.base + "/_sim/requests").status_code == 204
    assert sim.admin("GET", "/_sim/requests") == {"requests": []}


def test_request_log_records_queries(api, sim, app):
    api.delete("/v1/apps/example-app", params={"current_name": "example-app"})
    entry = sim.admin("GET", "/_sim/requests")["requests"][-1]
    assert (entry["query"], entry["status"], entry["body"]) == ({"current_name": "example-app"}, 204, None)


def test_request_log_cuts_long_bodies(api, sim):
    api.post("/v1/apps", {"app": {"name": "x" * 3000}})
    body = sim.admin("GET", "/_sim/requests")["requests"][-1]["body"]
    assert isinstance(body, str) and len(body) == 2003
    assert body.startswith('{"app": {"name": "xxx') and body.endswith("x...")
