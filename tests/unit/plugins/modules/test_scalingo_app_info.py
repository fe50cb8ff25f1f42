# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_app_info

NAME = "my-shop-production"
APP = {"id": "54100930736f7563d5030000", "name": NAME, "status": "running", "force_https": True}
OTHER = {"id": "54100930736f7563d5030001", "name": "my-shop-staging", "status": "stopped"}
FORMATION = [{"name": "web", "amount": 2, "size": "M"}]
PROCESSES = [{"id": "6054bcc56d80de00682f7a18", "label": "web-1", "type": "web", "type_index": 1,
              "state": "running", "command": "", "size": "M"}]
STATS = [{"id": "web-1", "cpu_usage": 0, "memory_usage": 200105984, "memory_limit": 536870912}]
LOGS_URL = "https://logs.scalingo.com/apps/my-shop-production/logs?token=0123456789"


def summary(calls):
    return [(c.method, c.path) for c in calls]


def run(run_module, check_mode=False, **args):
    return run_module(scalingo_app_info, args, check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [True, False])
def test_one_app_costs_one_get(api, run_module, check_mode):
    api.add("GET", "/apps/" + NAME, json={"app": APP})
    result = run(run_module, check_mode=check_mode, name=NAME)
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["scalingo_app_info"] == [APP]
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]


def test_missing_app_gives_an_empty_list(api, run_module):
    api.add("GET", "/apps/" + NAME, status=404, json={"resource": "app", "error": "not found"})
    result = run(run_module, name=NAME, include=["formation", "child_apps"])
    assert result["failed"] is False
    assert result["changed"] is False
    assert result["scalingo_app_info"] == []
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME)]


def test_other_errors_fail(api, run_module):
    api.add("GET", "/apps/" + NAME, status=403, json={"error": "forbidden"})
    result = run(run_module, name=NAME)
    assert result["failed"] is True
    assert "GET /v1/apps/%s (403): forbidden" % NAME in result["msg"]
    assert result["failure"]["status"] == 403


def test_bad_name_fails_before_any_request(api, run_module):
    result = run(run_module, name="Bad_Name")
    assert result["failed"] is True
    assert "name: 'Bad_Name' is not a valid Scalingo app name" in result["msg"]
    assert "6 to 48 lowercase letters" in result["msg"]
    assert api.all_calls() == []


def test_unknown_include_fails_before_any_request(api, run_module):
    result = run(run_module, name=NAME, include=["logs"])
    assert result["failed"] is True
    assert "include" in result["msg"] and "logs" in result["msg"]
    assert api.all_calls() == []


def test_every_include(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": APP})
    api.add("GET", "/apps/%s/containers" % NAME, json={"containers": FORMATION})
    api.add("GET", "/apps/%s/ps" % NAME, json={"containers": PROCESSES})
    api.add("GET", "/apps/%s/stats" % NAME, json={"stats": STATS})
    api.add("GET", "/apps/%s/logs" % NAME, json={"app": APP, "logs_url": LOGS_URL})
    api.add("GET", "/apps/%s/child_apps" % NAME, json={
        "child_apps": [{"name": "my-shop-review-1"}],
        "meta": {"pagination": {"current_page": 1, "next_page": 2, "total_pages": 2}}})
    api.add("GET", "/apps/%s/child_apps" % NAME, json={
        "child_apps": [{"name": "my-shop-review-2"}],
        "meta": {"pagination": {"current_page": 2, "next_page": None, "total_pages": 2}}})
    result = run(run_module, check_mode=True, name=NAME,
                 include=["child_apps", "logs_url", "stats", "processes", "formation"])
    assert result["changed"] is False
    assert result["scalingo_app_info"] == [dict(
        APP, formation=FORMATION, processes=PROCESSES, stats=STATS, logs_url=LOGS_URL,
        child_apps=[{"name": "my-shop-review-1"}, {"name": "my-shop-review-2"}])]
    calls = api.calls()
    assert summary(calls) == [("GET", "/v1/apps/" + NAME)] + [
        ("GET", "/v1/apps/%s/%s" % (NAME, suffix))
        for suffix in ("containers", "ps", "stats", "logs", "child_apps", "child_apps")]
    assert calls[5].query == {}
    assert calls[6].query == {"page": ["2"]}


def test_only_the_asked_include(api, run_module):
    api.add("GET", "/apps/" + NAME, json={"app": APP})
    api.add("GET", "/apps/%s/containers" % NAME, json={"containers": FORMATION})
    result = run(run_module, name=NAME, include=["formation"])
    assert result["scalingo_app_info"] == [dict(APP, formation=FORMATION)]
    assert "processes" not in result["scalingo_app_info"][0]
    assert len(api.calls()) == 2


def test_all_apps(api, run_module):
    api.add("GET", "/apps", json={"apps": [APP, OTHER]})
    result = run(run_module)
    assert result["changed"] is False
    assert result["scalingo_app_info"] == [APP, OTHER]
    assert summary(api.calls()) == [("GET", "/v1/apps")]


def test_all_apps_follows_pages_and_adds_extras_to_each(api, run_module):
    api.add("GET", "/apps", json={"apps": [APP], "meta": {"pagination": {"next_page": 2}}})
    api.add("GET", "/apps", json={"apps": [OTHER], "meta": {"pagination": {"next_page": None}}})
    api.add("GET", "/apps/%s/containers" % NAME, json={"containers": FORMATION})
    api.add("GET", "/apps/my-shop-staging/containers", json={"containers": []})
    result = run(run_module, include=["formation"])
    assert result["scalingo_app_info"] == [dict(APP, formation=FORMATION), dict(OTHER, formation=[])]
    assert summary(api.calls()) == [("GET", "/v1/apps"), ("GET", "/v1/apps"),
                                    ("GET", "/v1/apps/%s/containers" % NAME),
                                    ("GET", "/v1/apps/my-shop-staging/containers")]


def test_no_apps(api, run_module):
    api.add("GET", "/apps", json={"apps": []})
    result = run(run_module, include=["formation"])
    assert result["scalingo_app_info"] == []
    assert len(api.calls()) == 1


def test_domains_and_collaborators(api, run_module):
    domains = [{"id": "dom-1", "name": "www.example.com", "ssl": False, "canonical": True,
                "letsencrypt_enabled": True, "letsencrypt_status": "created"}]
    collaborator = {"id": "col-1", "email": "dev@example.com", "username": "n/a", "status": "pending",
                    "is_limited": False, "invitation_link": "https://my.scalingo.com/apps/collaboration?token=abc"}
    api.add("GET", "/apps/" + NAME, json={"app": APP})
    api.add("GET", "/apps/%s/domains" % NAME, json={"domains": domains})
    api.add("GET", "/apps/%s/collaborators" % NAME, json={"collaborators": [collaborator]})
    result = run(run_module, name=NAME, include=["collaborators", "domains"])
    item = result["scalingo_app_info"][0]
    assert item["domains"] == domains
    assert item["collaborators"] == [dict((k, v) for k, v in collaborator.items() if k != "invitation_link")]
    assert summary(api.calls()) == [("GET", "/v1/apps/" + NAME), ("GET", "/v1/apps/%s/domains" % NAME),
                                    ("GET", "/v1/apps/%s/collaborators" % NAME)]
