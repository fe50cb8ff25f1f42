# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The scalingo inventory plugin at the HTTP layer: requests sent, hosts, variables and groups built."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest
import responses
import yaml

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.utils.display import Display

from ansible_collections.scalingo.cloud.tests.unit.utils import API_TOKEN, API_URL, AUTH_URL

SECNUM_URL = "https://api.osc-secnum-fr1.scalingo.com"
REGIONS_URL = AUTH_URL + "/v1/regions"
PROJECT_SHOP = {"id": "pr-82a3cac5-9b25-473e-b33d-6272b87e636f", "name": "shop"}
PROJECT_BLOG = {"id": "pr-91b4dbd6-2c36-584f-c44d-7383c98f747a", "name": "blog site"}
OWNER = {"id": "us-c1a410ff-d68f-4c94-9a83-c3dedf866d63", "username": "john", "email": "john@example.com"}
SECRET_VALUE = "postgres://user:s3cr3t-password@db.example.com/shop"
WARNINGS = []


def app(name, project=None, status="running", parent=None, **extra):
    body = {"id": "id-" + name, "name": name, "status": status, "project": dict(project or PROJECT_SHOP),
            "owner": dict(OWNER),
            "url": "https://%s.osc-fr1.scalingo.io" % name, "stack_id": "st-scalingo-22", "hds_resource": False,
            "created_at": "2024-01-02T03:04:05.000Z", "last_deployment_id": "dep-" + name,
            "last_deployed_at": "2024-02-03T04:05:06.000Z", "last_deployed_by": "john",
            "force_https": True, "git_url": "git@ssh.osc-fr1.scalingo.com:%s.git" % name}
    if parent:
        body["parent_app_name"] = parent
    body.update(extra)
    return body


def regions_listing(*names):
    urls = {"osc-fr1": API_URL, "osc-secnum-fr1": SECNUM_URL}
    return {"regions": [{"name": n, "display_name": n, "api": urls.get(n, "https://api.%s.example.com" % n),
                         "dashboard": "https://dashboard", "database_api": "https://db-api", "ssh": "ssh:22",
                         "default": n == "osc-fr1"} for n in names]}


class Inventory:
    """An inventory built by the plugin from a config file written in tmp_path."""

    def __init__(self, tmp_path, config, name="test.scalingo.yml", cache=True):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "scalingo.cloud.scalingo"}, **config)))
        self.plugin = inventory_loader.get("scalingo.cloud.scalingo")
        self.data = InventoryData()
        self.warnings = WARNINGS
        self.plugin.parse(self.data, DataLoader(), str(path), cache=cache)
        try:
            self.plugin.update_cache_if_changed()   # as the inventory manager does after parse
        except AttributeError:
            pass    # no cache plugin loaded (cache is false)

    def hosts(self, group=None):
        if group is None:
            return sorted(self.data.hosts)
        return sorted(h.name for h in self.data.groups[group].get_hosts())

    def groups(self):
        return sorted(self.data.groups)

    def vars(self, host):
        hostvars = dict(self.data.get_host(host).vars)
        for key in ("inventory_file", "inventory_dir"):
            hostvars.pop(key, None)
        return hostvars


@pytest.fixture(autouse=True)
def warnings(monkeypatch):
    """Display.warning records its messages in WARNINGS."""
    del WARNINGS[:]
    monkeypatch.setattr(Display, "warning", lambda self, msg, *args, **kwargs: WARNINGS.append(msg))
    return WARNINGS


def build(tmp_path, config=None, **kwargs):
    config = dict(config or {})
    config.setdefault("api_token", API_TOKEN)
    if config["api_token"] is None:
        del config["api_token"]
    return Inventory(tmp_path, config, **kwargs)


def summary(calls):
    return [(c.method, c.url.split("?")[0]) for c in calls]


