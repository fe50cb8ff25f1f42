# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_addon_info


def addon(addon_id, provider, plan):
    return dict(id=addon_id, resource_id="res-" + addon_id, status="running", plan=dict(id="p-" + plan, name=plan),
                addon_provider=dict(id=provider, name=provider.title()))


@pytest.fixture
def info(api, run_module):
    def run(check_mode=False, **args):
        return run_module(scalingo_addon_info, args, check_mode=check_mode)
    return run


def test_app_or_provider_is_required(api, info):
    result = info()
    assert result["failed"]
    assert "app, provider" in result["msg"]
    assert api.all_calls() == []


def test_addons_of_an_app(api, info):
    api.add("GET", "/apps/my-app/addons", json=dict(addons=[addon("ad-1", "postgresql", "postgresql-sandbox"),
                                                            addon("ad-2", "redis", "redis-sandbox")]))
    result = info(app="my-app")
    assert result["changed"] is False
    assert [(c.method, c.path) for c in api.calls()] == [("GET", "/v1/apps/my-app/addons")]
    assert result["scalingo_addon_info"] == [
        dict(id="ad-1", resource_id="res-ad-1", status="running", provider=dict(id="postgresql", name="Postgresql"),
             plan=dict(id="p-postgresql-sandbox", name="postgresql-sandbox"), env_names=None),
        dict(id="ad-2", resource_id="res-ad-2", status="running", provider=dict(id="redis", name="Redis"),
             plan=dict(id="p-redis-sandbox", name="redis-sandbox"), env_names=None),
    ]
    assert "plans" not in result


def test_addons_of_an_app_and_a_provider(api, info):
    api.add("GET", "/apps/my-app/addons", json=dict(addons=[addon("ad-1", "postgresql", "postgresql-sandbox"),
                                                            addon("ad-2", "redis", "redis-sandbox")]))
    result = info(app="my-app", provider="redis")
    assert [item["id"] for item in result["scalingo_addon_info"]] == ["ad-2"]
    assert len(api.calls()) == 1


def test_plans_of_a_provider(api, info):
    api.add("GET", "/addon_providers/redis/plans", json=dict(plans=[
        dict(id="p1", name="redis-sandbox", display_name="Sandbox", price=0, disabled=False, sku="x",
             disabled_alternative_plan_id=None),
        dict(id="p2", name="redis-starter-256", display_name="Starter", disabled=True, to_be_discontinued=True,
             disabled_alternative_plan_id="p1"),
    ]))
    result = info(provider="redis")
    assert [(c.method, c.path, c.query) for c in api.calls()] == [
        ("GET", "/v1/addon_providers/redis/plans", {"show_all": ["true"]})]
    assert result["scalingo_addon_info"] == []
    assert result["plans"] == [
        dict(id="p1", name="redis-sandbox", display_name="Sandbox", price=0, disabled=False, to_be_discontinued=False,
             disabled_alternative_plan_id=None),
        dict(id="p2", name="redis-starter-256", display_name="Starter", disabled=True, to_be_discontinued=True,
             disabled_alternative_plan_id="p1"),
    ]


def test_unknown_provider(api, info):
    api.add("GET", "/addon_providers/nosql/plans", status=404, json=dict(resource="addon_provider", error="not found"))
    api.add("GET", "/addon_providers", json=dict(addon_providers=[dict(id="mysql")]))
    result = info(provider="nosql")
    assert result["failed"]
    assert result["msg"] == "provider: 'nosql' is not an addon provider of this region; valid providers: mysql"


def test_missing_app_in_check_mode_warns(api, info):
    api.add("GET", "/apps/my-app/addons", status=404, json=dict(resource="app", error="not found"))
    result = info(app="my-app", check_mode=True)
    assert not result["failed"]
    assert result["scalingo_addon_info"] == []
    assert "does not exist (yet)" in result["warnings"][0]
    real = info(app="my-app")
    assert real["failed"]
