# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The attach protocol against a real local attach endpoint (``AttachServer``), the API calls mocked with
``responses``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from ansible_collections.scalingo.cloud.plugins.module_utils import one_off, validation
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoClient
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE, API_TOKEN

APP = "my-app"
TOKEN_PATH = "/6f1c2e4b9a0d"
CONTAINER = dict(id="ct-1", type="one-off", type_index=1234, label="one-off-1234", state="booting")


class AttachServer:
    """A one-off attach endpoint on 127.0.0.1 that serves one scripted answer to every connection.

    It records each request head (``heads``) and the input received before ``\\x04`` (``inputs``), then
    sends ``output``. ``output_first`` sends the output before reading the input; ``hang`` keeps the
    connection open (until ``close()``); ``reset`` ends it with a TCP reset; ``status`` other than 200
    answers with ``body`` and closes; ``cert`` (a (certfile, keyfile) pair) serves TLS.
    """

    def __init__(self, status=200, reason="OK", body=b"", output=b"", echo_stdin=False, output_first=False,
                 hang=False, reset=False, after_head=b"", cert=None, silent=False):
        self.status, self.reason, self.body = status, reason, body
        self.output, self.echo_stdin, self.output_first = output, echo_stdin, output_first
        self.hang, self.reset, self.after_head, self.silent = hang, reset, after_head, silent
        self.heads, self.inputs, self.errors = [], [], []
        self.done = threading.Event()
        self._stop = threading.Event()
        self._tls = None
        if cert:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*cert)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(5)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, scheme="http"):
        return "%s://127.0.0.1:%d%s" % (scheme, self.port, TOKEN_PATH)

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, dummy = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        try:
            conn.settimeout(10)
            if self._tls:
                conn = self._tls.wrap_socket(conn, server_side=True)
            self._exchange(conn)
        except Exception as exc:  # recorded for the test to see
            self.errors.append(exc)
        finally:
            conn.close()
            self.done.set()

    def _exchange(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        self.heads.append(head.decode("latin-1"))
        if self.silent:
            self._stop.wait(30)
            return
        if self.status != 200:
            conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                self.status, self.reason.encode(), len(self.body), self.body))
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + self.after_head)
        if self.output_first:
            conn.sendall(self.output)
        received = bytearray(rest)
        while b"\x04" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        self.inputs.append(bytes(received))
        if self.echo_stdin:
            conn.sendall(bytes(received).partition(b"\x04")[0])
        if not self.output_first:
            conn.sendall(self.output)
        if self.hang:
            self._stop.wait(30)
        if self.reset:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.fixture
def server():
    servers = []

    def start(**kwargs):
        servers.append(AttachServer(**kwargs))
        return servers[-1]
    yield start
    for item in servers:
        item.close()


