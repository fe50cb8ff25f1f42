# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import email.utils
import json
import os
import stat
import time

import pytest
import requests
import responses
import yaml
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ansible_collections.scalingo.cloud.plugins.module_utils import client as client_module
from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    ScalingoAPIError,
    ScalingoClient,
    ScalingoConnectionError,
    ScalingoError,
    ScalingoOperationError,
    ScalingoTimeoutError,
)
from ansible_collections.scalingo.cloud.tests.unit.utils import (
    API_BASE,
    API_TOKEN,
    AUTH_URL,
    EXCHANGE_URL,
    make_jwt,
)

GALAXY = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")


def galaxy_version():
    with open(GALAXY) as handle:
        return yaml.safe_load(handle)["version"]


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_client(sleeps):
    def make(**kwargs):
        kwargs.setdefault("sleep", sleeps.append)
        client = ScalingoClient(kwargs.pop("api_token", API_TOKEN), **kwargs)
        client.random = lambda: 1.0   # jitter at its top: delays are exact
        return client
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def cache_file(cache_dir):
    names = [n for n in os.listdir(str(cache_dir)) if n.endswith(".json")]
    assert len(names) == 1
    return os.path.join(str(cache_dir), names[0])


def write_cache(cache_dir, bearer, expires_at):
    os.makedirs(str(cache_dir), 0o700)
    client = ScalingoClient(API_TOKEN)
    with open(client._cache_path(), "w") as handle:
        json.dump({"bearer": bearer, "expires_at": expires_at}, handle)
    os.chmod(client._cache_path(), 0o600)


def connection_refused():
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/v1/apps", reason))


# ------------------------------------------------------------------------------------------- headers


def test_exchange_then_bearer_request_headers_and_body(api, client):
    api.add("POST", "/apps", json={"app": {"name": "my-app"}}, status=201)
    answer = client.post("/apps", json={"app": {"name": "my-app"}}, headers={"X-Dry-Run": "true"})
    assert answer.status == 201
    assert answer.json == {"app": {"name": "my-app"}}

    exchange, call = api.all_calls()
    user_agent = "scalingo.cloud/%s (+https://github.com/scalingo-ansible/scalingo.cloud) python-requests/%s" % (
        galaxy_version(), requests.__version__)
    assert (exchange.method, exchange.url) == ("POST", EXCHANGE_URL)
    assert exchange.headers["Authorization"] == "Basic " + base64.b64encode(
        (":" + API_TOKEN).encode()).decode()
    assert exchange.json == {}
    assert exchange.headers["User-Agent"] == user_agent

    assert (call.method, call.url) == ("POST", API_BASE + "/apps")
    assert call.headers["Authorization"] == "Bearer " + api.bearer
    assert call.headers["User-Agent"] == user_agent
    assert call.headers["Accept"] == "application/json"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["X-Dry-Run"] == "true"
    assert call.json == {"app": {"name": "my-app"}}
    assert client.request_count == 2


def test_timeout_and_validate_certs_are_passed(api, make_client):
    client = make_client(timeout=7, validate_certs=False)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps", params={"a": "b"})
    request = api.mock.calls[-1].request
    assert request.req_kwargs["timeout"] == 7
    assert request.req_kwargs["verify"] is False
    assert api.calls()[0].query == {"a": ["b"]}


@pytest.mark.parametrize("given", ["https://api.example.test", "https://api.example.test/",
                                   "https://api.example.test/v1", "https://api.example.test/v1/"])
def test_api_url_and_auth_url_overrides(api, make_client, given):
    api.mock.add_callback(responses.POST, "https://auth.example.test/v1/tokens/exchange",
                          callback=lambda r: (200, {}, json.dumps({"token": make_jwt()})))
    api.add("GET", "https://api.example.test/v1/apps", json={"apps": []})
    client = make_client(api_url=given, auth_url=given.replace("api.", "auth."))
    assert client.api_url == "https://api.example.test"
    client.get("/apps")
    assert [c.url for c in api.all_calls()] == [
        "https://auth.example.test/v1/tokens/exchange", "https://api.example.test/v1/apps"]


