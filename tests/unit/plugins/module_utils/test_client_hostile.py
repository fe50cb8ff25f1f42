# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile answers and hostile hosts, at the HTTP layer: rate-limit answers that would make the client
spin, trickled bodies, bodies that are not the API's, redirects, foreign or shared cache folders, bad
numbers and names, tokens that cannot be tokens, unreachable services."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import socket
import stat
import threading
import time

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
except ImportError:  # pragma: no cover
    pass

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.scalingo.cloud.plugins.module_utils import client as client_module
from ansible_collections.scalingo.cloud.plugins.module_utils import one_off
from ansible_collections.scalingo.cloud.plugins.module_utils.ansible_scalingo import common_option_errors
from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    ScalingoAPIError,
    ScalingoClient,
    ScalingoConnectionError,
    ScalingoError,
    ScalingoResponseError,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import (
    app_name_error,
    container_size_error,
    container_type_error,
    email_error,
    env_errors,
    region_error,
)
from ansible_collections.scalingo.cloud.plugins.modules import (
    scalingo_app,
    scalingo_app_info,
    scalingo_one_off,
    scalingo_restart,
    scalingo_scale,
)
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE, API_TOKEN, EXCHANGE_URL, make_jwt


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_client(sleeps):
    def make(**kwargs):
        kwargs.setdefault("sleep", sleeps.append)
        client = ScalingoClient(kwargs.pop("api_token", API_TOKEN), **kwargs)
        client.random = lambda: 1.0
        return client
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def refused(url="/v1/apps"):
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, url, reason))


# ---------------------------------------------------------------------------------- case 1: 429 loops


# a fixed date in the past (a date computed at collection would differ between pytest-xdist workers)
@pytest.mark.parametrize("retry_after", ["0", "Wed, 21 Oct 2015 07:28:00 GMT"], ids=["zero", "past-date"])
def test_429_retry_after_zero_or_past_date_backs_off_from_one_second(api, make_client, sleeps, retry_after):
    client = make_client(rate_limit_wait=10)
    api.add("GET", "/apps", body="Retry later", status=429, headers={"Retry-After": retry_after})
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps")
    assert sleeps == [1.0, 2.0, 4.0]   # floor of 1 s, then backoff; the next pause (8 s) would pass 10 s
    assert len(api.calls()) == 4
    assert "(429)" in str(info.value) and "still refused after 3 retries" in str(info.value)


def test_429_budget_counts_the_time_the_requests_take(api, make_client, clock):
    """Slow 429 answers: the budget is the time since the first refusal, not the sum of the pauses."""
    client = make_client(rate_limit_wait=10, sleep=clock.sleep)

    def slow_refusal(request):
        clock.now += 3   # each answer takes 3 s
        return 429, {"Retry-After": "1"}, "Retry later"

    api.mock.add_callback(responses.GET, API_BASE + "/apps", callback=slow_refusal)
    with pytest.raises(ScalingoAPIError):
        client.get("/apps")
    assert clock.sleeps == [1.0, 1.0]
    assert len(api.calls()) == 3   # 0 s, 4 s, 8 s: a fourth send would end past 10 s


