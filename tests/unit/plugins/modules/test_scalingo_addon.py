# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_addon
from ansible_collections.scalingo.cloud.tests.unit.utils import API_BASE

ADDONS = "/apps/my-app/addons"
ADDON = ADDONS + "/ad-1"
PLANS = "/addon_providers/postgresql/plans"
CREDENTIAL = "postgresql://my_app_1234:s3cr3t-pa55@db.example:30000/my_app_1234"

PLAN_LIST = [
    dict(id="p-sandbox", name="postgresql-sandbox", price=0, disabled=False, disabled_alternative_plan_id=None),
    dict(id="p-256", name="postgresql-starter-256", price=3.6, disabled=True, disabled_alternative_plan_id="p-512"),
    dict(id="p-512", name="postgresql-starter-512", price=7.2, disabled=False, disabled_alternative_plan_id=None),
    dict(id="p-1024", name="postgresql-business-1024", price=28.8, disabled=False, to_be_discontinued=True,
         disabled_alternative_plan_id=None),
]


def addon(status="running", plan="postgresql-starter-512", plan_id="p-512", addon_id="ad-1", provider="postgresql"):
    return dict(id=addon_id, app_id="app-1", resource_id="my_app_1234", status=status,
                plan=dict(id=plan_id, name=plan, display_name="Starter", price=7.2),
                addon_provider=dict(id=provider, name="PostgreSQL", logo_url="//cdn/logo.svg"))


def result_of(status="running", plan="postgresql-starter-512", plan_id="p-512", env_names=None):
    return dict(id="ad-1", resource_id="my_app_1234", status=status, provider=dict(id="postgresql", name="PostgreSQL"),
                plan=dict(id=plan_id, name=plan), env_names=env_names)


@pytest.fixture
def module(api, run_module):
    def run(check_mode=False, diff=False, **args):
        args.setdefault("app", "my-app")
        args.setdefault("provider", "postgresql")
        return run_module(scalingo_addon, args, check_mode=check_mode, diff=diff)
    return run


def calls(api):
    return [(c.method, c.path, c.json) for c in api.calls()]


def test_bad_input_is_refused_before_any_request(api, module):
    result = module(app="Bad_App", provider="Postgre SQL", plan=" ")
    assert result["failed"]
    assert "app: 'Bad_App' is not a valid Scalingo app name" in result["msg"]
    assert "provider: 'Postgre SQL' is not an addon provider id" in result["msg"]
    assert "plan: must be a plan name" in result["msg"]
    assert api.all_calls() == []


def test_plan_is_required_when_present(api, module):
    result = module()
    assert result["failed"]
    assert "plan" in result["msg"]
    assert api.all_calls() == []


def test_noop_reads_the_addons_only(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon(), addon(provider="redis", addon_id="ad-2")]))
    result = module(plan="postgresql-starter-512", diff=True)
    assert not result["failed"], result["msg"]
    assert result["changed"] is False
    assert calls(api) == [("GET", "/v1/apps/my-app/addons", None)]
    assert result["scalingo_addon"] == result_of()
    assert result["diff"]["before"] == result["diff"]["after"] == dict(
        state="present", provider="postgresql", plan="postgresql-starter-512")


def test_provision_and_wait(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=201, json=dict(
        addon=addon("provisioning"), message="Database successfully created",
        variables=["SCALINGO_POSTGRESQL_URL", "DATABASE_URL"]))
    api.add("GET", ADDON, json=dict(addon=addon("provisioning")))
    api.add("GET", ADDON, json=dict(addon=addon("running")))
    result = module(plan="postgresql-starter-512", poll_interval=3)
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert calls(api) == [
        ("GET", "/v1/apps/my-app/addons", None),
        ("GET", "/v1/addon_providers/postgresql/plans", None),
        ("POST", "/v1/apps/my-app/addons", {"addon": {"addon_provider_id": "postgresql", "plan_id": "p-512"}}),
        ("GET", "/v1/apps/my-app/addons/ad-1", None),
        ("GET", "/v1/apps/my-app/addons/ad-1", None),
    ]
    assert api.calls()[1].query == {"show_all": ["true"]}
    assert api.calls()[2].headers["Authorization"] == "Bearer " + api.bearer
    assert clock.sleeps == [3, 3]
    assert result["scalingo_addon"] == result_of(env_names=["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"])
    assert result["message"] == "Database successfully created"
    assert CREDENTIAL not in json.dumps(result)


