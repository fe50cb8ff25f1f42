"""Addons and addon providers (reference/scalingo_api/addons.md, addon_providers.md). Standard library only; see
families.py for the interface.

The catalog holds four database providers (PostgreSQL, MySQL, Redis, MongoDB), each with several plans; one
plan is disabled with an alternative (`postgresql-starter-256` -> `postgresql-starter-512`), one is to be
discontinued (`redis-starter-256`). Providers, categories and plans are listed without a bearer.

An addon is provisioned (or changes plan) through `provisioning`, for `addon_duration` seconds, then
`running`. Provisioning adds the addon's variables to the app's environment (`app["variables"]`, entries
`{"id", "name", "value", "addon_id"}`): `SCALINGO_<X>_URL`, whose value holds credentials generated for this
addon, and the platform's alias (`DATABASE_URL=$SCALINGO_POSTGRESQL_URL`, ...) when that name is free.
Removing the addon removes them. With `free_plan`, a plan with a price is refused with 402.

Admin calls: `POST /_sim/addons/faults` (`{"app"?, "provider"?, "count"?}`: the next provisionings or plan
changes that match stay `provisioning` until the addon is removed), `DELETE /_sim/addons/faults`,
`GET /_sim/addons` (every addon, with the names of its variables, never their values) and
`GET /_sim/addons/secrets` (every credential, token and SSO secret generated since start, for secret scans).
"""

import hashlib
import os
import time
import uuid

from . import catalog
from .catalog import ApiError, invalid, iso, new_id, not_found
from .web import Response

CONFIG = {"addon_duration": (float, 2.0)}

BILLING_MESSAGE = ("You can only use free addons without having defined a payment method: add one to your "
                   "account to provision this plan")
DB_HOST = "osc-fr1.scalingo-dbs.com"


def _hex_id(label):
    """A stable 24-hex id (so plan ids survive restarts, as on the platform)."""
    return hashlib.sha256(label.encode("utf-8")).hexdigest()[:24]


CATEGORY = {"id": _hex_id("category-databases"), "name": "Databases", "description": "", "position": 1}

# id, name, logo, scheme, url variable, alias variable, port, plans:
# (name, display name, price, position, disabled alternative, to be discontinued)
_PROVIDERS = (
    ("postgresql", "PostgreSQL", "Scalingo_Postgresql.svg", "postgresql", "SCALINGO_POSTGRESQL_URL",
     "DATABASE_URL", 30000, (
         ("postgresql-sandbox", "Sandbox", 0, 10, None, False),
         ("postgresql-starter-256", "Starter 256M", 3.6, 11, "postgresql-starter-512", False),
         ("postgresql-starter-512", "Starter 512M", 7.2, 12, None, False),
         ("postgresql-starter-1024", "Starter 1G", 14.4, 13, None, False),
         ("postgresql-business-1024", "Business 1G", 28.8, 20, None, False),
     )),
    ("mysql", "MySQL", "Scalingo_MySQL_20171006.svg", "mysql", "SCALINGO_MYSQL_URL", "DATABASE_URL", 31000, (
        ("mysql-sandbox", "Sandbox", 0, 10, None, False),
        ("mysql-starter-512", "Starter 512M", 7.2, 11, None, False),
        ("mysql-starter-1024", "Starter 1G", 14.4, 12, None, False),
        ("mysql-business-1024", "Business 1G", 28.8, 20, None, False),
    )),
    ("redis", "Redis", "Scalingo_Redis_20171006.svg", "redis", "SCALINGO_REDIS_URL", "REDIS_URL", 32000, (
        ("redis-sandbox", "Sandbox", 0, 10, None, False),
        ("redis-starter-256", "Starter 256M", 3.6, 11, None, True),
        ("redis-starter-512", "Starter 512M", 7.2, 12, None, False),
        ("redis-business-1024", "Business 1G", 28.8, 20, None, False),
    )),
    ("mongodb", "MongoDB", "Scalingo_MongoDB.svg", "mongodb", "SCALINGO_MONGO_URL", "MONGO_URL", 33000, (
        ("mongo-sandbox", "Sandbox", 0, 10, None, False),
        ("mongo-starter-512", "Starter 512M", 7.2, 11, None, False),
        ("mongo-starter-1024", "Starter 1G", 14.4, 12, None, False),
        ("mongo-business-1024", "Business 1G", 28.8, 20, None, False),
    )),
)