def test_known_regions_need_no_lookup(make_client):
    assert make_client(region="osc-secnum-fr1").api_url == "https://api.osc-secnum-fr1.scalingo.com"
    assert make_client(region="osc-fr1", api_url="http://127.0.0.1:9/").api_url == "http://127.0.0.1:9"


def test_unknown_region_is_looked_up_once(api, make_client):
    api.add("GET", AUTH_URL + "/v1/regions", json={"regions": [
        {"name": "osc-fr1", "api": "https://api.osc-fr1.scalingo.com"},
        {"name": "test-region", "display_name": "Test", "api": "https://api.test-region.example.test/"}]})
    api.add("GET", "https://api.test-region.example.test/v1/apps", json={"apps": []})
    client = make_client(region="test-region")
    client.get("/apps")
    client.get("/apps")
    calls = api.calls()
    assert [(c.method, c.url) for c in calls] == [
        ("GET", AUTH_URL + "/v1/regions"),
        ("GET", "https://api.test-region.example.test/v1/apps"),
        ("GET", "https://api.test-region.example.test/v1/apps")]
    assert calls[0].headers["Authorization"] == "Bearer " + api.bearer


def test_region_lookup_refused(api, make_client):
    api.add("GET", AUTH_URL + "/v1/regions", json={"error": "not found"}, status=404)
    with pytest.raises(ScalingoAPIError) as info:
        make_client(region="mars-1").get("/apps")
    assert str(info.value) == "Scalingo auth service refused GET /v1/regions (404): not found"


def test_region_missing_from_the_list(api, make_client):
    api.add("GET", AUTH_URL + "/v1/regions", json={"regions": [{"name": "osc-fr1", "api": "https://a"}]})
    with pytest.raises(ScalingoError) as info:
        make_client(region="mars-1").get("/apps")
    assert "region 'mars-1' is unknown" in str(info.value)
    assert "osc-secnum-fr1" in str(info.value)
    assert len(api.calls()) == 1


# -------------------------------------------------------------------------------------- bearer cache


def test_bearer_cached_on_disk_and_reused_by_another_client(api, make_client, cache_dir):
    api.add("GET", "/apps", json={"apps": []})
    make_client().get("/apps")
    second = make_client()
    second.get("/apps")
    second.get("/apps")
    assert len(api.exchanges()) == 1
    assert {c.headers["Authorization"] for c in api.calls()} == {"Bearer " + api.bearer}

    assert stat.S_IMODE(os.stat(str(cache_dir)).st_mode) == 0o700
    path = cache_file(cache_dir)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        data = json.load(handle)
    assert data["bearer"] == api.bearer
    assert abs(data["expires_at"] - (time.time() + 3600)) < 60


def test_secrets_in_cache_dir_only_in_the_cache_file(api, client, cache_dir):
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    path = cache_file(cache_dir)
    for name in os.listdir(str(cache_dir)):
        assert API_TOKEN not in name and api.bearer not in name
        with open(os.path.join(str(cache_dir), name)) as handle:
            content = handle.read()
        assert API_TOKEN not in content
        if os.path.join(str(cache_dir), name) != path:
            assert api.bearer not in content


def test_cached_bearer_close_to_expiry_is_renewed(api, client, cache_dir):
    old = make_jwt(expires_in=240)
    write_cache(cache_dir, old, time.time() + 240)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert api.calls()[0].headers["Authorization"] == "Bearer " + api.bearer
    with open(cache_file(cache_dir)) as handle:
        assert json.load(handle)["bearer"] == api.bearer != old


def test_cached_bearer_still_fresh_is_used(api, client, cache_dir):
    cached = make_jwt(expires_in=600)
    write_cache(cache_dir, cached, time.time() + 600)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert api.exchanges() == []
    assert api.calls()[0].headers["Authorization"] == "Bearer " + cached


