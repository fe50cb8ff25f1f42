"""Collaborators of an app (reference/scalingo_api/collaborators.md). Standard library only; see families.py for the interface.

The app record's `collaborators` list (emails, the owner included) stays what gives access to the app
(`Store.app_for`); this family keeps one record per collaborator in `collaborator_records`:
an invitation is `pending` (no access yet) until accepted with the admin call
`POST /_sim/apps/{app}/collaborators/{id or email}/accept`, which adds its email to the access list.
Emails added directly with `POST /_sim/apps/{app}/collaborators` are accepted collaborators. The owner
is never listed. A limited collaborator may not invite, change or remove collaborators (403).
Emails are compared without case.
"""

import re
import time
from urllib.parse import unquote

from .catalog import ApiError, invalid, new_id, not_found, user_id, user_object
from .web import Response

CONFIG = {}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _records(app):
    """The app's collaborator records, with one accepted record for each email of the access list that has none."""
    records = app.setdefault("collaborator_records", [])
    known = set(r["email"].lower() for r in records)
    for email in app["collaborators"]:
        if email.lower() != app["owner"].lower() and email.lower() not in known:
            records.append({"id": new_id(), "email": email, "status": "accepted", "is_limited": False,
                            "token": None, "created_at": time.time()})
            known.add(email.lower())
    return records


def _listed(app):
    return [r for r in _records(app) if r["email"].lower() != app["owner"].lower()]


def _find(app, ref):
    ref = (ref or "").lower()
    for record in _listed(app):
        if record["id"] == ref or record["email"].lower() == ref:
            return record
    raise not_found("collaborator")


def view(app, record, base):
    accepted = record["status"] == "accepted"
    link = ""
    if not accepted and not record["is_limited"]:
        link = "%s/apps/collaboration?token=%s" % (base, record["token"])
    return {
        "id": record["id"], "email": record["email"],
        "user_id": user_id(record["email"]) if accepted else None,
        "username": user_object(record["email"])["username"] if accepted else "n/a",
        "tfa_status": False if accepted else None, "status": record["status"],
        "is_limited": record["is_limited"], "invitation_link": link,
        "app_id": app["id"], "app_name": app["name"],
    }


def _may_manage(app, email):
    """403 for a limited collaborator: only the owner and full collaborators manage collaborators."""
    if email is None or email == app["owner"]:
        return
    for record in _records(app):
        if record["email"].lower() == email.lower() and record["is_limited"]:
            raise ApiError(403, {"error": "a limited collaborator cannot manage the collaborators of the app"})


def _payload(req):
    payload = req.payload("collaborator")
    limited = payload.get("is_limited")
    if limited is not None and not isinstance(limited, bool):
        raise invalid("is_limited", "must be a boolean")
    return payload, limited


def _grant(app, email):
    if not any(e.lower() == email.lower() for e in app["collaborators"]):
        app["collaborators"].append(email)


def _revoke(app, email):
    app["collaborators"][:] = [e for e in app["collaborators"]
                               if e.lower() != email.lower() or e.lower() == app["owner"].lower()]


def routes(sim):
    store = sim.store
    path = r"/v1/apps/(?P<app>[^/]+)/collaborators"
    one = path + r"/(?P<collaborator>[^/]+)"

    def list_collaborators(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            return Response(200, {"collaborators": [view(record, r, req.base) for r in _listed(record)]})

    def invite(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            payload, limited = _payload(req)
            email = payload.get("email")
            if not isinstance(email, str) or not email:
                raise invalid("email", "can't be blank")
            if not _EMAIL.fullmatch(email):
                raise invalid("email", "is invalid")
            _may_manage(record, req.email)
            if email.lower() == record["owner"].lower():
                raise invalid("email", "is the owner of the app")
            if any(r["email"].lower() == email.lower() for r in _listed(record)):
                raise invalid("email", "is already a collaborator of the app")
            invitation = {"id": new_id(), "email": email, "status": "pending",
                          "is_limited": True if limited is None else limited,
                          "token": new_id() + new_id(), "created_at": time.time()}
            if req.dry_run:
                return Response(201, {"collaborator": view(record, invitation, req.base)})
            _records(record).append(invitation)
            store.log(record["id"], "%s invited to collaborate" % email, "manager")
            return Response(201, {"collaborator": view(record, invitation, req.base)})

    def update(req, app, collaborator):
        with store.lock:
            record = store.app_for(req.email, app)
            found = _find(record, collaborator)
            dummy, limited = _payload(req)
            _may_manage(record, req.email)
            if limited is not None:
                found["is_limited"] = limited
            return Response(200, {"collaborator": view(record, found, req.base)})

    def remove(req, app, collaborator):
        with store.lock:
            record = store.app_for(req.email, app)
            found = _find(record, collaborator)
            if req.email is None or found["email"].lower() != req.email.lower():
                _may_manage(record, req.email)
            record["collaborator_records"].remove(found)
            _revoke(record, found["email"])
            store.log(record["id"], "%s no longer collaborates" % found["email"], "manager")
            return Response(204)

    def owned(req):
        with store.lock:
            apps = sorted((a for a in store.apps.values() if a["owner"] == req.email), key=lambda a: a["created_at"])
            return Response(200, {"collaborators": [view(a, r, req.base) for a in apps for r in _listed(a)]})

    return [
        ("GET", "/v1/collaborators", owned, "regional"),
        ("GET", path, list_collaborators, "regional"),
        ("POST", path, invite, "regional"),
        ("PATCH", one, update, "regional"),
        ("DELETE", one, remove, "regional"),
    ]


def admin(sim, req):
    """`POST /_sim/apps/{app}/collaborators/{id or email}/accept`: the invited person accepts."""
    match = re.fullmatch(r"/_sim/apps/([^/]+)/collaborators/([^/]+)/accept", req.path)
    if match is None or req.method != "POST":
        return None
    store = sim.store
    with store.lock:
        app = store.app_for(None, match.group(1))
        found = _find(app, unquote(match.group(2)))
        found["status"], found["token"], found["email"] = "accepted", None, found["email"].lower()
        _grant(app, found["email"])
        return Response(200, {"collaborator": view(app, found, req.base)})
