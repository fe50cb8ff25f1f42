"""The simulator serves Scalingo's official JavaScript client (npm package ``scalingo``).

``js/lifecycle.mjs`` drives a whole application lifecycle through the client; this test installs
the pinned client into a temporary folder outside the collection tree (once per session), uses
the suite's simulator (``sim`` in conftest.py: port 0, rate limit off, state reset before each
test), runs the script and checks that every step passed.

Skipped when ``node`` or ``npm`` is missing. Needs the npm registry once per session.
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from simhelpers import TOKEN

JS_DIR = Path(__file__).resolve().parent / "js"
SCRIPT = JS_DIR / "lifecycle.mjs"
# Operations last long enough for the script to see the app `scaling` and be refused a second
# operation, short enough for a quick run (the client polls operations every second). A detached
# one-off stays in /ps long enough to be listed and stopped. The official client never retries a
# 429 and the run sends about 60 regional requests in 10 s: the suite's simulator has no rate limit.
SIM_CONFIG = {"operation_duration": 2, "detached_duration": 60, "stop_duration": 0.5, "rate_limit": 0}
NODE_MIN_MAJOR = 18


def _node_major(node):
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    match = re.match(r"v(\d+)\.", out.strip())
    return int(match.group(1)) if match else 0


NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.skipif(
        NODE is None or NPM is None,
        reason="node and npm are needed to run the official Scalingo JavaScript client "
        "(missing: %s)" % ", ".join(n for n, p in (("node", NODE), ("npm", NPM)) if p is None),
    ),
]


@pytest.fixture(scope="session")
def scalingo_js(tmp_path_factory):
    """Folder holding node_modules/scalingo, installed from js/package.json + lock."""
    major = _node_major(NODE)
    if major < NODE_MIN_MAJOR:
        pytest.skip("node %s or newer is needed (found major %s)" % (NODE_MIN_MAJOR, major))
    target = tmp_path_factory.mktemp("scalingo-js")
    shutil.copy(JS_DIR / "package.json", target / "package.json")
    lock = JS_DIR / "package-lock.json"
    if lock.exists():
        shutil.copy(lock, target / "package-lock.json")
        cmd = [NPM, "ci"]
    else:
        cmd = [NPM, "install"]
    cmd += ["--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    env = dict(os.environ, npm_config_update_notifier="false")
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=target, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, "%s failed in %s (%.1fs):\n%s\n%s" % (
        " ".join(cmd[1:2]), target, time.monotonic() - started, proc.stdout, proc.stderr)
    assert (target / "node_modules" / "scalingo" / "package.json").exists(), "scalingo not installed"
    return target


def _steps():
    out = subprocess.run([NODE, str(SCRIPT), "--list"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    steps = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    assert steps, "lifecycle.mjs --list printed no step"
    return steps


def _request_log(sim):
    entries = sim.admin("GET", "/_sim/requests")["requests"]
    return "\n".join("%s %s %s -> %s" % (e["method"], e["path"], e.get("query") or "", e["status"])
                     for e in entries[-15:])


def test_official_js_client_lifecycle(scalingo_js, sim):
    steps = _steps()
    sim.admin("POST", "/_sim/config", SIM_CONFIG)
    env = dict(os.environ, SIM_URL=sim.base, SIM_TOKEN=TOKEN,
               SCALINGO_JS_DIR=str(scalingo_js), STEP_TIMEOUT_MS="20000")
    env.pop("SIM_AUTH_URL", None)
    env.pop("APP_NAME", None)
    started = time.monotonic()
    proc = subprocess.run([NODE, str(SCRIPT)], cwd=scalingo_js, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - started
    passed = {m.group(1) for m in re.finditer(r"^ok (.+?) \(\d+ ms\)$", proc.stdout, re.M)}
    failed = re.findall(r"^not ok .*$", proc.stdout, re.M)
    if failed or proc.returncode != 0 or set(steps) - passed:
        report = ("node lifecycle.mjs exited %s after %.1fs\n--- stdout\n%s--- stderr\n%s"
                  "--- last requests the simulator logged\n%s" % (
                      proc.returncode, elapsed, proc.stdout, proc.stderr, _request_log(sim)))
        assert not failed and proc.returncode == 0, "\n".join(failed) + "\n\n" + report
        missing = [s for s in steps if s not in passed]
        assert not missing, "steps without `ok`: %s\n\n%s" % (missing, report)
    # The requests came from the official client.
    agents = {e["headers"].get("User-Agent") for e in sim.admin("GET", "/_sim/requests")["requests"]}
    assert "Scalingo Javascript Client" in agents, agents
