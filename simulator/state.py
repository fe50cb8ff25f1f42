"""The simulated region: apps, formations, containers, operations and one-offs. Thread-safe.

Every public method takes the store's lock; methods raise `ApiError` for documented refusals.
Operations are timed from their creation (`operation_duration`), so their status is computed
when asked: `pending` for the first fifth of the duration, `running` until its end, then
`done` or `error`.
"""

import json
import math
import os
import random
import threading
import time
from urllib.parse import urlsplit

from . import catalog, environment
from .catalog import (ApiError, CONTAINER_SIZES, bad_request, invalid, iso, new_id, not_found,
                      payment_required, user_object)
from .oneoff import OneOff

SETTING_FLAGS = ("force_https", "sticky_session", "router_logs")
SETTING_STRINGS = ("stack_id", "project_id")
BUSY_TYPES = {"scale": "scaling", "restart": "restarting"}
LOG_LINES = 1000
KEEP_FINISHED = 1000        # ended one-offs (for /wait) and finished operations kept beyond the live ones


class Config:
    """Settings of the simulator that survive a reset; changed by options or `POST /_sim/config`."""

    FIELDS = {
        "rate_limit": int,              # requests per minute per API token, 0 = no limit
        "operation_duration": float,    # seconds an operation takes
        "bearer_lifetime": int,         # seconds a bearer is valid
        "free_plan": bool,              # 402 on a second app / a formation beyond 1 S|M web
        "region_disabled": bool,        # 403 region_disabled on the regional API
        "never_deployed": bool,         # new apps have no formation
        "detached_duration": float,     # seconds an unscripted detached one-off stays in /ps
        "attach_timeout": float,        # inactivity timeout of attached one-offs
        "stop_duration": float,         # seconds a stopped one-off stays `stopping`
    }

    def __init__(self, **values):
        from .families import config_fields  # here: family modules may import this one
        families = config_fields()
        self.FIELDS = dict(Config.FIELDS, **{key: kind for key, (kind, dummy) in families.items()})
        for key, (dummy, default) in families.items():
            setattr(self, key, default)
        self.rate_limit = 60
        self.operation_duration = 3.0
        self.bearer_lifetime = 3600
        self.free_plan = False
        self.region_disabled = False
        self.never_deployed = False
        self.detached_duration = 30.0
        self.attach_timeout = 1800.0
        self.stop_duration = 1.0
        self.update(values)

    def update(self, values):
        if not isinstance(values, dict):
            raise invalid("config", "should be an object")
        checked = {}
        for key, value in values.items():
            kind = self.FIELDS.get(key)
            if kind is None:
                raise invalid(key, "unknown setting")
            if kind is bool and not isinstance(value, bool):
                raise invalid(key, "must be a boolean")
            if kind is not bool:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise invalid(key, "must be a number >= 0")
                if kind is int and value != int(value):
                    raise invalid(key, "must be an integer")
            checked[key] = kind(value)
        for key, value in checked.items():
            setattr(self, key, value)
        return self.as_dict()

    def as_dict(self):
        return {key: getattr(self, key) for key in self.FIELDS}


def _page_params(query, default=30, maximum=100):
    values = []
    for key, fallback in (("page", 1), ("per_page", default)):
        raw = query.get(key, "")
        if raw == "":
            values.append(fallback)
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise bad_request("%s should be a positive integer" % key)
        values.append(int(raw))
    return values[0], min(values[1], maximum)


def paginate(items, query, root):
    page, per_page = _page_params(query)
    total = len(items)
    pages = int(math.ceil(total / float(per_page)))
    return {root: items[(page - 1) * per_page:page * per_page], "meta": {"pagination": {
        "prev_page": page - 1 if 1 < page <= pages + 1 else None,
        "current_page": page,
        "next_page": page + 1 if page < pages else None,
        "total_pages": pages,
        "total_count": total,
    }}}


