# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import json
import tarfile

import pytest
import requests

from ansible_collections.scalingo.cloud.plugins.module_utils.deployments import inspect_archive, pack_directory
from ansible_collections.scalingo.cloud.plugins.modules import scalingo_deployment
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE

try:
    from urllib.parse import parse_qs, urlsplit
except ImportError:  # pragma: no cover
    from urlparse import parse_qs, urlsplit  # type: ignore

APP = "my-app"
LIST = "/apps/my-app/deployments"
ONE = "/apps/my-app/deployments/d-1"
UPLOAD = "https://storage.example.com/v1/sources/src-1"
DOWNLOAD = "https://storage.example.com/v1/sources/src-1?token=download-token"
SOURCE = dict(upload_url=UPLOAD + "?token=upload-token", download_url=DOWNLOAD)
OUTPUT = "".join("line %d\n" % n for n in range(1, 31))


def deployment(status, git_ref="v1", id="d-1", **extra):
    item = dict(id=id, app_id="app-1", status=status, git_ref=git_ref, created_at="2026-11-30T10:00:00.000Z",
                pusher=dict(email="user@example.com"), links=dict(output=API_BASE + ONE + "/output"))
    item.update(extra)
    return item


def listed(*items):
    return dict(deployments=list(items), meta=dict(pagination=dict(current_page=1, next_page=None)))


@pytest.fixture
def deploy(api, run_module, clock):
    def run(check_mode=False, diff=False, **args):
        args.setdefault("app", APP)
        return run_module(scalingo_deployment, args, check_mode=check_mode, diff=diff)
    return run


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "app.tar.gz"
    with tarfile.open(str(path), "w:gz") as tar:
        content = b"web: ./run\n"
        info = tarfile.TarInfo("app/Procfile")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return str(path)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "src"
    path.mkdir()
    (path / "Procfile").write_text("web: ./run\n")
    return str(path)


class Raw(object):
    """One request as sent, the body kept as it is (an upload is binary, which utils.Call cannot decode)."""

    def __init__(self, request):
        parts = urlsplit(request.url)
        self.method, self.path, self.headers = request.method, parts.path, request.headers
        self.query = parse_qs(parts.query)
        body = request.body
        self.body = body.read() if hasattr(body, "read") else body
        try:
            self.json = json.loads(self.body) if self.body else None
        except ValueError:
            self.json = None


def calls(api):
    """The API calls (token exchanges left out), bodies as sent."""
    return [Raw(c.request) for c in api.mock.calls if "/tokens/exchange" not in c.request.url]


def sent(api):
    return [(c.method, c.path) for c in calls(api)]


def given_build(api, final="success", polls=1, output=OUTPUT):
    """The deployment answers: `polls - 1` times building, then `final`; then its output."""
    for dummy in range(polls - 1):
        api.add("GET", ONE, json=dict(deployment=deployment("building")))
    api.add("GET", ONE, json=dict(deployment=deployment(final, finished_at="2026-11-30T10:02:30.000Z", duration=150)))
    api.add("GET", ONE + "/output", body=output, headers={"Content-Type": "text/plain"})


# ------------------------------------------------------------------ input rules, before any request

@pytest.mark.parametrize("args, message", [
    (dict(source_url="https://e.com/a.tar.gz", archive="/tmp/a.tar.gz"), "mutually exclusive"),
    (dict(), "one of the following is required: source_url, archive, source_dir"),
    (dict(archive="/nonexistent/a.tar.gz"), "archive: /nonexistent/a.tar.gz is not a file"),
    (dict(source_dir="/nonexistent/src"), "source_dir: /nonexistent/src is not a folder"),
    (dict(source_url="https://e.com/a.tar.gz", git_ref="-x"), "git_ref: '-x' must not start with '-'"),
    (dict(source_url="https://e.com/a.tar.gz", git_ref="a b"), "git_ref: 'a b' must not contain spaces"),
    (dict(source_url="file:///tmp/a.tar.gz"), "source_url: not an absolute http(s) URL with a host"),
    (dict(source_url="https://e.com/a.tar.gz", output_lines=-1), "output_lines: must be 0"),
    (dict(source_url="https://e.com/a.tar.gz", app="My_App"), "app: 'My_App' is not a valid Scalingo app name"),
])
def test_bad_input_is_refused_before_any_request(api, deploy, args, message):
    result = deploy(**args)
    assert result["failed"]
    assert message in result["msg"]
    assert api.all_calls() == []


