"""Helpers of the simulator suite: a simulator subprocess, an API user, a raw attach client."""

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tk-us-simulator-default-token"
OTHER_TOKEN = "tk-us-simulator-other-token"
OTHER_EMAIL = "other@example.com"
DURATION = 0.3
# The interpreter that runs the simulator (default: the one running the tests), e.g. to check 3.9.
PYTHON = os.environ.get("SIMULATOR_PYTHON") or sys.executable
LINE = re.compile(r"^Scalingo API simulator listening on (http://127\.0\.0\.1:(\d+))$")
DEFAULT_CONFIG = {"rate_limit": 0, "operation_duration": DURATION, "bearer_lifetime": 3600, "free_plan": False,
                  "region_disabled": False, "never_deployed": False, "detached_duration": 1.0,
                  "attach_timeout": 30.0, "stop_duration": 0.2}


class SimulatorProcess:
    """A simulator subprocess: `base` URL, `admin()` calls, `stop()` by PID."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([PYTHON, "-m", "simulator", "--port", "0"] + list(args),
                                     cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.line = self.proc.stdout.readline().rstrip("\n")
        match = LINE.match(self.line)
        if match is None:
            self.proc.kill()
            raise RuntimeError("unexpected first line %r, stderr: %s" % (self.line, self.proc.stderr.read()))
        self.base = match.group(1)
        self.port = int(match.group(2))

    def admin(self, method, path, body=None):
        response = requests.request(method, self.base + path, json=body, timeout=10)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None

    def logged(self, method, path, count=1, timeout=10):
        """The request log's entries for method and path, once there are `count` of them (an answer nobody
        received is logged when the simulator stops sending it, after the client gave up)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [entry for entry in self.admin("GET", "/_sim/requests")["requests"]
                       if (entry["method"], entry["path"]) == (method, path)]
            if len(entries) >= count or time.monotonic() > deadline:
                return entries
            time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, trace):
        code = self.stop()
        assert kind is not None or code == 0, "the simulator exited with %s" % code

    def stop(self, signum=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signum)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()


class Api:
    """A user of the regional API: exchanges its token once, then sends bearer requests."""

    def __init__(self, base, token=TOKEN):
        self.base = base
        self.session = requests.Session()
        response = requests.post(base + "/v1/tokens/exchange", auth=("", token), json={}, timeout=10)
        assert response.status_code == 200, response.text
        self.bearer = response.json()["token"]

    def request(self, method, path, **kwargs):
        headers = dict(kwargs.pop("headers", {}), Authorization="Bearer " + self.bearer)
        url = path if path.startswith("http") else self.base + path
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, url, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def create_app(self, name="example-app", **fields):
        response = self.post("/v1/apps", {"app": dict(fields, name=name)})
        assert response.status_code == 201, response.text
        return response.json()["app"]

    def wait_operation(self, url, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            operation = self.get(url).json()["operation"]
            if operation["status"] in ("done", "error") or time.monotonic() > deadline:
                return operation
            time.sleep(0.05)


def basic(password):
    return "Basic " + base64.b64encode((":" + password).encode()).decode()


class Attached:
    """A raw CONNECT to an attach URL: `status` line, then the command's stream."""

    def __init__(self, url, authorization=None):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        head = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (parts.path, parts.netloc)
        if authorization:
            head += "Authorization: %s\r\n" % authorization
        self.sock.sendall((head + "\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, dummy, self.pending = data.partition(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n")[0].decode()
        self.head = head.decode()

    def send(self, data):
        self.sock.sendall(data)

    def read_all(self):
        chunks = [self.pending]
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        self.sock.close()
        return b"".join(chunks)


def expected_bytes(count):
    """The documented `bytes N` stream: lines `%07d ` + 55 letters + newline, cut at N bytes."""
    pattern = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS"
    lines = (count + 63) // 64
    return b"".join(b"%07d " % i + pattern + b"\n" for i in range(lines))[:count]


def decode_jwt_part(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
