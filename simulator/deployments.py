"""Deployments and sources (reference/scalingo_api/deployments.md, sources.md). Standard library only; see
families.py for the interface.

Sources
    `POST /v1/sources` gives an `upload_url` (`PUT` of the archive, answered 200) and a `download_url` (`GET`),
    both served by the simulator on `/v1/sources/{id}?token=...` without a bearer (the token in the URL is the
    credential), valid for `source_url_lifetime` seconds (403 afterwards).

Deployments
    `POST /v1/apps/{app}/deployments {"deployment": {"source_url", "git_ref"}}` fetches the source at once: a URL
    on the loopback (127.0.0.0/8, ::1, localhost) is downloaded, any other one is refused with a build error (the
    simulator reaches nothing outside the machine). The archive is then checked as the platform does (a gzipped
    tar with a single folder at its root); a bad archive ends in `build-error` with an explanatory output. The
    outcome of a good archive is `success`, unless an outcome was scripted (`POST /_sim/deployments/outcomes`).

    Statuses are computed from the time, over `deployment_duration` seconds from the start: `queued` (first
    tenth), `building` (until half), `pushing` (until 7/10), `starting`, then the outcome. `build-error` ends the
    building phase, `aborted` the pushing phase. One deployment builds at a time per app: a deployment created
    while another one goes on stays `queued` until the other one ends. The build output grows with the phases.

    A successful deployment makes the app deployed (`last_deployed_at`, `last_deployed_by`), gives it a `web`
    formation (1 container) when it had none, and adds the other types of the archive's Procfile (0 containers).
    The app's `last_deployment_id` names the latest deployment as soon as it is created.

Admin
    `POST /_sim/deployments/outcomes {"status", "app"?, "count"?, "output"?}` scripts the outcome of the next
    `count` deployments (of `app`, or of any app): `crashed-error`, `timeout-error`, `hook-error`,
    `build-error` or `aborted`, with `output` lines added to the build output. `GET` lists them, `DELETE`
    clears them.
"""

import gzip
import io
import ipaddress
import os
import tarfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from . import catalog
from .catalog import ApiError, invalid, iso, not_found, user_object
from .state import paginate
from .web import Response

CONFIG = {
    "deployment_duration": (float, 3.0),    # seconds from the start of a deployment to its outcome
    "source_url_lifetime": (float, 600.0),  # seconds the upload and download URLs of a source stay valid
}

FAILURES = ("build-error", "crashed-error", "timeout-error", "hook-error", "aborted")
# phases of each outcome: (status, start as a fraction of the duration)
FULL = (("queued", 0.0), ("building", 0.1), ("pushing", 0.5), ("starting", 0.7))
PHASES = {"success": FULL, "crashed-error": FULL, "timeout-error": FULL, "hook-error": FULL,
          "build-error": FULL[:2], "aborted": FULL[:3]}
FINAL_LINES = {
    "success": ["-----> Application deployed"],
    "crashed-error": [" !     The application crashed at boot: its web process exited with status 1"],
    "timeout-error": [" !     The application did not start within 60 seconds (no answer on $PORT)"],
    "hook-error": [" !     The postdeploy hook failed (exit status 1); the previous version keeps running"],
    "aborted": [" !     The deployment was aborted"],
    "build-error": [" !     Build failed"],
}
MAX_DOWNLOAD = 50 * 2 ** 20
DOWNLOAD_TIMEOUT = 10
BASE_IMAGE = "scalingo/scalingo-22:v2"


def _data(sim):
    return sim.store.extra.setdefault("deployments", {"sources": {}, "outcomes": []})


# ---------------------------------------------------------------------------------------------- sources

def _source_url(req, source, kind):
    return "%s/v1/sources/%s?token=%s" % (req.base, source["id"], source[kind + "_token"])


def _create_source(sim, req):
    now = time.time()
    with sim.store.lock:
        sources = _data(sim)["sources"]
        for key in [k for k, s in sources.items() if s["expires_at"] <= now]:
            del sources[key]
        source = {"id": str(uuid.uuid4()), "upload_token": os.urandom(16).hex(), "download_token": os.urandom(16).hex(),
                  "expires_at": now + sim.config.source_url_lifetime, "data": None, "owner": req.email}
        sources[source["id"]] = source
    return Response(201, {"source": {"upload_url": _source_url(req, source, "upload"),
                                     "download_url": _source_url(req, source, "download")}})