def test_default_region_one_list_request(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web"), app("shop-web-pr12", parent="shop-web"),
                                           app("blog-app", project=PROJECT_BLOG, status="stopped")]})
    inventory = build(tmp_path)
    assert summary(api.calls()) == [("GET", API_URL + "/v1/apps")]
    call = api.calls()[0]
    assert call.headers["Authorization"] == "Bearer " + api.bearer
    assert call.query == {}
    assert len(api.exchanges()) == 1
    assert inventory.hosts() == ["blog-app", "shop-web", "shop-web-pr12"]
    assert inventory.hosts("scalingo") == ["blog-app", "shop-web", "shop-web-pr12"]
    assert inventory.hosts("scalingo_region_osc_fr1") == ["blog-app", "shop-web", "shop-web-pr12"]
    assert inventory.hosts("scalingo_project_shop") == ["shop-web", "shop-web-pr12"]
    assert inventory.hosts("scalingo_project_blog_site") == ["blog-app"]
    assert inventory.hosts("scalingo_child_apps") == ["shop-web-pr12"]
    assert inventory.vars("shop-web-pr12") == {
        "ansible_connection": "local",
        "scalingo_id": "id-shop-web-pr12",
        "scalingo_name": "shop-web-pr12",
        "scalingo_region": "osc-fr1",
        "scalingo_api_url": API_URL,
        "scalingo_url": "https://shop-web-pr12.osc-fr1.scalingo.io",
        "scalingo_status": "running",
        "scalingo_stack_id": "st-scalingo-22",
        "scalingo_project_id": PROJECT_SHOP["id"],
        "scalingo_project_name": "shop",
        "scalingo_owner": OWNER,
        "scalingo_parent_app": "shop-web",
        "scalingo_hds_resource": False,
        "scalingo_created_at": "2024-01-02T03:04:05.000Z",
        "scalingo_last_deployment": {"id": "dep-shop-web-pr12", "deployed_at": "2024-02-03T04:05:06.000Z",
                                     "deployed_by": "john"},
    }
    assert inventory.vars("shop-web")["scalingo_parent_app"] is None
    assert inventory.warnings == []


def test_never_deployed_app_has_no_last_deployment(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("new-app", status="new", last_deployment_id=None,
                                               last_deployed_at=None, last_deployed_by=None)]})
    assert build(tmp_path).vars("new-app")["scalingo_last_deployment"] is None


def test_environment_variables_give_token_and_region(api, tmp_path, monkeypatch):
    monkeypatch.setenv("SCALINGO_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("SCALINGO_REGION", "osc-secnum-fr1")
    api.add("GET", SECNUM_URL + "/v1/apps", json={"apps": [app("secnum-app")]})
    inventory = build(tmp_path, {"api_token": None})
    assert summary(api.calls()) == [("GET", SECNUM_URL + "/v1/apps")]
    assert inventory.vars("secnum-app")["scalingo_region"] == "osc-secnum-fr1"
    assert inventory.hosts("scalingo_region_osc_secnum_fr1") == ["secnum-app"]


def test_api_url_serves_the_single_region(api, tmp_path, monkeypatch):
    monkeypatch.setenv("SCALINGO_API_URL", "https://proxy.example.com/v1/")
    api.add("GET", "https://proxy.example.com/v1/apps", json={"apps": [app("proxied-app")]})
    inventory = build(tmp_path, {"regions": ["osc-secnum-fr1"]})
    assert summary(api.calls()) == [("GET", "https://proxy.example.com/v1/apps")]
    assert inventory.vars("proxied-app")["scalingo_api_url"] == "https://proxy.example.com"
    assert inventory.vars("proxied-app")["scalingo_region"] == "osc-secnum-fr1"


def test_all_regions_from_the_auth_service(api, tmp_path, monkeypatch):
    # api_url is not used with several regions: each region's API comes from GET /v1/regions
    monkeypatch.setenv("SCALINGO_API_URL", "https://ignored.example.com")
    api.add("GET", REGIONS_URL, json=regions_listing("osc-fr1", "osc-secnum-fr1"))
    api.add("GET", "/apps", json={"apps": [app("shop-web"), app("only-fr1")]})
    api.add("GET", SECNUM_URL + "/v1/apps", json={"apps": [app("shop-web", id="other-id")]})
    inventory = build(tmp_path, {"regions": ["all"]})
    assert summary(api.calls()) == [("GET", REGIONS_URL), ("GET", API_URL + "/v1/apps"),
                                    ("GET", SECNUM_URL + "/v1/apps")]
    assert all(c.headers["Authorization"] == "Bearer " + api.bearer for c in api.calls())
    # the same name in two regions: both hosts are qualified by their region, the others are not
    assert inventory.hosts() == ["only-fr1", "shop-web.osc-fr1", "shop-web.osc-secnum-fr1"]
    assert inventory.vars("shop-web.osc-secnum-fr1")["scalingo_name"] == "shop-web"
    assert inventory.vars("shop-web.osc-secnum-fr1")["scalingo_id"] == "other-id"
    assert inventory.vars("shop-web.osc-secnum-fr1")["scalingo_api_url"] == SECNUM_URL
    assert inventory.hosts("scalingo_region_osc_secnum_fr1") == ["shop-web.osc-secnum-fr1"]
    assert inventory.hosts("scalingo_project_shop") == ["only-fr1", "shop-web.osc-fr1", "shop-web.osc-secnum-fr1"]


def test_named_regions_use_the_listed_api_urls(api, tmp_path):
    api.add("GET", REGIONS_URL, json=regions_listing("osc-fr1", "osc-secnum-fr1", "private-1"))
    api.add("GET", "https://api.private-1.example.com/v1/apps", json={"apps": [app("private-app")]})
    api.add("GET", SECNUM_URL + "/v1/apps", json={"apps": []})
    inventory = build(tmp_path, {"regions": ["private-1", "osc-secnum-fr1"]})
    assert summary(api.calls()) == [("GET", REGIONS_URL), ("GET", "https://api.private-1.example.com/v1/apps"),
                                    ("GET", SECNUM_URL + "/v1/apps")]
    assert inventory.hosts() == ["private-app"]


def test_region_missing_from_the_listing_fails_before_any_list(api, tmp_path):
    api.add("GET", REGIONS_URL, json=regions_listing("osc-fr1", "osc-secnum-fr1"))
    with pytest.raises(AnsibleParserError) as error:
        build(tmp_path, {"regions": ["osc-fr1", "mars-1"]})
    assert "regions: mars-1 not listed by the Scalingo auth service %s (it lists: osc-fr1, osc-secnum-fr1)" % AUTH_URL \
        in str(error.value)
    assert summary(api.calls()) == [("GET", REGIONS_URL)]


def test_region_listed_with_plain_http_api_is_refused(api, tmp_path):
    listing = regions_listing("osc-fr1", "evil-1")
    listing["regions"][1]["api"] = "http://api.evil.example.com"
    api.add("GET", REGIONS_URL, json=listing)
    with pytest.raises(AnsibleParserError) as error:
        build(tmp_path, {"regions": ["all"]})
    assert "http:// sends the token in clear text" in str(error.value)
    assert summary(api.calls()) == [("GET", REGIONS_URL)]


def test_pagination_is_followed(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("page-one")], "meta": {"pagination": {"next_page": 2}}},
            match=[responses.matchers.query_param_matcher({})])
    api.add("GET", "/apps", json={"apps": [app("page-two")], "meta": {"pagination": {"next_page": None}}},
            match=[responses.matchers.query_param_matcher({"page": "2"})])
    inventory = build(tmp_path)
    assert [(c.path, c.query) for c in api.calls()] == [("/v1/apps", {}), ("/v1/apps", {"page": ["2"]})]
    assert inventory.hosts() == ["page-one", "page-two"]


