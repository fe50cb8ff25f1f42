# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import ansible_scalingo
from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import (
    COMMON_OPTIONS,
    make_diff,
    operation_result,
    run_module,
    scalingo_argument_spec,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError, ScalingoClient
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE, API_TOKEN, API_URL

OPERATION = "https://api.osc-fr1.scalingo.com/v1/apps/my-app/operations/op-1"


class AppModule:
    """A small module on the glue: reads an app, optionally waits for an operation, reports a diff."""

    seen = None

    @classmethod
    def logic(cls, scalingo):
        cls.seen = scalingo
        app = scalingo.client.get("/apps/%s" % scalingo.module.params["name"]).json["app"]
        result = dict(scalingo_app=app)
        if scalingo.module.params.get("location"):
            result["operation"] = scalingo.wait_for_operation(scalingo.module.params["location"])
        scalingo.exit(True, diff=make_diff({"force_https": False}, {"force_https": True}), **result)

    @classmethod
    def main(cls):
        run_module(dict(name=dict(type="str", required=True), location=dict(type="str")), cls.logic)


def app_answer(api, **extra):
    api.add("GET", "/apps/my-app", json={"app": dict({"name": "my-app", "force_https": False}, **extra)})


def test_module_runs_and_reports(api, run_module):
    app_answer(api)
    result = run_module(AppModule, {"name": "my-app"})
    assert result["failed"] is False and result["changed"] is True
    assert result["scalingo_app"] == {"name": "my-app", "force_https": False}
    assert "diff" not in result
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/my-app")]
    assert AppModule.seen.check_mode is False and AppModule.seen.diff_mode is False


def test_diff_only_in_diff_mode_and_check_mode_flag(api, run_module):
    app_answer(api)
    result = run_module(AppModule, {"name": "my-app"}, check_mode=True, diff=True)
    assert result["diff"] == {"before": {"force_https": False}, "after": {"force_https": True}}
    assert AppModule.seen.check_mode is True and AppModule.seen.diff_mode is True


def test_missing_token_names_option_and_variable(api, run_module):
    result = run_module(AppModule, {"name": "my-app", "api_token": None})
    assert result["failed"] is True
    assert "api_token" in result["msg"] and "SCALINGO_API_TOKEN" in result["msg"]
    assert api.all_calls() == []


def test_options_from_environment(api, run_module, monkeypatch):
    monkeypatch.setenv("SCALINGO_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("SCALINGO_API_URL", "http://127.0.0.1:8080/v1/")
    monkeypatch.setenv("SCALINGO_AUTH_URL", "http://127.0.0.1:8080")
    monkeypatch.setenv("SCALINGO_BEARER_CACHE", "false")
    api.mock.add("POST", "http://127.0.0.1:8080/v1/tokens/exchange", json={"token": "opaque-bearer-value"})
    api.add("GET", "http://127.0.0.1:8080/v1/apps/my-app", json={"app": {"name": "my-app"}})
    result = run_module(AppModule, {"name": "my-app", "api_token": None})
    assert result["failed"] is False
    assert [c.url for c in api.all_calls()] == ["http://127.0.0.1:8080/v1/tokens/exchange",
                                                "http://127.0.0.1:8080/v1/apps/my-app"]
    assert api.all_calls()[1].headers["Authorization"] == "Bearer opaque-bearer-value"
    assert AppModule.seen.client.bearer_cache is False


@pytest.mark.parametrize("args, message", [
    ({"api_url": "ftp://api.example.test"}, "api_url: 'ftp://api.example.test' is not an absolute http(s) URL"),
    ({"api_url": "api.example.test"}, "api_url: 'api.example.test' is not an absolute http(s) URL"),
    ({"auth_url": "https://"}, "auth_url: 'https://' is not an absolute http(s) URL"),
    ({"api_url": "http://api.example.test"},
     "api_url: http:// sends the token in clear text; use https://, a loopback address, or validate_certs=false"),
    ({"auth_url": "http://10.0.0.1:8080"}, "auth_url: http:// sends the token in clear text"),
    ({"region": "OSC FR1"}, "region: 'OSC FR1' is not a valid region name"),
    ({"timeout": 0}, "timeout: must be greater than 0 seconds"),
    ({"wait_timeout": -1}, "wait_timeout: must be 0 or more seconds"),
    ({"poll_interval": 0}, "poll_interval: must be greater than 0 seconds"),
])
def test_common_options_checked_before_any_request(api, run_module, args, message):
    result = run_module(AppModule, dict(args, name="my-app"))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api.all_calls() == []


@pytest.mark.parametrize("url, validate_certs", [
    ("http://127.0.0.1:8080", True), ("http://127.5.0.1", True), ("http://[::1]:8080/v1", True),
    ("http://localhost:8080", True), ("http://sim.example.test:8080", False), ("https://api.example.test/", True),
])
def test_accepted_urls(api, run_module, url, validate_certs):
    base = url.rstrip("/")
    base = base[:-3] if base.endswith("/v1") else base
    api.mock.add("POST", base + "/v1/tokens/exchange", json={"token": "opaque-bearer-value"})
    api.add("GET", base + "/v1/apps/my-app", json={"app": {"name": "my-app"}})
    result = run_module(AppModule, {"name": "my-app", "api_url": url, "auth_url": url,
                                    "validate_certs": validate_certs})
    assert result["failed"] is False, result["msg"]
    verify = api.mock.calls[-1].request.req_kwargs["verify"]
    assert (verify is not False) is validate_certs   # True, or the CA bundle of REQUESTS_CA_BUNDLE


def test_client_error_becomes_structured_failure_without_secrets(api, run_module):
    api.add("GET", "/apps/my-app", json={"resource": "app", "error": "not found " + API_TOKEN}, status=404)
    result = run_module(AppModule, {"name": "my-app"})
    assert result["failed"] is True
    assert result["msg"] == "Scalingo API refused GET /v1/apps/my-app (404): app not found ********"
    assert result["failure"]["status"] == 404 and result["failure"]["resource"] == "app"
    assert result["failure"]["path"] == "/v1/apps/my-app"
    dumped = json.dumps(result)
    assert API_TOKEN not in dumped and api.bearer not in dumped


def test_fail_scrubs_the_bearer(api, run_module):
    app_answer(api)

    class Leaky(AppModule):
        @classmethod
        def logic(cls, scalingo):
            bearer = scalingo.client.bearer()
            scalingo.fail("oops %s %s" % (bearer, API_TOKEN), detail=["x" + bearer])

    result = run_module(Leaky, {"name": "my-app"})
    assert result["msg"] == "oops ******** ********"
    assert result["detail"] == ["x********"]


def test_exit_scrubs_exact_secrets_only(api, run_module):
    class Echo(AppModule):
        @classmethod
        def logic(cls, scalingo):
            scalingo.exit(False, text=API_TOKEN, other="tk-us-%s" % ("Ab" * 12))

    result = run_module(Echo, {"name": "my-app"})
    assert result["text"] == "********" and result["other"] == "tk-us-" + "Ab" * 12


def test_wait_for_operation_uses_wait_options(api, run_module, clock):
    app_answer(api)
    for status in ("pending", "running", "running"):
        api.add("GET", OPERATION, json={"operation": {"id": "op-1", "type": "restart", "status": status}})
    result = run_module(AppModule, {"name": "my-app", "location": OPERATION, "wait_timeout": 7,
                                    "poll_interval": 3})
    assert result["failed"] is True
    assert result["msg"].startswith("operation op-1 (restart) still running after 7 s; it goes on")
    assert result["failure"]["type"] == "ScalingoTimeoutError"
    assert clock.sleeps == [3, 3, 1]


def test_wait_defaults(api, run_module, clock):
    app_answer(api)
    api.add("GET", OPERATION, json={"operation": {"id": "op-1", "type": "scale", "status": "pending"}})
    api.add("GET", OPERATION, json={"operation": {"id": "op-1", "type": "scale", "status": "done"}})
    result = run_module(AppModule, {"name": "my-app", "location": OPERATION})
    assert result["operation"]["status"] == "done"
    assert clock.sleeps == [2]


def test_requests_missing(api, run_module, monkeypatch):
    monkeypatch.setattr(ansible_scalingo, "HAS_REQUESTS", False)
    monkeypatch.setattr(ansible_scalingo, "REQUESTS_IMPORT_ERROR", "Traceback: no module named requests")
    result = run_module(AppModule, {"name": "my-app"})
    assert result["failed"] is True
    assert "requests" in result["msg"] and "Failed to import the required Python library" in result["msg"]
    assert result["exception"] == "Traceback: no module named requests"


def test_cache_warning_is_forwarded(api, run_module, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text(u"x")
    monkeypatch.setenv("SCALINGO_CACHE_DIR", str(blocker / "cache"))
    app_answer(api)
    result = run_module(AppModule, {"name": "my-app"})
    assert result["failed"] is False
    assert len(result["warnings"]) == 1 and "kept in memory only" in result["warnings"][0]


def test_argument_spec():
    common = scalingo_argument_spec()
    assert set(common) == {"api_token", "region", "api_url", "auth_url", "validate_certs", "timeout",
                           "bearer_cache", "wait", "wait_timeout", "poll_interval"}
    assert set(common) == set(COMMON_OPTIONS)
    assert common["api_token"]["no_log"] is True
    assert common["api_token"]["fallback"][1] == ["SCALINGO_API_TOKEN"]


def test_operation_result_has_one_shape(api):
    client = ScalingoClient(API_TOKEN, api_url=API_URL, bearer_cache=False)
    keys = {"id", "url", "type", "status", "error", "created_at", "finished_at"}
    url = API_BASE + "/apps/my-app/operations/op-1"
    full = operation_result(client, "my-app", {"id": "op-1", "type": "scale", "status": "done", "extra": 1,
                                               "created_at": "2026-01-01T00:00:00Z"})
    assert set(full) == keys and full["url"] == url and full["status"] == "done" and full["finished_at"] is None
    reference = operation_result(client, "my-app", {"id": "op-1", "url": "https://elsewhere/op-1"})
    assert set(reference) == keys and reference["url"] == "https://elsewhere/op-1" and reference["status"] is None
    bare = operation_result(client, "my-app", "op-1")
    assert set(bare) == keys and bare["id"] == "op-1" and bare["url"] == url
    assert operation_result(client, "my-app", None) is None
    assert api.calls() == []


class ScaleLike:
    """Reads the formation of an app, as modules acting on an app do, tolerating a missing app in check mode."""

    @staticmethod
    def logic(scalingo):
        app = scalingo.module.params["app"]
        try:
            scalingo.client.get("/apps/%s/containers" % app)
        except ScalingoAPIError as error:
            if not scalingo.app_missing_in_check_mode(error, app):
                raise
            scalingo.exit(True, predicted=True)
        scalingo.exit(False, predicted=False)

    @classmethod
    def main(cls):
        run_module(dict(app=dict(type="str", required=True)), cls.logic)


@pytest.mark.parametrize("check_mode", [True, False])
def test_app_missing_in_check_mode(api, run_module, check_mode):
    api.add("GET", "/apps/new-app/containers", status=404, json={"resource": "app", "error": "not found"})
    result = run_module(ScaleLike, {"app": "new-app"}, check_mode=check_mode)
    if check_mode:
        assert result["failed"] is False and result["changed"] is True and result["predicted"] is True
        assert len(result["warnings"]) == 1 and "app new-app does not exist (yet)" in result["warnings"][0]
    else:
        assert result["failed"] is True and result["failure"]["status"] == 404
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/new-app/containers")]


def test_other_404_fails_in_check_mode(api, run_module):
    api.add("GET", "/apps/new-app/containers", status=404, json={"error": "not found"})
    result = run_module(ScaleLike, {"app": "new-app"}, check_mode=True)
    assert result["failed"] is True and not result.get("warnings")


def test_make_diff():
    assert make_diff(None, {"a": 1, "b": 2}, keys=["a"]) == {"before": {}, "after": {"a": 1}}
    assert make_diff({"a": 1, "c": 3}, {"a": 2}, keys=["a", "b"]) == {
        "before": {"a": 1, "b": None}, "after": {"a": 2, "b": None}}
    assert make_diff({"a": 1}, None) == {"before": {"a": 1}, "after": {}}