def _source_for(sim, req, source_id, kind):
    source = _data(sim)["sources"].get(source_id)
    if source is None:
        raise not_found("source")
    if req.query.get("token") != source[kind + "_token"]:
        raise ApiError(403, {"error": "the token of this URL is not valid for a %s" % kind})
    if time.time() >= source["expires_at"]:
        raise ApiError(403, {"error": "this URL has expired"})
    return source


def _upload(sim, req, source_id):
    with sim.store.lock:
        source = _source_for(sim, req, source_id, "upload")
        source["data"] = bytes(req.body)
    return Response(200)


def _download(sim, req, source_id):
    with sim.store.lock:
        source = _source_for(sim, req, source_id, "download")
        data = source["data"]
    if data is None:
        raise ApiError(404, {"error": "nothing was uploaded to this source"})
    return Response(200, data)


# ---------------------------------------------------------------------------------------------- builds

def _loopback(host):
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fetch(url):
    """(bytes, None) or (None, [output lines explaining why the source could not be fetched])."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return None, [" !     The source_url is not an http(s) URL with a host"]
    if not _loopback(host):
        return None, [" !     The source archive could not be fetched from %s: this simulator downloads nothing "
                      "outside this machine (only loopback URLs, such as the download_url of POST /v1/sources)"
                      % host]
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as answer:  # noqa: S310 - loopback only
            data = answer.read(MAX_DOWNLOAD + 1)
    except urllib.error.HTTPError as error:
        return None, [" !     The source archive could not be fetched: the server answered %d" % error.code]
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, [" !     The source archive could not be fetched: %s" % getattr(error, "reason", error)]
    if len(data) > MAX_DOWNLOAD:
        return None, [" !     The source archive is larger than %d MiB" % (MAX_DOWNLOAD // 2 ** 20)]
    return data, None


def _inspect(data):
    """(Procfile types or None, None) for a deployable archive, else (None, [output lines of the build error])."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, ValueError):
        return None, [" !     The source archive is not a gzipped archive: the platform deploys tar archives "
                      "compressed with gzip (.tar.gz)"]
    try:
        tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
        members = tar.getmembers()
    except (tarfile.TarError, EOFError, ValueError):
        return None, [" !     The source archive is gzipped but is not a tar archive: the platform deploys tar "
                      "archives compressed with gzip (.tar.gz)"]
    tops, folders, procfile = set(), set(), None
    for member in members:
        name = member.name.lstrip("/")
        while name.startswith("./"):
            name = name[2:].lstrip("/")
        name = "" if name == "." else name.rstrip("/")
        if not name:
            continue
        top = name.split("/", 1)[0]
        tops.add(top)
        if member.isdir() or "/" in name:
            folders.add(top)
        if name.count("/") == 1 and name.endswith("/Procfile") and member.isfile():
            procfile = tar.extractfile(member).read().decode("utf-8", "replace")
    if len(tops) != 1 or not folders:
        found = ", ".join(sorted(tops)[:10]) or "nothing"
        return None, [" !     The source archive must contain a single folder at its root, holding the sources "
                      "of the application; it contains %d entries at its root: %s" % (len(tops), found)]
    types = []
    for line in (procfile or "").splitlines():
        kind = line.split(":", 1)[0].strip()
        if ":" in line and kind and not kind.startswith("#") and kind not in types:
            types.append(kind)
    return types, None


def _next_outcome(sim, app):
    outcomes = _data(sim)["outcomes"]
    for outcome in outcomes:
        if outcome["app"] in (None, app["name"], app["id"]):
            outcome["count"] -= 1
            if outcome["count"] <= 0:
                outcomes.remove(outcome)
            return outcome
    return None


