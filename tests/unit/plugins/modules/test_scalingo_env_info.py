# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_env_info

VARS = "/v1/apps/my-app/variables"
LISTING = {"variables": [
    {"id": "v1", "name": "SCALINGO_REDIS_URL", "value": "redis://h:6379"},
    {"id": "v2", "name": "REDIS_URL", "value": "$SCALINGO_REDIS_URL"},
    {"id": "v3", "name": "RAILS_ENV", "value": "production"},
]}


@pytest.fixture
def info(api, run_module):
    def run(check_mode=False, **args):
        return run_module(scalingo_env_info, dict(dict(app="my-app"), **args), check_mode=check_mode)
    return run


def test_every_variable_raw_in_one_request(api, info):
    api.add("GET", "/apps/my-app/variables", json=LISTING)
    result = info()
    assert not result["failed"], result["msg"]
    assert result["changed"] is False
    assert result["scalingo_env_info"] == {"SCALINGO_REDIS_URL": "redis://h:6379", "REDIS_URL": "$SCALINGO_REDIS_URL",
                                           "RAILS_ENV": "production"}
    assert [(c.method, c.path, c.query) for c in api.calls()] == [("GET", VARS, {"aliases": ["true"]})]
    assert api.calls()[0].headers["Authorization"] == "Bearer " + api.bearer


def test_names_and_resolved_aliases(api, info):
    api.add("GET", "/apps/my-app/variables", json={"variables": [
        {"id": "v2", "name": "REDIS_URL", "value": "redis://h:6379"},
        {"id": "v3", "name": "RAILS_ENV", "value": "production"}]})
    result = info(names=["REDIS_URL", "MISSING"], aliases=False)
    assert result["scalingo_env_info"] == {"REDIS_URL": "redis://h:6379"}
    assert [(c.method, c.path, c.query) for c in api.calls()] == [("GET", VARS, {"aliases": ["false"]})]


def test_bad_names_are_refused_before_any_request(api, info):
    result = info(names=["OK", "NOT-OK"])
    assert result["failed"]
    assert result["msg"].startswith("names[1]: 'NOT-OK' is not a valid environment variable name")
    assert api.all_calls() == []


def test_missing_app_fails_a_real_run(api, info):
    api.add("GET", "/apps/my-app/variables", status=404, json={"resource": "app", "error": "not found"})
    result = info()
    assert result["failed"]
    assert result["failure"]["status"] == 404
    assert result["failure"]["resource"] == "app"


def test_missing_app_in_check_mode_is_empty_with_a_warning(api, info):
    api.add("GET", "/apps/my-app/variables", status=404, json={"resource": "app", "error": "not found"})
    result = info(check_mode=True)
    assert not result["failed"], result["msg"]
    assert result["scalingo_env_info"] == {}
    assert "does not exist (yet)" in result["warnings"][0]