def test_filters(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [
        app("shop-web"), app("shop-api", status="stopped"), app("shop-web-pr1", parent="shop-web"),
        app("blog-app", project=PROJECT_BLOG), app("tools-app", project={"id": "pr-0000", "name": "tools"})]})
    inventory = build(tmp_path, {"filters": {"name": ["shop-*", "blog-?pp"], "status": ["running"]}})
    assert inventory.hosts() == ["blog-app", "shop-web", "shop-web-pr1"]
    inventory = build(tmp_path, {"filters": {"project": ["blog*", "pr-0000"]}})
    assert inventory.hosts() == ["blog-app", "tools-app"]
    inventory = build(tmp_path, {"filters": {"name": "shop-web"}})
    assert inventory.hosts() == ["shop-web"]


def test_includes_one_request_per_app_and_item_after_filters(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web"), app("blog-app", project=PROJECT_BLOG)]})
    api.add("GET", "/apps/shop-web/containers", json={"containers": [{"name": "web", "amount": 2, "size": "M"}]})
    api.add("GET", "/apps/shop-web/variables", json={"variables": [
        {"id": "1", "name": "DATABASE_URL", "value": SECRET_VALUE}, {"id": "2", "name": "APP_ENV", "value": "prod"}]})
    api.add("GET", "/apps/shop-web/addons", json={"addons": [{
        "id": "ad-1", "app_id": "id-shop-web", "resource_id": "shop_web_1", "status": "running",
        "plan": {"id": "pl-1", "name": "postgresql-starter-512", "display_name": "Starter 512"},
        "addon_provider": {"id": "postgresql", "name": "PostgreSQL"}}]})
    inventory = build(tmp_path, {"include": ["formation", "env_names", "addons"],
                                 "filters": {"project": ["shop"]}})
    assert summary(api.calls()) == [("GET", API_URL + "/v1/apps"),
                                    ("GET", API_URL + "/v1/apps/shop-web/containers"),
                                    ("GET", API_URL + "/v1/apps/shop-web/variables"),
                                    ("GET", API_URL + "/v1/apps/shop-web/addons")]
    hostvars = inventory.vars("shop-web")
    assert hostvars["scalingo_formation"] == [{"name": "web", "amount": 2, "size": "M"}]
    assert hostvars["scalingo_env_names"] == ["APP_ENV", "DATABASE_URL"]
    assert hostvars["scalingo_addons"] == [{"id": "ad-1", "provider": "postgresql",
                                            "plan": "postgresql-starter-512", "status": "running"}]
    assert SECRET_VALUE not in json.dumps(hostvars)
    assert "s3cr3t" not in json.dumps(inventory.plugin.__dict__, default=str)


def test_include_of_an_app_deleted_meanwhile_warns(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("gone-app"), app("kept-app")]})
    api.add("GET", "/apps/gone-app/containers", status=404, json={"resource": "app", "error": "not found"})
    api.add("GET", "/apps/kept-app/containers", json={"containers": []})
    inventory = build(tmp_path, {"include": ["formation"]})
    assert inventory.hosts() == ["gone-app", "kept-app"]
    assert "scalingo_formation" not in inventory.vars("gone-app")
    assert inventory.vars("kept-app")["scalingo_formation"] == []
    assert len(inventory.warnings) == 1
    assert "app gone-app (osc-fr1) was not found when reading its containers" in inventory.warnings[0]


