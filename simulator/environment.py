"""Environment variables of an app (reference/scalingo_api/environment.md). Standard library only; see families.py
for the interface.

The variables of an app are the list `app["variables"]` of `{"id", "name", "value"}` dicts, in creation order.
Variables set by an addon are entries of the same list with an extra internal key `"addon_id"` (the addons
family appends and removes them); views never show internal keys.

- `GET /apps/{app}/variables?aliases=true|false`: raw values (default), or with `$NAME` / `${NAME}` references to
  other variables of the app replaced by their values (`aliases=false`, as the platform resolves them);
- `POST` (one variable, 201), bulk `PUT` (create or update several, 200), `PATCH /variables/{id}` (the value
  only), `DELETE /variables/{id}` (204), bulk `DELETE /variables {"variable_ids": [...]}` (204);
- names: 1 to 64 characters, letters, digits and underscores, not starting with a digit; values: strings of at
  most 8192 characters. A refused request changes nothing (422 with the documented `errors` body).

The request log never holds a variable's value (server._logged_body masks `value` fields); one-off containers see `resolved(app)` (state.run).
"""

import re

from .catalog import ApiError, invalid, new_id, not_found
from .web import Response

CONFIG = {}

NAME_MAX = 64
VALUE_MAX = 8192
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
PUBLIC_KEYS = ("id", "name", "value")


def view(variable):
    """The API's object: never the internal keys (such as `addon_id`)."""
    return {key: variable.get(key) for key in PUBLIC_KEYS}


def variables_of(app):
    return app.setdefault("variables", [])


def resolved(app):
    """`{name: value}` with the references to other variables of the app replaced (aliases=false)."""
    raw = {v["name"]: v["value"] for v in variables_of(app)}

    def resolve(name, seen):
        def replace(match):
            ref = match.group(1) or match.group(2)
            if ref not in raw or ref in seen:
                return match.group(0)          # unknown (or circular) references stay as written
            return resolve(ref, seen | {ref})
        return REFERENCE.sub(replace, raw[name])

    return {name: resolve(name, {name}) for name in raw}


def _aliases(query):
    value = (query.get("aliases") or "true").strip().lower()
    return value not in ("false", "0", "no")


def _name_errors(name):
    if not isinstance(name, str) or not name:
        return ["can't be blank"]
    errors = []
    if len(name) > NAME_MAX:
        errors.append("is too long (maximum is %d characters)" % NAME_MAX)
    if not NAME.fullmatch(name):
        errors.append("is invalid: letters, digits and underscores, not starting with a digit")
    return errors


def _value_errors(value):
    if not isinstance(value, str):
        return ["should be a string"]
    if len(value) > VALUE_MAX:
        return ["is too long (maximum is %d characters)" % VALUE_MAX]
    return []


def _check(item, prefix=""):
    """Errors `{field: [messages]}` of one `{name, value}` object."""
    if not isinstance(item, dict):
        return {prefix.rstrip(".") or "variable": ["should be an object with a name and a value"]}
    errors = {}
    for field, messages in (("name", _name_errors(item.get("name"))), ("value", _value_errors(item.get("value")))):
        if messages:
            errors[prefix + field] = messages
    return errors


def _find(app, variable_id):
    for variable in variables_of(app):
        if variable["id"] == variable_id:
            return variable
    raise not_found("variable")


def routes(sim):
    store = sim.store

    def listing(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            if _aliases(req.query):
                items = [view(v) for v in variables_of(record)]
            else:
                values = resolved(record)
                items = [dict(view(v), value=values[v["name"]]) for v in variables_of(record)]
        return Response(200, {"variables": items})

    def create(req, app):
        body = req.json()
        with store.lock:
            record = store.app_for(req.email, app)
            item = body.get("variable")
            errors = _check(item)
            if errors:
                raise ApiError(422, {"errors": errors})
            if any(v["name"] == item["name"] for v in variables_of(record)):
                raise invalid("name", "has already been taken")
            variable = {"id": new_id(), "name": item["name"], "value": item["value"]}
            variables_of(record).append(variable)
            store.log(record["id"], "environment: %s added" % item["name"], "api")
            return Response(201, {"variable": view(variable)})

    def bulk_update(req, app):
        body = req.json()
        with store.lock:
            record = store.app_for(req.email, app)
            items = body.get("variables")
            if not isinstance(items, list) or not items:
                raise invalid("variables", "should be a non-empty list of objects with a name and a value")
            errors = {}
            for index, item in enumerate(items):
                errors.update(_check(item, "variables[%d]." % index))
            names = [item.get("name") for item in items if isinstance(item, dict)]
            twice = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
            if twice:
                errors["variables"] = ["%s given more than once" % ", ".join(twice)]
            if errors:
                raise ApiError(422, {"errors": errors})
            existing = {v["name"]: v for v in variables_of(record)}
            answer = []
            for item in items:
                variable = existing.get(item["name"])
                if variable is None:
                    variable = {"id": new_id(), "name": item["name"], "value": item["value"]}
                    variables_of(record).append(variable)
                else:
                    variable["value"] = item["value"]
                answer.append(view(variable))
            store.log(record["id"], "environment: %s set" % ", ".join(names), "api")
            return Response(200, {"variables": answer})

    def update(req, app, variable_id):
        body = req.json()
        with store.lock:
            record = store.app_for(req.email, app)
            variable = _find(record, variable_id)
            item = body.get("variable")
            if not isinstance(item, dict) or "value" not in item:
                raise invalid("value", "can't be blank")
            messages = _value_errors(item["value"])
            if messages:
                raise invalid("value", *messages)
            variable["value"] = item["value"]       # only the value can change (docs); a name is ignored
            store.log(record["id"], "environment: %s updated" % variable["name"], "api")
            return Response(200, {"variable": view(variable)})

    def delete(req, app, variable_id):
        with store.lock:
            record = store.app_for(req.email, app)
            variable = _find(record, variable_id)
            variables_of(record).remove(variable)
            store.log(record["id"], "environment: %s removed" % variable["name"], "api")
        return Response(204)

    def bulk_delete(req, app):
        body = req.json()
        with store.lock:
            record = store.app_for(req.email, app)
            ids = body.get("variable_ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
                raise invalid("variable_ids", "should be a non-empty list of variable ids")
            known = {v["id"] for v in variables_of(record)}
            if any(i not in known for i in ids):
                raise not_found("variable")
            removed = [v["name"] for v in variables_of(record) if v["id"] in ids]
            record["variables"] = [v for v in variables_of(record) if v["id"] not in ids]
            store.log(record["id"], "environment: %s removed" % ", ".join(removed), "api")
        return Response(204)

    base = r"/v1/apps/(?P<app>[^/]+)/variables"
    return [
        ("GET", base, listing, "regional"),
        ("POST", base, create, "regional"),
        ("PUT", base, bulk_update, "regional"),
        ("DELETE", base, bulk_delete, "regional"),
        ("PATCH", base + r"/(?P<variable_id>[^/]+)", update, "regional"),
        ("DELETE", base + r"/(?P<variable_id>[^/]+)", delete, "regional"),
    ]


def admin(sim, req):
    return None