def test_bad_archives_are_refused_before_any_request(api, deploy, tmp_path):
    flat = tmp_path / "flat.tar.gz"
    with tarfile.open(str(flat), "w:gz") as tar:
        for name in ("Procfile", "index.html"):
            info = tarfile.TarInfo(name)
            tar.addfile(info, io.BytesIO(b""))
    plain = tmp_path / "plain.tar.gz"
    plain.write_text("not gzipped")
    for path, message in ((flat, "must hold exactly one folder at its root"), (plain, "is not a gzipped tar archive")):
        result = deploy(archive=str(path))
        assert result["failed"]
        assert message in result["msg"]
    assert api.all_calls() == []


# ------------------------------------------------------------------ idempotence and check mode

def test_same_ref_as_the_latest_success_costs_one_request(api, deploy):
    api.add("GET", LIST, json=listed(deployment("build-error", "v2", id="d-3"), deployment("success", "v1", id="d-2"),
                                     deployment("success", "v0", id="d-1")))
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", diff=True)
    assert not result["failed"]
    assert result["changed"] is False
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments")]
    assert result["scalingo_deployment"]["id"] == "d-2"
    assert result["scalingo_deployment"]["output_lines"] == []
    assert result["diff"] == dict(before=dict(git_ref="v1"), after=dict(git_ref="v1"))


def test_only_the_latest_success_counts(api, deploy):
    api.add("GET", LIST, json=listed(deployment("success", "v2", id="d-3"), deployment("success", "v1", id="d-2")))
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"] == dict(before=dict(git_ref="v2"), after=dict(git_ref="v1"))
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments")]


def test_check_mode_reads_only_and_gives_the_content_ref(api, deploy, folder):
    api.add("GET", LIST, json=listed())
    result = deploy(source_dir=folder, check_mode=True)
    expected, dummy = pack_directory(folder, io.BytesIO())
    assert result["changed"] is True
    assert result["scalingo_deployment"]["git_ref"] == expected
    assert result["scalingo_deployment"]["id"] is None
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments")]


def test_unchanged_folder_is_not_deployed_again(api, deploy, folder):
    ref, dummy = pack_directory(folder, io.BytesIO())
    api.add("GET", LIST, json=listed(deployment("success", ref)))
    result = deploy(source_dir=folder)
    assert result["changed"] is False
    assert len(calls(api)) == 1


def test_missing_app_in_check_mode_is_a_predicted_deployment(api, deploy):
    api.add("GET", LIST, json=dict(resource="app", error="not found"), status=404)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", check_mode=True)
    assert not result["failed"]
    assert result["changed"] is True
    assert result["scalingo_deployment"]["git_ref"] == "v1"
    assert any("does not exist (yet)" in w for w in result["warnings"])


def test_missing_app_fails_a_real_run(api, deploy):
    api.add("GET", LIST, json=dict(resource="app", error="not found"), status=404)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1")
    assert result["failed"]
    assert result["failure"]["status"] == 404
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments")]


# ------------------------------------------------------------------ deployments

def test_source_url_deploys_waits_and_returns_the_output(api, deploy, clock):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, json=dict(deployment=deployment("building")), status=201)
    given_build(api, polls=2)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", poll_interval=3, output_lines=5)
    assert not result["failed"]
    assert result["changed"] is True
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments"), ("POST", "/v1/apps/my-app/deployments"),
                         ("GET", "/v1/apps/my-app/deployments/d-1"), ("GET", "/v1/apps/my-app/deployments/d-1"),
                         ("GET", "/v1/apps/my-app/deployments/d-1/output")]
    assert calls(api)[1].json == dict(deployment=dict(source_url="https://e.com/a.tar.gz", git_ref="v1"))
    assert calls(api)[-1].headers["Accept"] == "text/plain"
    assert clock.sleeps == [3, 3]
    assert result["scalingo_deployment"] == dict(
        id="d-1", status="success", git_ref="v1", created_at="2026-11-30T10:00:00.000Z",
        finished_at="2026-11-30T10:02:30.000Z", duration=150,
        output_lines=["line 26", "line 27", "line 28", "line 29", "line 30"])


