"""HTTP front of the simulator: the regional API, the auth service, the attach and logs endpoints
and the admin API (`/_sim/`), all on one port. Standard library only."""

import collections
import json
import math
import re
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import __version__, catalog, projects
from .auth import DEFAULT_EMAIL, DEFAULT_TOKEN, Authority
from .catalog import ApiError, invalid, iso, not_found
from .faults import Faults, answer as fault_answer
from .regions import Regions
from .state import Config, Store
from .web import Request, Response  # noqa: F401 (Response is part of this module's interface)
from .families import FAMILIES

MAX_BODY = 10 * 2 ** 20
LOGGED_HEADERS = ("User-Agent", "Content-Type", "Accept", "X-Dry-Run", "Authorization")
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


class RateLimiter:
    """Sliding 60-second window per API token; refused requests do not consume the budget."""

    WINDOW = 60.0

    def __init__(self):
        self._lock = threading.Lock()
        self._windows = {}

    def check(self, key, limit):
        """None when the request may go on, else the seconds until the window frees a slot."""
        if not limit:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(key, collections.deque())
            while window and window[0] <= now - self.WINDOW:
                window.popleft()
            if len(window) >= limit:
                return max(1, int(math.ceil(window[0] + self.WINDOW - now)))
            window.append(now)
            return None

    def reset(self):
        with self._lock:
            self._windows.clear()