class Store:
    def __init__(self, config, state_file=None):
        self.config = config
        self.state_file = state_file
        self.lock = threading.RLock()
        self.scripts = {}
        self.operation_faults = []
        self._clear()
        if state_file and os.path.exists(state_file):
            self.load()

    def _clear(self):
        self.apps = {}          # app id -> app record
        self.operations = {}    # operation id -> operation record
        self.one_offs = {}      # container id -> OneOff
        self.runs = {}          # attach id -> OneOff
        self.extra = {}         # family name -> data outside the app records (see families.py)
        self.projects = {}      # project id -> project record (simulator/projects.py)

    # -- persistence -----------------------------------------------------------------------------
    def _state(self):
        return {"version": 1, "apps": self.apps, "operations": self.operations, "scripts": self.scripts,
                "projects": self.projects}

    def snapshot(self):
        """A copy of the persistent state (safe to serialise after the lock is released)."""
        with self.lock:
            return json.loads(json.dumps(self._state()))

    def save(self):
        if not self.state_file:
            return
        with self.lock:
            data = json.dumps(self._state(), indent=1, sort_keys=True)
            tmp = "%s.%d.tmp" % (self.state_file, os.getpid())
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, self.state_file)

    def load(self):
        with open(self.state_file, encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict) or not isinstance(data.get("apps", {}), dict):
            raise ValueError("not a state file of this simulator")
        with self.lock:
            self.apps = data.get("apps", {})
            self.operations = data.get("operations", {})
            self.scripts = data.get("scripts", {})
            self.projects = data.get("projects", {})

    def reset(self):
        with self.lock:
            for one_off in list(self.one_offs.values()):
                one_off.discard()
            self._clear()
            self.scripts = {}
            self.operation_faults = []

    # -- lookups ---------------------------------------------------------------------------------
    def _find(self, ref):
        app = self.apps.get(ref)
        if app is None:
            app = next((a for a in self.apps.values() if a["name"] == ref), None)
        return app

    def app_for(self, email, ref):
        """The app named (or with id) `ref` that `email` owns or collaborates on, else 404."""
        app = self._find(ref)
        if app is None or (email is not None and email != app["owner"] and email not in app["collaborators"]):
            raise not_found("app")
        return app

    def _require_owner(self, app, email):
        if email is not None and app["owner"] != email:
            raise ApiError(403, {"error": "only the owner of the app can do this"})

    # -- views -----------------------------------------------------------------------------------
    def _status(self, app):
        busy = self._busy_operation(app)
        if busy is not None:
            return BUSY_TYPES[busy["type"]]
        if not app["deployed"]:
            return "new"
        if not any(c["amount"] for c in app["formation"]):
            return "stopped"
        return "running"

    def app_view(self, app, base):
        host = urlsplit(base).hostname
        deployed_at = iso(app["deployed_at"]) if app["deployed"] else None
        view = {
            "id": app["id"],
            "name": app["name"],
            "created_at": iso(app["created_at"]),
            "updated_at": iso(app["updated_at"]),
            "git_url": "git@%s:%s.git" % (host, app["name"]),
            "owner": user_object(app["owner"]),
            "project": dict(app["project"]),
            "url": "https://%s.osc-fr1.scalingo.io" % app["name"],
            "base_url": "https://%s.osc-fr1.scalingo.io" % app["name"],
            "links": {"deployments_stream": "%s/v1/apps/%s/deployments_stream" % (
                base.replace("http", "ws", 1), app["name"])},
            "force_https": app["force_https"],
            "sticky_session": app["sticky_session"],
            "router_logs": app["router_logs"],
            "last_deployed_at": deployed_at,
            "last_deployed_by": (app.get("last_deployed_by") or user_object(app["owner"])["username"]
                                 if app["deployed"] else None),
            "last_deployment_id": app["last_deployment_id"],
            "stack_id": app["stack_id"],
            "hds_resource": app["hds_resource"],
            "git_source": app["git_source"],
            "flags": {},
            "private_networks_ids": [],
            "status": self._status(app),
        }
        parent = self.apps.get(app["parent_id"]) if app["parent_id"] else None
        if app["parent_id"]:
            view["parent_app_name"] = parent["name"] if parent else app["parent_name"]
        return view

    def _container_view(self, record, state):
        return {
            "id": record["id"],
            "label": record["label"],
            "type": record["type"],
            "type_index": record["type_index"],
            "created_at": iso(record["created_at"]),
            "deleted_at": None,
            "state": state,
            "size": "",
            "command": record["command"],
            "container_size": dict(CONTAINER_SIZES[record["size"]]),
        }

    # -- operations ------------------------------------------------------------------------------
    def _operation_status(self, op, now=None):
        elapsed = (now or time.time()) - op["created_at"]
        if op["hang"] or elapsed < op["duration"]:
            return "pending" if elapsed < op["duration"] / 5.0 else "running"
        return op["outcome"]

    def _busy_operation(self, app):
        op = self.operations.get(app.get("busy_operation") or "")
        if op is not None and self._operation_status(op) in ("pending", "running"):
            return op
        return None

    def _new_operation(self, app, kind, data=None):
        op = {"id": new_id(), "app_id": app["id"], "type": kind, "created_at": time.time(),
              "duration": self.config.operation_duration, "outcome": "done", "error": None,
              "hang": False, "data": data or {}}
        for fault in self.operation_faults:
            if fault.get("app") not in (None, app["name"], app["id"]) or fault.get("type") not in (None, kind):
                continue
            if fault["operation"] == "hang":
                op["hang"] = True
            else:
                op["outcome"], op["error"] = "error", fault.get("error") or "operation failed"
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.operation_faults.remove(fault)
            break
        self.operations[op["id"]] = op
        self._prune()
        return op

    def _prune(self):
        """Forget the oldest finished operations and ended attached one-offs beyond KEEP_FINISHED."""
        now = time.time()
        finished = [k for k, o in self.operations.items() if self._operation_status(o, now) in ("done", "error")]
        for key in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self.operations[key]
        ended = [k for k, o in self.runs.items() if o.ended.is_set()]
        for key in ended[:max(0, len(ended) - KEEP_FINISHED)]:
            del self.runs[key]

    def add_operation_fault(self, spec):
        with self.lock:
            kind = spec.get("operation")
            if kind not in ("error", "hang"):
                raise invalid("operation", "should be 'error' or 'hang'")
            count = spec.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise invalid("count", "should be a positive integer")
            fault = {"operation": kind, "error": spec.get("error"), "app": spec.get("app"),
                     "type": spec.get("type"), "count": count}
            self.operation_faults.append(fault)
            return fault

    def operation_location(self, app, op, base):
        return "%s/v1/apps/%s/operations/%s" % (base, app["name"], op["id"])

    def operation_view(self, email, ref, op_id):
        with self.lock:
            app = self.app_for(email, ref)
            op = self.operations.get(op_id)
            if op is None or op["app_id"] != app["id"]:
                raise not_found("operation")
            now = time.time()
            status = self._operation_status(op, now)
            finished = status in ("done", "error")
            view = {"id": op["id"], "created_at": iso(op["created_at"]),
                    "finished_at": iso(op["created_at"] + op["duration"]) if finished else None,
                    "status": status, "type": op["type"], "error": op["error"] if status == "error" else None}
            if op["type"] == "start-one-off":
                view["start_one_off_data"] = dict(op["data"]) if status == "done" else None
            return {"operation": view}

    # -- logs ------------------------------------------------------------------------------------
    def log(self, app_id, text, source="api"):
        with self.lock:
            app = self.apps.get(app_id)
            if app is None:
                return
            stamp = iso(time.time())
            for line in text.rstrip("\n").split("\n"):
                app["logs"].append("%s [%s] %s" % (stamp, source, line))
            del app["logs"][:-LOG_LINES]

    def finished(self, one_off):
        """Hook of a one-off whose command ended: it leaves /ps."""
        with self.lock:
            self.one_offs.pop(one_off.id, None)
            code = "killed for inactivity" if one_off.timed_out else "exit code %s" % one_off.exit_code
            self.log(one_off.app_id, "%s ended: %s" % (one_off.container["label"], code), "manager")

    # -- apps ------------------------------------------------------------------------------------
    def _formation_entry(self, name, amount, size):
        return {"id": new_id(), "name": name, "amount": amount, "size": size}

    def create_app(self, email, body, dry_run=False, parent_ref=None, seed=None):
        """Create an app (or a child app of `parent_ref`); returns the record (not stored if dry)."""
        with self.lock:
            payload = body.get("app") if isinstance(body, dict) else None
            if not isinstance(payload, dict):
                raise invalid("app", "missing field")
            if parent_ref is None and payload.get("parent_id") is not None:
                # POST /apps with parent_id (the official clients' form) creates a child app too
                if not isinstance(payload["parent_id"], str) or not payload["parent_id"]:
                    raise invalid("parent_id", "should be a non-empty string")
                parent_ref = payload["parent_id"]
            parent = self.app_for(None if seed else email, parent_ref) if parent_ref is not None else None
            maximum = catalog.CHILD_APP_NAME_MAX if parent else catalog.APP_NAME_MAX
            name = payload.get("name")
            errors = catalog.check_app_name(name, maximum)
            if not errors and self._find(name) is not None:
                errors = ["has already been taken"]
            if errors:
                raise invalid("name", *errors)
            fields = self._creation_fields(payload)
            if seed is None and self.config.free_plan and any(a["owner"] == email for a in self.apps.values()):
                raise payment_required(catalog.FREE_PLAN_APP)
            now = time.time()
            never_deployed = (seed or {}).get("never_deployed", self.config.never_deployed)
            app = {
                "id": new_id(), "name": name, "created_at": now, "updated_at": now, "owner": email,
                "collaborators": [email], "project": catalog.default_project(email),
                "stack_id": catalog.DEFAULT_STACK_ID, "force_https": False, "sticky_session": False,
                "router_logs": False, "hds_resource": False, "git_source": None,
                "parent_id": parent["id"] if parent else None, "parent_name": parent["name"] if parent else None,
                "deployed": not never_deployed, "deployed_at": now,
                "last_deployment_id": None if never_deployed else new_id(),
                "formation": [], "containers": [], "autoscalers": [], "busy_operation": None,
                "log_token": os.urandom(16).hex(), "logs": [],
            }
            project_id = fields.pop("project_id")
            # a child app belongs to its parent's project unless told otherwise
            app["project"] = (dict(parent["project"]) if parent is not None and project_id is None
                              else self._project(email, project_id))
            app.update({k: v for k, v in fields.items() if v is not None})
            if not never_deployed:
                app["formation"] = [self._formation_entry("web", 1, catalog.DEFAULT_SIZE)]
                self._sync_containers(app, None)
            if dry_run:
                return app
            self.apps[app["id"]] = app
            self.log(app["id"], "app %s created by %s" % (name, email), "manager")
            return app

    def _project(self, owner, project_id):
        """The owner's default project, or the project given by id (any id is accepted; a project of
        the projects API gives its name)."""
        default = catalog.default_project(owner)
        if project_id is None:
            project_id = default["id"]
        known = self.projects.get(project_id)
        if known is not None:
            return {"id": project_id, "name": known["name"]}
        return default if project_id == default["id"] else {"id": project_id, "name": "project"}

    def _creation_fields(self, payload):
        fields = {}
        for key in ("stack_id", "project_id", "git_source"):
            value = payload.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise invalid(key, "should be a non-empty string")
            fields[key] = value
        hds = payload.get("hds_resource")
        if hds is not None and not isinstance(hds, bool):
            raise invalid("hds_resource", "must be a boolean")
        fields["hds_resource"] = hds
        return fields

    def list_apps(self, email, base):
        with self.lock:
            apps = sorted((a for a in self.apps.values() if email == a["owner"] or email in a["collaborators"]),
                          key=lambda a: a["created_at"])
            return {"apps": [self.app_view(a, base) for a in apps]}

    def child_apps(self, email, ref, base, query):
        with self.lock:
            parent = self.app_for(email, ref)
            children = sorted((a for a in self.apps.values() if a["parent_id"] == parent["id"]),
                              key=lambda a: a["created_at"])
            return paginate([self.app_view(a, base) for a in children], query, "child_apps")

    def update_app(self, email, ref, payload, current_name=None):
        """Settings (and ownership transfer when `owner` is given) of an app."""
        with self.lock:
            app = self.app_for(email, ref)
            if not isinstance(payload, dict):
                raise invalid("app", "missing field")
            changes = {}
            for key in SETTING_FLAGS:
                if key in payload:
                    if not isinstance(payload[key], bool):
                        raise invalid(key, "must be a boolean")
                    changes[key] = payload[key]
            for key in SETTING_STRINGS:
                if key in payload:
                    if not isinstance(payload[key], str) or not payload[key]:
                        raise invalid(key, "should be a non-empty string")
                    changes[key] = payload[key]
            owner = payload.get("owner")
            if "owner" in payload:
                self._require_owner(app, email)
                self._check_current_name(app, current_name)
                if not isinstance(owner, str) or owner not in app["collaborators"]:
                    raise invalid("owner", "should be a collaborator of the app")
            project_id = changes.pop("project_id", None)
            if project_id is not None and project_id != app["project"]["id"]:
                app["project"] = self._project(app["owner"], project_id)
            app.update(changes)
            if owner is not None and owner != app["owner"]:
                app["owner"] = owner
                self.log(app["id"], "app transferred to %s" % owner, "manager")
            app["updated_at"] = time.time()
            return app

    @staticmethod
    def _check_current_name(app, current_name):
        if current_name is None or current_name == "":
            raise invalid("current_name", "missing field")
        if current_name != app["name"]:
            raise invalid("current_name", "should be the name of the app")

    def rename_app(self, email, ref, body):
        with self.lock:
            app = self.app_for(email, ref)
            self._require_owner(app, email)
            if not isinstance(body, dict):
                raise invalid("current_name", "missing field")
            self._check_current_name(app, body.get("current_name"))
            new_name = body.get("new_name")
            maximum = catalog.CHILD_APP_NAME_MAX if app["parent_id"] else catalog.APP_NAME_MAX
            errors = catalog.check_app_name(new_name, maximum)
            if not errors and new_name != app["name"] and self._find(new_name) is not None:
                errors = ["has already been taken"]
            if errors:
                raise invalid("name", *errors)
            self.log(app["id"], "app renamed from %s to %s" % (app["name"], new_name), "manager")
            app["name"], app["updated_at"] = new_name, time.time()
            return app

    def delete_app(self, email, ref, current_name):
        with self.lock:
            app = self.app_for(email, ref)
            self._require_owner(app, email)
            self._check_current_name(app, current_name)
            for one_off in [o for o in self.one_offs.values() if o.app_id == app["id"]]:
                one_off.discard()
                self.one_offs.pop(one_off.id, None)
            del self.apps[app["id"]]

    def add_collaborator(self, ref, email):
        with self.lock:
            app = self.app_for(None, ref)
            if not isinstance(email, str) or "@" not in email:
                raise invalid("email", "should be an email address")
            if email not in app["collaborators"]:
                app["collaborators"].append(email)
            return {"collaborators": [{"email": e, "is_owner": e == app["owner"]} for e in app["collaborators"]]}

    # -- formation and containers -----------------------------------------------------------------
    def formation(self, email, ref):
        with self.lock:
            app = self.app_for(email, ref)
            return {"containers": [{"name": c["name"], "amount": c["amount"], "size": c["size"]}
                                   for c in app["formation"]]}

    def _sync_containers(self, app, op_id, resized=()):
        """Make the app's containers match its formation (new ones belong to `op_id`)."""
        now = time.time()
        kept = []
        for entry in app["formation"]:
            current = sorted((c for c in app["containers"] if c["type"] == entry["name"]
                              and entry["name"] not in resized), key=lambda c: c["type_index"])[:entry["amount"]]
            for index in range(len(current) + 1, entry["amount"] + 1):
                current.append({"id": new_id(), "type": entry["name"], "type_index": index,
                                "label": "%s-%d" % (entry["name"], index), "created_at": now,
                                "size": entry["size"], "command": "", "operation": op_id})
            kept.extend(current)
        app["containers"] = kept

    def processes(self, email, ref):
        with self.lock:
            app = self.app_for(email, ref)
            return {"containers": self._processes(app)}

    def _processes(self, app):
        busy = self._busy_operation(app)
        views = []
        for record in app["containers"] if app["deployed"] else []:
            state = "running"
            if busy is not None and busy["type"] == "scale" and record.get("operation") == busy["id"]:
                state = "booting"
            elif busy is not None and busy["type"] == "restart" and (
                    not busy["data"]["scope"] or record["type"] in busy["data"]["scope"]
                    or record["label"] in busy["data"]["scope"]):
                state = "restarting"
            views.append(self._container_view(record, state))
        for one_off in list(self.one_offs.values()):
            if one_off.app_id == app["id"] and self._one_off_alive(one_off):
                views.append(self._container_view(one_off.container, one_off.state))
        return views

    def _one_off_alive(self, one_off):
        op = self.operations.get(one_off.operation_id or "")
        if op is not None and self._operation_status(op) == "error":
            self.one_offs.pop(one_off.id, None)
            self.runs.pop(one_off.attach_id, None)
            one_off.discard()
            return False
        return True

    def scale(self, email, ref, body):
        """Returns (app, operation or None, formation view with ids)."""
        with self.lock:
            app = self.app_for(email, ref)
            requested = body.get("containers") if isinstance(body, dict) else None
            if not isinstance(requested, list) or not requested:
                raise invalid("containers", "missing field")
            wanted = {}
            for item in requested:
                name, amount, size = self._scale_item(app, item)
                wanted[name] = (amount, size)
            busy = self._busy_operation(app)
            if busy is not None:
                raise invalid("app", "is " + BUSY_TYPES[busy["type"]])
            formation = [dict(c) for c in app["formation"]]
            resized, changed = [], []
            for name, (amount, size) in wanted.items():
                entry = next((c for c in formation if c["name"] == name), None)
                if entry is None:
                    entry = self._formation_entry(name, 0, size or catalog.DEFAULT_SIZE)
                    formation.append(entry)
                    if amount is not None or size:
                        changed.append(name)
                if amount is not None and amount != entry["amount"]:
                    entry["amount"] = amount
                    changed.append(name)
                if size and size != entry["size"]:
                    entry["size"] = size
                    resized.append(name)
                    changed.append(name)
            if not changed:
                raise bad_request(catalog.NO_CHANGE)
            if self.config.free_plan and any(
                    c["amount"] and (c["name"] != "web" or c["amount"] > 1 or c["size"] not in catalog.FREE_PLAN_SIZES)
                    for c in formation):
                raise payment_required(catalog.FREE_PLAN_SCALE)
            app["formation"] = formation
            app["updated_at"] = time.time()
            for autoscaler in app["autoscalers"]:
                if autoscaler["container_type"] in changed:
                    autoscaler["disabled"] = True
                    autoscaler["updated_at"] = iso(time.time())
            op = None
            if app["deployed"]:
                op = self._new_operation(app, "scale")
                app["busy_operation"] = op["id"]
                self._sync_containers(app, op["id"], resized)
            self.log(app["id"], "scale: " + ", ".join("%s:%d:%s" % (c["name"], c["amount"], c["size"])
                                                      for c in formation), "manager")
            return app, op, {"containers": [dict(c) for c in formation]}

    def _scale_item(self, app, item):
        if not isinstance(item, dict):
            raise invalid("containers", "should be a list of objects")
        name, amount, size = item.get("name"), item.get("amount"), item.get("size")
        if not isinstance(name, str) or not name:
            raise invalid("name", "can't be blank")
        if app["deployed"] and not any(c["name"] == name for c in app["formation"]):
            raise invalid("name", "%s is not a container type of this app" % name)
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                                   or not 0 <= amount <= catalog.MAX_CONTAINERS_PER_TYPE):
            raise invalid("amount", "%s: should be an integer between 0 and %d"
                          % (name, catalog.MAX_CONTAINERS_PER_TYPE))
        if size not in (None, "") and size not in CONTAINER_SIZES:
            raise invalid("size", "%s: %r is not a container size (%s)" % (name, size, ", ".join(CONTAINER_SIZES)))
        return name, amount, size or None

    def restart(self, email, ref, body):
        with self.lock:
            app = self.app_for(email, ref)
            scope = body.get("scope") if isinstance(body, dict) else None
            if scope is not None and not (isinstance(scope, list) and all(isinstance(s, str) for s in scope)):
                raise invalid("scope", "should be a list of container types or names")
            known = {c["name"] for c in app["formation"]} | {c["label"] for c in app["containers"]}
            unknown = [s for s in scope or () if s not in known]
            if unknown:
                raise invalid("scope", "%s: not a container type or container name of this app" % ", ".join(unknown))
            busy = self._busy_operation(app)
            if busy is not None:
                raise invalid("app", "is " + BUSY_TYPES[busy["type"]])
            op = self._new_operation(app, "restart", {"scope": list(scope or ())})
            app["busy_operation"] = op["id"]
            self.log(app["id"], "restart: %s" % (", ".join(scope) if scope else "all containers"), "manager")
            return app, op

    # -- one-offs --------------------------------------------------------------------------------
    def run(self, email, ref, body, base):
        with self.lock:
            app = self.app_for(email, ref)
            if not isinstance(body, dict):
                body = {}
            command, env = body.get("command"), body.get("env") or {}
            size, detached = body.get("size") or catalog.DEFAULT_SIZE, body.get("detached", False)
            if not isinstance(command, str) or not command.strip():
                raise invalid("command", "can't be blank")
            if not isinstance(env, dict) or not all(isinstance(v, (str, int, float, bool)) for v in env.values()):
                raise invalid("env", "should be an object of strings")
            if size not in CONTAINER_SIZES:
                raise invalid("size", "%r is not a container size (%s)" % (size, ", ".join(CONTAINER_SIZES)))
            if not isinstance(detached, bool):
                raise invalid("detached", "must be a boolean")
            if not app["deployed"]:
                raise invalid("app", "has not been deployed yet")
            running = [o for o in list(self.one_offs.values()) if self._one_off_alive(o)]
            if sum(o.app_id == app["id"] for o in running) >= catalog.MAX_ONE_OFFS_PER_APP:
                raise invalid("containers", "limit of %d one-off containers per app reached"
                              % catalog.MAX_ONE_OFFS_PER_APP)
            owned = {a["id"] for a in self.apps.values() if a["owner"] == app["owner"]}
            if sum(o.app_id in owned for o in running) >= catalog.MAX_ONE_OFFS_PER_ACCOUNT:
                raise invalid("containers", "limit of %d one-off containers per account reached"
                              % catalog.MAX_ONE_OFFS_PER_ACCOUNT)
            used = {o.container["type_index"] for o in self.one_offs.values() if o.app_id == app["id"]}
            index = random.choice([i for i in range(1000, 10000) if i not in used])
            now = time.time()
            container = {"id": new_id(), "type": "one-off", "type_index": index, "label": "one-off-%d" % index,
                         "created_at": now, "size": size, "command": command, "operation": None}
            env = dict(environment.resolved(app), **{k: str(v) for k, v in dict(
                {"APP": app["name"], "CONTAINER": container["label"], "CONTAINER_SIZE": size}, **env).items()})
            one_off = OneOff(container, app["id"], command, env, size, detached, self.scripts.get(command), self)
            data = {}
            if not detached:
                one_off.attach_id = os.urandom(32).hex()
                data["attach_url"] = "%s/run/%s" % (base, one_off.attach_id)
                self.runs[one_off.attach_id] = one_off
            op = self._new_operation(app, "start-one-off", data)
            one_off.operation_id = op["id"]
            self.one_offs[container["id"]] = one_off
            self.log(app["id"], "%s started: %s" % (container["label"], command), "manager")
            if detached:
                one_off.start_detached(self.config.detached_duration)
            else:
                one_off.wait_for_attach(max(self.config.attach_timeout, op["duration"]))
            view = dict(self._container_view(container, one_off.state), memory=CONTAINER_SIZES[size]["memory"],
                        app=self.app_view(app, base), **data)
            result = {"container": view, "operation_url": self.operation_location(app, op, base),
                      "operation": op["id"]}
            result.update(data)
            return result

    def _container(self, email, ref, container_id):
        app = self.app_for(email, ref)
        one_off = self.one_offs.get(container_id)
        if one_off is None:
            one_off = next((o for o in self.one_offs.values() if o.app_id == app["id"]
                            and o.container["label"] == container_id), None)
        if one_off is not None and one_off.app_id == app["id"] and self._one_off_alive(one_off):
            return app, one_off, one_off.container
        for record in app["containers"] if app["deployed"] else []:
            if container_id in (record["id"], record["label"]):
                return app, None, record
        raise not_found("container")

    def stop(self, email, ref, container_id):
        with self.lock:
            app, one_off, record = self._container(email, ref, container_id)
            if one_off is None:
                raise invalid("container", "only one-off containers can be stopped, %s is a %s container"
                              % (record["label"], record["type"]))
            self.log(app["id"], "%s stopping" % record["label"], "manager")
        one_off.stop(self.config.stop_duration)

    def kill(self, email, ref, container_id, body):
        with self.lock:
            app, dummy, record = self._container(email, ref, container_id)
            signal = body.get("signal") if isinstance(body, dict) else None
            if signal not in catalog.SIGNALS:
                raise invalid("signal", "should be one of %s" % ", ".join(catalog.SIGNALS))
            self.log(app["id"], "%s received %s" % (record["label"], signal), "manager")

    def attachable(self, attach_id):
        with self.lock:
            one_off = self.runs.get(attach_id)
            if one_off is None or (one_off.id in self.one_offs and not self._one_off_alive(one_off)):
                raise not_found("container")
            return one_off

    def add_script(self, spec):
        if not isinstance(spec, dict) or not isinstance(spec.get("command"), str) or not spec["command"]:
            raise invalid("command", "can't be blank")
        for key in ("output_bytes", "exit_code"):
            if not isinstance(spec.get(key, 0), int) or isinstance(spec.get(key), bool):
                raise invalid(key, "should be an integer")
        if not isinstance(spec.get("duration", 0), (int, float)) or spec.get("duration", 0) < 0:
            raise invalid("duration", "should be a number >= 0")
        if not isinstance(spec.get("output", ""), str):
            raise invalid("output", "should be a string")
        script = {"command": spec["command"], "output": spec.get("output", ""),
                  "output_bytes": spec.get("output_bytes", 0), "exit_code": spec.get("exit_code", 0),
                  "duration": spec.get("duration", 0), "echo_stdin": bool(spec.get("echo_stdin", False))}
        with self.lock:
            self.scripts[script["command"]] = script
        return script

    # -- logs, stats, metrics, autoscalers -------------------------------------------------------
    def logs_url(self, email, ref, base):
        with self.lock:
            app = self.app_for(email, ref)
            return {"app": self.app_view(app, base),
                    "logs_url": "%s/logs/apps/%s/logs?token=%s" % (base, app["id"], app["log_token"])}

    def log_lines(self, app_id, token, count):
        with self.lock:
            app = self.apps.get(app_id)
            if app is None or token != app["log_token"]:
                raise not_found("logs")
            return app["logs"][-count:]

    def logs_archives(self, email, ref, base, cursor):
        with self.lock:
            app = self.app_for(email, ref)
            if cursor in (None, ""):
                start = 0
            elif cursor.isdigit():
                start = int(cursor)
            else:
                raise bad_request("invalid cursor")
            day = 86400
            first = int(app["created_at"] // day) * day
            archives = [{"url": "%s/logs/archives/%s/%d.log.gz" % (base, app["id"], first - n * day),
                         "size": 4096 + (n * 7919) % 100000,
                         "from": iso(first - (n + 1) * day), "to": iso(first - n * day)} for n in range(25)]
            page = archives[start:start + 10]
            more = start + 10 < len(archives)
            return {"next_cursor": str(start + 10) if more else "", "has_more": more, "archives": page}

    def stats(self, email, ref):
        with self.lock:
            app = self.app_for(email, ref)
            stats = []
            for view in self._processes(app):
                memory = view["container_size"]["memory"]
                rnd = random.Random(view["id"])
                usage = int(memory * rnd.uniform(0.2, 0.6))
                stats.append({"id": view["label"], "cpu_usage": rnd.randint(0, 40), "memory_usage": usage,
                              "memory_limit": memory, "highest_memory_usage": int(usage * 1.1),
                              "swap_usage": rnd.choice((0, 0, 212992)), "swap_limit": 3 * memory,
                              "highest_swap_usage": 0})
            return {"stats": stats}

    def metrics(self, email, ref, metric, container_type, index, query):
        with self.lock:
            app = self.app_for(email, ref)
            if metric not in catalog.METRICS:
                raise bad_request("metric should be one of %s" % ", ".join(catalog.METRICS))
            if metric == "router":
                status_code = query.get("status_code", "all")
                if status_code not in catalog.ROUTER_STATUS_CODES:
                    raise bad_request("status_code should be one of %s" % ", ".join(catalog.ROUTER_STATUS_CODES))
            elif container_type is not None:
                entry = next((c for c in app["formation"] if c["name"] == container_type), None)
                if entry is None:
                    raise not_found("container_type")
                if index is not None and (not index.isdigit() or not 1 <= int(index) <= entry["amount"]):
                    raise not_found("container")
            since = query.get("since", "1")
            try:
                hours = float(since)
            except ValueError:
                raise bad_request("since should be a number of hours")
            hours = min(max(hours, 0.1), 24 * 30)
            step = max(60, int(hours * 3600 / 200) // 60 * 60)
            end = int(time.time()) // 60 * 60
            rnd = random.Random("%s/%s/%s/%s" % (app["id"], metric, container_type, index))
            scale = {"cpu": 6e6, "memory": 2e8, "swap": 1e5, "router": 120}[metric]
            return [{"time": iso(t)[:-5] + "Z", "value": scale * rnd.uniform(0.5, 1.5)}
                    for t in range(end - int(hours * 3600) + step, end + 1, step)]

    def recommended_value(self, email, ref, metric, query):
        with self.lock:
            app = self.app_for(email, ref)
            if metric not in catalog.RECOMMENDED_METRICS:
                raise bad_request("metric should be one of %s" % ", ".join(catalog.RECOMMENDED_METRICS))
            container_type = query.get("container_type")
            if metric in catalog.RESOURCE_METRICS:
                if not container_type:
                    raise invalid("container_type", "missing field")
                if not any(c["name"] == container_type for c in app["formation"]):
                    raise not_found("container_type")
            value = {"cpu": 0.9, "memory": 0.8, "swap": 0.1, "5XX": 5, "all": 1200,
                     "rpm_per_container": 600, "p95_response_time": 250}[metric]
            return {"time": time.strftime("%Y-%m-%dT00:00:00Z", time.gmtime()), "value": value}

    def autoscalers(self, email, ref):
        with self.lock:
            app = self.app_for(email, ref)
            return {"autoscalers": [dict(a) for a in app["autoscalers"]]}

    def add_autoscaler(self, ref, spec):
        with self.lock:
            app = self.app_for(None, ref)
            spec = spec if isinstance(spec, dict) else {}
            kind = spec.get("container_type", "web")
            if not any(c["name"] == kind for c in app["formation"]):
                raise invalid("container_type", "%s is not a container type of this app" % kind)
            now = iso(time.time())
            autoscaler = {"id": "au-" + new_id(), "app_id": app["id"], "created_at": now, "updated_at": now,
                          "last_scale": None, "container_type": kind,
                          "min_containers": spec.get("min_containers", 1),
                          "max_containers": spec.get("max_containers", 5),
                          "metric": spec.get("metric", "cpu"), "target": spec.get("target", 0.8),
                          "disabled": bool(spec.get("disabled", False)),
                          "alert_id_scale_up": "al-" + new_id(), "alert_id_scale_down": "al-" + new_id()}
            app["autoscalers"] = [a for a in app["autoscalers"] if a["container_type"] != kind] + [autoscaler]
            return {"autoscaler": autoscaler}

    def seed_app(self, spec, default_owner):
        """Admin: create an app directly, with an owner, a formation, collaborators, settings."""
        with self.lock:
            if not isinstance(spec, dict):
                raise invalid("app", "missing field")
            owner = spec.get("owner") or default_owner
            formation = spec.get("formation")
            app = self.create_app(owner, {"app": spec}, seed=spec,
                                  parent_ref=spec.get("parent"))
            try:
                if formation is not None:
                    if not isinstance(formation, list):
                        raise invalid("formation", "should be a list")
                    entries = []
                    for item in formation:
                        name, amount, size = self._scale_item(dict(app, deployed=False), item)
                        entries.append(self._formation_entry(name, amount or 0, size or catalog.DEFAULT_SIZE))
                    app["formation"] = entries
                    self._sync_containers(app, None)
                settings = {k: spec[k] for k in SETTING_FLAGS if k in spec}
                if settings:
                    self.update_app(None, app["id"], settings)
                for email in spec.get("collaborators") or ():
                    self.add_collaborator(app["id"], email)
            except ApiError:
                del self.apps[app["id"]]
                raise
            return app