def test_bearer_in_memory_renewed_near_expiry(api, make_client):
    client = make_client(bearer_cache=False)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    client._bearer_expires = time.time() + 200
    client.get("/apps")
    assert len(api.exchanges()) == 2
    assert api.calls()[1].headers["Authorization"] == "Bearer " + api.bearers[1]


@pytest.mark.parametrize("content", ["not json", '{"bearer": 12}', '{"expires_at": "x"}', ""])
def test_corrupt_cache_is_ignored_and_rewritten(api, client, cache_dir, content):
    os.makedirs(str(cache_dir), 0o700)
    with open(client._cache_path(), "w") as handle:
        handle.write(content)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(api.exchanges()) == 1
    with open(client._cache_path()) as handle:
        assert json.load(handle)["bearer"] == api.bearer


def test_unusable_cache_dir_warns_and_keeps_bearer_in_memory(api, make_client, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text(u"x")
    client = make_client(cache_dir=str(blocker / "sub"))
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert len(client.warnings) == 1 and "kept in memory only" in client.warnings[0]


def test_bearer_cache_off_writes_nothing(api, make_client, cache_dir):
    client = make_client(bearer_cache=False)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert not os.path.exists(str(cache_dir))
    make_client(bearer_cache=False).get("/apps")
    assert len(api.exchanges()) == 2


def test_jwt_without_exp_is_assumed_valid_one_hour(api, client, cache_dir):
    api.exchange.callback = lambda request: (200, {}, json.dumps({"token": make_jwt(expires_in=None)}))
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    with open(cache_file(cache_dir)) as handle:
        assert abs(json.load(handle)["expires_at"] - (time.time() + 3600)) < 60


def test_cache_file_name_depends_on_auth_url_and_token(make_client):
    a = make_client()._cache_path()
    assert a != make_client(auth_url="https://auth.example.test")._cache_path()
    assert a != make_client(api_token="tk-us-another-unit-token")._cache_path()
    assert a == make_client()._cache_path()


def _parallel_worker(cache_dir, log, barrier, results):
    def exchange(request):
        with open(log, "a") as handle:
            handle.write("x\n")
        time.sleep(0.2)   # a slow exchange widens the race
        return 200, {}, json.dumps({"token": make_jwt()})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, EXCHANGE_URL, callback=exchange)
        mock.add(responses.GET, API_BASE + "/apps", json={"apps": []})
        client = ScalingoClient(API_TOKEN, cache_dir=cache_dir)
        barrier.wait(10)
        client.get("/apps")
        results.put(mock.calls[-1].request.headers["Authorization"])


def test_parallel_processes_exchange_once(tmp_path):
    import multiprocessing
    log = str(tmp_path / "exchanges.log")
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(10), context.Queue()
    workers = [context.Process(target=_parallel_worker, args=(str(tmp_path / "cache"), log, barrier, results))
               for dummy in range(10)]
    for worker in workers:
        worker.start()
    bearers = set(results.get(timeout=30) for dummy in workers)
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    with open(log) as handle:
        assert handle.read() == "x\n"
    assert len(bearers) == 1


# ------------------------------------------------------------------------------------------- 401


def test_401_re_exchanges_once_and_retries(api, client):
    api.add("GET", "/apps", json={"error": "expired"}, status=401)
    api.add("GET", "/apps", json={"apps": []})
    assert client.get("/apps").json == {"apps": []}
    first, second = api.calls()
    assert len(api.exchanges()) == 2
    assert first.headers["Authorization"] == "Bearer " + api.bearers[0]
    assert second.headers["Authorization"] == "Bearer " + api.bearers[1]


def test_second_401_says_the_token_was_refused(api, client, cache_dir):
    api.add("POST", "/apps", json={"error": "invalid bearer"}, status=401)
    with pytest.raises(ScalingoAPIError) as info:
        client.post("/apps", json={})
    message = str(info.value)
    assert message.startswith("Scalingo API refused POST /v1/apps (401): invalid bearer; ")
    assert "refused even after a new token exchange" in message
    assert len(api.exchanges()) == 2 and len(api.calls()) == 2
    for secret in [API_TOKEN] + api.bearers:
        assert secret not in message and secret not in json.dumps(info.value.to_dict())