def _plan(provider_id, name, display, price, position, alternative, discontinued):
    return {
        "id": _hex_id("plan-" + name), "name": name, "display_name": display, "price": price,
        "description": "%s plan of the %s addon" % (display, provider_id), "position": position,
        "on_demand": False, "disabled": alternative is not None,
        "disabled_alternative_plan_id": _hex_id("plan-" + alternative) if alternative else None,
        "sku": "osc-fr1-%s" % name, "hds_available": not name.endswith("-sandbox"),
        "to_be_discontinued": discontinued, "trial_available": False,
        "pricings": {"default": {"price": "%.10f" % (price / 43200.0), "currency": "EUR", "period": "minute"}},
    }


PROVIDERS = {}
VARIABLES = {}      # provider id -> (scheme, url variable, alias variable, port)
for _pid, _name, _logo, _scheme, _url, _alias, _port, _plans in _PROVIDERS:
    PROVIDERS[_pid] = {
        "id": _pid, "name": _name, "logo_url": "//cdn.scalingo.com/addons/" + _logo,
        "short_description": "Your %s server in a dedicated process." % _name,
        "description": "Create %s databases on-demand." % _name, "provider_name": "Scalingo",
        "provider_url": "https://scalingo.com/databases/%s" % _pid, "hds_available": True,
        "category": dict(CATEGORY), "plans": [_plan(_pid, *p) for p in _plans],
    }
    VARIABLES[_pid] = (_scheme, _url, _alias, _port)


def _find_plan(provider, plan_id):
    return next((p for p in provider["plans"] if p["id"] == plan_id), None)


def _state(sim):
    """`secrets`: every secret generated since start (kept across resets, for secret scans); `faults`: the
    stuck-provisioning faults (in the store's extra data, so that a reset clears them)."""
    if not hasattr(sim, "addon_secrets"):
        sim.addon_secrets = []
    extra = sim.store.extra.setdefault("addons", {"faults": []})
    return {"secrets": sim.addon_secrets, "faults": extra["faults"]}


def _secret(sim, size=24):
    value = os.urandom(size).hex()
    _state(sim)["secrets"].append(value)
    return value


def _status(addon, now=None):
    if addon.get("suspended"):
        return "suspended"
    if addon.get("hang") or (now or time.time()) < addon["ready_at"]:
        return "provisioning"
    return "running"


def addon_view(app, addon):
    provider = PROVIDERS[addon["provider_id"]]
    plan = _find_plan(provider, addon["plan_id"])
    plan = {k: v for k, v in plan.items() if k != "pricings"}
    return {
        "id": addon["id"], "app_id": app["id"], "resource_id": addon["resource_id"],
        "provisioned_at": iso(addon["provisioned_at"]), "deprovisioned_at": None,
        "status": _status(addon), "plan": plan,
        "addon_provider": {k: provider[k] for k in ("id", "name", "logo_url")},
        "hds_resource": False, "updated_at": iso(addon["updated_at"]),
    }


def _variable_names(app, addon):
    return sorted(v["name"] for v in app.get("variables", []) if v.get("addon_id") == addon["id"])


def _addon(app, addon_id):
    found = next((a for a in app.get("addons", []) if a["id"] == addon_id), None)
    if found is None:
        raise not_found("addon")
    return found


def _plan_for(sim, provider, plan_id):
    if not isinstance(plan_id, str) or not plan_id:
        raise invalid("plan_id", "can't be blank")
    plan = _find_plan(provider, plan_id)
    if plan is None:
        raise not_found("plan")
    if plan["disabled"]:
        raise invalid("plan_id", "is disabled, use plan %s instead" % plan["disabled_alternative_plan_id"])
    if sim.config.free_plan and plan["price"]:
        raise ApiError(402, {"error": BILLING_MESSAGE, "url": catalog.BILLING_URL})
    return plan


