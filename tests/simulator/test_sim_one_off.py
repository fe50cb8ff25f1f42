"""One-off containers: run, /ps, the attach protocol, /wait, scripts, stop, kill."""

import time

import pytest
import requests

from simhelpers import Attached, basic, expected_bytes


def run_attached(api, command, **extra):
    response = api.post("/v1/apps/example-app/run", dict(extra, command=command))
    assert response.status_code == 200, response.text
    operation = api.wait_operation(response.json()["operation_url"])
    assert (operation["status"], operation["type"]) == ("done", "start-one-off")
    return response.json(), operation["start_one_off_data"]["attach_url"]


def run_and_read(api, command, stdin=b""):
    dummy, url = run_attached(api, command)
    session = Attached(url, basic(api.bearer))
    assert session.status_line == "HTTP/1.1 200 OK"
    if stdin:
        session.send(stdin)
    output = session.read_all()
    wait = requests.get(url + "/wait", auth=("", api.bearer), timeout=10)
    assert wait.status_code == 200
    return output, wait.json()["exit_code"]


def labels(api):
    return {c["label"]: c for c in api.get("/v1/apps/example-app/ps").json()["containers"]}


def test_run_documented_example(api, sim, app):
    response = api.post("/v1/apps/example-app/run",
                        {"command": "bundle exec rails console", "env": {"VAR1": "VAL1"}, "size": "L"})
    assert response.status_code == 200
    body = response.json()
    container = body["container"]
    assert (container["type"], container["state"], container["memory"]) == ("one-off", "booting", 1073741824)
    assert container["app"]["name"] == "example-app"
    assert isinstance(container["type_index"], int) and container["created_at"].endswith("Z")
    assert body["operation_url"] == "%s/v1/apps/example-app/operations/%s" % (sim.base, body["operation"])
    assert response.headers["Location"] == body["operation_url"]
    assert container["attach_url"] == body["attach_url"]
    one_off = labels(api)["one-off-%d" % container["type_index"]]
    assert (one_off["type"], one_off["command"], one_off["container_size"]["name"]) == (
        "one-off", "bundle exec rails console", "L")
    operation = api.wait_operation(body["operation_url"])
    assert operation["start_one_off_data"]["attach_url"].startswith(sim.base + "/run/")
    assert operation["start_one_off_data"]["attach_url"] == body["attach_url"]