@pytest.fixture
def client(api):
    """A client whose API and token exchange are mocked; the attach endpoint is real."""
    return ScalingoClient(API_TOKEN, sleep=lambda seconds: None)


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def header(head, name):
    for line in head.split("\r\n")[1:]:
        key, dummy, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def big_output(size):
    return b"".join(b"%07d abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS\n" % i
                    for i in range(size // 64 + 1))[:size]


# ------------------------------------------------------------------ input rules


def test_env_errors_name_the_variable_never_the_value():
    errors = validation.env_errors({"GOOD_1": "s3cret-value", "1BAD": "s3cret-value", "BAD-NAME": "x",
                                    "NESTED": {"a": "s3cret-value"}, "NONE": None, "_OK": 3})
    assert errors == [
        "env: '1BAD' is not a valid environment variable name: letters, digits and underscores, not starting "
        "with a digit",
        "env: 'BAD-NAME' is not a valid environment variable name: letters, digits and underscores, not starting "
        "with a digit",
        "env: the value of NESTED must be a string (or a number or boolean)",
        "env: the value of NONE must be a string (or a number or boolean)",
    ]
    assert "s3cret-value" not in " ".join(errors)
    assert validation.env_errors(None) == []


def test_env_strings():
    assert validation.env_strings({"A": "x", "B": 3, "C": True, "D": False, "E": 1.5}) == {
        "A": "x", "B": "3", "C": "true", "D": "false", "E": "1.5"}
    assert validation.env_strings(None) == {}


def test_container_label_and_lookup():
    web = dict(id="ct-0", type="web", type_index=1)
    containers = [web, CONTAINER]
    assert one_off.container_label(CONTAINER) == "one-off-1234"
    assert one_off.container_label(web) == "web-1"
    assert one_off.container_label(dict(id="ct-9")) == "ct-9"
    assert one_off.find_container(containers, "one-off-1234") is CONTAINER
    assert one_off.find_container(containers, "ct-1") is CONTAINER
    assert one_off.find_container(containers, "web-1") is web
    assert one_off.find_container(containers, "one-off-1") is None


def test_basic_auth_has_an_empty_user_and_the_bearer_as_password():
    value = one_off.basic_auth("the-bearer")
    assert value == "Basic " + base64.b64encode(b":the-bearer").decode()


def test_decode_output_keeps_line_endings_and_replaces_invalid_bytes():
    result = one_off.decode_output(b"one\r\ntwo\n\xff\xfethree\xc3\xa9")
    assert result["stdout"] == u"one\r\ntwo\n\ufffd\ufffdthree\u00e9"
    assert result["stdout_lines"] == ["one", "two", u"\ufffd\ufffdthree\u00e9"]


# ---------------------------------------------------------------- API calls


def test_start_sends_the_documented_body(api, client):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-1"})
    answer = one_off.start(client, APP, "rake db:migrate", env={"A": "1"}, size="L")
    assert answer["operation"] == "op-1"
    call, = api.calls()
    assert (call.method, call.path, call.json) == ("POST", "/v1/apps/my-app/run", {
        "command": "rake db:migrate", "env": {"A": "1"}, "size": "L", "detached": False})
    one_off.start(client, APP, "true", detached=True)
    assert api.calls()[-1].json == {"command": "true", "env": {}, "detached": True}


def test_stop_is_true_when_asked_and_false_when_already_gone(api, client):
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    api.add("POST", "/apps/my-app/containers/ct-2/stop", status=404, json={"error": "container not found"})
    assert one_off.stop(client, APP, "ct-1") is True
    assert one_off.stop(client, APP, "ct-2") is False
    assert [c.path for c in api.calls()] == ["/v1/apps/my-app/containers/ct-1/stop",
                                             "/v1/apps/my-app/containers/ct-2/stop"]


def test_stop_raises_other_refusals(api, client):
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=422, json={"error": "not a one-off"})
    with pytest.raises(one_off.ScalingoAPIError) as error:
        one_off.stop(client, APP, "ct-1")
    assert error.value.status == 422


def test_wait_gone_polls_until_the_container_left(api, client, clock):
    client.sleep = time.sleep   # the clock fixture's
    for containers in ([CONTAINER], [CONTAINER], []):
        api.add("GET", "/apps/my-app/ps", json={"containers": containers})
    assert one_off.wait_gone(client, APP, "ct-1", timeout=60, interval=5) is True
    assert clock.sleeps == [5, 5]
    assert len(api.calls()) == 3


def test_wait_gone_gives_up_after_the_timeout(api, client, clock):
    client.sleep = time.sleep
    api.add("GET", "/apps/my-app/ps", json={"containers": [CONTAINER]})
    assert one_off.wait_gone(client, APP, "ct-1", timeout=12, interval=5) is False
    assert clock.sleeps == [5, 5, 2]
    assert len(api.calls()) == 4


# ---------------------------------------------------------------- attach


def test_attach_sends_connect_with_basic_auth_then_the_input_and_eot(api, client, server):
    endpoint = server(output=b"hello\r\nworld\r\n")
    output, complete = one_off.attach(client, endpoint.url(), stdin=u"line one\nd\u00e9j\u00e0\n")
    assert (output, complete) == (b"hello\r\nworld\r\n", True)
    head, = endpoint.heads
    assert head.split("\r\n")[0] == "CONNECT %s HTTP/1.1" % TOKEN_PATH
    assert header(head, "Host") == "127.0.0.1:%d" % endpoint.port
    assert header(head, "Authorization") == "Basic " + base64.b64encode((":" + api.bearer).encode()).decode()
    assert header(head, "User-Agent").startswith("scalingo.cloud/")
    assert endpoint.inputs == [u"line one\nd\u00e9j\u00e0\n\x04".encode("utf-8")]
    assert client.request_count == 2     # token exchange + CONNECT


def test_attach_without_input_sends_only_eot_and_keeps_bytes_sent_with_the_answer(client, server):
    endpoint = server(output=b"rest", after_head=b"first ")
    assert one_off.attach(client, endpoint.url()) == (b"first rest", True)
    assert endpoint.inputs == [b"\x04"]


def test_attach_reads_a_large_output_while_sending_a_large_input(client, server):
    data = big_output(1024 * 1024)
    endpoint = server(output=data, output_first=True, echo_stdin=True)
    text = big_output(1024 * 1024 - 3).decode("ascii")
    output, complete = one_off.attach(client, endpoint.url(), stdin=text, deadline=time.monotonic() + 30)
    assert complete
    assert len(output) == 2 * 1024 * 1024 - 3
    assert hashlib.sha256(output).hexdigest() == hashlib.sha256(data + text.encode()).hexdigest()


def test_attach_over_tls_without_certificate_check(client, server, certificate):
    data = big_output(300000)
    endpoint = server(output=data, echo_stdin=True, cert=certificate)
    client.validate_certs = False
    output, complete = one_off.attach(client, endpoint.url("https"), stdin="ping\n")
    assert (output, complete) == (b"ping\n" + data, True)
    assert endpoint.inputs == [b"ping\n\x04"]


def test_attach_over_tls_checks_the_certificate(client, server, certificate):
    endpoint = server(output=b"ok", cert=certificate)
    with pytest.raises(one_off.OneOffError) as error:
        one_off.attach(client, endpoint.url("https"))
    assert str(error.value).startswith("TLS error with the one-off attach endpoint 127.0.0.1:%d" % endpoint.port)
    assert "validate_certs=false" in str(error.value)
    client.validate_certs = certificate[0]     # a CA bundle path, as requests takes it
    assert one_off.attach(client, endpoint.url("https")) == (b"ok", True)


@pytest.mark.parametrize("status, body, expected", [
    (401, b'{"error":"invalid credentials"}',
     "refused the connection (401): invalid credentials; the one-off attach endpoint refused the credentials"),
    (404, b"", "refused the connection (404): Not Found; the one-off container is gone or its attach URL expired"),
    (500, b"boom", "refused the connection (500): boom"),
])
def test_attach_refusals_are_clear_and_never_show_the_bearer(api, client, server, status, body, expected):
    endpoint = server(status=status, reason="Not Found" if status == 404 else "Error", body=body)
    with pytest.raises(one_off.OneOffError) as error:
        one_off.attach(client, endpoint.url())
    message = str(error.value)
    assert message == "the one-off attach endpoint 127.0.0.1:%d %s" % (endpoint.port, expected)
    assert error.value.status == status and error.value.stage == "attach"
    assert api.bearer not in message and TOKEN_PATH not in message


def test_attach_connection_refused(client):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(one_off.OneOffError) as error:
        one_off.attach(client, "http://127.0.0.1:%d/x" % port)
    assert str(error.value).startswith("could not connect to the one-off attach endpoint 127.0.0.1:%d" % port)


def test_attach_silent_endpoint_times_out_on_the_request_timeout(client, server):
    endpoint = server(silent=True)
    client.timeout = 0.3
    with pytest.raises(one_off.OneOffError) as error:
        one_off.attach(client, endpoint.url())
    assert str(error.value) == "the one-off attach endpoint 127.0.0.1:%d did not answer within 0.3 s" % endpoint.port


def test_attach_rejects_urls_that_are_not_http(client):
    with pytest.raises(one_off.OneOffError) as error:
        one_off.attach(client, "ftp://run.example.com/secret-path")
    assert "secret-path" not in str(error.value)


def test_attach_deadline_keeps_the_output_read_so_far(client, server):
    endpoint = server(output=b"partial\n", hang=True)
    output = bytearray()
    begin = time.monotonic()
    with pytest.raises(one_off.OneOffTimeoutError) as error:
        one_off.attach(client, endpoint.url(), deadline=time.monotonic() + 0.5, output=output)
    assert 0.4 < time.monotonic() - begin < 5
    assert bytes(output) == b"partial\n"
    assert str(error.value) == "the time ran out while reading the output"


def test_attach_reset_by_the_server_is_reported_as_incomplete(client, server):
    endpoint = server(output=b"some output\n", reset=True)
    output, complete = one_off.attach(client, endpoint.url())
    assert complete is False
    assert output in (b"", b"some output\n")


# ---------------------------------------------------------------- exit status


def test_exit_status_uses_basic_auth(api, client):
    api.add("GET", "http://127.0.0.1:5000/tok/wait", json={"exit_code": 3})
    assert one_off.exit_status(client, "http://127.0.0.1:5000/tok") == 3
    call = api.calls()[-1]
    assert call.headers["Authorization"] == "Basic " + base64.b64encode((":" + api.bearer).encode()).decode()


def test_exit_status_408_means_inactivity(api, client):
    api.add("GET", "http://127.0.0.1:5000/tok/wait", status=408, body="")
    with pytest.raises(one_off.OneOffInactivityError) as error:
        one_off.exit_status(client, "http://127.0.0.1:5000/tok")
    assert str(error.value).startswith("the platform stopped the one-off after a long time without any output")


@pytest.mark.parametrize("status, body, expected", [
    (404, '{"error": "not found"}', "refused the exit status request (404): not found; the one-off container is "
                                    "gone or its attach URL expired"),
    (200, '{"status": "ok"}', "answered the exit status request without an integer exit_code"),
    (200, 'not json', "answered the exit status request without an integer exit_code"),
])
def test_exit_status_errors(api, client, status, body, expected):
    api.add("GET", "http://127.0.0.1:5000/tok/wait", status=status, body=body)
    with pytest.raises(one_off.OneOffError) as error:
        one_off.exit_status(client, "http://127.0.0.1:5000/tok")
    assert str(error.value) == "the one-off attach endpoint http://127.0.0.1:5000 " + expected


def test_exit_status_connection_error_hides_the_attach_path(api, client):
    with pytest.raises(one_off.OneOffError) as error:
        one_off.exit_status(client, "http://127.0.0.1:5000/tok-secret-path")
    assert str(error.value).startswith("could not read the exit status from the one-off attach endpoint "
                                       "http://127.0.0.1:5000")
    assert "tok-secret-path" not in str(error.value)


# ---------------------------------------------------------------- whole runs


def given_run(api, answer=None, operation_status="done", attach_url=None):
    api.add("POST", "/apps/my-app/run", json=answer or {
        "container": CONTAINER, "operation": "op-1",
        "operation_url": "https://elsewhere.example.com/v1/apps/my-app/operations/op-1"})
    data = {"attach_url": attach_url} if attach_url else {}
    api.add("GET", "/apps/my-app/operations/op-1", json={"operation": dict(
        id="op-1", type="start-one-off", status=operation_status, error="no capacity",
        start_one_off_data=data)})


def test_run_attached_follows_the_operation_on_the_configured_api(api, client, server):
    endpoint = server(output=b"migrated\r\n")
    given_run(api, attach_url=endpoint.url())
    api.add("GET", endpoint.url() + "/wait", json={"exit_code": 0})
    result = one_off.run_attached(client, APP, "rake db:migrate", env={"A": "1"}, stdin="y\n")
    assert [(c.method, c.url) for c in api.calls()] == [
        ("POST", API_BASE + "/apps/my-app/run"),
        ("GET", API_BASE + "/apps/my-app/operations/op-1"),
        ("GET", endpoint.url() + "/wait"),
    ]
    assert endpoint.inputs == [b"y\n\x04"]
    assert result["stdout"] == "migrated\r\n" and result["stdout_lines"] == ["migrated"]
    assert result["rc"] == 0 and result["container"] == CONTAINER
    assert result["operation"]["id"] == "op-1" and result["operation"]["status"] == "done"
    assert result["operation"]["url"] == API_BASE + "/apps/my-app/operations/op-1"
    assert result["duration"] >= 0 and result["started_at"].endswith("Z") and result["finished_at"].endswith("Z")


def test_run_attached_with_the_older_answer_has_no_operation_to_follow(api, client, server):
    endpoint = server(output=b"ok\n")
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "attach_url": endpoint.url()})
    api.add("GET", endpoint.url() + "/wait", json={"exit_code": 7})
    result = one_off.run_attached(client, APP, "true")
    assert [c.method for c in api.calls()] == ["POST", "GET"]
    assert (result["rc"], result["operation"], result["stdout"]) == (7, None, "ok\n")