def _start_provisioning(sim, app, addon):
    now = time.time()
    addon["updated_at"] = now
    addon["ready_at"] = now + sim.config.addon_duration
    state = _state(sim)
    for fault in state["faults"]:
        if fault.get("app") not in (None, app["name"], app["id"]):
            continue
        if fault.get("provider") not in (None, addon["provider_id"]):
            continue
        addon["hang"] = True
        fault["count"] -= 1
        if fault["count"] <= 0:
            state["faults"].remove(fault)
        break


def _add_variables(sim, app, addon):
    scheme, url_name, alias, port = VARIABLES[addon["provider_id"]]
    variables = app.setdefault("variables", [])
    taken = set(v["name"] for v in variables)
    name, index = url_name, 1
    while name in taken:
        index += 1
        name = url_name.replace("_URL", "_%d_URL" % index)
    user = addon["resource_id"]
    value = "%s://%s:%s@%s.%s.a.%s:%d/%s" % (scheme, user, _secret(sim), addon["resource_id"].replace("_", "-"),
                                             scheme, DB_HOST, port + len(app.get("addons", [])), user)
    if scheme == "postgresql":
        value += "?sslmode=prefer"
    variables.append({"id": new_id(), "name": name, "value": value, "addon_id": addon["id"]})
    if alias not in taken:
        variables.append({"id": new_id(), "name": alias, "value": "$" + name, "addon_id": addon["id"]})


