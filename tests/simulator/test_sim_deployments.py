"""Sources and deployments: upload and download URLs, timed statuses, one build at a time, failed builds,
scripted outcomes, the app deployed on success, pagination, the request log."""

import gzip
import io
import tarfile
import time

import pytest
import requests

DURATION = 0.4


@pytest.fixture(autouse=True)
def short_deployments(sim):
    sim.admin("POST", "/_sim/config", {"deployment_duration": DURATION, "source_url_lifetime": 600})
    sim.admin("DELETE", "/_sim/deployments/outcomes")


def tar_gz(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


GOOD = tar_gz([("app", None), ("app/Procfile", b"web: ./run\nworker: ./work\n# clock: no\n"), ("app/run", b"x")])


def upload(api, data=GOOD):
    source = api.post("/v1/sources").json()["source"]
    answer = requests.put(source["upload_url"], data=data, headers={"Content-Type": "application/x-gzip"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return source


def deploy(api, app="example-app", data=GOOD, git_ref="v1", source_url=None):
    if source_url is None:
        source_url = upload(api, data)["download_url"]
    body = {"source_url": source_url}
    if git_ref is not None:
        body["git_ref"] = git_ref
    answer = api.post("/v1/apps/%s/deployments" % app, {"deployment": body})
    assert answer.status_code == 201, answer.text
    return answer.json()["deployment"]


def wait(api, deployment, app="example-app", timeout=10):
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        current = api.get("/v1/apps/%s/deployments/%s" % (app, deployment["id"])).json()["deployment"]
        if not seen or seen[-1] != current["status"]:
            seen.append(current["status"])
        if current["status"] not in ("queued", "building", "pushing", "starting") or time.monotonic() > deadline:
            return current, seen
        time.sleep(0.02)


def output(api, deployment, app="example-app"):
    answer = api.get("/v1/apps/%s/deployments/%s/output" % (app, deployment["id"]))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    return answer.text.splitlines()


# ------------------------------------------------------------------------------------------- sources

def test_sources_give_upload_and_download_urls_served_without_a_bearer(api):
    answer = api.post("/v1/sources")
    assert answer.status_code == 201
    source = answer.json()["source"]
    assert source["upload_url"].startswith(api.base + "/v1/sources/")
    assert source["upload_url"].split("?")[0] == source["download_url"].split("?")[0]
    assert requests.get(source["download_url"], timeout=10).status_code == 404   # nothing uploaded yet
    assert requests.put(source["upload_url"], data=GOOD, timeout=10).status_code == 200
    download = requests.get(source["download_url"], timeout=10)
    assert download.status_code == 200 and download.content == GOOD
    assert requests.put(source["download_url"], data=b"x", timeout=10).status_code == 403   # wrong token kind
    assert requests.get(source["upload_url"], timeout=10).status_code == 403
    assert requests.get(source["download_url"].split("?")[0], timeout=10).status_code == 403


def test_sources_need_a_bearer_and_expire(sim, api):
    assert requests.post(api.base + "/v1/sources", timeout=10).status_code == 401
    sim.admin("POST", "/_sim/config", {"source_url_lifetime": 0.2})
    source = upload(api)
    time.sleep(0.3)
    assert requests.get(source["download_url"], timeout=10).status_code == 403
    assert requests.put(source["upload_url"], data=GOOD, timeout=10).status_code == 403


def test_the_request_log_hides_the_url_tokens(sim, api):
    source = upload(api)
    requests.get(source["download_url"], timeout=10)
    logged = [e for e in sim.admin("GET", "/_sim/requests")["requests"] if e["path"].startswith("/v1/sources/")]
    assert [e["method"] for e in logged] == ["PUT", "GET"]
    assert all(e["query"] == {"token": "***"} for e in logged)
    assert "Authorization" not in logged[0]["headers"]


# ---------------------------------------------------------------------------------------- deployments

def test_a_deployment_goes_through_the_documented_statuses_and_deploys_the_app(api, sim):
    sim.admin("POST", "/_sim/apps", {"name": "fresh-app", "never_deployed": True})
    assert api.get("/v1/apps/fresh-app").json()["app"]["status"] == "new"
    created = deploy(api, "fresh-app")
    assert created["status"] == "queued"
    assert created["finished_at"] is None and created["duration"] == 0
    assert created["git_ref"] == "v1" and created["pusher"]["email"] == "user@example.com"
    assert created["links"]["output"].endswith("/deployments/%s/output" % created["id"])
    final, seen = wait(api, created, "fresh-app")
    assert seen[-1] == "success"
    order = ["queued", "building", "pushing", "starting", "success"]
    assert seen == [status for status in order if status in seen]
    assert final["finished_at"] is not None and final["image_size"] > 0
    app = api.get("/v1/apps/fresh-app").json()["app"]
    assert app["status"] == "running"
    assert app["last_deployment_id"] == created["id"]
    assert app["last_deployed_at"] == final["finished_at"]
    assert app["last_deployed_by"] == "user"
    formation = api.get("/v1/apps/fresh-app/containers").json()["containers"]
    assert formation == [{"name": "web", "amount": 1, "size": "M"}, {"name": "worker", "amount": 0, "size": "M"}]
    lines = output(api, created, "fresh-app")
    assert "-----> Procfile declares types -> web, worker" in lines
    assert lines[-1] == "-----> Application deployed"
    # the deployment made the app deployable: it can be scaled and run one-offs now
    assert api.post("/v1/apps/fresh-app/scale", {"containers": [{"name": "worker", "amount": 1}]}).status_code == 202


def test_the_output_grows_with_the_phases(sim, api, app):
    sim.admin("POST", "/_sim/config", {"deployment_duration": 2})
    created = deploy(api)
    early = output(api, created)
    assert "-----> Application deployed" not in early
    final, dummy = wait(api, created)
    assert len(output(api, created)) > len(early)


def test_one_build_at_a_time_per_app(sim, api, app):
    first = deploy(api, git_ref="v1")
    second = deploy(api, git_ref="v2")
    assert api.get("/v1/apps/example-app/deployments/" + second["id"]).json()["deployment"]["status"] == "queued"
    final_first, dummy = wait(api, first)
    current = api.get("/v1/apps/example-app/deployments/" + second["id"]).json()["deployment"]
    assert current["status"] in ("queued", "building")
    final_second, dummy = wait(api, second)
    assert final_second["status"] == "success"
    assert final_second["finished_at"] > final_first["finished_at"]
    assert final_second["previous_git_ref"] in (None, "v1")


@pytest.mark.parametrize("data, reason", [
    (b"not an archive at all", "is not a gzipped archive"),
    (gzip.compress(b"just text, no tar"), "is gzipped but is not a tar archive"),
    (tar_gz([("Procfile", b"web: x\n"), ("index.html", b"x")]), "must contain a single folder at its root"),
    (tar_gz([("one/a", b"x"), ("two/b", b"x")]), "it contains 2 entries at its root: one, two"),
])
def test_bad_archives_end_in_build_error_with_an_explanation(api, app, data, reason):
    final, seen = wait(api, deploy(api, data=data))
    assert final["status"] == "build-error"
    assert "pushing" not in seen and "starting" not in seen
    lines = output(api, final)
    assert any(reason in line for line in lines), lines
    assert lines[-1] == " !     Build failed"


def test_urls_outside_the_machine_are_refused_with_a_build_error(api, app):
    final, dummy = wait(api, deploy(api, source_url="https://github.com/Scalingo/sample/archive/master.tar.gz"))
    assert final["status"] == "build-error"
    assert any("downloads nothing outside this machine" in line for line in output(api, final))


def test_loopback_urls_are_downloaded(api, app, sim):
    source = upload(api)
    final, dummy = wait(api, deploy(api, source_url=source["download_url"].replace("127.0.0.1", "localhost")))
    assert final["status"] == "success"
    missing = source["download_url"].split("?")[0] + "?token=wrong"
    final, dummy = wait(api, deploy(api, source_url=missing, git_ref="v2"))
    assert final["status"] == "build-error"
    assert any("the server answered 403" in line for line in output(api, final))


@pytest.mark.parametrize("status, last_phase", [
    ("crashed-error", "starting"), ("timeout-error", "starting"), ("hook-error", "starting"),
    ("aborted", "pushing"), ("build-error", "building"),
])
def test_scripted_outcomes(sim, api, app, status, last_phase):
    sim.admin("POST", "/_sim/deployments/outcomes", {"status": status, "app": "example-app",
                                                     "output": "custom line"})
    assert sim.admin("GET", "/_sim/deployments/outcomes")["outcomes"][0]["count"] == 1
    final, seen = wait(api, deploy(api))
    assert final["status"] == status
    assert seen[-2] == last_phase or len(seen) < 3
    assert "custom line" in output(api, final)
    assert sim.admin("GET", "/_sim/deployments/outcomes")["outcomes"] == []
    again, dummy = wait(api, deploy(api, git_ref="v2"))
    assert again["status"] == "success"


def test_a_failed_deployment_leaves_a_never_deployed_app_new(sim, api):
    sim.admin("POST", "/_sim/apps", {"name": "fresh-app", "never_deployed": True})
    sim.admin("POST", "/_sim/deployments/outcomes", {"status": "crashed-error"})
    final, dummy = wait(api, deploy(api, "fresh-app"), "fresh-app")
    assert final["status"] == "crashed-error"
    app = api.get("/v1/apps/fresh-app").json()["app"]
    assert app["status"] == "new" and app["last_deployed_at"] is None
    assert app["last_deployment_id"] == final["id"]


def test_outcome_admin_refuses_unknown_statuses(sim):
    answer = requests.post(sim.base + "/_sim/deployments/outcomes", json={"status": "success"}, timeout=10)
    assert answer.status_code == 422
    answer = requests.post(sim.base + "/_sim/deployments/outcomes", json={"status": "aborted", "count": 0}, timeout=10)
    assert answer.status_code == 422


def test_list_is_newest_first_and_paginated(sim, api, app):
    sim.admin("POST", "/_sim/config", {"deployment_duration": 0})
    ids = [deploy(api, git_ref="v%d" % n)["id"] for n in range(3)]
    body = api.get("/v1/apps/example-app/deployments", params={"per_page": 2}).json()
    assert [d["id"] for d in body["deployments"]] == ids[::-1][:2]
    assert body["meta"]["pagination"]["next_page"] == 2
    assert body["meta"]["pagination"]["total_count"] == 3
    page = api.get("/v1/apps/example-app/deployments", params={"per_page": 2, "page": 2}).json()
    assert [d["id"] for d in page["deployments"]] == ids[:1]


def test_refusals(api, app, other_api):
    assert api.post("/v1/apps/example-app/deployments", {"deployment": {"git_ref": "v1"}}).json() == {
        "errors": {"source_url": ["can't be blank"]}}
    answer = api.post("/v1/apps/example-app/deployments",
                      {"deployment": {"git_ref": "-v1", "source_url": "http://127.0.0.1/a.tar.gz"}})
    assert answer.status_code == 422 and "git_ref" in answer.json()["errors"]
    assert api.post("/v1/apps/example-app/deployments", {}).status_code == 422
    assert api.post("/v1/apps/missing-app/deployments", {"deployment": {"source_url": "http://x"}}).status_code == 404
    assert api.get("/v1/apps/example-app/deployments/nope").json() == {"resource": "deployment", "error": "not found"}
    assert other_api.get("/v1/apps/example-app/deployments").status_code == 404


def test_a_deployment_without_git_ref(api, app):
    final, dummy = wait(api, deploy(api, git_ref=None))
    assert final["status"] == "success" and final["git_ref"] is None
