"""The command line: the listening line, options, signals, state file, request log file."""

import json
import signal
import subprocess

import requests

from simhelpers import LINE, PYTHON, ROOT, TOKEN, Api, SimulatorProcess


def run_cli(*args):
    """Run the simulator to its end (for options that make it exit at once)."""
    return subprocess.run([PYTHON, "-m", "simulator"] + list(args), cwd=str(ROOT), capture_output=True, text=True,
                          timeout=30, check=False)


def test_prints_one_line_and_stops_on_sigterm():
    process = SimulatorProcess()
    assert LINE.match(process.line)
    assert requests.get(process.base + "/_sim/health").json()["status"] == "ok"
    assert process.stop(signal.SIGTERM) == 0


def test_stops_on_sigint_with_nothing_else_on_stdout():
    process = SimulatorProcess()
    requests.get(process.base + "/v1/regions")
    process.proc.send_signal(signal.SIGINT)
    assert process.proc.wait(10) == 0
    assert process.proc.stdout.read() == ""
    process.stop()


def test_help_lists_the_options():
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--port", "--token", "--operation-duration", "--rate-limit", "--bearer-lifetime",
                   "--free-plan", "--state-file", "--request-log", "--never-deployed", "--fault"):
        assert option in result.stdout


def test_token_option_replaces_the_default_token():
    with SimulatorProcess("--token", "tk-us-ci-token=ci@example.com") as process:
        assert requests.post(process.base + "/v1/tokens/exchange", auth=("", TOKEN)).status_code == 401
        user = Api(process.base, "tk-us-ci-token")
        assert user.get("/v1/users/self").json()["user"]["email"] == "ci@example.com"


def test_options_free_plan_never_deployed_and_fault():
    fault = json.dumps({"method": "GET", "path": "/v1/apps", "status": 500})
    with SimulatorProcess("--free-plan", "--never-deployed", "--fault", fault, "--rate-limit", "0") as process:
        user = Api(process.base)
        assert user.get("/v1/apps").status_code == 500
        assert user.create_app("first-app")["status"] == "new"
        assert user.post("/v1/apps", {"app": {"name": "second-app"}}).status_code == 402
        config = requests.get(process.base + "/_sim/config").json()["config"]
        assert (config["free_plan"], config["never_deployed"], config["rate_limit"]) == (True, True, 0)


def test_rate_limit_option():
    with SimulatorProcess("--rate-limit", "3") as process:
        user = Api(process.base)
        assert [user.get("/v1/apps").status_code for dummy in range(4)] == [200, 200, 200, 429]


def test_state_file_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with SimulatorProcess("--state-file", str(state)) as process:
        user = Api(process.base)
        user.create_app("kept-app")
        user.patch("/v1/apps/kept-app", {"app": {"force_https": True}})
        assert json.loads(state.read_text())["apps"]
    with SimulatorProcess("--state-file", str(state)) as process:
        app = Api(process.base).get("/v1/apps/kept-app").json()["app"]
        assert (app["name"], app["force_https"]) == ("kept-app", True)


def test_request_log_file_has_masked_json_lines(tmp_path):
    log = tmp_path / "requests.jsonl"
    with SimulatorProcess("--request-log", str(log)) as process:
        user = Api(process.base)
        user.get("/v1/apps")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/tokens/exchange", 200), ("GET", "/v1/apps", 200)]
    assert [e["headers"]["Authorization"] for e in entries] == ["Basic ***", "Bearer ***"]
    assert user.bearer not in log.read_text() and TOKEN not in log.read_text()


def test_start_up_errors_exit_with_a_message(tmp_path, sim):
    corrupt = tmp_path / "state.json"
    corrupt.write_text("[1, 2]")
    cases = ((["--port", "0", "--state-file", str(corrupt)], 2, "cannot use the state file"),
             (["--port", str(sim.port)], 1, "cannot listen on"),
             (["--port", "0", "--fault", '{"status": 500}'], 2, "invalid --fault"))
    for args, code, message in cases:
        result = run_cli(*args)
        assert (result.returncode, result.stdout) == (code, "")
        assert message in result.stderr