def routes(sim):
    store = sim.store

    def list_addons(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            return Response(200, {"addons": [addon_view(record, a) for a in record.get("addons", [])]})

    def provision(req, app):
        payload = req.payload("addon", "can't be blank")
        with store.lock:
            record = store.app_for(req.email, app)
            provider_id = payload.get("addon_provider_id")
            if not isinstance(provider_id, str) or not provider_id:
                raise invalid("addon_provider_id", "can't be blank")
            provider = PROVIDERS.get(provider_id)
            if provider is None:
                raise not_found("addon_provider")
            plan = _plan_for(sim, provider, payload.get("plan_id"))
            options = payload.get("options")
            if options is not None and not isinstance(options, dict):
                raise invalid("options", "should be an object")
            now = time.time()
            addon = {"id": "ad-" + str(uuid.uuid4()), "provider_id": provider_id, "plan_id": plan["id"],
                     "resource_id": "%s_%04d" % (record["name"].replace("-", "_"), int.from_bytes(os.urandom(2), "big") % 10000),
                     "provisioned_at": now, "updated_at": now, "ready_at": now, "hang": False, "suspended": False}
            _start_provisioning(sim, record, addon)
            _add_variables(sim, record, addon)
            record.setdefault("addons", []).append(addon)
            store.log(record["id"], "addon %s (%s) provisioned with plan %s" % (addon["id"], provider_id, plan["name"]),
                      "manager")
            return Response(201, {"addon": addon_view(record, addon), "variables": _variable_names(record, addon),
                                  "message": "Database successfully created"})

    def show(req, app, addon_id):
        with store.lock:
            record = store.app_for(req.email, app)
            return Response(200, {"addon": addon_view(record, _addon(record, addon_id))})

    def upgrade(req, app, addon_id):
        payload = req.payload("addon", "can't be blank")
        with store.lock:
            record = store.app_for(req.email, app)
            addon = _addon(record, addon_id)
            plan = _plan_for(sim, PROVIDERS[addon["provider_id"]], payload.get("plan_id"))
            if plan["id"] != addon["plan_id"]:
                addon["plan_id"] = plan["id"]
                _start_provisioning(sim, record, addon)
                store.log(record["id"], "addon %s changed to plan %s" % (addon["id"], plan["name"]), "manager")
            return Response(200, {"addon": addon_view(record, addon), "vars": _variable_names(record, addon),
                                  "message": "Plan changed to %s" % plan["name"]})

    def remove(req, app, addon_id):
        with store.lock:
            record = store.app_for(req.email, app)
            addon = _addon(record, addon_id)
            record["addons"].remove(addon)
            record["variables"] = [v for v in record.get("variables", []) if v.get("addon_id") != addon["id"]]
            store.log(record["id"], "addon %s removed" % addon["id"], "manager")
            return Response(204)

    def token(req, app, addon_id):
        with store.lock:
            record = store.app_for(req.email, app)
            view = addon_view(record, _addon(record, addon_id))
            view["token"] = _secret(sim, 32)
            return Response(200, {"addon": view})

    def sso(req, app, addon_id):
        with store.lock:
            record = store.app_for(req.email, app)
            view = addon_view(record, _addon(record, addon_id))
            view["sso_url"] = "https://db-%s/sso?id=%s&token=%s&timestamp=%d" % (
                DB_HOST, view["resource_id"], _secret(sim, 20), int(time.time()))
            return Response(200, {"addon": view})

    def resume(req, app, addon_id):
        with store.lock:
            record = store.app_for(req.email, app)
            addon = _addon(record, addon_id)
            addon["suspended"] = False
            return Response(200, {"addon": addon_view(record, addon), "message": "Addon resumed"})

    def providers(req):
        category = req.query.get("category_id")
        items = [p for p in PROVIDERS.values() if category in (None, "", p["category"]["id"])]
        return Response(200, {"addon_providers": items})

    def plans(req, provider):
        found = PROVIDERS.get(provider)
        if found is None:
            raise not_found("addon_provider")
        show_all = req.query.get("show_all", "").lower() == "true"
        return Response(200, {"plans": [p for p in found["plans"] if show_all or not p["disabled"]]})

    app_addons = r"/v1/apps/(?P<app>[^/]+)/addons"
    one = app_addons + r"/(?P<addon_id>[^/]+)"
    return [
        ("GET", app_addons, list_addons, "regional"),
        ("POST", app_addons, provision, "regional"),
        ("GET", one, show, "regional"),
        ("PATCH", one, upgrade, "regional"),
        ("DELETE", one, remove, "regional"),
        ("POST", one + "/token", token, "regional"),
        ("POST", one + "/sso", sso, "regional"),
        ("GET", one + "/sso", sso, "regional"),
        ("POST", one + "/resume", resume, "regional"),
        ("GET", "/v1/addon_providers", providers, "public"),
        ("GET", r"/v1/addon_providers/(?P<provider>[^/]+)/plans", plans, "public"),
        ("GET", "/v1/addon_categories", lambda req: Response(200, {"addon_categories": [dict(CATEGORY)]}), "public"),
    ]


def admin(sim, req):
    path, method = req.path, req.method
    state = _state(sim)
    store = sim.store
    if path == "/_sim/addons/faults":
        if method == "DELETE":
            with store.lock:
                del state["faults"][:]
            return Response(204)
        if method == "POST":
            spec = req.json()
            count = spec.get("count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise invalid("count", "should be a positive integer")
            if spec.get("provider") is not None and spec["provider"] not in PROVIDERS:
                raise invalid("provider", "is not a provider of the catalog (%s)" % ", ".join(PROVIDERS))
            fault = {"fault": "stuck_provisioning", "app": spec.get("app"), "provider": spec.get("provider"),
                     "count": count}
            with store.lock:
                state["faults"].append(fault)
            return Response(201, {"fault": fault})
        if method == "GET":
            with store.lock:
                return Response(200, {"faults": [dict(f) for f in state["faults"]]})
    if (method, path) == ("GET", "/_sim/addons"):
        with store.lock:
            items = []
            for app in store.apps.values():
                for addon in app.get("addons", []):
                    view = addon_view(app, addon)
                    view.update(app_name=app["name"], variables=_variable_names(app, addon))
                    items.append(view)
            return Response(200, {"addons": items})
    if (method, path) == ("GET", "/_sim/addons/secrets"):
        with store.lock:
            return Response(200, {"secrets": list(state["secrets"])})
    return None