def test_exchange_refused(api, client):
    api.exchange.callback = lambda request: (401, {}, json.dumps({"error": "invalid token"}))
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps")
    assert str(info.value) == ("Scalingo auth service refused POST /v1/tokens/exchange (401): invalid token; "
                               "the API token was refused: check api_token (or SCALINGO_API_TOKEN)")
    assert info.value.status == 401
    assert api.calls() == []


def test_exchange_without_token(api, client):
    api.exchange.callback = lambda request: (200, {}, "{}")
    with pytest.raises(ScalingoError, match="without a token"):
        client.get("/apps")


# ------------------------------------------------------------------------------------------ retries


def test_429_honours_retry_after_seconds(api, client, sleeps):
    api.add("POST", "/apps/my-app/scale", body="Retry later", status=429, headers={"Retry-After": "7"})
    api.add("POST", "/apps/my-app/scale", json={"containers": []}, status=202)
    assert client.post("/apps/my-app/scale", json={"containers": []}).status == 202
    assert sleeps == [7.0]
    assert len(api.calls()) == 2


def test_429_honours_retry_after_http_date(api, client, sleeps):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    api.add("GET", "/apps", body="Retry later", status=429, headers={"Retry-After": when})
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_429_without_retry_after_backs_off_exponentially(api, client, sleeps):
    for dummy in range(3):
        api.add("DELETE", "/apps/my-app", body="Retry later", status=429)
    api.add("DELETE", "/apps/my-app", status=204, body="")
    assert client.delete("/apps/my-app", params={"current_name": "my-app"}).status == 204
    assert sleeps == [1.0, 2.0, 4.0]
    assert [c.query for c in api.calls()] == [{"current_name": ["my-app"]}] * 4


def test_backoff_jitter_and_cap(make_client):
    client = make_client()
    client.random = lambda: 0.0
    assert [client._delay(n) for n in range(3)] == [0.5, 1.0, 2.0]
    client.random = lambda: 1.0
    assert client._delay(10) == 30.0
    assert client._delay(0, "100000") == 120.0


def test_429_gives_up_after_rate_limit_wait_not_max_retries(api, make_client, sleeps):
    client = make_client(max_retries=2, rate_limit_wait=10)
    api.add("GET", "/apps", body="Retry later", status=429, headers={"Content-Type": "text/plain"})
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps")
    assert str(info.value) == ("Scalingo API refused GET /v1/apps (429): Retry later; still refused after 3 retries "
                               "over 7 s (the rate limit of the API token)")
    assert sleeps == [1.0, 2.0, 4.0]   # the next wait (8 s) would pass rate_limit_wait
    assert len(api.calls()) == 4


def test_429_waits_do_not_use_max_retries(api, make_client, sleeps):
    client = make_client(max_retries=1)
    for dummy in range(6):
        api.add("GET", "/apps", body="Retry later", status=429, headers={"Retry-After": "1"})
    api.add("GET", "/apps", json={"error": "unavailable"}, status=503)
    api.add("GET", "/apps", json={"apps": []})
    assert client.get("/apps").json == {"apps": []}
    assert sleeps == [1.0] * 6 + [1.0]
    assert len(api.calls()) == 8


def test_503_on_get_is_retried(api, client, sleeps):
    api.add("GET", "/apps/my-app", json={"error": "unavailable"}, status=503)
    api.add("GET", "/apps/my-app", json={"error": "bad gateway"}, status=502)
    api.add("GET", "/apps/my-app", json={"app": {"name": "my-app"}})
    assert client.get("/apps/my-app").json["app"]["name"] == "my-app"
    assert sleeps == [1.0, 2.0]
    assert len(api.calls()) == 3


