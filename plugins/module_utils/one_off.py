# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One-off containers: start, attach, exit status, list and stop.

Attached run (the way the official clients do it)
    1. ``POST /apps/{app}/run`` with ``{"command", "env", "size"?, "detached": false}``. The answer holds
       ``container`` and ``operation`` (the id; ``operation_url`` is not trusted for its host), or, in the
       older form of the API, ``attach_url`` directly (nothing to follow then).
    2. The ``start-one-off`` operation is followed on the configured API base until ``done``; its
       ``start_one_off_data.attach_url`` is where the process waits for a terminal.
    3. A TCP connection (TLS for ``https``, checked unless ``validate_certs`` is false) to the attach URL's
       host and port carries ``CONNECT <path> HTTP/1.1`` with basic auth (empty user, the bearer as password).
       After ``200``, the connection carries the process output; the optional input is sent, then the
       end-of-transmission byte ``\\x04``; the output is read until the server closes the connection.
    4. ``GET <attach_url>/wait`` (same basic auth) answers ``{"exit_code": N}``; ``408`` means the platform
       stopped the one-off after a long time without any data sent or received.

A deadline (``run_timeout``) bounds steps 1 to 4; when it passes, the container is stopped
(``POST /apps/{app}/containers/{id}/stop``) and OneOffTimeoutError is raised.

Secrets: the bearer never appears in an exception or a result; output and errors are scrubbed of it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import json
import re
import selectors
import socket
import ssl
import time

try:
    from urllib.parse import quote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for the import sanity test
    from urllib import quote  # type: ignore
    from urlparse import urlsplit  # type: ignore

try:
    import requests
except ImportError:  # pragma: no cover - the glue reports the missing library before anything runs
    requests = None

from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    ScalingoAPIError,
    ScalingoError,
    ScalingoOperationError,
    ScalingoTimeoutError,
    error_reason,
    scrub,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.operations import operation_result

EOT = b"\x04"
CHUNK = 65536
HEAD_LIMIT = 65536
ERROR_BODY_LIMIT = 4096
_HEAD_END = re.compile(br"\r?\n\r?\n")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s+(.*))?$")
ATTACH_HINTS = {
    401: "the one-off attach endpoint refused the credentials",
    403: "the one-off attach endpoint refused the credentials",
    404: "the one-off container is gone or its attach URL expired",
}


class OneOffError(ScalingoError):
    """A one-off could not be started, attached, followed or read. ``result`` holds what is known
    (``container``, ``operation``, output read so far); ``stage`` says where it failed."""

    fields = ("stage", "status", "cause")

    def __init__(self, message, stage, status=None, result=None, cause=None):
        super(OneOffError, self).__init__(message)
        self.stage = stage
        self.status = status
        self.result = result if result is not None else {}
        self.cause = cause


class OneOffTimeoutError(OneOffError):
    """The run did not end before its deadline."""


class OneOffInactivityError(OneOffError):
    """``/wait`` answered 408: the platform stopped the one-off after a long time without data."""


# ---------------------------------------------------------------- input rules

# ------------------------------------------------------------------ API calls

def _app_path(app):
    return "/apps/%s" % quote(app, safe="")


def start(client, app, command, env=None, size=None, detached=False):
    """``POST /apps/{app}/run``; returns the answer body (never repeated: a duplicate one-off is worse than
    a clear error)."""
    body = {"command": command, "env": env or {}, "detached": bool(detached)}
    if size:
        body["size"] = size
    return client.post(_app_path(app) + "/run", json=body).json or {}


def container_view(container):
    """The container of a run answer as results show it: without the embedded app and without the pricing of
    its ``container_size``, so that a failure shows the message and the output first."""
    if not isinstance(container, dict):
        return {}
    view = dict((key, value) for key, value in container.items() if key != "app")
    if isinstance(view.get("container_size"), dict):
        view["container_size"] = dict((key, value) for key, value in view["container_size"].items()
                                      if "price" not in key and "pricing" not in key)
    return view