def _build(sim, app, data, fetch_error):
    """(outcome, output lines as [fraction, text], Procfile types, image size) of a fetched source."""
    lines = [[0.1, "-----> Fetching the source archive"]]
    if fetch_error:
        return "build-error", lines + [[1.0, text] for text in fetch_error + FINAL_LINES["build-error"]], [], 0
    lines.append([0.1, "       %d bytes received" % len(data)])
    types, error = _inspect(data)
    if error:
        return "build-error", lines + [[1.0, text] for text in error + FINAL_LINES["build-error"]], [], 0
    scripted = _next_outcome(sim, app)
    outcome = scripted["status"] if scripted else "success"
    extra = ((scripted or {}).get("output") or "").splitlines()
    lines.append([0.2, "-----> Detecting the buildpack"])
    if outcome == "build-error":
        return outcome, lines + [[1.0, text] for text in extra + FINAL_LINES[outcome]], [], 0
    lines += [[0.3, "-----> Procfile declares types -> %s" % ", ".join(types) if types
               else "-----> No Procfile: the platform runs the default web process of the buildpack"],
              [0.45, "-----> Build completed"]]
    image_size = 100 * 2 ** 20 + len(data)
    lines += [[0.5, "-----> Pushing the image (%d bytes)" % image_size]]
    if outcome != "aborted":
        lines += [[0.7, "-----> Starting the containers"]]
    lines += [[1.0, text] for text in extra + FINAL_LINES[outcome]]
    return outcome, lines, types, image_size


# ---------------------------------------------------------------------------------------------- deployments

def _end(record):
    return record["start_at"] + record["duration"]


def _status(record, now):
    if now >= _end(record):
        return record["outcome"]
    status = "queued"
    for name, fraction in PHASES[record["outcome"]]:
        if now >= record["start_at"] + fraction * record["duration"]:
            status = name
    return status


def _settle(sim, app, record):
    """Apply the end of a deployment to its app, once (under the store's lock)."""
    if record.get("settled") or time.time() < _end(record):
        return
    record["settled"] = True
    store = sim.store
    if record["outcome"] != "success":
        store.log(app["id"], "deployment %s ended: %s" % (record["id"], record["outcome"]), "deployer")
        return
    app["deployed"] = True
    app["deployed_at"] = _end(record)
    app["last_deployed_by"] = user_object(record["pusher"])["username"]
    if not app["formation"]:
        app["formation"] = [store._formation_entry("web", 1, catalog.DEFAULT_SIZE)]
    known = {entry["name"] for entry in app["formation"]}
    for kind in record.get("types") or ():
        if kind not in known:
            app["formation"].append(store._formation_entry(kind, 0, catalog.DEFAULT_SIZE))
    store._sync_containers(app, None)
    store.log(app["id"], "deployment %s ended: success (git_ref %s)" % (record["id"], record["git_ref"]), "deployer")


def _settle_later(sim, app_id, deployment_id, delay):
    def run():
        with sim.store.lock:
            app = sim.store.apps.get(app_id)
            record = next((d for d in (app or {}).get("deployments") or () if d["id"] == deployment_id), None)
            if record is not None:
                _settle(sim, app, record)
    timer = threading.Timer(max(delay, 0) + 0.001, run)
    timer.daemon = True
    timer.start()


def _records(sim, app):
    """The app's deployments, oldest first, with those that have ended applied to the app."""
    records = app.setdefault("deployments", [])
    for record in records:
        _settle(sim, app, record)
    return records


def _view(app, record, base, now):
    status = _status(record, now)
    finished = status not in ("queued", "building", "pushing", "starting")
    return {
        "id": record["id"], "app_id": app["id"], "created_at": iso(record["created_at"]),
        "finished_at": iso(_end(record)) if finished else None, "status": status, "git_ref": record["git_ref"],
        "previous_git_ref": record["previous_git_ref"], "type": "archive",
        "duration": int(round(_end(record) - record["created_at"])) if finished else 0,
        "image_size": record["image_size"] if finished and status != "build-error" else 0,
        "stack_base_image": BASE_IMAGE, "pusher": user_object(record["pusher"]),
        "links": {"output": "%s/v1/apps/%s/deployments/%s/output" % (base, app["id"], record["id"])},
    }


def _record_for(sim, req, ref, deployment_id):
    app = sim.store.app_for(req.email, ref)
    record = next((d for d in _records(sim, app) if d["id"] == deployment_id), None)
    if record is None:
        raise not_found("deployment")
    return app, record


def _list(sim, req, app):
    with sim.store.lock:
        record = sim.store.app_for(req.email, app)
        now = time.time()
        views = [_view(record, d, req.base, now) for d in reversed(_records(sim, record))]
    return Response(200, paginate(views, req.query, "deployments"))


def _show(sim, req, app, deployment):
    with sim.store.lock:
        record, found = _record_for(sim, req, app, deployment)
        return Response(200, {"deployment": _view(record, found, req.base, time.time())})


