"""Environment variables: list (aliases), create, bulk update, update, delete, bulk delete, validation errors,
the request log without values, addon variables, and the one-off containers that see the environment."""

import sys

import pytest
import requests

from simhelpers import ROOT, Attached, basic

VARS = "/v1/apps/example-app/variables"


def listing(api, aliases=None):
    response = api.get(VARS, params=None if aliases is None else {"aliases": aliases})
    assert response.status_code == 200, response.text
    return {v["name"]: v["value"] for v in response.json()["variables"]}


def bulk(api, **values):
    response = api.put(VARS, {"variables": [{"name": k, "value": v} for k, v in values.items()]})
    assert response.status_code == 200, response.text
    return response.json()["variables"]


def test_documented_examples(api, app):
    response = api.post(VARS, {"variable": {"name": "RAILS_ENV", "value": "production"}})
    assert response.status_code == 201
    created = response.json()["variable"]
    assert sorted(created) == ["id", "name", "value"]
    assert (created["name"], created["value"]) == ("RAILS_ENV", "production")

    answer = bulk(api, RAILS_ENV="staging", RACK_ENV="production")
    assert [(v["name"], v["value"]) for v in answer] == [("RAILS_ENV", "staging"), ("RACK_ENV", "production")]
    assert answer[0]["id"] == created["id"]          # updated in place, same id

    response = api.get(VARS)
    assert response.status_code == 200
    assert [v["name"] for v in response.json()["variables"]] == ["RAILS_ENV", "RACK_ENV"]

    response = api.patch(VARS + "/" + created["id"], {"variable": {"value": "test", "name": "IGNORED"}})
    assert response.status_code == 200
    assert response.json()["variable"] == {"id": created["id"], "name": "RAILS_ENV", "value": "test"}

    response = api.delete(VARS + "/" + created["id"])
    assert (response.status_code, response.content) == (204, b"")
    assert listing(api) == {"RACK_ENV": "production"}


def test_bulk_delete(api, app):
    ids = {v["name"]: v["id"] for v in bulk(api, A="1", B="2", C="3")}
    response = api.request("DELETE", VARS, json={"variable_ids": [ids["A"], ids["C"]]})
    assert (response.status_code, response.content) == (204, b"")
    assert listing(api) == {"B": "2"}
    response = api.request("DELETE", VARS, json={"variable_ids": [ids["A"], ids["B"]]})
    assert response.status_code == 404
    assert response.json() == {"resource": "variable", "error": "not found"}
    assert listing(api) == {"B": "2"}                 # a refused request changes nothing
    response = api.request("DELETE", VARS, json={"variable_ids": []})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["variable_ids"]


def test_aliases(api, app):
    bulk(api, SCALINGO_MONGO_URL="mongodb://user:password@host:port/db", DATABASE_URL="$SCALINGO_MONGO_URL",
         WRAPPED="${DATABASE_URL}?ssl=true", UNKNOWN="$NOPE", LOOP_A="$LOOP_B", LOOP_B="$LOOP_A")
    raw = listing(api)
    assert raw["DATABASE_URL"] == "$SCALINGO_MONGO_URL"
    assert listing(api, "true") == raw
    resolved = listing(api, "false")
    assert resolved["DATABASE_URL"] == "mongodb://user:password@host:port/db"
    assert resolved["WRAPPED"] == "mongodb://user:password@host:port/db?ssl=true"
    assert resolved["UNKNOWN"] == "$NOPE"
    assert resolved["LOOP_A"] in ("$LOOP_A", "$LOOP_B")
    assert listing(api) == raw                         # resolving stores nothing


@pytest.mark.parametrize("item, field, message", [
    ({"name": "", "value": "x"}, "name", "can't be blank"),
    ({"name": "A" * 65, "value": "x"}, "name", "is too long (maximum is 64 characters)"),
    ({"name": "BAD-NAME", "value": "x"}, "name", "is invalid: letters, digits and underscores, not starting with a digit"),
    ({"name": "A", "value": "x" * 8193}, "value", "is too long (maximum is 8192 characters)"),
    ({"name": "A", "value": 2}, "value", "should be a string"),
    ({"name": "A"}, "value", "should be a string"),
])
def test_validation_errors(api, app, item, field, message):
    response = api.post(VARS, {"variable": item})
    assert response.status_code == 422
    assert response.json() == {"errors": {field: [message]}}
    response = api.put(VARS, {"variables": [{"name": "OK", "value": "1"}, item]})
    assert response.status_code == 422
    assert response.json() == {"errors": {"variables[1]." + field: [message]}}
    assert listing(api) == {}                          # all or nothing