def test_run_attached_follows_the_operation_even_when_the_answer_has_an_attach_url(api, client, server):
    endpoint = server(output=b"ok\n")
    given_run(api, answer={"container": CONTAINER, "operation": "op-1", "attach_url": "http://127.0.0.1:1/early"},
              attach_url=endpoint.url())
    api.add("GET", endpoint.url() + "/wait", json={"exit_code": 0})
    assert one_off.run_attached(client, APP, "true")["stdout"] == "ok\n"
    assert [c.url for c in api.calls()][1:] == [API_BASE + "/apps/my-app/operations/op-1", endpoint.url() + "/wait"]


def test_run_attached_with_only_an_operation_url_polls_it_on_the_configured_api(api, client, server):
    endpoint = server(output=b"")
    given_run(api, answer={"container": CONTAINER,
                           "operation_url": "http://run.example.com/v1/apps/my-app/operations/op-1"},
              attach_url=endpoint.url())
    api.add("GET", endpoint.url() + "/wait", json={"exit_code": 0})
    one_off.run_attached(client, APP, "true")
    assert api.calls()[1].url == API_BASE + "/apps/my-app/operations/op-1"


def test_run_attached_operation_error_stops_the_container(api, client):
    given_run(api, operation_status="error")
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    with pytest.raises(one_off.OneOffError) as error:
        one_off.run_attached(client, APP, "true")
    assert str(error.value) == ("the one-off container failed to start: operation op-1 (start-one-off) failed: "
                                "no capacity; container one-off-1234 was stopped")
    assert error.value.result["container"] == CONTAINER
    assert api.calls()[-1].path == "/v1/apps/my-app/containers/ct-1/stop"
    assert error.value.to_dict()["stage"] == "start"
    assert error.value.to_dict()["cause"]["type"] == "ScalingoOperationError"


