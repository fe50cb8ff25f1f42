# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_env
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE

APP = "my-app"
VARS = "/v1/apps/my-app/variables"
OPERATION = API_BASE + "/apps/my-app/operations/op-9"
SECRET = "s3cr3t-value-never-shown"
NEW_SECRET = "n3w-s3cr3t-never-shown"


def variables(**values):
    return {"variables": [dict(id="id-" + name, name=name, value=value) for name, value in values.items()]}


@pytest.fixture
def env(api, run_module):
    def run(check_mode=False, diff=False, **args):
        return run_module(scalingo_env, dict(app=APP, **args), check_mode=check_mode, diff=diff)
    return run


def given(api, **values):
    api.add("GET", "/apps/my-app/variables", json=variables(**values))


def writes_accepted(api):
    api.add("PUT", "/apps/my-app/variables", json={"variables": []})
    api.add("DELETE", "/apps/my-app/variables", status=204, body="")


def calls(api):
    return [(c.method, c.path, c.json) for c in api.calls()]


def no_secret_in(result):
    text = json.dumps(result)
    return SECRET not in text and NEW_SECRET not in text


# ------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (dict(env={"1BAD": "x"}), "env: '1BAD' is not a valid environment variable name"),
    (dict(env={"": "x"}), "env: '' is not a valid environment variable name"),
    (dict(env={"A" * 65: "x"}), "env: the name %s is 65 characters long; the platform takes at most 64" % ("A" * 65)),
    (dict(secret_env={"TOKEN": "x" * 8193}), "secret_env: the value of TOKEN is 8193 characters long; "
                                             "the platform takes at most 8192"),
    (dict(env={"A": "1"}, secret_env={"A": SECRET}), "env and secret_env: A given in both"),
    (dict(state="absent", purge=True), "purge: only with state=present"),
    (dict(names=["A"]), "names: only with state=absent"),
    (dict(state="absent", names=["BAD-NAME"]), "names[0]: 'BAD-NAME' is not a valid environment variable name"),
    (dict(purge=True, keep=[""]), "keep[0]: must be a variable name or a shell-style pattern"),
    (dict(restart=True, restart_scope=[" "]), "restart_scope[0]: must be a container type or a container name"),
    (dict(app="Bad_App"), "app: 'Bad_App' is not a valid Scalingo app name"),
])
def test_bad_input_is_refused_before_any_request(api, run_module, args, message):
    args.setdefault("app", APP)
    result = run_module(scalingo_env, args)
    assert result["failed"]
    assert message in result["msg"]
    assert SECRET not in result["msg"]
    assert api.all_calls() == []


def test_a_value_over_the_limit_is_never_shown(api, env):
    result = env(secret_env={"TOKEN": SECRET * 400})
    assert result["failed"]
    assert SECRET not in result["msg"]
    assert api.all_calls() == []


# --------------------------------------------------------------------------------------- no-op

def test_nothing_to_change_is_one_get_with_raw_values(api, env):
    given(api, RAILS_ENV="production", WEB_CONCURRENCY="2", DEBUG="true",
          DATABASE_URL="$SCALINGO_POSTGRESQL_URL", TOKEN=SECRET)
    result = env(env=dict(RAILS_ENV="production", WEB_CONCURRENCY=2, DEBUG=True,
                          DATABASE_URL="$SCALINGO_POSTGRESQL_URL"),
                 secret_env=dict(TOKEN=SECRET), restart=True)
    assert not result["failed"], result["msg"]
    assert result["changed"] is False
    assert [(c.method, c.path, c.query) for c in api.calls()] == [("GET", VARS, {"aliases": ["true"]})]
    assert result["scalingo_env"] == dict(added=[], updated=[], removed=[],
                                          unchanged=["DATABASE_URL", "DEBUG", "RAILS_ENV", "TOKEN", "WEB_CONCURRENCY"])
    assert "operation" not in result
    assert no_secret_in(result)


# -------------------------------------------------------------------------------------- changes

def test_creations_and_updates_go_in_one_bulk_put_with_strings(api, env):
    given(api, RAILS_ENV="staging", KEEP_ME="x", TOKEN=SECRET)
    writes_accepted(api)
    result = env(env=dict(RAILS_ENV="production", WEB_CONCURRENCY=2, DEBUG=False, RATIO=0.5),
                 secret_env=dict(TOKEN=NEW_SECRET, API_KEY=SECRET))
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert calls(api) == [
        ("GET", VARS, None),
        ("PUT", VARS, {"variables": [
            {"name": "API_KEY", "value": SECRET},
            {"name": "DEBUG", "value": "false"},
            {"name": "RAILS_ENV", "value": "production"},
            {"name": "RATIO", "value": "0.5"},
            {"name": "TOKEN", "value": NEW_SECRET},
            {"name": "WEB_CONCURRENCY", "value": "2"},
        ]}),
    ]
    assert api.calls()[1].headers["Content-Type"] == "application/json"
    assert api.calls()[1].headers["Authorization"] == "Bearer " + api.bearer
    assert result["scalingo_env"] == dict(added=["API_KEY", "DEBUG", "RATIO", "WEB_CONCURRENCY"],
                                          updated=["RAILS_ENV", "TOKEN"], removed=[], unchanged=[])
    assert no_secret_in(result)
    assert "diff" not in result