def test_limits_are_inclusive(api, app):
    bulk(api, **{"A" * 64: "x" * 8192})
    assert listing(api) == {"A" * 64: "x" * 8192}


def test_other_refusals(api, app):
    bulk(api, A="1")
    response = api.post(VARS, {"variable": {"name": "A", "value": "2"}})
    assert (response.status_code, response.json()) == (422, {"errors": {"name": ["has already been taken"]}})
    response = api.put(VARS, {"variables": [{"name": "B", "value": "1"}, {"name": "B", "value": "2"}]})
    assert (response.status_code, response.json()) == (422, {"errors": {"variables": ["B given more than once"]}})
    response = api.put(VARS, {"variables": []})
    assert response.status_code == 422
    response = api.patch(VARS + "/nope", {"variable": {"value": "x"}})
    assert (response.status_code, response.json()) == (404, {"resource": "variable", "error": "not found"})
    response = api.delete(VARS + "/nope")
    assert response.status_code == 404
    response = api.get("/v1/apps/missing-app/variables")
    assert (response.status_code, response.json()) == (404, {"resource": "app", "error": "not found"})
    response = requests.get(api.base + VARS, timeout=10)
    assert response.status_code == 401
    assert listing(api) == {"A": "1"}


def test_other_users_see_nothing(api, other_api, app):
    bulk(api, A="1")
    assert other_api.get(VARS).status_code == 404


def test_request_log_never_holds_a_value(api, sim, app):
    sim.admin("DELETE", "/_sim/requests")
    secret = "sv-" + "q" * 3000                        # longer than the log's body limit
    ids = {v["name"]: v["id"] for v in bulk(api, TOKEN=secret, OTHER="plain-secret")}
    api.post(VARS, {"variable": {"name": "NEW", "value": "posted-secret"}})
    api.patch(VARS + "/" + ids["OTHER"], {"variable": {"value": "patched-secret"}})
    api.get(VARS)
    entries = [e for e in sim.admin("GET", "/_sim/requests")["requests"] if e["path"] == VARS
               or e["path"].startswith(VARS + "/")]
    text = repr(entries)
    for value in (secret, "plain-secret", "posted-secret", "patched-secret"):
        assert value not in text
    assert entries[0]["body"] == {"variables": [{"name": "TOKEN", "value": "***"}, {"name": "OTHER", "value": "***"}]}


def test_addon_variables_are_listed_without_internal_keys():
    sys.path.insert(0, str(ROOT))
    from simulator import environment

    app = {"variables": [{"id": "1", "name": "SCALINGO_REDIS_URL", "value": "redis://h", "addon_id": "ad-1"},
                         {"id": "2", "name": "REDIS_URL", "value": "$SCALINGO_REDIS_URL"}]}
    assert [environment.view(v) for v in app["variables"]] == [
        {"id": "1", "name": "SCALINGO_REDIS_URL", "value": "redis://h"},
        {"id": "2", "name": "REDIS_URL", "value": "$SCALINGO_REDIS_URL"}]
    assert environment.resolved(app) == {"SCALINGO_REDIS_URL": "redis://h", "REDIS_URL": "redis://h"}


def run_and_read(api, command, env=None):
    response = api.post("/v1/apps/example-app/run", {"command": command, "env": env or {}})
    assert response.status_code == 200, response.text
    operation = api.wait_operation(response.json()["operation_url"])
    session = Attached(operation["start_one_off_data"]["attach_url"], basic(api.bearer))
    return session.read_all()


def test_one_off_sees_the_environment(api, app):
    bulk(api, GREETING="hello", TARGET="world", MESSAGE="$GREETING ${TARGET}", APP="overridden-by-the-platform")
    output = run_and_read(api, "echo $MESSAGE from $APP", env={"TARGET": "run"})
    assert output == b"hello world from example-app\n"     # the app's variables resolved, APP set by the platform
    output = run_and_read(api, "echo $TARGET", env={"TARGET": "run"})
    assert output == b"run\n"                               # the run's env wins