def test_api_failure_fails_the_refresh_without_secrets(api, tmp_path):
    api.add("GET", "/apps", status=403, json={"error": "forbidden for " + API_TOKEN})
    with pytest.raises(AnsibleParserError) as error:
        build(tmp_path)
    message = str(error.value)
    assert "GET /v1/apps (403)" in message
    assert API_TOKEN not in message and api.bearer not in message


def test_refused_token_names_the_option(api, tmp_path):
    api.mock.replace("POST", AUTH_URL + "/v1/tokens/exchange", status=401, json={"error": "invalid token"})
    with pytest.raises(AnsibleParserError) as error:
        build(tmp_path)
    assert "the API token was refused" in str(error.value)
    assert API_TOKEN not in str(error.value)
    assert api.calls() == []


@pytest.mark.parametrize("config, message", [
    ({"api_token": None}, "api_token: no API token given; set api_token in the inventory file or the "
                          "SCALINGO_API_TOKEN environment variable"),
    ({"regions": ["all", "osc-fr1"]}, "regions: all lists every region, so it must be the only item"),
    ({"regions": ["OSC_FR1"]}, "regions: 'OSC_FR1' is not a valid region name"),
    ({"regions": ["osc-fr1", "osc-fr1"]}, "regions: a region is listed twice"),
    ({"regions": []}, "regions: give at least one region, or all"),
    ({"api_url": "http://api.example.com"}, "api_url: http:// sends the token in clear text"),
    ({"auth_url": "ftp://auth.example.com"}, "auth_url: 'ftp://auth.example.com' is not an absolute http(s) URL"),
    ({"timeout": 0}, "timeout: must be greater than 0 seconds"),
    ({"filters": {"owner": ["x"]}}, "filters: unknown key owner; the filters are name, status, project"),
    ({"filters": {"name": [1]}}, "filters.name: must be a list of non-empty strings"),
])
def test_bad_options_fail_before_any_request(api, tmp_path, config, message):
    with pytest.raises(AnsibleParserError) as error:
        build(tmp_path, config)
    assert message in str(error.value)
    assert api.all_calls() == []


@pytest.mark.parametrize("config, words", [
    ({"filters": ["name"]}, ["filters"]),
    ({"include": ["secrets"]}, ["include", "secrets"]),
])
def test_option_types_and_choices_are_checked_before_any_request(api, tmp_path, config, words):
    # refused by Ansible's own checks of the documented type and choices (wording varies by version)
    with pytest.raises(AnsibleError) as error:
        build(tmp_path, config)
    assert all(word in str(error.value) for word in words)
    assert api.all_calls() == []