def test_diff_shows_plain_values_and_never_a_secret(api, env):
    given(api, RAILS_ENV="staging", TOKEN=SECRET, SAME=SECRET, OTHER="other-value")
    writes_accepted(api)
    result = env(diff=True, env=dict(RAILS_ENV="production", NEW="1"),
                 secret_env=dict(TOKEN=NEW_SECRET, SAME=SECRET, API_KEY=SECRET))
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {"RAILS_ENV": "staging", "TOKEN": "(secret)", "SAME": "(secret)"},
        "after": {"RAILS_ENV": "production", "NEW": "1", "TOKEN": "(secret, changed)", "SAME": "(secret)",
                  "API_KEY": "(secret)"},
    }
    assert "other-value" not in json.dumps(result)
    assert no_secret_in(result)


def test_check_mode_sends_no_write_and_predicts(api, env):
    given(api, RAILS_ENV="staging", OLD="x")
    api.add("GET", "/apps/my-app/addons", json={"addons": []})
    result = env(check_mode=True, diff=True, env=dict(RAILS_ENV="production"), purge=True, keep=["KEEP_*"],
                 restart=True)
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET", "GET"]     # the variables, then the addons (purge)
    assert api.calls()[1].path == "/v1/apps/my-app/addons"
    assert result["scalingo_env"] == dict(added=[], updated=["RAILS_ENV"], removed=["OLD"], unchanged=[])
    assert result["diff"] == {"before": {"RAILS_ENV": "staging", "OLD": "(value not shown: not given in env)"},
                              "after": {"RAILS_ENV": "production"}}
    assert "operation" not in result


def test_check_mode_on_a_missing_app_predicts_with_a_warning(api, env):
    api.add("GET", "/apps/my-app/variables", status=404, json={"resource": "app", "error": "not found"})
    result = env(check_mode=True, env=dict(A="1"), secret_env=dict(B=SECRET))
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert result["scalingo_env"] == dict(added=["A", "B"], updated=[], removed=[], unchanged=[])
    assert "does not exist (yet)" in result["warnings"][0]
    assert [c.method for c in api.calls()] == ["GET"]


def test_a_missing_app_fails_a_real_run(api, env):
    api.add("GET", "/apps/my-app/variables", status=404, json={"resource": "app", "error": "not found"})
    result = env(env=dict(A="1"))
    assert result["failed"]
    assert result["failure"]["status"] == 404
    assert [c.method for c in api.calls()] == ["GET"]


def test_api_refusal_is_a_structured_failure_without_the_value(api, env):
    given(api)
    api.add("PUT", "/apps/my-app/variables", status=422, json={"errors": {"value": ["is invalid"]}})
    result = env(secret_env=dict(TOKEN=SECRET))
    assert result["failed"]
    assert result["failure"]["status"] == 422
    assert result["failure"]["method"] == "PUT"
    assert no_secret_in(result)


# -------------------------------------------------------------------------------------- removals

def test_absent_removes_names_and_keys_in_one_bulk_delete(api, env):
    given(api, A="1", B="2", C=SECRET, D="4")
    writes_accepted(api)
    result = env(state="absent", names=["A", "MISSING"], env=dict(B="ignored"), secret_env=dict(C="ignored"))
    assert result["changed"] is True
    assert calls(api) == [("GET", VARS, None), ("DELETE", VARS, {"variable_ids": ["id-A", "id-B", "id-C"]})]
    assert result["scalingo_env"] == dict(added=[], updated=[], removed=["A", "B", "C"], unchanged=["MISSING"])
    assert no_secret_in(result)


def test_absent_twice_is_one_get(api, env):
    given(api, D="4")
    result = env(state="absent", names=["A"], diff=True)
    assert result["changed"] is False
    assert [c.method for c in api.calls()] == ["GET"]
    assert result["diff"] == {"before": {}, "after": {}}


def test_absent_diff_shows_no_value_of_a_variable_not_in_env(api, env):
    given(api, A="plain-a", B="plain-b")
    writes_accepted(api)
    result = env(state="absent", names=["A"], env=dict(B="x"), diff=True)
    assert result["diff"] == {"before": {"A": "(value not shown: not given in env)", "B": "plain-b"}, "after": {}}