def test_run_attached_without_any_way_to_attach(api, client):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER})
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=404, json={"error": "not found"})
    with pytest.raises(one_off.OneOffError) as error:
        one_off.run_attached(client, APP, "true")
    assert str(error.value) == ("the platform answered the run request without an operation or an attach URL; "
                                "container one-off-1234 was already gone")


def test_run_attached_refused_attach_stops_the_container_and_says_when_stopping_fails(api, client, server):
    endpoint = server(status=404, reason="Not Found")
    given_run(api, attach_url=endpoint.url())
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=500, json={"error": "oops"})
    with pytest.raises(one_off.OneOffError) as error:
        one_off.run_attached(client, APP, "true")
    assert str(error.value) == (
        "the one-off attach endpoint 127.0.0.1:%d refused the connection (404): Not Found; the one-off container is "
        "gone or its attach URL expired; stopping container one-off-1234 failed (Scalingo API refused POST "
        "/v1/apps/my-app/containers/ct-1/stop (500): oops; gave up after 5 retries): stop it with state=stopped"
        % endpoint.port)
    assert error.value.to_dict() == dict(type="OneOffError", message=str(error.value), stage="attach", status=404,
                                         cause=None)


def test_run_attached_timeout_stops_the_container_and_keeps_the_output(api, client, server):
    endpoint = server(output=b"step 1\n", hang=True)
    given_run(api, attach_url=endpoint.url())
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    with pytest.raises(one_off.OneOffTimeoutError) as error:
        one_off.run_attached(client, APP, "sleep 100", run_timeout=1)
    assert str(error.value) == ("the one-off did not finish within run_timeout (1 s): the time ran out while "
                                "reading the output; container one-off-1234 was stopped")
    assert error.value.result["stdout"] == "step 1\n"
    assert "rc" not in error.value.result
    assert [(c.method, c.path) for c in api.calls()][-1] == ("POST", "/v1/apps/my-app/containers/ct-1/stop")


