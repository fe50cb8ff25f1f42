"""Projects (reference/scalingo_api/projects.md): the folders apps belong to, one set per region.

Every user has a default project (`default`, id derived from the email, as apps created without a
`project_id` have always used); it is listed by `GET /v1/projects` even before anything was created.
Projects live in the region's store (`store.projects`: id -> record), so each region has its own.
Renaming a project renames it in the `project` object of its apps. Transfer invitations are not
simulated.
"""

import time
import uuid

from . import catalog
from .catalog import invalid, iso, not_found, user_object

PROJECT_NAME_MAX = 64


def _record(project_id, name, owner, default, now=None):
    now = time.time() if now is None else now
    return {"id": project_id, "name": name, "owner": owner, "default": default, "created_at": now,
            "updated_at": now}


def ensure_default(store, owner):
    """The owner's default project record (created on first use). Call with the store's lock held."""
    default = catalog.default_project(owner)
    record = store.projects.get(default["id"])
    if record is None:
        has_other_default = any(p["owner"] == owner and p["default"] for p in store.projects.values())
        record = _record(default["id"], default["name"], owner, not has_other_default)
        store.projects[record["id"]] = record
    return record


def view(record):
    return {"id": record["id"], "name": record["name"], "default": record["default"],
            "created_at": iso(record["created_at"]), "updated_at": iso(record["updated_at"]),
            "owner": dict(user_object(record["owner"]), flags={}), "flags": {}}


def _check(payload, creating):
    if not isinstance(payload, dict):
        raise invalid("project", "missing field")
    name, default = payload.get("name"), payload.get("default")
    if creating or "name" in payload:
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "can't be blank")
        if len(name) > PROJECT_NAME_MAX:
            raise invalid("name", "is too long (maximum is %d characters)" % PROJECT_NAME_MAX)
    if default is not None and not isinstance(default, bool):
        raise invalid("default", "must be a boolean")
    return name, default


def _make_default(store, record):
    for other in store.projects.values():
        if other["owner"] == record["owner"] and other is not record and other["default"]:
            other["default"] = False
            other["updated_at"] = time.time()
    record["default"] = True


def find(store, email, project_id):
    record = store.projects.get(project_id)
    if record is None and project_id == catalog.default_project(email)["id"]:
        record = ensure_default(store, email)
    if record is None or record["owner"] != email:
        raise not_found("project")
    return record


def list_projects(store, email):
    with store.lock:
        ensure_default(store, email)
        mine = sorted((p for p in store.projects.values() if p["owner"] == email), key=lambda p: p["created_at"])
        return {"projects": [view(p) for p in mine]}


def create(store, email, body):
    with store.lock:
        name, default = _check(body.get("project") if isinstance(body, dict) else None, True)
        ensure_default(store, email)
        record = _record("pr-" + str(uuid.uuid4()), name.strip(), email, False)
        store.projects[record["id"]] = record
        if default:
            _make_default(store, record)
        return {"project": view(record)}


def named(store, owner, name):
    """The owner's project of that name, created when missing (admin seeding). Lock held by the caller."""
    ensure_default(store, owner)
    for record in sorted(store.projects.values(), key=lambda p: p["created_at"]):
        if record["owner"] == owner and record["name"] == name:
            return record
    record = _record("pr-" + str(uuid.uuid4()), name, owner, False)
    store.projects[record["id"]] = record
    return record


def show(store, email, project_id):
    with store.lock:
        return {"project": view(find(store, email, project_id))}


def update(store, email, project_id, body):
    with store.lock:
        record = find(store, email, project_id)
        name, default = _check(body.get("project") if isinstance(body, dict) else None, False)
        if default is False and record["default"]:
            raise invalid("default", "cannot be changed from true to false: make another project the default one")
        if name is not None and name.strip() != record["name"]:
            record["name"] = name.strip()
            for app in store.apps.values():
                if app["project"]["id"] == record["id"]:
                    app["project"] = {"id": record["id"], "name": record["name"]}
        if default:
            _make_default(store, record)
        record["updated_at"] = time.time()
        return {"project": view(record)}


def delete(store, email, project_id):
    with store.lock:
        record = find(store, email, project_id)
        if any(app["project"]["id"] == record["id"] for app in store.apps.values()):
            raise invalid("project", "contains applications: delete them first")
        if record["default"]:
            raise invalid("project", "is the default project: make another project the default one first")
        del store.projects[record["id"]]


def routes(store):
    """Routes of the projects API on the regional API of `store` (same tuples as server._routes)."""
    # imported here: server imports this module
    from .server import Response  # pylint: disable=import-outside-toplevel

    base = r"/v1/projects/(?P<project_id>[^/]+)"

    def delete_route(req, project_id):
        delete(store, req.email, project_id)
        return Response(204)

    return [
        ("GET", "/v1/projects", lambda req: Response(200, list_projects(store, req.email)), "regional"),
        ("POST", "/v1/projects", lambda req: Response(201, create(store, req.email, req.json())), "regional"),
        ("GET", base, lambda req, project_id: Response(200, show(store, req.email, project_id)), "regional"),
        ("PATCH", base, lambda req, project_id: Response(200, update(store, req.email, project_id, req.json())),
         "regional"),
        ("DELETE", base, delete_route, "regional"),
    ]