def test_source_url_without_git_ref_deploys_every_time_without_a_ref(api, deploy):
    api.add("GET", LIST, json=listed(deployment("success", None)))
    api.add("POST", LIST, json=dict(deployment=deployment("building", None)), status=201)
    given_build(api)
    result = deploy(source_url="https://e.com/a.tar.gz", output_lines=0)
    assert result["changed"] is True
    assert calls(api)[1].json == dict(deployment=dict(source_url="https://e.com/a.tar.gz"))
    assert len(result["scalingo_deployment"]["output_lines"]) == 30


def test_archive_is_uploaded_without_the_bearer_then_deployed(api, deploy, archive):
    api.add("GET", LIST, json=listed())
    api.add("POST", "/sources", json=dict(source=SOURCE), status=201)
    api.add("PUT", UPLOAD, body="")
    api.add("POST", LIST, json=dict(deployment=deployment("building", "v1")), status=201)
    given_build(api)
    result = deploy(archive=archive, git_ref="v1", timeout=7)
    assert result["changed"] is True
    sent_calls = calls(api)
    assert [(c.method, c.path) for c in sent_calls[:4]] == [
        ("GET", "/v1/apps/my-app/deployments"), ("POST", "/v1/sources"), ("PUT", "/v1/sources/src-1"),
        ("POST", "/v1/apps/my-app/deployments")]
    put = sent_calls[2]
    assert put.query == dict(token=["upload-token"])
    assert "Authorization" not in put.headers
    assert put.headers["Content-Type"] == "application/x-gzip"
    assert "Accept" not in put.headers
    with open(archive, "rb") as handle:
        assert put.body == handle.read()
    assert sent_calls[1].headers["Authorization"].startswith("Bearer ")
    assert sent_calls[3].json == dict(deployment=dict(source_url=DOWNLOAD, git_ref="v1"))


def test_folder_is_packed_uploaded_and_labelled_with_its_content_hash(api, deploy, folder):
    ref, dummy = pack_directory(folder, io.BytesIO())
    api.add("GET", LIST, json=listed(deployment("success", "v0")))
    api.add("POST", "/sources", json=dict(source=SOURCE), status=201)
    api.add("PUT", UPLOAD, body="")
    api.add("POST", LIST, json=dict(deployment=deployment("building", ref)), status=201)
    given_build(api)
    result = deploy(source_dir=folder, diff=True)
    assert result["changed"] is True
    assert result["diff"] == dict(before=dict(git_ref="v0"), after=dict(git_ref=ref))
    assert calls(api)[3].json == dict(deployment=dict(source_url=DOWNLOAD, git_ref=ref))
    body = calls(api)[2].body
    assert body[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        assert tar.getnames() == ["source", "source/Procfile"]


def test_upload_is_retried_on_a_server_error_and_refusals_hide_the_token(api, deploy, archive, clock):
    api.add("GET", LIST, json=listed())
    api.add("POST", "/sources", json=dict(source=SOURCE), status=201)
    api.add("PUT", UPLOAD, body="busy", status=503)
    api.add("PUT", UPLOAD, body="<Error>Request has expired</Error>", status=403)
    result = deploy(archive=archive, git_ref="v1")
    assert result["failed"]
    assert [c.method for c in calls(api)] == ["GET", "POST", "PUT", "PUT"]
    assert "upload-token" not in result["msg"] and "upload-token" not in str(result["failure"])
    assert "PUT /v1/sources/src-1 (403)" in result["msg"]
    assert "Request has expired" in result["msg"]
    assert ("POST", "/v1/apps/my-app/deployments") not in sent(api)


@pytest.mark.parametrize("status", ["build-error", "crashed-error", "timeout-error", "hook-error", "aborted"])
def test_failed_deployment_fails_with_its_status_and_last_lines(api, deploy, status):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, json=dict(deployment=deployment("building")), status=201)
    given_build(api, final=status)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1")
    assert result["failed"]
    assert result["changed"] is True
    assert result["msg"].startswith("deployment d-1 of app my-app (git_ref v1) ended in %s; last lines" % status)
    assert result["msg"].endswith("\n".join("line %d" % n for n in range(11, 31)))
    assert "line 10\n" not in result["msg"]
    assert result["failure"] == dict(type="DeploymentFailed", status=status, deployment_id="d-1",
                                     message="deployment d-1 of app my-app (git_ref v1) ended in %s" % status)
    assert result["scalingo_deployment"]["status"] == status
    assert len(result["scalingo_deployment"]["output_lines"]) == 30


