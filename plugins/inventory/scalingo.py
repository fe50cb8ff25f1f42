# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: scalingo
short_description: Scalingo applications as inventory hosts, grouped by region, project and parent app
version_added: 0.2.0
description:
  - Reads the applications of one, several or every Scalingo region and makes each of them a host, so that
    a play can target every app of a project, of a region, or every review app, with C(--forks).
  - Each host is named after its app. When two of the listed regions hold an app of the same name, both
    hosts are named C(<app>.<region>); use the host variable C(scalingo_name) for the app's name in tasks.
  - Each host has C(ansible_connection=local) (the modules talk to the API from the controller) and the
    following variables, read from the app list at no extra cost. C(scalingo_id), C(scalingo_name),
    C(scalingo_region), C(scalingo_api_url) (the API of the app's region, to pass to the modules'
    O(scalingo.cloud.scalingo_app#module:api_url)), C(scalingo_url), C(scalingo_status),
    C(scalingo_stack_id), C(scalingo_project_id), C(scalingo_project_name), C(scalingo_owner) (C(id),
    C(username), C(email)), C(scalingo_parent_app) (the parent app's name for a child app, else V(null)),
    C(scalingo_hds_resource), C(scalingo_created_at) and C(scalingo_last_deployment) (C(id), C(deployed_at),
    C(deployed_by), or V(null) for an app never deployed).
  - Default groups, whatever O(keyed_groups) says. C(scalingo) (every host), C(scalingo_region_<region>),
    C(scalingo_project_<project name>) and C(scalingo_child_apps) (the apps that have a parent app). Group
    names are sanitised, every character that cannot be in a group name becoming C(_), for example
    C(scalingo_region_osc_fr1).
  - "Requests per refresh: one C(GET /v1/apps) per region (one per page if the API paginates the list),
    plus one C(GET /v1/regions) on the authentication service when O(regions) lists several regions or is
    V(all), plus one request per app for each item of O(include), plus the token exchange when no cached
    bearer token is valid. With O(cache=true), a refresh served from the inventory cache sends none."
  - The inventory file must be named C(scalingo.yml), C(scalingo.yaml), or end in C(.scalingo.yml) or
    C(.scalingo.yaml).
  - A value read from the API that contains C({) or C(}) is marked unsafe, so that Ansible never evaluates
    a template found in it (in a project name, for example); the other values are left plain, since some
    AWX versions import a marked value as an object. ansible-core 2.19 and later show every string an
    inventory plugin gives as an object with a single C(__ansible_unsafe) key in
    C(ansible-inventory --list) anyway.
options:
  plugin:
    description:
      - The name of this plugin; it should always be set to V(scalingo.cloud.scalingo) for this plugin to
        recognise the file as its own.
    type: str
    required: true
    choices: [scalingo.cloud.scalingo]
  regions:
    description:
      - The regions whose apps are listed.
      - V(all) lists every region that the authentication service (O(auth_url)) gives the account in
        C(GET /v1/regions); it must then be the only item.
      - With a single region, its API is O(api_url) when set, else its public API (V(osc-fr1) and
        V(osc-secnum-fr1) are known, any other region is looked up in C(GET /v1/regions)), exactly as the
        modules resolve O(scalingo.cloud.scalingo_app#module:region).
      - With several regions or V(all), the API of each region is the C(api) URL that C(GET /v1/regions)
        gives for it, and O(api_url) is not used; a region missing from that list is an error naming the
        regions it holds.
      - When not set, the region in the E(SCALINGO_REGION) environment variable (the one the C(Scalingo API)
        credential of AWX sets), else V(osc-fr1).
    type: list
    elements: str
    default: [osc-fr1]
    env:
      - name: SCALINGO_REGION
  include:
    description:
      - Extra host variables, each read with one request per app (after O(filters), so only for the apps
        kept).
      - V(formation) adds C(scalingo_formation), the container types with their C(name), C(amount) and
        C(size) (C(GET /v1/apps/<app>/containers)).
      - V(env_names) adds C(scalingo_env_names), the sorted names of the app's environment variables
        (C(GET /v1/apps/<app>/variables)). The values are never kept, in the inventory or in its cache.
      - V(addons) adds C(scalingo_addons), the app's addons with their C(id), C(provider) (the addon
        provider's id, such as C(postgresql)), C(plan) (the plan's name) and C(status)
        (C(GET /v1/apps/<app>/addons)). Addon credentials are never read.
      - An app deleted between the list and one of these requests (HTTP 404) keeps its host without that
        variable, with a warning; any other failure fails the refresh.
    type: list
    elements: str
    choices: [formation, env_names, addons]
    default: []
  filters:
    description:
      - Which apps become hosts. An app is kept when it passes every filter given; each filter is a list,
        and an app passes it when it matches one of its items.
      - C(name) lists shell patterns (C(*), C(?), C([...])) matched against the whole app name, for example
        V(shop-*).
      - C(status) lists app statuses, for example V(running), V(stopped), V(new), V(scaling), V(restarting).
      - C(project) lists projects, by name (shell patterns accepted) or by id (C(pr-...)).
      - Filters are applied when the apps are read; a refresh served from the cache keeps the apps the
        filters kept when it was written.
    type: dict
    default: {}
extends_documentation_fragment:
  - scalingo.cloud.scalingo.inventory
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
seealso:
  - ref: ansible_collections.scalingo.cloud.docsite.awx.inventory
    description: An AWX inventory source with the C(Scalingo API) credential.
  - module: scalingo.cloud.scalingo_app_info
  - name: Scalingo API, applications
    description: The API endpoints this plugin reads.
    link: https://developers.scalingo.com/apps
author:
  - scalingo.cloud maintainers (@scalingo-ansible)
"""

EXAMPLES = r"""
# The smallest inventory file, production.scalingo.yml: the apps of the default region (SCALINGO_REGION, else
# osc-fr1), with the token in the SCALINGO_API_TOKEN environment variable:
#
#   plugin: scalingo.cloud.scalingo
#
# The review apps of the shop, in osc-fr1 and osc-secnum-fr1, review-apps.scalingo.yml:
#
#   plugin: scalingo.cloud.scalingo
#   regions: [osc-fr1, osc-secnum-fr1]
#   filters:
#     name: ['shop-*-pr*']

# File fleet.scalingo.yml: every region, the running apps of two projects, grouped by stack and status.
plugin: scalingo.cloud.scalingo
regions: [all]
filters:
  status: [running]
  project: [shop, blog]
include: [formation]
keyed_groups:
  - key: scalingo_stack_id
    prefix: stack
  - key: scalingo_status
    prefix: status
groups:
  # apps with more than two web containers
  big_web: scalingo_formation | selectattr('name', 'equalto', 'web') | map(attribute='amount') | sum > 2
compose:
  # the modules used in a play over these hosts read the app's API from here
  app_api_url: scalingo_api_url
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/scalingo-inventory
cache_timeout: 300

# A play over the generated groups (ansible-playbook -i fleet.scalingo.yml --forks 10 restart.yml):
#
# - name: Restart every app of the shop project
#   hosts: scalingo_project_shop
#   gather_facts: false
#   vars:
#     ansible_python_interpreter: "{{ ansible_playbook_python }}"
#   tasks:
#     - name: Restart the app
#       scalingo.cloud.scalingo_restart:
#         app: "{{ scalingo_name }}"
#         api_url: "{{ scalingo_api_url }}"
"""

import fnmatch
import os
from collections import Counter

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for the import sanity test
    from urllib import quote  # type: ignore

from ansible.errors import AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.scalingo.cloud.plugins.module_utils.client import (
    HAS_REQUESTS,
    ScalingoAPIError,
    ScalingoClient,
    ScalingoError,
    normalize_base_url,
    scrub,
)
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import region_error, url_error

PREFIX = "scalingo_"
FILE_NAMES = ("scalingo.yml", "scalingo.yaml")
FILTER_KEYS = ("name", "status", "project")
INCLUDES = ("formation", "env_names", "addons")


def _strings(value, option):
    """A list of non-empty strings from a filter value (a single string is a one-item list)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise AnsibleParserError("%s: must be a list of non-empty strings" % option)
    return value


def make_unsafe(value):
    """The value with every string that could hold a template (a brace) marked unsafe."""
    if isinstance(value, str):
        return wrap_var(value) if ("{" in value or "}" in value) else value
    if isinstance(value, dict):
        return dict((make_unsafe(k), make_unsafe(v)) for k, v in value.items())
    if isinstance(value, list):
        return [make_unsafe(item) for item in value]
    return value


def _matches(value, patterns):
    return any(fnmatch.fnmatchcase(value or "", pattern) for pattern in patterns)


def app_record(app, region, api_url):
    """What the inventory keeps of an app of GET /v1/apps (and what the cache holds)."""
    project = app.get("project") if isinstance(app.get("project"), dict) else {}
    owner = app.get("owner") if isinstance(app.get("owner"), dict) else {}
    last = None
    if app.get("last_deployment_id") or app.get("last_deployed_at"):
        last = {"id": app.get("last_deployment_id"), "deployed_at": app.get("last_deployed_at"),
                "deployed_by": app.get("last_deployed_by")}
    return {
        "id": app.get("id"),
        "name": app.get("name"),
        "region": region,
        "api_url": api_url,
        "url": app.get("url"),
        "status": app.get("status"),
        "stack_id": app.get("stack_id"),
        "project_id": project.get("id"),
        "project_name": project.get("name"),
        "owner": {"id": owner.get("id"), "username": owner.get("username"), "email": owner.get("email")},
        "parent_app": app.get("parent_app_name") or None,
        "hds_resource": app.get("hds_resource"),
        "created_at": app.get("created_at"),
        "last_deployment": last,
    }


def _items(body, key):
    """The dicts listed under ``key`` of an answer (nothing for an answer of another shape)."""
    items = body.get(key) if isinstance(body, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def formation_of(body):
    return [{"name": c.get("name"), "amount": c.get("amount"), "size": c.get("size")}
            for c in _items(body, "containers")]


def env_names_of(body):
    """The variables' names only: the values are dropped here and never kept."""
    return sorted(set(v["name"] for v in _items(body, "variables") if isinstance(v.get("name"), str)))


def addons_of(body):
    addons = []
    for addon in _items(body, "addons"):
        provider = addon.get("addon_provider") if isinstance(addon.get("addon_provider"), dict) else {}
        plan = addon.get("plan") if isinstance(addon.get("plan"), dict) else {}
        addons.append({"id": addon.get("id"), "provider": provider.get("id"), "plan": plan.get("name"),
                       "status": addon.get("status")})
    return addons


# include item -> (path under /v1/apps/<app>, host variable, extractor)
INCLUDE_REQUESTS = {
    "formation": ("containers", "formation", formation_of),
    "env_names": ("variables", "env_names", env_names_of),
    "addons": ("addons", "addons", addons_of),
}


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "scalingo.cloud.scalingo"

    def __init__(self):
        super(InventoryModule, self).__init__()
        self.client = None
        self._token = None

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        name = os.path.basename(path)
        return name in FILE_NAMES or name.endswith(tuple("." + n for n in FILE_NAMES))

    # ----------------------------------------------------------------- options

    def _settings(self):
        """The checked options (AnsibleParserError naming the option and the rule, before any request)."""
        token = self.get_option("api_token")
        if not token:
            raise AnsibleParserError("api_token: no API token given; set api_token in the inventory file or the "
                                     "SCALINGO_API_TOKEN environment variable")
        self._token = token
        validate_certs = self.get_option("validate_certs")
        errors = [url_error(self.get_option(option), option, validate_certs) for option in ("api_url", "auth_url")]
        regions = [r.strip() for r in self.get_option("regions") or [] if isinstance(r, str) and r.strip()]
        if not regions:
            errors.append("regions: give at least one region, or all")
        elif "all" in regions and len(regions) > 1:
            errors.append("regions: all lists every region, so it must be the only item")
        errors.extend(region_error(r, "regions") for r in regions if r != "all")
        if len(set(regions)) != len(regions):
            errors.append("regions: a region is listed twice")
        timeout = self.get_option("timeout")
        if timeout is None or timeout <= 0:
            errors.append("timeout: must be greater than 0 seconds")
        include = self.get_option("include") or []
        unknown = [item for item in include if item not in INCLUDES]
        if unknown:
            errors.append("include: %s not one of %s" % (", ".join(map(str, unknown)), ", ".join(INCLUDES)))
        filters = self.get_option("filters") or {}
        if not isinstance(filters, dict):
            errors.append("filters: must be a dictionary with the keys %s" % ", ".join(FILTER_KEYS))
            filters = {}
        extra = sorted(set(filters) - set(FILTER_KEYS))
        if extra:
            errors.append("filters: unknown key %s; the filters are %s"
                          % (", ".join(map(str, extra)), ", ".join(FILTER_KEYS)))
        errors = [e for e in errors if e]
        if errors:
            raise AnsibleParserError("; ".join(errors))
        checked = dict((key, _strings(value, "filters.%s" % key)) for key, value in filters.items()
                       if value is not None and key in FILTER_KEYS)
        return regions, list(dict.fromkeys(include)), checked

    def _new_client(self, regions):
        if not HAS_REQUESTS:
            raise AnsibleParserError("the scalingo.cloud.scalingo inventory plugin needs the Python library requests")
        return ScalingoClient(
            self._token, region=regions[0] if regions != ["all"] else None, api_url=self.get_option("api_url"),
            auth_url=self.get_option("auth_url"), validate_certs=self.get_option("validate_certs"),
            timeout=self.get_option("timeout"), bearer_cache=self.get_option("bearer_cache"))

    # ------------------------------------------------------------------ reading

    def _region_apis(self, regions):
        """[(region, API base URL)] of the regions to list."""
        client = self.client
        if len(regions) == 1 and regions != ["all"]:
            return [(regions[0], client.api_url)]
        body = client.get(client.auth_url + "/v1/regions").json or {}
        listed = []
        for item in body.get("regions") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("api"), str):
                listed.append((item["name"], normalize_base_url(item["api"])))
        known = dict(listed)
        if regions == ["all"]:
            chosen = listed
        else:
            missing = [r for r in regions if r not in known]
            if missing:
                raise AnsibleParserError(
                    "regions: %s not listed by the Scalingo auth service %s (it lists: %s)"
                    % (", ".join(missing), client.auth_url, ", ".join(sorted(known)) or "no region"))
            chosen = [(r, known[r]) for r in regions]
        for name, api in chosen:
            error = url_error(api, "the API URL of region %s" % name, self.get_option("validate_certs"))
            if error:
                raise AnsibleParserError("the Scalingo auth service %s gave an unusable URL: %s" % (client.auth_url, error))
        return chosen

    def _selected(self, record, filters):
        if "name" in filters and not _matches(record["name"], filters["name"]):
            return False
        if "status" in filters and record["status"] not in filters["status"]:
            return False
        if "project" in filters:
            wanted = filters["project"]
            if record["project_id"] not in wanted and not _matches(record["project_name"], wanted):
                return False
        return True

    def _include(self, record, item):
        path, key, extract = INCLUDE_REQUESTS[item]
        url = "%s/v1/apps/%s/%s" % (record["api_url"], quote(record["name"], safe=""), path)
        try:
            record[key] = extract(self.client.get(url).json)
        except ScalingoAPIError as error:
            if error.status != 404:
                raise
            self.display.warning("scalingo inventory: app %s (%s) was not found when reading its %s; its host has "
                                 "no %s%s variable" % (record["name"], record["region"], path, PREFIX, key))

    def fetch(self, regions, include, filters):
        """The records of the apps to make hosts of (what the cache holds)."""
        self.client = self._new_client(regions)
        apps = []
        for region, api_url in self._region_apis(regions):
            for app in self.client.paginate(api_url + "/v1/apps", "apps"):
                if not isinstance(app, dict) or not app.get("name"):
                    continue
                record = app_record(app, region, api_url)
                if self._selected(record, filters):
                    apps.append(record)
        for record in apps:
            for item in include:
                self._include(record, item)
        return {"apps": apps}

    # --------------------------------------------------------------- populating

    def _group(self, name):
        return self.inventory.add_group(to_safe_group_name(name, force=True, silent=True))

    def populate(self, apps):
        strict = self.get_option("strict")
        counts = Counter(app["name"] for app in apps)
        self.inventory.add_group("scalingo")
        for app in apps:
            host = app["name"] if counts[app["name"]] == 1 else "%s.%s" % (app["name"], app["region"])
            self.inventory.add_host(host, group="scalingo")
            # the same unsafe-marked values for the inventory and for compose, groups and keyed_groups
            hostvars = dict((PREFIX + key, make_unsafe(value)) for key, value in app.items())
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            self.inventory.set_variable(host, "ansible_connection", "local")
            groups = ["scalingo_region_" + app["region"]]
            if app.get("project_name"):
                groups.append("scalingo_project_" + app["project_name"])
            if app.get("parent_app"):
                groups.append("scalingo_child_apps")
            for group in groups:
                self.inventory.add_child(self._group(group), host)
            hostvars = dict(hostvars, ansible_connection="local")
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        regions, include, filters = self._settings()
        cache_key = self.get_cache_key(path)
        data = None
        if self.get_option("cache") and cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                data = None
        if not isinstance(data, dict) or not isinstance(data.get("apps"), list):
            try:
                data = self.fetch(regions, include, filters)
            except ScalingoError as error:
                # the client scrubs its errors already; the token and bearer shapes are removed once more
                raise AnsibleParserError("scalingo inventory: %s" % scrub(to_native(error), [self._token]))
            if self.get_option("cache"):
                self._cache[cache_key] = data
        self.populate(data["apps"])