def test_provision_without_waiting(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=201, json=dict(addon=addon("provisioning"), variables=["DATABASE_URL"]))
    result = module(plan="postgresql-starter-512", wait=False)
    assert result["changed"] is True
    assert result["scalingo_addon"]["status"] == "provisioning"
    assert len(api.calls()) == 3
    assert clock.sleeps == []


def test_plan_change_answer_with_vars_and_wait(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[addon()]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("PATCH", ADDON, json=dict(vars=["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"], message="upgraded"))
    api.add("GET", ADDON, json=dict(addon=addon("provisioning", "postgresql-sandbox", "p-sandbox")))
    api.add("GET", ADDON, json=dict(addon=addon("running", "postgresql-sandbox", "p-sandbox")))
    result = module(plan="postgresql-sandbox", diff=True)
    assert not result["failed"], result["msg"]
    assert calls(api) == [
        ("GET", "/v1/apps/my-app/addons", None),
        ("GET", "/v1/addon_providers/postgresql/plans", None),
        ("PATCH", "/v1/apps/my-app/addons/ad-1", {"addon": {"plan_id": "p-sandbox"}}),
        ("GET", "/v1/apps/my-app/addons/ad-1", None),   # the documented answer holds no addon: read it
        ("GET", "/v1/apps/my-app/addons/ad-1", None),
    ]
    assert clock.sleeps == [2]
    assert result["scalingo_addon"] == result_of(plan="postgresql-sandbox", plan_id="p-sandbox",
                                                 env_names=["DATABASE_URL", "SCALINGO_POSTGRESQL_URL"])
    assert result["diff"] == dict(before=dict(state="present", provider="postgresql", plan="postgresql-starter-512"),
                                  after=dict(state="present", provider="postgresql", plan="postgresql-sandbox"))


def test_check_mode_reads_only(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon()]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    result = module(plan="postgresql-sandbox", check_mode=True, diff=True)
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET", "GET"]
    assert result["scalingo_addon"] == result_of("provisioning", "postgresql-sandbox", "p-sandbox")
    assert result["diff"]["after"]["plan"] == "postgresql-sandbox"


def test_check_mode_on_a_missing_app_predicts(api, module):
    api.add("GET", ADDONS, status=404, json=dict(resource="app", error="not found"))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    result = module(plan="postgresql-starter-512", check_mode=True)
    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert "does not exist (yet)" in result["warnings"][0]
    assert result["scalingo_addon"]["plan"] == dict(id="p-512", name="postgresql-starter-512")


def test_missing_app_fails_in_a_real_run(api, module):
    api.add("GET", ADDONS, status=404, json=dict(resource="app", error="not found"))
    result = module(plan="postgresql-starter-512")
    assert result["failed"]
    assert result["failure"]["status"] == 404
    assert len(api.calls()) == 1


def test_unknown_plan_is_refused_before_any_write(api, module):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    result = module(plan="postgresql-huge")
    assert result["failed"]
    assert result["msg"] == ("plan: 'postgresql-huge' is not a plan of addon provider postgresql; valid plans: "
                             "postgresql-sandbox, postgresql-starter-512, postgresql-business-1024")
    assert result["failure"]["type"] == "PlanError"
    assert [c.method for c in api.calls()] == ["GET", "GET"]


def test_disabled_plan_is_refused_naming_the_alternative(api, module):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    result = module(plan="postgresql-starter-256")
    assert result["failed"]
    assert "is disabled" in result["msg"] and "the API offers postgresql-starter-512 instead" in result["msg"]
    assert result["failure"]["alternative"] == "postgresql-starter-512"
    assert [c.method for c in api.calls()] == ["GET", "GET"]


def test_discontinued_plan_is_provisioned_with_a_warning(api, module):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=201, json=dict(addon=addon("running", "postgresql-business-1024", "p-1024")))
    result = module(plan="postgresql-business-1024")
    assert result["changed"] is True
    assert any("to be discontinued" in warning for warning in result["warnings"])


def test_unknown_provider_lists_the_valid_ones(api, module):
    api.add("GET", "/apps/my-app/addons", json=dict(addons=[]))
    api.add("GET", "/addon_providers/nosql/plans", status=404, json=dict(resource="addon_provider", error="not found"))
    api.add("GET", "/addon_providers", json=dict(addon_providers=[dict(id="redis"), dict(id="postgresql")]))
    result = module(provider="nosql", plan="x")
    assert result["failed"]
    assert result["msg"] == "provider: 'nosql' is not an addon provider of this region; valid providers: postgresql, redis"
    assert result["failure"]["providers"] == ["postgresql", "redis"]
    assert [c.method for c in api.calls()] == ["GET", "GET", "GET"]