def test_fail_on_error_false_returns_the_failed_deployment(api, deploy):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, json=dict(deployment=deployment("building")), status=201)
    given_build(api, final="build-error", output="npm ERR! missing script\n")
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", fail_on_error=False)
    assert not result["failed"]
    assert result["changed"] is True
    assert result["scalingo_deployment"]["status"] == "build-error"
    assert result["scalingo_deployment"]["output_lines"] == ["npm ERR! missing script"]


def test_wait_false_returns_the_new_deployment_without_polling(api, deploy, clock):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, json=dict(deployment=deployment("queued")), status=201)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", wait=False)
    assert result["changed"] is True
    assert result["scalingo_deployment"]["status"] == "queued"
    assert len(calls(api)) == 2
    assert clock.sleeps == []


def test_timeout_fails_with_the_last_state_and_never_sleeps_past_the_deadline(api, deploy, clock):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, json=dict(deployment=deployment("building")), status=201)
    api.add("GET", ONE, json=dict(deployment=deployment("pushing")))
    api.add("GET", ONE + "/output", body="building...\n", headers={"Content-Type": "text/plain"})
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", wait_timeout=5, poll_interval=2)
    assert result["failed"]
    assert result["failure"]["type"] == "ScalingoTimeoutError"
    assert "still pushing after 5 s" in result["msg"]
    assert result["scalingo_deployment"]["status"] == "pushing"
    assert result["scalingo_deployment"]["output_lines"] == ["building..."]
    assert clock.sleeps == [2, 2, 1]
    assert sum(clock.sleeps) <= 5


def test_force_deploys_the_same_ref_again(api, deploy):
    api.add("GET", LIST, json=listed(deployment("success", "v1", id="d-0")))
    api.add("POST", LIST, json=dict(deployment=deployment("building")), status=201)
    given_build(api)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1", force=True)
    assert result["changed"] is True
    assert ("POST", "/v1/apps/my-app/deployments") in sent(api)


def test_running_deployment_of_the_same_ref_is_followed_not_repeated(api, deploy):
    api.add("GET", LIST, json=listed(deployment("building", "v1", id="d-1"), deployment("success", "v0", id="d-0")))
    given_build(api)
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1")
    assert not result["failed"]
    assert result["changed"] is False
    assert result["scalingo_deployment"]["status"] == "success"
    assert sent(api) == [("GET", "/v1/apps/my-app/deployments"), ("GET", "/v1/apps/my-app/deployments/d-1"),
                         ("GET", "/v1/apps/my-app/deployments/d-1/output")]
    assert any("already going on" in w for w in result["warnings"])


def test_deployment_request_is_not_repeated_when_the_connection_drops(api, deploy):
    api.add("GET", LIST, json=listed())
    api.add("POST", LIST, body=requests.exceptions.ConnectionError("connection reset"))
    result = deploy(source_url="https://e.com/a.tar.gz", git_ref="v1")
    assert result["failed"]
    assert result["failure"]["outcome_unknown"] is True
    assert [c.method for c in calls(api)] == ["GET", "POST"]


def test_archive_ref_is_the_hash_of_its_tar_stream(api, deploy, archive):
    api.add("GET", LIST, json=listed(deployment("success", inspect_archive(archive))))
    result = deploy(archive=archive)
    assert result["changed"] is False