def test_run_attached_inactivity_does_not_stop_an_ended_container(api, client, server):
    endpoint = server(output=b"waiting...\n")
    given_run(api, attach_url=endpoint.url())
    api.add("GET", endpoint.url() + "/wait", status=408, body="")
    with pytest.raises(one_off.OneOffInactivityError) as error:
        one_off.run_attached(client, APP, "sleep 3600")
    assert error.value.result["stdout"] == "waiting...\n"
    assert "stop" not in " ".join(c.path for c in api.calls())


def test_run_attached_start_wait_timeout_stops_the_container(api, client, clock):
    client.sleep = time.sleep
    given_run(api, operation_status="pending")
    api.add("POST", "/apps/my-app/containers/ct-1/stop", status=202, body="")
    with pytest.raises(one_off.OneOffError) as error:
        one_off.run_attached(client, APP, "true", wait_timeout=6, interval=2)
    assert str(error.value) == ("the one-off container did not start within wait_timeout (6 s); "
                                "container one-off-1234 was stopped")
    assert clock.sleeps == [2, 2, 2]


def test_run_detached_returns_at_once(api, client):
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER, "operation": "op-2"})
    result = one_off.run_detached(client, APP, "rake import", size="XL")
    assert result == dict(container=CONTAINER, detached=True, finished=False, operation=dict(
        id="op-2", url=API_BASE + "/apps/my-app/operations/op-2", type=None, status=None, error=None,
        created_at=None, finished_at=None))
    assert api.calls()[0].json == {"command": "rake import", "env": {}, "size": "XL", "detached": True}
    assert len(api.calls()) == 1


def test_run_detached_wait_timeout_says_the_container_goes_on(api, client, clock):
    client.sleep = time.sleep
    api.add("POST", "/apps/my-app/run", json={"container": CONTAINER})
    api.add("GET", "/apps/my-app/ps", json={"containers": [CONTAINER]})
    with pytest.raises(one_off.OneOffTimeoutError) as error:
        one_off.run_detached(client, APP, "rake import", wait=True, wait_timeout=4, interval=2)
    assert str(error.value) == ("the detached one-off one-off-1234 still runs after wait_timeout (4 s); it goes on "
                                "running (stop it with state=stopped)")
    assert error.value.result["finished"] is False