def container_label(container):
    """The label the CLI shows (``one-off-1234``), rebuilt from type and index when the API gives none."""
    if not isinstance(container, dict):
        return None
    if container.get("label"):
        return container["label"]
    if container.get("type") and container.get("type_index") is not None:
        return "%s-%s" % (container["type"], container["type_index"])
    return container.get("id")


def list_containers(client, app):
    """``GET /apps/{app}/ps``: the running containers of the app."""
    return (client.get(_app_path(app) + "/ps").json or {}).get("containers") or []


def find_container(containers, ident):
    """The container whose id or label is ``ident``, else None."""
    for container in containers:
        if isinstance(container, dict) and ident in (container.get("id"), container_label(container)):
            return container
    return None


def stop(client, app, container_id):
    """``POST /apps/{app}/containers/{id}/stop`` (202). True when asked to stop, False when already gone (404).
    Repeating a stop is harmless, so the request may be retried."""
    try:
        client.post("%s/containers/%s/stop" % (_app_path(app), quote(container_id, safe="")), retry_safe=True)
    except ScalingoAPIError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def wait_gone(client, app, container_id, timeout, interval):
    """Poll ``/ps`` until ``container_id`` is no longer listed (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if find_container(list_containers(client, app), container_id) is None:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        client.sleep(min(interval, remaining))


# ------------------------------------------------------------ attach protocol

def _remaining(deadline, stage, what):
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OneOffTimeoutError("the time ran out while %s" % what, stage)
    return remaining


def _bound(seconds, deadline, stage, what):
    remaining = _remaining(deadline, stage, what)
    return seconds if remaining is None else min(seconds, remaining)


def _endpoint(attach_url):
    """(scheme, host, port, request target, Host header) of an attach URL; the path (a secret of the run)
    is never put in an error message."""
    try:
        parts = urlsplit(attach_url or "")
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise OneOffError("the attach URL given by the platform is not an http(s) URL with a host", "attach")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    host_header = ("[%s]" % host if ":" in host else host) + ("" if parts.port is None else ":%d" % port)
    return parts.scheme, host, port, target, host_header


def _describe(attach_url):
    try:
        scheme, host, port = _endpoint(attach_url)[:3]
        return "%s://%s:%d" % (scheme, host, port)
    except OneOffError:
        return "the attach endpoint"


def _ssl_context(validate_certs):
    context = ssl.create_default_context()
    if validate_certs is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(validate_certs, str):
        context.load_verify_locations(cafile=validate_certs)
    return context


def _connect(client, scheme, host, port, deadline):
    where = "%s:%d" % (host, port)
    timeout = _bound(client.timeout, deadline, "attach", "connecting to the one-off")
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        _remaining(deadline, "attach", "connecting to the one-off")
        raise OneOffError("could not connect to the one-off attach endpoint %s: no answer within %g s"
                          % (where, timeout), "attach")
    except (OSError, socket.error) as exc:
        raise OneOffError("could not connect to the one-off attach endpoint %s: %s"
                          % (where, getattr(exc, "strerror", None) or exc), "attach")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if scheme == "https":
            sock = _ssl_context(client.validate_certs).wrap_socket(sock, server_hostname=host)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        sock.close()
        raise OneOffError("TLS error with the one-off attach endpoint %s: %s; check the CA certificates "
                          "(validate_certs=false skips the check)" % (where, exc), "attach")
    except (OSError, socket.error) as exc:
        sock.close()
        raise OneOffError("could not connect to the one-off attach endpoint %s: %s" % (where, exc), "attach")
    return sock


def basic_auth(bearer):
    """The Authorization value of the attach endpoints: basic auth, empty user, the bearer as password."""
    return "Basic " + base64.b64encode((":" + bearer).encode("utf-8")).decode("ascii")


def _read_head(sock, where):
    """Read the answer to CONNECT: (status, reason, headers dict, bytes received after the head)."""
    data = b""
    while True:
        match = _HEAD_END.search(data)
        if match:
            break
        if len(data) > HEAD_LIMIT:
            raise OneOffError("the one-off attach endpoint %s answered with an oversized header" % where, "attach")
        chunk = sock.recv(4096)
        if not chunk:
            raise OneOffError("the one-off attach endpoint %s closed the connection without answering" % where,
                              "attach")
        data += chunk
    lines = data[:match.start()].decode("iso-8859-1").splitlines()
    status_line = _STATUS_LINE.match(lines[0].strip()) if lines else None
    if not status_line:
        raise OneOffError("the one-off attach endpoint %s did not answer with HTTP" % where, "attach")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.group(1)), (status_line.group(2) or "").strip(), headers, data[match.end():]


def _refusal(sock, status, reason, headers, rest, where):
    """OneOffError for an attach answer other than 200, with the short reason the server gave."""
    body = rest
    try:
        length = min(int(headers.get("content-length", "0")), ERROR_BODY_LIMIT)
        while len(body) < length:
            chunk = sock.recv(length - len(body))
            if not chunk:
                break
            body += chunk
    except (ValueError, OSError, socket.error):
        pass
    text = body[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text.strip().startswith("{") else None
    except ValueError:
        parsed = None
    message = error_reason(status, parsed, text)[0] if text.strip() else (reason or "no details given")
    hint = ATTACH_HINTS.get(status)
    return OneOffError("the one-off attach endpoint %s refused the connection (%d): %s%s"
                       % (where, status, message, "; " + hint if hint else ""), "attach", status=status)


def _pump(sock, payload, output, deadline):
    """Send ``payload`` while reading the output until the server closes; returns True when the stream
    ended cleanly, False when the connection was reset (the output may then be incomplete)."""
    sock.setblocking(False)
    tls = isinstance(sock, ssl.SSLSocket)
    sent = 0
    view = memoryview(payload)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    try:
        while True:
            if tls and sock.pending():
                ready = selectors.EVENT_READ
            else:
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if sent < len(payload) else 0)
                selector.modify(sock, events)
                remaining = _remaining(deadline, "output", "reading the output")
                found = selector.select(remaining)
                if not found:
                    _remaining(deadline, "output", "reading the output")
                    continue
                ready = found[0][1]
            if ready & selectors.EVENT_WRITE and sent < len(payload):
                try:
                    sent += sock.send(view[sent:sent + CHUNK])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except (OSError, socket.error):
                    sent = len(payload)  # the process stopped reading its input: keep reading the output
            if ready & selectors.EVENT_READ:
                try:
                    data = sock.recv(CHUNK)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                except ConnectionResetError:
                    return False
                except (OSError, socket.error) as exc:
                    raise OneOffError("the connection to the one-off broke while reading its output: %s" % exc,
                                      "output")
                if not data:
                    return True
                output += data
    finally:
        selector.close()


def attach(client, attach_url, stdin=None, deadline=None, output=None):
    """Attach to a one-off: CONNECT, send ``stdin`` then ``\\x04``, read everything until the server closes.

    Returns ``(output bytes, complete)``; ``output`` (a bytearray) may be passed to keep what was read when
    an error is raised. ``deadline`` is a ``time.monotonic()`` value, or None for no bound.
    """
    scheme, host, port, target, host_header = _endpoint(attach_url)
    where = "%s:%d" % (host, port)
    output = bytearray() if output is None else output
    bearer = client.bearer()
    request = ("CONNECT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nUser-Agent: %s\r\n\r\n" % (
        target, host_header, basic_auth(bearer), client.session.headers.get("User-Agent", "scalingo.cloud")))
    client.request_count += 1
    sock = _connect(client, scheme, host, port, deadline)
    try:
        try:
            sock.settimeout(_bound(client.timeout, deadline, "attach", "attaching to the one-off"))
            sock.sendall(request.encode("latin-1"))
            status, reason, headers, rest = _read_head(sock, where)
        except socket.timeout:
            _remaining(deadline, "attach", "attaching to the one-off")
            raise OneOffError("the one-off attach endpoint %s did not answer within %g s" % (where, client.timeout),
                              "attach")
        except (OSError, socket.error) as exc:
            raise OneOffError("the connection to the one-off attach endpoint %s broke: %s" % (where, exc), "attach")
        if status != 200:
            raise _refusal(sock, status, reason, headers, rest, where)
        output += rest
        payload = (stdin or "").encode("utf-8") + EOT
        complete = _pump(sock, payload, output, deadline)
    except ScalingoError as exc:
        raise exc.scrub([bearer])
    finally:
        sock.close()
    return bytes(output), complete


def exit_status(client, attach_url, deadline=None):
    """``GET <attach_url>/wait`` -> the exit code of the process (int). A 401 (the bearer expired while the
    command ran) is answered with a new token exchange and one more read."""
    where = _describe(attach_url)
    url = attach_url.rstrip("/") + "/wait"
    bearer = client.bearer()
    for attempt in (1, 2):
        timeout = _bound(client.timeout, deadline, "exit_status", "reading the exit status")
        client.request_count += 1
        try:
            answer = client.session.get(url, auth=("", bearer), timeout=timeout, verify=client.validate_certs,
                                        allow_redirects=False)
        except requests.exceptions.Timeout:
            _remaining(deadline, "exit_status", "reading the exit status")
            raise OneOffError("the one-off attach endpoint %s gave no exit status within %g s" % (where, timeout),
                              "exit_status")
        except requests.exceptions.RequestException as exc:
            raise OneOffError("could not read the exit status from the one-off attach endpoint %s: %s"
                              % (where, scrub(str(exc), [bearer, url])), "exit_status")
        if answer.status_code != 401 or attempt == 2:
            break
        client._bearer = None
        bearer = client.bearer(rejected=bearer)
    if answer.status_code == 408:
        raise OneOffInactivityError(
            "the platform stopped the one-off after a long time without any output or input (HTTP 408 from "
            "its exit status endpoint); make the command write to stdout regularly, or run it with "
            "detached=true and read the app logs", "exit_status", status=408)
    text = answer.text or ""
    try:
        body = answer.json() if text.strip() else None
    except ValueError:
        body = None
    if answer.status_code >= 300:
        message = error_reason(answer.status_code, body, text)[0]
        raise OneOffError("the one-off attach endpoint %s refused the exit status request (%d): %s%s"
                          % (where, answer.status_code, scrub(message, [bearer]),
                             "; " + ATTACH_HINTS[answer.status_code] if answer.status_code in ATTACH_HINTS else ""),
                          "exit_status", status=answer.status_code)
    code = body.get("exit_code") if isinstance(body, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        raise OneOffError("the one-off attach endpoint %s answered the exit status request without an "
                          "integer exit_code" % where, "exit_status", status=answer.status_code)
    return code


# ------------------------------------------------------------------ whole run

def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode_output(data):
    """The output as text: UTF-8 (invalid bytes replaced), line endings kept as the platform sent them."""
    text = bytes(data).decode("utf-8", "replace")
    return dict(stdout=text, stdout_lines=text.splitlines())


def _attach_url(client, app, answer, deadline, wait_timeout, interval):
    """``(attach URL, final start-one-off operation)``; the older run answer, without an operation, gives the
    URL directly (the operation is then None)."""
    if answer.get("operation"):
        location = client.operation_url(app, str(answer["operation"]))
    elif answer.get("operation_url"):
        location = answer["operation_url"]  # the client rebuilds it on the configured API base
    elif answer.get("attach_url"):
        return answer["attach_url"], None
    else:
        raise OneOffError("the platform answered the run request without an operation or an attach URL", "start")
    timeout = wait_timeout
    remaining = _remaining(deadline, "start", "waiting for the one-off to start")
    if remaining is not None and remaining < timeout:
        timeout = remaining
    try:
        operation = client.wait_for_operation(location, timeout=timeout, interval=interval)
    except ScalingoTimeoutError as exc:
        _remaining(deadline, "start", "waiting for the one-off to start")
        raise OneOffError("the one-off container did not start within wait_timeout (%s s)" % wait_timeout, "start",
                          cause=exc.to_dict())
    except ScalingoOperationError as exc:
        raise OneOffError("the one-off container failed to start: %s" % exc, "start", cause=exc.to_dict())
    url = (operation.get("start_one_off_data") or {}).get("attach_url")
    if not url:
        raise OneOffError("the start-one-off operation ended without an attach URL", "start")
    return url, operation


def _stop_after_failure(client, app, container, message):
    """Stop a container left behind by a failed run; returns the message completed with the outcome."""
    container_id = container.get("id")
    if not container_id:
        return message + "; the platform gave no container id, so nothing was stopped"
    try:
        stopped = stop(client, app, container_id)
    except ScalingoError as exc:
        return message + "; stopping container %s failed (%s): stop it with state=stopped" % (
            container_label(container), exc)
    return message + ("; container %s was stopped" % container_label(container) if stopped
                      else "; container %s was already gone" % container_label(container))


def run_attached(client, app, command, env=None, size=None, stdin=None, run_timeout=None,
                 wait_timeout=300, interval=2.0):
    """Run ``command`` attached and return ``{container, operation, stdout, stdout_lines, rc, started_at,
    finished_at, duration}``. Raises OneOffError (with ``result``) when the run cannot complete; on
    ``run_timeout`` the container is stopped first."""
    started_at, begin = _now(), time.monotonic()
    deadline = begin + run_timeout if run_timeout else None
    answer = start(client, app, command, env=env, size=size, detached=False)
    result = dict(container=container_view(answer.get("container")),
                  operation=operation_result(client, app, answer.get("operation")))
    output = bytearray()
    ended = False
    try:
        attach_url, operation = _attach_url(client, app, answer, deadline, wait_timeout, interval)
        if operation is not None:
            result["operation"] = operation_result(client, app, dict(operation, id=operation.get("id") or
                                                                     answer.get("operation")))
        data, complete = attach(client, attach_url, stdin=stdin, deadline=deadline, output=output)
        ended = True
        rc = exit_status(client, attach_url, deadline)
    except ScalingoError as exc:
        result.update(decode_output(output))
        result.update(started_at=started_at, finished_at=_now(), duration=round(time.monotonic() - begin, 3))
        if isinstance(exc, OneOffTimeoutError):
            error = OneOffTimeoutError("the one-off did not finish within run_timeout (%s s): %s"
                                       % (run_timeout, exc), exc.stage)
        elif isinstance(exc, OneOffError):
            error = exc
        else:
            error = OneOffError(str(exc), "exit_status" if ended else "start", status=getattr(exc, "status", None),
                                cause=exc.to_dict())
        if isinstance(error, OneOffTimeoutError) or not ended:
            error.message = _stop_after_failure(client, app, result["container"], error.message)
        error.result = result
        raise error
    if not complete:
        client.warnings.append("the connection to the one-off was reset by the platform: the output may be "
                               "incomplete")
    result.update(decode_output(data))
    result.update(rc=rc, started_at=started_at, finished_at=_now(), duration=round(time.monotonic() - begin, 3))
    return result


def run_detached(client, app, command, env=None, size=None, wait=False, wait_timeout=300, interval=2.0):
    """Start ``command`` detached; with ``wait``, poll ``/ps`` until the container has left it.
    Returns ``{container, operation, detached: true, finished}`` (the API gives no exit status)."""
    answer = start(client, app, command, env=env, size=size, detached=True)
    result = dict(container=container_view(answer.get("container")),
                  operation=operation_result(client, app, answer.get("operation")), detached=True, finished=False)
    if wait and result["container"].get("id"):
        result["finished"] = wait_gone(client, app, result["container"]["id"], wait_timeout, interval)
        if not result["finished"]:
            raise OneOffTimeoutError(
                "the detached one-off %s still runs after wait_timeout (%s s); it goes on running (stop it with "
                "state=stopped)" % (container_label(result["container"]), wait_timeout), "wait", result=result)
    return result