def test_503_on_post_is_not_retried(api, client, sleeps):
    api.add("POST", "/apps/my-app/restart", json={"error": "unavailable"}, status=503)
    with pytest.raises(ScalingoAPIError) as info:
        client.post("/apps/my-app/restart", json={})
    assert len(api.calls()) == 1 and sleeps == []
    assert str(info.value).startswith("Scalingo API refused POST /v1/apps/my-app/restart (503): unavailable; "
                                      "the request was not repeated")
    assert "scalingo.cloud.scalingo_app_info" in str(info.value)


def test_503_on_retry_safe_post_is_retried(api, client, sleeps):
    api.add("POST", "/apps/my-app/containers/c1/stop", json={"error": "unavailable"}, status=503)
    api.add("POST", "/apps/my-app/containers/c1/stop", status=202, body="")
    assert client.post("/apps/my-app/containers/c1/stop", retry_safe=True).status == 202
    assert len(api.calls()) == 2 and sleeps == [1.0]


def test_connection_error_on_post_is_not_retried(api, client, sleeps):
    api.add("POST", "/apps/my-app/scale", body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.post("/apps/my-app/scale", json={"containers": [{"name": "web", "amount": 2}]})
    error = info.value
    assert error.outcome_unknown is True
    assert len(api.calls()) == 1 and sleeps == []
    assert str(error).startswith("POST /v1/apps/my-app/scale connection failed")
    assert "outcome is unknown" in str(error)
    assert "check the app with scalingo.cloud.scalingo_app_info before retrying" in str(error)
    assert error.to_dict() == {"type": "ScalingoConnectionError", "message": str(error), "method": "POST",
                               "path": "/v1/apps/my-app/scale", "outcome_unknown": True}


def test_read_timeout_on_post_is_not_retried(api, client):
    api.add("POST", "/apps/my-app/run", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.post("/apps/my-app/run", json={"command": "true"})
    assert info.value.outcome_unknown is True
    assert "timed out" in str(info.value)
    assert len(api.calls()) == 1


def test_connection_refused_is_retried_for_post(api, client, sleeps):
    api.add("POST", "/apps", body=connection_refused())
    api.add("POST", "/apps", json={"app": {"name": "my-app"}}, status=201)
    assert client.post("/apps", json={"app": {"name": "my-app"}}).status == 201
    assert len(api.calls()) == 2 and sleeps == [1.0]


def test_read_timeout_on_get_is_retried(api, client, sleeps):
    api.add("GET", "/apps/my-app/containers", body=requests.exceptions.ReadTimeout("read timed out"))
    api.add("GET", "/apps/my-app/containers", json={"containers": []})
    assert client.get("/apps/my-app/containers").json == {"containers": []}
    assert len(api.calls()) == 2 and sleeps == [1.0]


def test_connection_errors_on_get_give_up(api, make_client, sleeps):
    client = make_client(max_retries=3)
    api.add("GET", "/apps", body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert info.value.outcome_unknown is False
    assert str(info.value).endswith("after 3 retries")
    assert len(api.calls()) == 4 and sleeps == [1.0, 2.0, 4.0]


def test_tls_error_is_not_retried(api, client, sleeps):
    api.add("GET", "/apps", body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(ScalingoConnectionError, match="validate_certs=false"):
        client.get("/apps")
    assert sleeps == []


# ------------------------------------------------------------------------------------- error bodies


@pytest.mark.parametrize("status, body, expected", [
    (400, {"error": "There was a problem in the JSON you submitted: 795: unexpected token"},
     "There was a problem in the JSON you submitted: 795: unexpected token"),
    (401, {"error": "not authenticated"},
     "not authenticated; the bearer obtained from the API token was refused even after a new token exchange"),
    (402, {"error": "Sorry, you need to verify your account", "url": "https://my.scalingo.com/billing"},
     "Sorry, you need to verify your account (see https://my.scalingo.com/billing)"),
    (402, {"error": "Sorry, you need to verify your account", "url": ""}, "Sorry, you need to verify your account"),
    (403, {"code": "region_disabled", "error": "this region is disabled for your account"},
     "region_disabled: this region is disabled for your account"),
    (403, {"code": "region_disabled"}, "region_disabled"),
    (404, {"resource": "app", "error": "not found"}, "app not found"),
    (422, {"errors": {"name": ["has already been taken"], "owner": ["is not allowed", "is busy"]}},
     "name has already been taken; owner is not allowed, is busy"),
    (422, {"errors": {"app": ["is restarting"]}}, "app is restarting"),
    (429, "Retry later", "Retry later; still refused after 13 retries over 271 s (the rate limit of the API token)"),
    (500, {"error": "Internal error occured, we're on it!"}, "Internal error occured, we're on it!; gave up after 5 retries"),
    (502, "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>",
     "<html><body> <h1>502 Bad Gateway</h1> </body></html>; gave up after 5 retries"),
    (418, {"unexpected": True}, '{"unexpected": true}'),
    (400, "", "no details given"),
])
def test_documented_error_bodies(api, client, status, body, expected):
    if isinstance(body, dict):
        api.add("GET", "/apps/my-app", json=body, status=status)
    else:
        api.add("GET", "/apps/my-app", body=body, status=status, headers={"Content-Type": "text/plain"})
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps/my-app")
    assert str(info.value) == "Scalingo API refused GET /v1/apps/my-app (%d): %s" % (status, expected)
    details = info.value.to_dict()
    assert details["status"] == status and details["method"] == "GET" and details["path"] == "/v1/apps/my-app"
    assert details["type"] == "ScalingoAPIError"


def test_422_errors_and_resource_in_to_dict(api, client):
    api.add("POST", "/apps", json={"errors": {"name": ["has already been taken"]}}, status=422)
    with pytest.raises(ScalingoAPIError) as info:
        client.post("/apps", json={"app": {"name": "my-app"}})
    assert str(info.value) == "Scalingo API refused POST /v1/apps (422): name has already been taken"
    assert info.value.errors == {"name": ["has already been taken"]}
    assert info.value.to_dict()["errors"] == {"name": ["has already been taken"]}


def test_long_text_body_is_truncated(api, client):
    api.add("GET", "/apps", body="x" * 5000, status=400)
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps")
    assert len(str(info.value)) < 400 and str(info.value).endswith("...")


# ------------------------------------------------------------------------------------------ secrets


def test_secrets_never_in_errors(api, client):
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    bearer = api.bearer
    api.add("POST", "/apps", json={"errors": {"token": ["%s is wrong" % API_TOKEN],
                                              "bearer": ["Bearer %s" % bearer]}}, status=422)
    api.add("GET", "/apps/a", json={"error": "token %s bearer %s" % (API_TOKEN, bearer)}, status=400)
    api.add("POST", "/apps/a/run", body=requests.exceptions.ConnectionError("Authorization: Bearer " + bearer))
    api.add("GET", "/apps/b/operations/o1", json={"operation": {"id": "o1", "type": "scale", "status": "error",
                                                                "error": "bad " + bearer}})
    raised = []
    for call in (lambda: client.post("/apps", json={}), lambda: client.get("/apps/a"),
                 lambda: client.post("/apps/a/run", json={}),
                 lambda: client.wait_for_operation(API_BASE + "/apps/b/operations/o1")):
        with pytest.raises(ScalingoError) as info:
            call()
        raised.append(info.value)
    for error in raised:
        text = str(error) + json.dumps(error.to_dict()) + repr(error.args)
        assert API_TOKEN not in text and bearer not in text
        assert "********" in text


def test_scrub_patterns():
    jwt = make_jwt()
    text = client_module.scrub("a tk-us-%s b %s c" % ("A1" * 15, jwt))
    assert text == "a ******** b ******** c"
    assert client_module.scrub({"k": ["secret-x"]}, ["secret-x"]) == {"k": ["********"]}


# --------------------------------------------------------------------------------------- pagination


def test_paginate_follows_next_page(api, client):
    for page, next_page in ((1, 2), (2, 3), (3, None)):
        body = {"events": [{"id": "%d-a" % page}, {"id": "%d-b" % page}],
                "meta": {"pagination": {"current_page": page, "prev_page": page - 1 or None,
                                        "next_page": next_page, "total_pages": 3, "total_count": 6}}}
        query = dict({"per_page": "2"}, **({"page": str(page)} if page > 1 else {}))
        api.add("GET", "/apps/my-app/events", json=body, match=[responses.matchers.query_param_matcher(query)])
    items = list(client.paginate("/apps/my-app/events", "events", per_page=2))
    assert [i["id"] for i in items] == ["1-a", "1-b", "2-a", "2-b", "3-a", "3-b"]
    assert [c.query for c in api.calls()] == [
        {"per_page": ["2"]}, {"per_page": ["2"], "page": ["2"]}, {"per_page": ["2"], "page": ["3"]}]


def test_paginate_older_flat_meta(api, client):
    api.add("GET", "/apps", json={"apps": [{"name": "a"}], "meta": {"current_page": 1, "next_page": 2}},
            match=[responses.matchers.query_param_matcher({})])
    api.add("GET", "/apps", json={"apps": [{"name": "b"}], "meta": {"current_page": 2, "next_page": None}},
            match=[responses.matchers.query_param_matcher({"page": "2"})])
    assert [a["name"] for a in client.paginate("/apps", "apps")] == ["a", "b"]


def test_paginate_without_meta_is_one_page(api, client):
    api.add("GET", "/apps", json={"apps": [{"name": "a"}]})
    assert list(client.paginate("/apps", "apps")) == [{"name": "a"}]
    assert len(api.calls()) == 1


def test_paginate_stops_on_a_repeated_page(api, client):
    api.add("GET", "/apps", json={"apps": [{"name": "a"}], "meta": {"pagination": {"next_page": 2}}})
    assert len(list(client.paginate("/apps", "apps"))) == 2
    assert len(api.calls()) == 2


# --------------------------------------------------------------------------------------- operations


OPERATION = API_BASE + "/apps/my-app/operations/op-1"


def operation(status, **extra):
    return {"operation": dict({"id": "op-1", "type": "scale", "status": status}, **extra)}


def test_operation_pending_running_done(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    for status in ("pending", "running", "done"):
        api.add("GET", OPERATION, json=operation(status))
    assert client.wait_for_operation(OPERATION, timeout=60, interval=3)["status"] == "done"
    assert clock.sleeps == [3, 3]
    assert [(c.method, c.url) for c in api.calls()] == [("GET", OPERATION)] * 3
    assert api.calls()[0].headers["Authorization"] == "Bearer " + api.bearer


def test_operation_first_poll_after_first_poll_seconds(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("running"))
    api.add("GET", OPERATION, json=operation("done"))
    assert client.wait_for_operation(OPERATION, timeout=60, interval=2, first_poll=2)["status"] == "done"
    assert clock.sleeps == [2, 2] and len(api.calls()) == 2


def test_operation_first_poll_delay_never_passes_the_deadline(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("running"))
    with pytest.raises(ScalingoTimeoutError, match="still running after 1 s"):
        client.wait_for_operation(OPERATION, timeout=1, interval=2, first_poll=2)
    assert clock.sleeps == [1] and len(api.calls()) == 1


def test_operation_location_on_another_host_uses_the_api_base(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("done"))
    client.wait_for_operation("http://internal.example.test:8080/v1/apps/my-app/operations/op-1")
    client.wait_for_operation("/apps/my-app/operations/op-1")
    assert [c.url for c in api.calls()] == [OPERATION, OPERATION]
    assert client.operation_url("my-app", "op-1") == OPERATION


def test_operation_ending_in_error(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("running"))
    api.add("GET", OPERATION, json=operation("error", error="container web-1 failed to start"))
    with pytest.raises(ScalingoOperationError) as info:
        client.wait_for_operation(OPERATION, interval=2)
    assert str(info.value) == "operation op-1 (scale) failed: container web-1 failed to start"
    assert info.value.operation["status"] == "error"
    assert info.value.to_dict()["operation"]["error"] == "container web-1 failed to start"


def test_operation_timeout_never_sleeps_past_the_deadline(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("pending"))
    api.add("GET", OPERATION, json=operation("running"))
    with pytest.raises(ScalingoTimeoutError) as info:
        client.wait_for_operation(OPERATION, timeout=5, interval=2)
    assert clock.sleeps == [2, 2, 1]
    assert len(api.calls()) == 4
    assert str(info.value) == ("operation op-1 (scale) still running after 5 s; it goes on on the platform: "
                               "check it with scalingo.cloud.scalingo_app_info or wait longer (wait_timeout)")
    assert info.value.operation["status"] == "running"


def test_operation_timeout_zero_polls_once(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("pending"))
    with pytest.raises(ScalingoTimeoutError, match="still pending after 0 s"):
        client.wait_for_operation(OPERATION, timeout=0)
    assert clock.sleeps == [] and len(api.calls()) == 1


def test_flat_operation_body(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json={"id": "op-1", "type": "restart", "status": "done"})
    assert client.wait_for_operation(OPERATION)["type"] == "restart"


def test_request_count_counts_every_send(api, client):
    api.add("GET", "/apps", json={"error": "x"}, status=503)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert client.request_count == 3


def test_max_retries_bounds_network_and_http_retries_together(api, make_client, sleeps):
    client = make_client(max_retries=3)
    api.add("GET", "/apps", body=requests.exceptions.ReadTimeout("read timed out"))
    api.add("GET", "/apps", body="<html>bad gateway</html>", status=502)
    api.add("GET", "/apps", body=requests.exceptions.ConnectionError("reset"))
    api.add("GET", "/apps", json={"error": "unavailable"}, status=503)
    with pytest.raises(ScalingoAPIError, match=r"\(503\): unavailable; gave up after 3 retries"):
        client.get("/apps")
    assert len(api.calls()) == 4 and sleeps == [1.0, 2.0, 4.0]


def test_truncated_answer_on_patch_is_not_retried(api, client):
    api.add("PATCH", "/apps/my-app", body=requests.exceptions.ChunkedEncodingError("connection broken"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.patch("/apps/my-app", json={"app": {"force_https": True}})
    assert info.value.outcome_unknown is True
    assert str(info.value).startswith("PATCH /v1/apps/my-app connection failed")
    assert len(api.calls()) == 1


def test_unsendable_request(api, client):
    api.add("GET", "/apps", body=requests.exceptions.InvalidHeader("bad header"))
    with pytest.raises(ScalingoConnectionError, match="GET /v1/apps could not be sent: bad header"):
        client.get("/apps")
    assert len(api.calls()) == 1


@pytest.mark.parametrize("method, retried", [("GET", True), ("HEAD", True), ("POST", False), ("PATCH", False),
                                             ("PUT", False), ("DELETE", False)])
def test_request_retry_safety_by_method(api, client, sleeps, method, retried):
    api.add(method, "/apps/my-app", body="", status=503)
    api.add(method, "/apps/my-app", body="")
    if retried:
        assert client.request(method.lower(), "/apps/my-app").status == 200
    else:
        with pytest.raises(ScalingoAPIError, match=r"\(503\)"):
            client.request(method, "/apps/my-app")
    assert [c.method for c in api.calls()] == [method] * (2 if retried else 1)


def test_operation_poll_retries_stop_at_the_deadline(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json=operation("running"))
    api.add("GET", OPERATION, body="Retry later", status=429, headers={"Retry-After": "60"})
    with pytest.raises(ScalingoTimeoutError) as info:
        client.wait_for_operation(OPERATION, timeout=10, interval=4)
    assert clock.sleeps == [4, 6]   # the 60 s Retry-After is cut at the deadline
    assert len(api.calls()) == 3
    assert str(info.value).startswith("operation op-1 (scale) still running after 10 s")
    assert client._deadline is None
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")


def test_operation_first_poll_refused(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", OPERATION, json={"error": "forbidden"}, status=403)
    with pytest.raises(ScalingoAPIError, match=r"\(403\): forbidden"):
        client.wait_for_operation(OPERATION)