def test_constructed_options(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web"), app("shop-api", status="stopped")]})
    inventory = build(tmp_path, {
        "compose": {"app_label": "scalingo_name ~ '@' ~ scalingo_region"},
        "groups": {"stopped_apps": "scalingo_status == 'stopped'"},
        "keyed_groups": [{"key": "scalingo_status", "prefix": "status"},
                         {"key": "scalingo_project_name", "prefix": "project"}],
    })
    assert inventory.vars("shop-web")["app_label"] == "shop-web@osc-fr1"
    assert inventory.hosts("stopped_apps") == ["shop-api"]
    assert inventory.hosts("status_running") == ["shop-web"]
    assert inventory.hosts("project_shop") == ["shop-api", "shop-web"]


def test_strict_fails_on_a_broken_expression(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web")]})
    assert build(tmp_path, {"compose": {"x": "scalingo_nothing.attr"}}).hosts() == ["shop-web"]
    with pytest.raises(Exception) as error:
        build(tmp_path, {"compose": {"x": "scalingo_nothing.attr"}, "strict": True})
    assert "scalingo_nothing" in str(error.value)


def test_cache_second_refresh_sends_no_request(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web")]})
    api.add("GET", "/apps/shop-web/variables", json={"variables": [{"id": "1", "name": "DB", "value": SECRET_VALUE}]})
    cache_dir = tmp_path / "inventory-cache"
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "include": ["env_names"]}
    first = build(tmp_path, config)
    assert len(api.calls()) == 2
    files = os.listdir(str(cache_dir))
    assert len(files) == 1
    content = (cache_dir / files[0]).read_text()
    assert "shop-web" in content and "DB" in content
    for secret in (API_TOKEN, api.bearer, SECRET_VALUE):
        assert secret not in content
    second = build(tmp_path, config)
    assert len(api.calls()) == 2 and len(api.exchanges()) == 1, "served from the cache: no request at all"
    assert second.vars("shop-web") == first.vars("shop-web")
    # a refresh (--flush-cache, meta: refresh_inventory) reads the API again and rewrites the cache
    build(tmp_path, config, cache=False)
    assert len(api.calls()) == 4


def test_without_cache_option_every_refresh_reads(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web")]})
    build(tmp_path)
    build(tmp_path)
    assert len(api.calls()) == 2
    assert len(api.exchanges()) == 1, "the bearer cache of the modules is shared"


def test_bearer_cache_can_be_turned_off(api, tmp_path, cache_dir):
    api.add("GET", "/apps", json={"apps": []})
    build(tmp_path, {"bearer_cache": False})
    build(tmp_path, {"bearer_cache": False})
    assert len(api.exchanges()) == 2
    assert not os.path.exists(str(cache_dir))


@pytest.mark.parametrize("name, accepted", [
    ("scalingo.yml", True), ("scalingo.yaml", True), ("prod.scalingo.yml", True), ("a.b.scalingo.yaml", True),
    ("myscalingo.yml", False), ("scalingo.yml.bak", False), ("prod.yml", False), ("scalingo.json", False),
])
def test_verify_file(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: scalingo.cloud.scalingo\n")
    assert inventory_loader.get("scalingo.cloud.scalingo").verify_file(str(path)) is accepted


def test_includes_of_an_unexpected_shape_read_as_empty(api, tmp_path):
    api.add("GET", "/apps", json={"apps": [app("shop-web"), "not an app", {"id": "no-name"}]})
    api.add("GET", "/apps/shop-web/containers", json=["not", "an", "object"])
    api.add("GET", "/apps/shop-web/variables", json={"variables": [{"value": "no name"}, "x", {"name": "OK"}]})
    api.add("GET", "/apps/shop-web/addons", json={"addons": None})
    inventory = build(tmp_path, {"include": ["formation", "env_names", "addons"]})
    assert inventory.hosts() == ["shop-web"]
    hostvars = inventory.vars("shop-web")
    assert (hostvars["scalingo_formation"], hostvars["scalingo_env_names"], hostvars["scalingo_addons"]) == (
        [], ["OK"], [])


def test_a_template_in_an_api_value_is_never_evaluated(api, tmp_path):
    template = "{{ 'evaluated' | upper }}"
    api.add("GET", "/apps", json={"apps": [app("shop-web", project={"id": "pr-1", "name": template})]})
    inventory = build(tmp_path, {"compose": {"project_copy": "scalingo_project_name",
                                             "project_upper": "scalingo_project_name | upper"}})
    hostvars = inventory.vars("shop-web")
    assert hostvars["project_copy"] == template
    assert hostvars["project_upper"] == template.upper()
    assert "EVALUATED" not in str(hostvars["project_copy"])