def test_payment_required_fails_with_message_and_link(api, module):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=402, json=dict(
        error="You can only use free addons", url="https://my.scalingo.com/apps/billing"))
    result = module(plan="postgresql-starter-512")
    assert result["failed"]
    assert "(402): You can only use free addons (see https://my.scalingo.com/apps/billing)" in result["msg"]
    assert result["failure"]["url"] == "https://my.scalingo.com/apps/billing"


def test_stuck_provisioning_times_out_with_the_status(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=201, json=dict(addon=addon("provisioning"), variables=["DATABASE_URL"]))
    api.add("GET", ADDON, json=dict(addon=addon("provisioning")))
    result = module(plan="postgresql-starter-512", wait_timeout=5, poll_interval=2)
    assert result["failed"]
    assert result["changed"] is True
    assert "is still provisioning after 5 s" in result["msg"]
    assert result["failure"]["type"] == "AddonWaitError"
    assert result["failure"]["addon"]["status"] == "provisioning"
    assert result["scalingo_addon"]["env_names"] == ["DATABASE_URL"]
    assert clock.sleeps == [2, 2, 1]   # never past the deadline
    assert [c.method for c in api.calls()].count("GET") == 2 + 3


def test_noop_on_a_provisioning_addon_waits(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[addon("provisioning")]))
    api.add("GET", ADDON, json=dict(addon=addon("running")))
    result = module(plan="postgresql-starter-512")
    assert result["changed"] is False
    assert result["scalingo_addon"]["status"] == "running"
    assert clock.sleeps == [2]


def test_suspended_addon_fails_the_wait_at_once(api, module, clock):
    api.add("GET", ADDONS, json=dict(addons=[]))
    api.add("GET", PLANS, json=dict(plans=PLAN_LIST))
    api.add("POST", ADDONS, status=201, json=dict(addon=addon("suspended")))
    result = module(plan="postgresql-starter-512")
    assert result["failed"]
    assert "is suspended" in result["msg"]
    assert clock.sleeps == []


def test_several_addons_need_addon_id(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon(), addon(addon_id="ad-2")]))
    result = module(plan="postgresql-starter-512")
    assert result["failed"]
    assert result["msg"] == ("app my-app has 2 addons of provider postgresql: ad-1 (plan postgresql-starter-512), "
                             "ad-2 (plan postgresql-starter-512); set addon_id to pick one")
    api.add("GET", ADDONS, json=dict(addons=[addon(), addon(addon_id="ad-2")]))
    picked = module(plan="postgresql-starter-512", addon_id="ad-2")
    assert picked["changed"] is False
    assert picked["scalingo_addon"]["id"] == "ad-2"


def test_unknown_addon_id_fails_when_present(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon()]))
    result = module(plan="postgresql-starter-512", addon_id="ad-9")
    assert result["failed"]
    assert result["msg"] == "addon_id: app my-app has no addon ad-9; its postgresql addons: ad-1"


def test_absent_removes_then_changes_nothing(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon()]))
    api.add("DELETE", ADDON, status=204, body="")
    result = module(state="absent", diff=True)
    assert result["changed"] is True
    assert calls(api) == [("GET", "/v1/apps/my-app/addons", None), ("DELETE", "/v1/apps/my-app/addons/ad-1", None)]
    assert result["scalingo_addon"] == {}
    assert result["diff"]["after"] == dict(state="absent")


def test_absent_when_there_is_none(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon(provider="redis")]))
    result = module(state="absent")
    assert result["changed"] is False
    assert len(api.calls()) == 1


def test_absent_in_check_mode_sends_no_delete(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon()]))
    result = module(state="absent", check_mode=True)
    assert result["changed"] is True
    assert [c.method for c in api.calls()] == ["GET"]


def test_addon_ids_are_quoted_in_paths(api, module):
    api.add("GET", ADDONS, json=dict(addons=[addon(addon_id="ad/1")]))
    api.add("DELETE", API_BASE + "/apps/my-app/addons/ad%2F1", status=204, body="")
    result = module(state="absent", addon_id="ad/1")
    assert result["changed"] is True
    assert api.calls()[1].url.endswith("/addons/ad%2F1")