def _output(sim, req, app, deployment):
    with sim.store.lock:
        dummy, found = _record_for(sim, req, app, deployment)
        now = time.time()
        shown = [text for fraction, text in found["output"]
                 if now >= found["start_at"] + fraction * found["duration"] or now >= _end(found)]
    return Response(200, "".join(line + "\n" for line in shown))


def _create(sim, req, app):
    body = req.json()
    payload = body.get("deployment")
    if not isinstance(payload, dict):
        raise invalid("deployment", "missing field")
    source_url, git_ref = payload.get("source_url"), payload.get("git_ref")
    if not isinstance(source_url, str) or not source_url.strip():
        raise invalid("source_url", "can't be blank")
    if git_ref is not None and (not isinstance(git_ref, str) or not git_ref.strip()):
        raise invalid("git_ref", "should be a non-empty string")
    if git_ref is not None and git_ref.startswith("-"):
        raise invalid("git_ref", "is invalid: it must not start with '-'")
    with sim.store.lock:
        sim.store.app_for(req.email, app)   # 404 before fetching anything
    data, fetch_error = _fetch(source_url)   # outside the lock: the URL may be this simulator's own
    with sim.store.lock:
        record_app = sim.store.app_for(req.email, app)
        records = _records(sim, record_app)
        now = time.time()
        outcome, lines, types, image_size = _build(sim, record_app, data, fetch_error)
        busy_until = max([_end(d) for d in records if _end(d) > now] or [now])
        previous = next((d["git_ref"] for d in reversed(records) if d["outcome"] == "success" and _end(d) <= now),
                        None)
        record = {"id": str(uuid.uuid4()), "created_at": now, "start_at": busy_until,
                  "duration": sim.config.deployment_duration, "git_ref": git_ref, "previous_git_ref": previous,
                  "outcome": outcome, "output": lines, "types": types, "image_size": image_size,
                  "pusher": req.email, "settled": False}
        records.append(record)
        record_app["last_deployment_id"] = record["id"]
        sim.store.log(record_app["id"], "deployment %s created (git_ref %s)" % (record["id"], git_ref), "deployer")
        view = _view(record_app, record, req.base, now)
    _settle_later(sim, record_app["id"], record["id"], _end(record) - time.time())
    return Response(201, {"deployment": view})


def routes(sim):
    app = r"/v1/apps/(?P<app>[^/]+)/deployments"
    return [
        ("POST", "/v1/sources", lambda req: _create_source(sim, req), "regional"),
        ("PUT", r"/v1/sources/(?P<source_id>[^/]+)", lambda req, source_id: _upload(sim, req, source_id), "public"),
        ("GET", r"/v1/sources/(?P<source_id>[^/]+)", lambda req, source_id: _download(sim, req, source_id), "public"),
        ("GET", app, lambda req, app: _list(sim, req, app), "regional"),
        ("POST", app, lambda req, app: _create(sim, req, app), "regional"),
        ("GET", app + r"/(?P<deployment>[^/]+)", lambda req, app, deployment: _show(sim, req, app, deployment),
         "regional"),
        ("GET", app + r"/(?P<deployment>[^/]+)/output",
         lambda req, app, deployment: _output(sim, req, app, deployment), "regional"),
    ]


def admin(sim, req):
    if req.path != "/_sim/deployments/outcomes":
        return None
    with sim.store.lock:
        outcomes = _data(sim)["outcomes"]
        if req.method == "GET":
            return Response(200, {"outcomes": [dict(o) for o in outcomes]})
        if req.method == "DELETE":
            del outcomes[:]
            return Response(204)
        if req.method != "POST":
            raise ApiError(405, {"error": "method %s not allowed on %s" % (req.method, req.path)})
        spec = req.json()
        status, count, output = spec.get("status"), spec.get("count", 1), spec.get("output") or ""
        if status not in FAILURES:
            raise invalid("status", "should be one of %s" % ", ".join(FAILURES))
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise invalid("count", "should be a positive integer")
        if not isinstance(output, str):
            raise invalid("output", "should be a string")
        app = spec.get("app")
        if app is not None and not isinstance(app, str):
            raise invalid("app", "should be an app name or id")
        outcome = {"status": status, "app": app, "count": count, "output": output}
        outcomes.append(outcome)
        return Response(201, {"outcome": dict(outcome)})