class RequestLog:
    """The requests the API, auth, attach and logs endpoints received (memory, optional JSON lines file)."""

    def __init__(self, path=None, keep=10000):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=keep)
        self._path = path

    def add(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with open(self._path, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")

    def list(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


def _mask(value):
    scheme = value.split(" ", 1)[0] if value else ""
    return scheme + " ***" if scheme.lower() in ("bearer", "basic") else "***"


# Body fields whose values are secrets: masked in the request log like the Authorization header. `env` (one-off
# environment) masks every value of its object; the others mask the value they hold, wherever they are.
SECRET_OBJECTS = ("env",)
SECRET_FIELDS = ("value", "tlskey", "tls_key", "password", "secret")


def _masked(data):
    """`data` (parsed JSON) with the values of SECRET_OBJECTS and SECRET_FIELDS replaced by `***`."""
    if isinstance(data, list):
        return [_masked(item) for item in data]
    if not isinstance(data, dict):
        return data
    masked = {}
    for key, value in data.items():
        if key in SECRET_OBJECTS and isinstance(value, dict):
            masked[key] = {name: "***" for name in value}
        elif key in SECRET_FIELDS and value is not None and not isinstance(value, (dict, list)):
            masked[key] = "***"
        else:
            masked[key] = _masked(value)
    return masked


def _logged_body(raw, limit=2000):
    """The parsed JSON body with its secrets masked (its JSON cut at `limit` characters when longer); a body that
    is not JSON, only its size (it may hold a secret the masking cannot find)."""
    if not raw:
        return None
    try:
        data = _masked(json.loads(raw.decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        return "<%d bytes, not JSON>" % len(raw)
    text = json.dumps(data)
    return data if len(text) <= limit else text[:limit] + "..."


class Simulator:
    """Everything one simulator process holds; `serve()` gives the HTTP server."""

    def __init__(self, config=None, tokens=None, state_file=None, request_log=None):
        self.config = config or Config()
        self.authority = Authority(tokens or {DEFAULT_TOKEN: DEFAULT_EMAIL}, self.config)
        self.store = Store(self.config, state_file)
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.requests = RequestLog(request_log)
        self.started = time.time()
        self.routes = _routes(self)
        self.regional = Regions(self, _routes, state_file)

    def add_fault(self, spec):
        """An HTTP fault, or an operation fault when the spec has an `operation` key."""
        if isinstance(spec, dict) and "operation" in spec:
            return self.store.add_operation_fault(spec)
        return self.faults.add(spec)

    def serve(self, host="127.0.0.1", port=0, verbose=False):
        server = SimulatorHTTPServer((host, port), Handler)
        server.sim = self
        server.verbose = verbose
        return server

    # -- auth service ------------------------------------------------------------------------------
    def exchange(self, req):
        if req.body.strip():
            req.json()
        return Response(200, {"token": self.authority.exchange(req.headers.get("Authorization"))})

    def regions(self, req):
        return Response(200, self.regional.listing(req.base, urlsplit(req.base).hostname))

    def users_self(self, req):
        email, dummy = self.authority.user_from_header(req.headers.get("Authorization"))
        return Response(200, {"user": self.authority.user(email)})

    # -- admin -----------------------------------------------------------------------------------
    def admin(self, req):
        path, method = req.path, req.method
        store = self.store
        if (method, path) == ("GET", "/_sim/health"):
            with store.lock:
                count = len(store.apps)
            return Response(200, {"status": "ok", "version": __version__, "apps": count,
                                  "uptime": round(time.time() - self.started, 3)})
        if (method, path) == ("POST", "/_sim/reset"):
            store.reset()
            self.regional.reset()
            self.faults.clear()
            self.limiter.reset()
            return Response(200, {"status": "reset"})
        if path == "/_sim/requests" and method in ("GET", "DELETE"):
            if method == "DELETE":
                self.requests.clear()
                return Response(204)
            return Response(200, {"requests": self.requests.list()})
        if path == "/_sim/faults" and method in ("GET", "POST", "DELETE"):
            if method == "DELETE":
                self.faults.clear()
                with store.lock:
                    store.operation_faults = []
                return Response(204)
            if method == "POST":
                return Response(201, {"fault": self.add_fault(req.json())})
            with store.lock:
                operations = [dict(f) for f in store.operation_faults]
            return Response(200, {"faults": self.faults.list(), "operation_faults": operations})
        if path == "/_sim/config" and method in ("GET", "POST"):
            return Response(200, {"config": self.config.update(req.json() if method == "POST" else {})})
        if (method, path) == ("POST", "/_sim/apps"):
            return Response(201, {"app": self.regional.seed(req.json(), self.authority.default_email(), req.base)})
        match = re.fullmatch(r"/_sim/apps/([^/]+)/(collaborators|autoscalers)", path)
        if match and method == "POST":
            if match.group(2) == "collaborators":
                return Response(201, store.add_collaborator(match.group(1), req.json().get("email")))
            return Response(201, store.add_autoscaler(match.group(1), req.json()))
        if (method, path) == ("POST", "/_sim/scripts"):
            return Response(201, {"script": store.add_script(req.json())})
        if (method, path) == ("POST", "/_sim/tokens"):
            body = req.json()
            token, email = body.get("token"), body.get("email") or DEFAULT_EMAIL
            if not isinstance(token, str) or not token:
                raise invalid("token", "can't be blank")
            self.authority.add_token(token, email)
            return Response(201, {"user": self.authority.user(email)})
        if (method, path) == ("GET", "/_sim/bearers"):
            return Response(200, {"bearers": self.authority.bearers()})
        if (method, path) == ("POST", "/_sim/bearers/expire"):
            return Response(200, {"expired": self.authority.expire_all()})
        if (method, path) == ("GET", "/_sim/state"):
            return Response(200, self.regional.snapshot(req.query.get("region")))
        for family in FAMILIES:
            response = family.admin(self, req)
            if response is not None:
                return response
        raise ApiError(404, {"error": "no admin endpoint %s %s" % (method, path)})

    # -- dispatch --------------------------------------------------------------------------------
    def dispatch(self, req):
        """Response of a request to the auth service, the regional API, or the logs endpoint."""
        routes, path = self.regional.split(req) or (self.routes, req.path)
        for method, pattern, handler, kind in routes:
            match = pattern.fullmatch(path)
            if match is None or method != req.method:
                continue
            if kind == "regional":
                req.email, req.token_id = self.authority.user_from_header(req.headers.get("Authorization"))
                if self.config.region_disabled:
                    raise catalog.region_disabled()
                wait = self.limiter.check(req.token_id, self.config.rate_limit)
                if wait is not None:
                    raise catalog.too_many_requests(wait)
            return handler(req, **{k: unquote(v) for k, v in match.groupdict().items() if v is not None})
        if any(pattern.fullmatch(path) for dummy, pattern, dummy, dummy in routes):
            raise ApiError(405, {"error": "method %s not allowed on %s" % (req.method, req.path)})
        if path.startswith("/v1/apps/"):
            raise not_found("app") if path.count("/") == 3 else ApiError(404, {"error": "not found"})
        raise ApiError(404, {"error": "not found"})


def _routes(sim):
    """The route table of a region's API: `sim` is the simulator, or a `regions.RegionView` of it."""
    store = sim.store

    def app_response(status, app, req):
        return Response(status, {"app": store.app_view(app, req.base)})

    def create(req, parent=None, dry_run=None):
        app = store.create_app(req.email, req.json(), req.dry_run if dry_run is None else dry_run, parent_ref=parent)
        with store.lock:
            return app_response(201, app, req)

    def show(req, app):
        with store.lock:
            return app_response(200, store.app_for(req.email, app), req)

    def update(req, app):
        body = req.json()
        payload = body.get("app", body if req.method == "PUT" else None)
        updated = store.update_app(req.email, app, payload, req.query.get("current_name"))
        with store.lock:
            return app_response(200, updated, req)

    def rename(req, app):
        renamed = store.rename_app(req.email, app, req.json())
        with store.lock:
            return app_response(200, renamed, req)

    def delete(req, app):
        store.delete_app(req.email, app, req.query.get("current_name"))
        return Response(204)

    def scale(req, app):
        record, op, formation = store.scale(req.email, app, req.json())
        if op is None:
            return Response(200, formation)
        return Response(202, formation, {"Location": store.operation_location(record, op, req.base)})

    def restart(req, app):
        record, op = store.restart(req.email, app, req.json())
        return Response(202, None, {"Location": store.operation_location(record, op, req.base)})

    def run(req, app):
        body = store.run(req.email, app, req.json(), req.base)
        # The documentation sends attached runs to the operation through a Location header too.
        return Response(200, body, {"Location": body["operation_url"]} if "attach_url" in body else None)

    def stop(req, app, container):
        store.stop(req.email, app, container)
        return Response(202)

    def kill(req, app, container):
        store.kill(req.email, app, container, req.json())
        return Response(204)

    def logs(req, app_id):
        count = req.query.get("n", "100")
        lines = store.log_lines(app_id, req.query.get("token"), int(count) if count.isdigit() else 100)
        return Response(200, "".join(line + "\n" for line in lines))

    app = r"/v1/apps/(?P<app>[^/]+)"
    table = [
        ("POST", "/v1/tokens/exchange", sim.exchange, "auth"),
        ("GET", "/v1/regions", sim.regions, "auth"),
        ("GET", "/v1/users/self", sim.users_self, "auth"),
        ("GET", r"/logs/apps/(?P<app_id>[^/]+)/logs", logs, "logs"),
        ("GET", "/v1/apps", lambda req: Response(200, store.list_apps(req.email, req.base)), "regional"),
        ("POST", "/v1/apps", create, "regional"),
        ("GET", app, show, "regional"),
        ("PATCH", app, update, "regional"),
        ("PUT", app, update, "regional"),
        ("DELETE", app, delete, "regional"),
        ("POST", app + "/rename", rename, "regional"),
        ("GET", app + "/containers", lambda req, app: Response(200, store.formation(req.email, app)), "regional"),
        ("GET", app + "/ps", lambda req, app: Response(200, store.processes(req.email, app)), "regional"),
        ("POST", app + "/scale", scale, "regional"),
        ("POST", app + "/restart", restart, "regional"),
        ("POST", app + "/run", run, "regional"),
        ("POST", app + "/containers/(?P<container>[^/]+)/stop", stop, "regional"),
        ("POST", app + "/containers/(?P<container>[^/]+)/kill", kill, "regional"),
        ("GET", app + "/logs", lambda req, app: Response(200, store.logs_url(req.email, app, req.base)), "regional"),
        ("GET", app + "/logs_archives", lambda req, app: Response(
            200, store.logs_archives(req.email, app, req.base, req.query.get("cursor"))), "regional"),
        ("GET", app + "/stats", lambda req, app: Response(200, store.stats(req.email, app)), "regional"),
        ("GET", app + "/stats/(?P<metric>[^/]+)/recommended_value", lambda req, app, metric: Response(
            200, store.recommended_value(req.email, app, metric, req.query)), "regional"),
        ("GET", app + "/stats/(?P<metric>[^/]+)(?:/(?P<kind>[^/]+)(?:/(?P<index>[^/]+))?)?",
         lambda req, app, metric, kind=None, index=None: Response(
             200, store.metrics(req.email, app, metric, kind, index, req.query)), "regional"),
        ("GET", app + "/operations/(?P<op>[^/]+)", lambda req, app, op: Response(
            200, store.operation_view(req.email, app, op)), "regional"),
        ("GET", app + "/child_apps", lambda req, app: Response(
            200, store.child_apps(req.email, app, req.base, req.query)), "regional"),
        # The documentation never says that X-Dry-Run is honoured here: modelled pessimistically, it is ignored
        # (the child app is created), so that a client relying on it would show.
        ("POST", app + "/child_apps", lambda req, app: create(req, parent=app, dry_run=False), "regional"),
        ("GET", app + "/autoscalers", lambda req, app: Response(200, store.autoscalers(req.email, app)), "regional"),
        ("GET", "/v1/features/container_sizes", lambda req: Response(
            200, {"container_sizes": [dict(s) for s in catalog.CONTAINER_SIZES.values()]}), "regional"),
    ] + projects.routes(store)
    for family in FAMILIES:
        table.extend(family.routes(sim))
    return [(method, re.compile(pattern), handler, kind) for method, pattern, handler, kind in table]


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    block_on_close = False
    sim = None
    verbose = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body leave in separate writes
    server_version = "ScalingoAPISimulator/" + __version__
    timeout = 300

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    @property
    def sim(self):
        return self.server.sim

    def _base(self):
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return "http://" + host

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_BODY:
                    raise ApiError(413, {"error": "request body too large"})
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, {"error": "request body too large"})
        return self.rfile.read(length) if length > 0 else b""

    def _request(self, body):
        split = urlsplit(self.path)
        path = split.path or "/"
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        return Request(self.command, path, query, self.headers, body, self._base())

    def _send(self, response, head_only=False, trickle=0, trickle_bytes=1):
        """Write the answer; with `trickle`, the body goes `trickle_bytes` at a time, `trickle` seconds apart."""
        payload, content_type = response.encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if content_type and "Content-Type" not in response.headers:
            self.send_header("Content-Type", content_type)
        if response.status != 204 and response.status >= 200:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and not head_only:
            if not trickle:
                self.wfile.write(payload)
                return
            for start in range(0, len(payload), trickle_bytes):
                self.wfile.write(payload[start:start + trickle_bytes])
                self.wfile.flush()
                if start + trickle_bytes < len(payload):
                    time.sleep(trickle)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _log(self, req, status, started, **extra):
        headers = {}
        for name in LOGGED_HEADERS:
            value = req.headers.get(name)
            if value is not None:
                headers[name] = _mask(value) if name == "Authorization" else value
        query = {k: ("***" if k == "token" else v) for k, v in req.query.items()}
        entry = {"time": iso(time.time()), "method": self.command, "path": req.path, "query": query,
                 "headers": headers, "body": _logged_body(req.body), "status": status,
                 "duration_ms": round((time.monotonic() - started) * 1000, 1)}
        if req.email:
            entry["user"] = req.email
        entry.update(extra)
        self.sim.requests.add(entry)

    def _handle(self):
        started = time.monotonic()
        try:
            body = self._read_body()
        except (ValueError, ApiError) as error:
            status = error.status if isinstance(error, ApiError) else 400
            self.close_connection = True
            self._send(Response(status, {"error": "could not read the request body"}))
            return
        req = self._request(body)
        head_only = req.method == "HEAD"
        if head_only:
            req.method = "GET"
        if req.path == "/_sim" or req.path.startswith("/_sim/"):
            response = self._answer(req, self.sim.admin)
            self._send(response, head_only)
            return
        fault = self.sim.faults.match(req.method, req.path)
        if fault and fault["delay"]:
            time.sleep(fault["delay"])
        if fault and fault["drop"] and not fault["after_processing"]:
            self._log(req, None, started, dropped=True)
            self._drop()
            return
        if fault and fault["status"] is not None:
            response = Response(*fault_answer(fault))
        elif req.path.startswith("/run/"):
            response = self._answer(req, self._wait)
        else:
            response = self._answer(req, self.sim.dispatch)
        if fault and fault["drop"]:
            self._log(req, response.status, started, dropped=True)
            self._drop()
            return
        try:
            if fault and fault["trickle"]:
                self._send(response, head_only, fault["trickle"], fault["trickle_bytes"])
            else:
                self._send(response, head_only)
        except OSError:
            # the client went away (e.g. its timeout passed during a delay): the request was still
            # processed, so it is logged, marked as an answer nobody received
            self.close_connection = True
            self._log(req, response.status, started, client_gone=True)
            return
        self._log(req, response.status, started)

    def _answer(self, req, dispatch):
        try:
            response = dispatch(req)
        except ApiError as error:
            return Response(error.status, error.body, error.headers)
        except Exception:  # pylint: disable=broad-except
            traceback.print_exc()
            return Response(500, {"error": catalog.INTERNAL_ERROR})
        if req.method in MUTATING and response.status < 400:
            try:
                self.sim.regional.save_after(req.path)
            except OSError as error:
                sys.stderr.write("cannot save the state file: %s\n" % error)
        return response

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    # -- one-off attach protocol ------------------------------------------------------------------
    def _attach_target(self, req, suffix=""):
        match = re.fullmatch(r"/run/([0-9a-f]+)" + suffix, req.path)
        if match is None:
            raise not_found("container")
        one_off = self.sim.store.attachable(match.group(1))
        req.email = self.sim.authority.user_from_basic_bearer(req.headers.get("Authorization"))
        return one_off

    def _wait(self, req):
        """GET {attach_url}/wait: blocks until the command ends, answers its exit code."""
        if req.method != "GET":
            raise ApiError(405, {"error": "method not allowed"})
        one_off = self._attach_target(req, "/wait")
        finished, code = one_off.wait_result(self.sim.config.attach_timeout + 60)
        if finished and code is not None:
            return Response(200, {"exit_code": code})
        return Response(408, {"error": "the command was killed after its inactivity timeout"})

    def do_CONNECT(self):
        """CONNECT {attach_url}: after `HTTP/1.1 200 OK`, the socket carries the command's I/O."""
        started = time.monotonic()
        target = self.path
        if "://" in target:
            target = urlsplit(target).path
        req = Request("CONNECT", target.rstrip("/"), {}, self.headers, b"", self._base())
        try:
            one_off = self._attach_target(req)
            if not one_off.claim_attach():
                raise ApiError(409, {"error": "this one-off is already attached or has ended"})
        except ApiError as error:
            self._send(Response(error.status, error.body, error.headers))
            self._log(req, error.status, started)
            self.close_connection = True
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\n\r\n")
        self._log(req, 200, started)
        self.close_connection = True
        one_off.attach(self.rfile, self.connection, self.sim.config.attach_timeout)