def test_purge_keeps_patterns_and_addon_variables(api, env):
    given(api, A="1", OLD="x", KEEP_ME="k", SCALINGO_POSTGRESQL_URL="pg", SCALINGO_POSTGRESQL_URL_CA_CERT="ca",
          SCALINGO_MONGO_URL="mongo", MAILJET_API_KEY="mj", SCALINGO_REDIS_URL="gone", STRAY=SECRET)
    api.add("GET", "/apps/my-app/addons", json={"addons": [
        {"id": "ad-1", "addon_provider": {"id": "scalingo-postgresql"}},
        {"id": "ad-2", "addon_provider": {"id": "scalingo-mongodb"}},
        {"id": "ad-3", "addon_provider": {"id": "mailjet"}},
    ]})
    writes_accepted(api)
    result = env(env=dict(A="1"), purge=True, keep=["KEEP_*"])
    assert result["changed"] is True
    assert calls(api) == [
        ("GET", VARS, None),
        ("GET", "/v1/apps/my-app/addons", None),
        ("DELETE", VARS, {"variable_ids": ["id-OLD", "id-SCALINGO_REDIS_URL", "id-STRAY"]}),
    ]
    assert result["scalingo_env"]["removed"] == ["OLD", "SCALINGO_REDIS_URL", "STRAY"]
    assert no_secret_in(result)


def test_purge_with_nothing_outside_env_and_keep_is_one_get(api, env):
    given(api, A="1", SCALINGO_POSTGRESQL_URL="pg")
    result = env(env=dict(A="1"), purge=True, keep=["SCALINGO_*"])
    assert result["changed"] is False
    assert [c.method for c in api.calls()] == ["GET"]


def test_purge_keeps_everything_when_the_api_has_no_addon_list(api, env):
    given(api, A="1", SCALINGO_REDIS_URL="r")
    api.add("GET", "/apps/my-app/addons", status=404, json={"error": "not found"})
    writes_accepted(api)
    result = env(env=dict(A="1"), purge=True)
    assert result["scalingo_env"]["removed"] == ["SCALINGO_REDIS_URL"]


# --------------------------------------------------------------------------------------- restart

def restart_accepted(api, *statuses):
    api.add("POST", "/apps/my-app/restart", status=202, headers={"Location": OPERATION}, body="")
    for status in statuses:
        api.add("GET", OPERATION, json={"operation": dict(id="op-9", type="restart", status=status,
                                                          created_at="2026-01-01T00:00:00Z")})


def test_restart_once_after_the_change_and_wait(api, env, clock):
    given(api, A="1")
    writes_accepted(api)
    restart_accepted(api, "pending", "done")
    result = env(env=dict(A="2"), restart=True, poll_interval=1)
    assert not result["failed"], result["msg"]
    assert calls(api) == [
        ("GET", VARS, None),
        ("PUT", VARS, {"variables": [{"name": "A", "value": "2"}]}),
        ("POST", "/v1/apps/my-app/restart", {"scope": []}),
        ("GET", "/v1/apps/my-app/operations/op-9", None),
        ("GET", "/v1/apps/my-app/operations/op-9", None),
    ]
    assert clock.sleeps == [1, 1]
    assert result["operation"] == dict(id="op-9", url=OPERATION, type="restart", status="done", error=None,
                                       created_at="2026-01-01T00:00:00Z", finished_at=None)


def test_restart_scope_is_checked_before_any_write(api, env):
    given(api, A="1")
    api.add("GET", "/apps/my-app/containers", json={"containers": [dict(name="web", amount=1, size="M")]})
    result = env(env=dict(A="2"), restart=True, restart_scope=["worker"])
    assert result["failed"]
    assert "restart_scope: 'worker' is not in the app's formation" in result["msg"]
    assert [c.method for c in api.calls()] == ["GET", "GET"]


def test_restart_scope_and_no_wait(api, env):
    given(api, A="1")
    api.add("GET", "/apps/my-app/containers", json={"containers": [dict(name="web", amount=2, size="M")]})
    writes_accepted(api)
    restart_accepted(api)
    result = env(env=dict(A="2"), restart=True, restart_scope=["web", "web"], wait=False)
    assert calls(api)[-1] == ("POST", "/v1/apps/my-app/restart", {"scope": ["web"]})
    assert result["operation"]["id"] == "op-9"
    assert result["operation"]["url"] == OPERATION
    assert result["operation"]["status"] is None


def test_a_failed_restart_says_the_variables_were_written(api, env, clock):
    given(api, A="1")
    writes_accepted(api)
    api.add("POST", "/apps/my-app/restart", status=422, json={"errors": {"app": ["is scaling"]}})
    result = env(env=dict(A="2"), restart=True)
    assert result["failed"]
    assert result["changed"] is True
    assert result["msg"].startswith("the variables were written, but the restart failed")
    assert result["scalingo_env"]["updated"] == ["A"]


def test_restart_in_check_mode_sends_nothing(api, env):
    given(api, A="1")
    result = env(check_mode=True, env=dict(A="2"), restart=True)
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET"]