def test_429_never_outlives_the_operation_deadline(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    api.add("GET", "/apps/my-app/operations/op-1", body="Retry later", status=429, headers={"Retry-After": "0"})
    with pytest.raises(ScalingoAPIError):
        client.wait_for_operation(API_BASE + "/apps/my-app/operations/op-1", timeout=5, interval=1)
    assert sum(clock.sleeps) <= 5
    assert len(api.calls()) <= 4


def test_time_behind_the_rate_limit_warns_once_with_the_total(api, client, sleeps):
    for dummy in range(3):
        api.add("GET", "/apps", body="Retry later", status=429, headers={"Retry-After": "1"})
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert client.warnings == []          # 3 s: no warning yet
    api.add("GET", "/apps/my-app", body="Retry later", status=429, headers={"Retry-After": "3"})
    api.add("GET", "/apps/my-app", json={"app": {"name": "my-app"}})
    client.get("/apps/my-app")
    api.add("GET", "/apps/other-app", body="Retry later", status=429, headers={"Retry-After": "3"})
    api.add("GET", "/apps/other-app", json={"app": {"name": "other-app"}})
    assert client.warnings[0].startswith("6 s were spent")
    client.get("/apps/other-app")
    assert sleeps == [1.0, 1.0, 1.0, 3.0, 3.0]
    assert len(client.warnings) == 1
    assert client.warnings[0].startswith("9 s were spent waiting behind the API rate limit (429 answers")


# ---------------------------------------------------------------------------- case 2: trickled body


class _Trickle(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"apps": [{"name": "x" * 10}] * 4}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for index in range(len(body)):
                self.wfile.write(body[index:index + 1])
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def trickle_server():
    server = HTTPServer(("127.0.0.1", 0), _Trickle)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_timeout_bounds_a_trickled_body(make_client, trickle_server, sleeps):
    client = make_client(api_url=trickle_server, timeout=1, max_retries=0, bearer_cache=False)
    client._remember(make_jwt(), time.time() + 3600)
    started = time.monotonic()
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert time.monotonic() - started < 2.5     # the body alone takes 60 x 0.2 s = 12 s
    assert "GET /v1/apps timed out" in str(info.value)
    assert "within 1 s" in str(info.value)


def test_a_body_read_in_pieces_is_whole(api, client):
    apps = [{"name": "app-%04d" % n} for n in range(5000)]   # well over one read
    api.add("GET", "/apps", json={"apps": apps})
    assert client.get("/apps").json == {"apps": apps}


# ------------------------------------------------------------------------------ case 3, 4: cache folder


def _bearer_in_memory_only(api, client, folder):
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert len(client.warnings) == 1 and "kept in memory only" in client.warnings[0]
    assert [n for n in os.listdir(str(folder)) if n.endswith((".json", ".lock"))] == []


def test_cache_folder_of_another_user_is_refused(api, make_client, tmp_path, monkeypatch):
    folder = tmp_path / "theirs"
    folder.mkdir()
    os.chmod(str(folder), 0o755)
    monkeypatch.setattr(client_module.os, "geteuid", lambda: os.stat(str(folder)).st_uid + 1)
    client = make_client(cache_dir=str(folder))
    _bearer_in_memory_only(api, client, folder)
    assert "belongs to another user" in client.warnings[0]
    assert stat.S_IMODE(os.stat(str(folder)).st_mode) == 0o755   # never chmod-ed


def test_cache_folder_writable_by_others_is_refused_not_chmodded(api, make_client, tmp_path):
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(str(folder), 0o777)
    client = make_client(cache_dir=str(folder))
    _bearer_in_memory_only(api, client, folder)
    assert "other users may write in the folder (mode 0777)" in client.warnings[0]
    assert stat.S_IMODE(os.stat(str(folder)).st_mode) == 0o777


def test_shared_sticky_folder_gets_a_private_subfolder(api, make_client, tmp_path):
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    client = make_client(cache_dir=str(shared))
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert stat.S_IMODE(os.stat(str(shared)).st_mode) == 0o1777   # the shared folder is left alone
    private = shared / ("scalingo.cloud-%d" % os.geteuid())
    assert stat.S_IMODE(os.lstat(str(private)).st_mode) == 0o700
    files = [n for n in os.listdir(str(private)) if n.endswith(".json")]
    assert len(files) == 1 and stat.S_IMODE(os.stat(str(private / files[0])).st_mode) == 0o600
    assert client.warnings == []
    again = make_client(cache_dir=str(shared))
    again.get("/apps")
    assert len(api.exchanges()) == 1


def test_planted_private_subfolder_link_is_refused(api, make_client, tmp_path):
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    os.symlink(str(elsewhere), str(shared / ("scalingo.cloud-%d" % os.geteuid())))
    client = make_client(cache_dir=str(shared))
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(client.warnings) == 1 and "is not a private folder of this user" in client.warnings[0]
    assert os.listdir(str(elsewhere)) == []


def test_own_folder_is_used_without_changing_its_mode(api, client, cache_dir):
    os.makedirs(str(cache_dir))
    os.chmod(str(cache_dir), 0o755)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert stat.S_IMODE(os.stat(str(cache_dir)).st_mode) == 0o755
    assert client.warnings == []


def test_created_folder_is_0700(api, client, cache_dir):
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert stat.S_IMODE(os.stat(str(cache_dir)).st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o666, 0o644, 0o620])
def test_cache_file_others_could_write_or_read_is_not_trusted(api, client, cache_dir, mode):
    os.makedirs(str(cache_dir), 0o700)
    planted = make_jwt(expires_in=3600)
    with open(client._cache_path(), "w") as handle:
        json.dump({"bearer": planted, "expires_at": time.time() + 3600}, handle)
    os.chmod(client._cache_path(), mode)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert api.calls()[0].headers["Authorization"] == "Bearer " + api.bearer != "Bearer " + planted
    assert stat.S_IMODE(os.stat(client._cache_path()).st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root")
def test_cache_file_of_another_user_is_not_trusted(api, client, cache_dir):
    os.makedirs(str(cache_dir), 0o700)
    planted = make_jwt(expires_in=3600)
    with open(client._cache_path(), "w") as handle:
        json.dump({"bearer": planted, "expires_at": time.time() + 3600}, handle)
    os.chmod(client._cache_path(), 0o600)
    os.chown(client._cache_path(), 4242, 4242)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert api.calls()[0].headers["Authorization"] == "Bearer " + api.bearer != "Bearer " + planted
    assert os.stat(client._cache_path()).st_uid == 0


def test_cache_file_symlink_is_not_followed(api, client, cache_dir, tmp_path):
    os.makedirs(str(cache_dir), 0o700)
    target = tmp_path / "planted.json"
    target.write_text(json.dumps({"bearer": make_jwt(), "expires_at": time.time() + 3600}))
    os.chmod(str(target), 0o600)
    os.symlink(str(target), client._cache_path())
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert not os.path.islink(client._cache_path())   # replaced by the client's own file


def test_lock_symlink_is_not_followed(api, client, cache_dir, tmp_path):
    os.makedirs(str(cache_dir), 0o700)
    target = tmp_path / "created-through-the-link"
    os.symlink(str(target), client._cache_path()[:-5] + ".lock")
    _bearer_in_memory_only_keep_link(api, client)
    assert not target.exists()


def _bearer_in_memory_only_keep_link(api, client):
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    assert len(api.exchanges()) == 1
    assert len(client.warnings) == 1 and "kept in memory only" in client.warnings[0]


# ------------------------------------------------------------------ case 5, 6: answers not the API's


HTML = "<html><head><title>Portal</title></head><body>Please log in</body></html>"


def test_200_html_page_is_an_error_naming_status_and_content_type(api, client):
    api.add("GET", "/apps/my-app", body=HTML, headers={"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(ScalingoResponseError) as info:
        client.get("/apps/my-app")
    message = str(info.value)
    assert message.startswith("Scalingo API answered GET /v1/apps/my-app with 200 and a body that is not JSON "
                              "(content type text/html; charset=utf-8, %d bytes: '<html>" % len(HTML))
    assert "a proxy or a captive portal" in message and "check api_url or SCALINGO_API_URL" in message
    assert info.value.to_dict()["status"] == 200 and info.value.outcome_unknown is False


def test_truncated_json_is_an_error(api, client):
    api.add("GET", "/apps/my-app", body='{"app": {"name": "my-', headers={"Content-Type": "application/json"})
    expected = r"with 200 and a body that is not JSON \(content type application/json, 21 bytes"
    with pytest.raises(ScalingoResponseError, match=expected):
        client.get("/apps/my-app")


def test_html_answer_to_a_write_says_the_outcome_is_unknown(api, client):
    api.add("POST", "/apps", body=HTML, status=201, headers={"Content-Type": "text/html"})
    with pytest.raises(ScalingoResponseError) as info:
        client.post("/apps", json={"app": {"name": "my-app"}})
    assert info.value.outcome_unknown is True
    assert "the request may have been processed" in str(info.value)
    assert len(api.calls()) == 1


def test_text_endpoint_may_opt_out_of_the_json_check(api, client):
    api.add("GET", "/apps/my-app/logs-text", body="2026-01-01 web-1 started", headers={"Content-Type": "text/plain"})
    assert client.get("/apps/my-app/logs-text", expect_json=False).text == "2026-01-01 web-1 started"
    with pytest.raises(ScalingoResponseError):
        client.get("/apps/my-app/logs-text")


def test_empty_success_bodies_are_fine(api, client):
    api.add("POST", "/apps/my-app/restart", status=202, body="")
    api.add("DELETE", "/apps/my-app", status=204, body="")
    assert client.post("/apps/my-app/restart", json={}).json is None
    assert client.delete("/apps/my-app").status == 204


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_is_never_followed_nor_success(api, client, status):
    api.add("GET", "/apps/my-app", status=status, body="", headers={"Location": "http://evil.example:8081/v1/apps"})
    api.mock.add(responses.GET, "http://evil.example:8081/v1/apps", json={"apps": []})
    with pytest.raises(ScalingoResponseError) as info:
        client.get("/apps/my-app")
    assert str(info.value) == ("Scalingo API answered GET /v1/apps/my-app with a redirect (%d) to evil.example:8081; "
                               "redirects are not followed, so that the bearer goes to no other host: check "
                               "api_url or SCALINGO_API_URL" % status)
    assert info.value.to_dict()["location"] == "evil.example:8081"
    assert [c.url for c in api.calls()] == [API_BASE + "/apps/my-app"]


def test_redirect_of_the_token_exchange(api, client):
    api.mock.replace(responses.POST, EXCHANGE_URL, status=302, body="", headers={"Location": "https://elsewhere.example/x"})
    with pytest.raises(ScalingoResponseError, match=r"^Scalingo auth service answered POST /v1/tokens/exchange with "
                                                    r"a redirect \(302\) to elsewhere.example; .* check auth_url"):
        client.get("/apps")


# -------------------------------------------------------------------------------- module level: 5, 7, 8


def test_scalingo_app_does_not_report_ok_on_an_html_page(api, run_module):
    api.add("GET", "/apps/my-app", body=HTML, headers={"Content-Type": "text/html"})
    result = run_module(scalingo_app, dict(name="my-app"))
    assert result["failed"] and not result.get("changed")
    assert "with 200 and a body that is not JSON (content type text/html" in result["msg"]
    assert [c.method for c in api.calls()] == ["GET"]


def test_scalingo_app_info_fails_clearly_on_truncated_json(api, run_module):
    api.add("GET", "/apps/my-app", body='{"app": {"na', headers={"Content-Type": "application/json"})
    result = run_module(scalingo_app_info, dict(name="my-app"))
    assert result["failed"]
    assert "body that is not JSON (content type application/json" in result["msg"]
    assert result["failure"]["type"] == "ScalingoResponseError"


@pytest.mark.parametrize("module, args", [
    (scalingo_app_info, dict(name="my-app", timeout=float("nan"))),
    (scalingo_app_info, dict(name="my-app", timeout=float("inf"))),
    (scalingo_scale, dict(app="my-app", containers=[dict(name="web", amount=2)], poll_interval=float("nan"))),
    (scalingo_scale, dict(app="my-app", containers=[dict(name="web", amount=2)], poll_interval=float("inf"))),
    (scalingo_restart, dict(app="my-app", timeout=1e309)),
    (scalingo_one_off, dict(app="my-app", command="env", timeout=float("-inf"))),
    (scalingo_restart, dict(app="my-app", wait_timeout=float("inf"))),
    (scalingo_scale, dict(app="my-app", containers=[dict(name="web", amount=2)], wait_timeout=float("-inf"))),
    (scalingo_one_off, dict(app="my-app", command="env", run_timeout=float("inf"))),
])
def test_non_finite_numbers_are_refused_before_any_request(api, run_module, module, args):
    result = run_module(module, args)
    assert result["failed"]
    option = [name for name in ("timeout", "wait_timeout", "poll_interval", "run_timeout") if name in args][0]
    if option in ("wait_timeout", "run_timeout") and "unable to convert to int" in result["msg"]:
        # ansible-core before 2.19 refuses a non-finite value of an int option itself, naming the option
        assert "'%s'" % option in result["msg"]
    else:
        assert result["msg"].startswith("%s: " % option) and "is not a finite number of seconds" in result["msg"]
    assert api.all_calls() == []


@pytest.mark.parametrize("params, expected", [
    (dict(timeout=float("nan")), "timeout: nan is not a finite number of seconds"),
    (dict(timeout=float("inf")), "timeout: inf is not a finite number of seconds"),
    (dict(timeout=7200), "timeout: must be at most 3600 seconds"),
    (dict(wait_timeout=float("nan")), "wait_timeout: nan is not a finite number of seconds"),
    (dict(wait_timeout=float("inf")), "wait_timeout: inf is not a finite number of seconds"),
    (dict(wait_timeout=-1), "wait_timeout: must be 0 or more seconds"),
    (dict(poll_interval=float("nan")), "poll_interval: nan is not a finite number of seconds"),
    (dict(poll_interval=0), "poll_interval: must be greater than 0 seconds"),
    (dict(run_timeout=float("nan")), "run_timeout: nan is not a finite number of seconds"),
    (dict(run_timeout=float("inf")), "run_timeout: inf is not a finite number of seconds"),
    (dict(run_timeout=0), "run_timeout: must be greater than 0 seconds"),
])
def test_number_options_finite_and_in_range(params, expected):
    params = dict(params, api_token=API_TOKEN)
    assert common_option_errors(params) == [expected]


@pytest.mark.parametrize("module, args, option", [
    (scalingo_restart, dict(app="my-app", wait_timeout=float("nan")), "wait_timeout"),
    (scalingo_one_off, dict(app="my-app", command="env", run_timeout=float("nan")), "run_timeout"),
])
def test_nan_in_an_int_option_is_refused_by_ansible_before_any_request(api, run_module, module, args, option):
    result = run_module(module, args)
    assert result["failed"] and option in result["msg"]
    assert api.all_calls() == []


def test_number_options_in_range_pass():
    assert common_option_errors(dict(api_token=API_TOKEN, timeout=0.5, wait_timeout=0, poll_interval=0.1,
                                     run_timeout=3600)) == []


@pytest.mark.parametrize("check, value", [
    (app_name_error, "my-app\n"),
    (app_name_error, "my-app\r\n"),
    (region_error, "osc-fr1\n"),
    (container_size_error, "M\n"),
    (container_type_error, "web\n"),
    (lambda value: email_error(value, "owner"), "user@example.com\n"),
])
def test_validators_match_the_whole_string(check, value):
    assert check(value) is not None
    assert check(value.rstrip()) is None


def test_env_key_with_a_newline_is_refused():
    assert env_errors({"VALID\n": "x"}) == [
        "env: 'VALID\\n' is not a valid environment variable name: letters, digits and underscores, "
        "not starting with a digit"]
    assert env_errors({"VALID": "x"}) == []


@pytest.mark.parametrize("module, args", [
    (scalingo_app, dict(name="my-app\n")),
    (scalingo_app_info, dict(name="my-app\n")),
    (scalingo_scale, dict(app="my-app\n", containers=[dict(name="web", amount=2)])),
    (scalingo_restart, dict(app="my-app\n")),
    (scalingo_one_off, dict(app="my-app\n", command="env")),
    (scalingo_one_off, dict(app="my-app", command="env", env={"VALID\n": "x"})),
])
def test_trailing_newline_in_a_name_is_refused_by_every_module(api, run_module, module, args):
    result = run_module(module, args)
    assert result["failed"]
    assert "'my-app\\n' is not a valid Scalingo app name" in result["msg"] or "'VALID\\n'" in result["msg"]
    assert api.all_calls() == []


# -------------------------------------------------------------------------- case 9: 401 on /wait


def test_401_on_wait_re_exchanges_and_reads_the_exit_code_again(api, client):
    api.add("GET", "http://127.0.0.1:5000/tok/wait", json={"error": "unauthorized"}, status=401)
    api.add("GET", "http://127.0.0.1:5000/tok/wait", json={"exit_code": 0})
    assert one_off.exit_status(client, "http://127.0.0.1:5000/tok") == 0
    assert len(api.exchanges()) == 2
    first, second = api.calls()
    assert first.headers["Authorization"] == "Basic " + base64.b64encode((":" + api.bearers[0]).encode()).decode()
    assert second.headers["Authorization"] == "Basic " + base64.b64encode((":" + api.bearers[1]).encode()).decode()


def test_second_401_on_wait_fails(api, client):
    api.add("GET", "http://127.0.0.1:5000/tok/wait", json={"error": "unauthorized"}, status=401)
    with pytest.raises(one_off.OneOffError, match=r"refused the exit status request \(401\)"):
        one_off.exit_status(client, "http://127.0.0.1:5000/tok")
    assert len(api.calls()) == 2 and len(api.exchanges()) == 2


# ------------------------------------------------------------------------- case 10, 17.5: the token


@pytest.mark.parametrize("token", [u"tk-us-\u00e9t\u00e9-token", u"tk-us-\u2603-token", "tk-us-two words"])
def test_token_outside_printable_ascii_names_api_token(api, token, run_module):
    with pytest.raises(ScalingoError, match=r"^api_token: the API token holds characters an API token never has"):
        ScalingoClient(token)
    result = run_module(scalingo_app_info, dict(name="my-app", api_token=token))
    assert result["failed"] and result["msg"].startswith("api_token: the API token holds characters")
    assert token not in result["msg"]
    assert api.all_calls() == []


def test_token_whitespace_is_stripped(api, make_client, run_module):
    client = make_client(api_token=" %s\n" % API_TOKEN)
    api.add("GET", "/apps", json={"apps": []})
    client.get("/apps")
    expected = "Basic " + base64.b64encode((":" + API_TOKEN).encode()).decode()
    assert api.exchanges()[0].headers["Authorization"] == expected
    api.add("GET", "/apps/my-app", json={"app": {"name": "my-app", "id": "a1"}})
    result = run_module(scalingo_app_info, dict(name="my-app", api_token=API_TOKEN + "\n", bearer_cache=False))
    assert not result["failed"]
    assert api.exchanges()[-1].headers["Authorization"] == expected


def test_blank_token_is_missing(run_module, api):
    result = run_module(scalingo_app_info, dict(name="my-app", api_token=" \n"))
    assert result["failed"] and result["msg"].startswith("api_token: no API token given")


def test_base64_echo_of_the_token_is_masked(api, client):
    echoed = base64.b64encode((":" + API_TOKEN).encode()).decode()
    api.mock.replace(responses.POST, EXCHANGE_URL, status=401, json={"error": "invalid credentials " + echoed})
    with pytest.raises(ScalingoAPIError) as info:
        client.get("/apps")
    assert echoed.rstrip("=") not in str(info.value) and API_TOKEN not in str(info.value)
    assert "********" in str(info.value)


# ------------------------------------------------------------------------ 17.5: unreachable services


def test_refused_connection_message_is_whole_and_short(api, client, sleeps):
    api.add("GET", "/apps", body=refused())
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert str(info.value) == ("cannot connect to https://api.osc-fr1.scalingo.com (connection refused); "
                               "check api_url or SCALINGO_API_URL")
    assert len(sleeps) == 2 and len(api.calls()) == 3


def test_unknown_host_message(api, client, sleeps):
    reason = NameResolutionError("api.osc-fr1.scalingo.com", None, socket.gaierror(-2, "Name or service not known"))
    api.add("GET", "/apps", body=requests.exceptions.ConnectionError(MaxRetryError(None, "/v1/apps", reason)))
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert str(info.value) == ("cannot connect to https://api.osc-fr1.scalingo.com (host name not found); "
                               "check api_url or SCALINGO_API_URL")


def test_refused_connection_on_a_real_socket(make_client, sleeps):
    client = make_client(api_url="http://127.0.0.1:9", bearer_cache=False)
    client._remember(make_jwt(), time.time() + 3600)
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert str(info.value) == ("cannot connect to http://127.0.0.1:9 (connection refused); "
                               "check api_url or SCALINGO_API_URL")
    assert len(sleeps) == 2


def test_auth_unreachable_with_api_url_set_says_auth_url_is_probably_missing(api, make_client, sleeps):
    client = make_client(api_url="http://127.0.0.1:8080")
    api.mock.replace(responses.POST, EXCHANGE_URL, body=refused("/v1/tokens/exchange"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert str(info.value) == (
        "cannot connect to https://auth.scalingo.com (connection refused); check auth_url or SCALINGO_AUTH_URL; "
        "api_url is set but auth_url is left at its default https://auth.scalingo.com: auth_url "
        "(SCALINGO_AUTH_URL) is probably missing")


def test_auth_unreachable_with_auth_url_given_has_no_default_hint(api, make_client, sleeps):
    client = make_client(api_url="http://127.0.0.1:8080", auth_url="https://auth.scalingo.com")
    api.mock.replace(responses.POST, EXCHANGE_URL, body=refused("/v1/tokens/exchange"))
    with pytest.raises(ScalingoConnectionError) as info:
        client.get("/apps")
    assert str(info.value) == ("cannot connect to https://auth.scalingo.com (connection refused); "
                               "check auth_url or SCALINGO_AUTH_URL")


# --------------------------------------------------------------------------- case 12: advisory items


def test_short_lived_bearer_is_not_exchanged_at_every_request(api, make_client):
    client = make_client(bearer_cache=False)
    now = int(time.time())
    short = make_jwt(expires_in=120, iat=now)
    api.mock.replace(responses.POST, EXCHANGE_URL, json={"token": short})
    api.add("GET", "/apps", json={"apps": []})
    for dummy in range(3):
        client.get("/apps")
    assert len(api.exchanges()) == 1
    assert client_module.refresh_margin(short, now + 120) == 30
    assert client_module.refresh_margin(make_jwt(expires_in=3600, iat=now), now + 3600) == 300
    assert client_module.refresh_margin(make_jwt(expires_in=3600), now + 3600) == 300


def test_endless_next_page_fails_clearly(api, client, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PAGES", 5)

    def page(request):
        number = int(request.params.get("page", 1))
        return 200, {}, json.dumps({"apps": [{"name": "app-%d" % number}],
                                    "meta": {"pagination": {"next_page": number + 1}}})

    api.mock.add_callback(responses.GET, API_BASE + "/apps", callback=page)
    with pytest.raises(ScalingoError, match=r"^GET /v1/apps: the API still named a next page after 5 pages"):
        list(client.paginate("/apps", "apps"))
    assert len(api.calls()) == 5


def test_operation_404_while_polled_is_unknown_with_a_warning(api, make_client, clock):
    client = make_client(sleep=clock.sleep)
    url = API_BASE + "/apps/my-app/operations/op-1"
    api.add("GET", url, json={"operation": {"id": "op-1", "status": "running", "type": "scale"}})
    api.add("GET", url, json={"resource": "operation", "error": "not found"}, status=404)
    operation = client.wait_for_operation(url, interval=1)
    assert operation == {"id": "op-1", "status": "unknown", "type": "scale"}
    assert len(client.warnings) == 1
    assert client.warnings[0].startswith("operation op-1 answered 404 while it was followed")


def test_scale_whose_operation_answers_404_is_changed_with_a_warning(api, run_module, clock):
    api.add("GET", "/apps/my-app/containers", json={"containers": [{"name": "web", "amount": 1, "size": "M"}]})
    api.add("GET", "/apps/my-app/autoscalers", json={"autoscalers": []})
    api.add("POST", "/apps/my-app/scale", status=202,
            json={"containers": [{"name": "web", "amount": 2, "size": "M"}]},
            headers={"Location": API_BASE + "/apps/my-app/operations/op-1"})
    api.add("GET", "/apps/my-app/operations/op-1", json={"resource": "operation", "error": "not found"}, status=404)
    result = run_module(scalingo_scale, dict(app="my-app", containers=[dict(name="web", amount=2)]))
    assert not result["failed"] and result["changed"] is True
    assert result["operation"]["status"] == "unknown"
    assert any("answered 404 while it was followed" in w for w in result["warnings"])


# ------------------------------------------------------------------ case 11: short plain env values


def test_short_plain_env_value_does_not_mask_the_one_off_id(api, run_module, monkeypatch):
    modules = []
    original = basic.AnsibleModule.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        modules.append(self)

    monkeypatch.setattr(basic.AnsibleModule, "__init__", keep)
    container = {"id": "ct-2b2", "label": "one-off-2", "type": "one-off", "type_index": 2}
    api.add("GET", "/apps/my-app", json={"app": {"name": "my-app", "id": "a2"}})
    api.add("POST", "/apps/my-app/run", json={"container": container, "operation": "6b0ceff07fdedc1902223eae0c"})
    result = run_module(scalingo_one_off, dict(app="my-app", command="env", detached=True,
                                               env={"WEB_CONCURRENCY": 2}))
    masked = remove_values(result, modules[-1].no_log_values)
    assert not masked["failed"]
    assert "6b0ceff07fdedc1902223eae0c" in json.dumps(masked)
    assert "ct-2b2" in json.dumps(masked)