@pytest.mark.parametrize("body, field", [
    ({}, "command"),
    ({"command": "  "}, "command"),
    ({"command": "ls", "size": "XXL"}, "size"),
    ({"command": "ls", "env": ["A=1"]}, "env"),
    ({"command": "ls", "detached": "yes"}, "detached"),
])
def test_run_refusals(api, app, body, field):
    response = api.post("/v1/apps/example-app/run", body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


def test_attach_streams_output_and_exit_code(api, app):
    output, code = run_and_read(api, "echo hello $APP $VAR1; exit 3")
    assert (output, code) == (b"hello example-app\n", 3)
    assert [c["type"] for c in labels(api).values()] == ["web"]


def test_attach_env_and_builtin_interpreter(api, app):
    response = api.post("/v1/apps/example-app/run", {"command": "echo $VAR1 && false || echo after; foo bar",
                                                     "env": {"VAR1": "VAL1"}})
    url = api.wait_operation(response.json()["operation_url"])["start_one_off_data"]["attach_url"]
    output = Attached(url, basic(api.bearer)).read_all()
    assert output == b"VAL1\nafter\nsimulated: foo bar\n"
    assert requests.get(url + "/wait", auth=("", api.bearer)).json() == {"exit_code": 0}


def test_attach_stdin_ends_with_eot(api, app):
    output, code = run_and_read(api, "cat && echo done", b"line one\nline two\n\x04not stdin")
    assert (output, code) == (b"line one\nline two\ndone\n", 0)


def test_attach_one_mebibyte_output_is_intact(api, app):
    output, code = run_and_read(api, "bytes 1048576")
    assert len(output) == 1048576
    assert output == expected_bytes(1048576)
    assert code == 0


def test_attach_requires_the_bearer_as_basic_password(api, app):
    dummy, url = run_attached(api, "echo secret")
    for authorization in (None, basic("not-a-bearer"), "Bearer " + api.bearer):
        refused = Attached(url, authorization)
        assert refused.status_line == "HTTP/1.1 401 Unauthorized"
        refused.sock.close()
    assert requests.get(url + "/wait", timeout=5).status_code == 401
    assert Attached(url, basic(api.bearer)).read_all() == b"secret\n"
    second = Attached(url, basic(api.bearer))
    assert second.status_line == "HTTP/1.1 409 Conflict"
    second.sock.close()
    unknown = Attached(url[:-4] + "0000", basic(api.bearer))
    assert unknown.status_line == "HTTP/1.1 404 Not Found"
    unknown.sock.close()


def test_inactivity_timeout_answers_408(api, sim, app):
    sim.admin("POST", "/_sim/config", {"attach_timeout": 0.5})
    dummy, url = run_attached(api, "sleep 30")
    started = time.monotonic()
    assert Attached(url, basic(api.bearer)).read_all() == b""
    assert time.monotonic() - started < 5
    wait = requests.get(url + "/wait", auth=("", api.bearer), timeout=10)
    assert (wait.status_code, set(wait.json())) == (408, {"error"})


def test_scripted_command(api, sim, app):
    sim.admin("POST", "/_sim/scripts", {"command": "rake db:migrate", "output": "migrated\n", "exit_code": 2})
    sim.admin("POST", "/_sim/scripts", {"command": "python manage.py shell", "output": ">>> ",
                                        "echo_stdin": True, "output_bytes": 10})
    assert run_and_read(api, "rake db:migrate") == (b"migrated\n", 2)
    output, code = run_and_read(api, "python manage.py shell", b"print(1)\n\x04")
    assert (output, code) == (b">>> " + expected_bytes(10) + b"print(1)\n", 0)


def test_detached_one_off_lives_then_goes(api, sim, app):
    response = api.post("/v1/apps/example-app/run", {"command": "echo background", "detached": True})
    assert response.status_code == 200
    assert "attach_url" not in response.json() and "Location" not in response.headers
    label = "one-off-%d" % response.json()["container"]["type_index"]
    assert labels(api)[label]["state"] == "running"
    deadline = time.monotonic() + 5
    while label in labels(api) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert label not in labels(api)
    logs_url = api.get("/v1/apps/example-app/logs").json()["logs_url"]
    assert "[%s] background" % label in requests.get(logs_url).text


def test_scripted_detached_one_off_lasts_its_duration(api, sim, app):
    sim.admin("POST", "/_sim/config", {"detached_duration": 30})
    sim.admin("POST", "/_sim/scripts", {"command": "short job", "duration": 0.3})
    container = api.post("/v1/apps/example-app/run", {"command": "short job", "detached": True}).json()["container"]
    time.sleep(0.8)
    assert container["id"] not in {c["id"] for c in labels(api).values()}


def test_stop_a_detached_one_off(api, sim, app):
    sim.admin("POST", "/_sim/config", {"detached_duration": 30, "stop_duration": 0.3})
    container = api.post("/v1/apps/example-app/run", {"command": "sleep 60", "detached": True}).json()["container"]
    path = "/v1/apps/example-app/containers/%s/stop" % container["id"]
    response = api.post(path)
    assert (response.status_code, response.content) == (202, b"")
    assert labels(api)["one-off-%d" % container["type_index"]]["state"] == "stopping"
    time.sleep(0.6)
    assert [c["type"] for c in labels(api).values()] == ["web"]
    gone = api.post(path)
    assert (gone.status_code, gone.json()) == (404, {"resource": "container", "error": "not found"})


def test_stopping_an_attached_one_off_ends_its_stream(api, sim, app):
    sim.admin("POST", "/_sim/config", {"stop_duration": 0})
    body, url = run_attached(api, "echo started; sleep 60")
    session = Attached(url, basic(api.bearer))
    time.sleep(0.2)
    assert api.post("/v1/apps/example-app/containers/%s/stop" % body["container"]["id"]).status_code == 202
    assert session.read_all() == b"started\n"
    assert requests.get(url + "/wait", auth=("", api.bearer)).json() == {"exit_code": 143}


def test_stop_refuses_other_containers(api, app):
    web = labels(api)["web-1"]
    response = api.post("/v1/apps/example-app/containers/%s/stop" % web["id"])
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["container"]
    unknown = api.post("/v1/apps/example-app/containers/000000000000000000000000/stop")
    assert (unknown.status_code, unknown.json()) == (404, {"resource": "container", "error": "not found"})


def test_kill_signals(api, app):
    web = labels(api)["web-1"]
    path = "/v1/apps/example-app/containers/%s/kill" % web["id"]
    for signal in ("SIGUSR1", "SIGUSR2"):
        response = api.post(path, {"signal": signal})
        assert (response.status_code, response.content) == (204, b"")
    for body in ({"signal": "SIGKILL"}, {}):
        response = api.post(path, body)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["signal"]
    assert api.post("/v1/apps/example-app/containers/nope/kill", {"signal": "SIGUSR1"}).status_code == 404


def test_at_most_ten_one_offs_per_app(api, sim, app):
    sim.admin("POST", "/_sim/config", {"detached_duration": 30})
    for dummy in range(10):
        assert api.post("/v1/apps/example-app/run", {"command": "sleep 30", "detached": True}).status_code == 200
    response = api.post("/v1/apps/example-app/run", {"command": "sleep 30", "detached": True})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["containers"]
    assert sum(c["type"] == "one-off" for c in labels(api).values()) == 10


def test_never_deployed_app_cannot_run(api, sim):
    sim.admin("POST", "/_sim/apps", {"name": "example-app", "never_deployed": True})
    response = api.post("/v1/apps/example-app/run", {"command": "ls"})
    assert (response.status_code, response.json()) == (422, {"errors": {"app": ["has not been deployed yet"]}})


def test_failed_start_removes_the_one_off(api, sim, app):
    sim.admin("POST", "/_sim/faults", {"operation": "error", "error": "no capacity", "type": "start-one-off"})
    response = api.post("/v1/apps/example-app/run", {"command": "ls"})
    operation = api.wait_operation(response.json()["operation_url"])
    assert (operation["status"], operation["error"], operation["start_one_off_data"]) == (
        "error", "no capacity", None)
    url = response.json()["attach_url"]
    assert requests.get(url + "/wait", auth=("", api.bearer), timeout=5).status_code == 404
    refused = Attached(url, basic(api.bearer))
    assert refused.status_line == "HTTP/1.1 404 Not Found"
    refused.sock.close()
    assert [c["type"] for c in labels(api).values()] == ["web"]


def test_faults_apply_to_wait(api, sim, app):
    dummy, url = run_attached(api, "exit 4")
    assert Attached(url, basic(api.bearer)).read_all() == b""
    sim.admin("POST", "/_sim/faults", {"path_regex": "/wait$", "status": 502})
    assert requests.get(url + "/wait", auth=("", api.bearer)).status_code == 502
    assert requests.get(url + "/wait", auth=("", api.bearer)).json() == {"exit_code": 4}
