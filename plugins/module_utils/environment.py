# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The environment variables of an app: read, compare, plan and apply the fewest requests.

Knows the client, never AnsibleModule. Values are compared as the raw strings the API stores
(``GET /apps/{app}/variables?aliases=true``), so that a reference such as ``$SCALINGO_POSTGRESQL_URL`` is stable.
A change costs one bulk ``PUT`` for every creation and update and one bulk ``DELETE`` for every removal.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import re

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import ENV_NAME, ENV_NAME_MAX

# What a diff shows instead of a value it must not show.
SECRET = "(secret)"
SECRET_CHANGED = "(secret, changed)"
NOT_SHOWN = "(value not shown: not given in env)"

# Providers whose variables do not follow SCALINGO_<PROVIDER>_... (the name of the provider without "scalingo-").
ADDON_NAME_STEMS = {"MONGODB": ("MONGO",), "INFLUXDB": ("INFLUX",)}


def variables_path(app):
    return app_path(app) + "/variables"


def read_variables(client, app, aliases=True):
    """The variables of ``app``: a list of ``{id, name, value}`` (``GET /apps/{app}/variables?aliases=...``)."""
    body = client.get(variables_path(app), params=dict(aliases="true" if aliases else "false")).json or {}
    return [dict(id=item.get("id"), name=item.get("name"), value=item.get("value"))
            for item in body.get("variables") or [] if isinstance(item, dict)]


def name_errors(names, option="names"):
    """Messages for entries of a list of variable names that cannot be variable names."""
    errors = []
    for index, name in enumerate(names or []):
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            errors.append("%s[%d]: %r is not a valid environment variable name: letters, digits and underscores, "
                          "not starting with a digit" % (option, index, name))
        elif len(name) > ENV_NAME_MAX:
            errors.append("%s[%d]: the name %s is %d characters long; the platform takes at most %d"
                          % (option, index, name, len(name), ENV_NAME_MAX))
    return errors


def kept(name, keep):
    """True when ``name`` is one of ``keep`` (names or shell-style patterns such as ``SCALINGO_*``)."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in keep or [])


def addon_name_prefixes(provider_ids):
    """Prefixes of the variable names that the addons of these providers set.

    An addon of provider ``scalingo-postgresql`` sets ``SCALINGO_POSTGRESQL_URL`` (and possibly more
    ``SCALINGO_POSTGRESQL_...`` names); a third-party provider such as ``mailjet`` sets ``MAILJET_...`` names.
    The rule: ``SCALINGO_<STEM>_`` and ``<STEM>_``, STEM being the provider id without ``scalingo-``, upper case,
    other characters than letters and digits as ``_`` (plus the platform's short forms: MONGO, INFLUX). The
    aliases the platform adds (``DATABASE_URL=$SCALINGO_POSTGRESQL_URL``) are recognised by their value
    (set_by_addon)."""
    prefixes = set()
    for provider in provider_ids:
        stem = re.sub(r"[^A-Z0-9]+", "_", re.sub(r"^scalingo-", "", provider or "").upper()).strip("_")
        if not stem:
            continue
        for name in (stem,) + ADDON_NAME_STEMS.get(stem, ()):
            prefixes.update(("SCALINGO_%s_" % name, "%s_" % name))
    return sorted(prefixes)


def addon_providers(client, app):
    """Provider ids of the addons of ``app`` (``GET /apps/{app}/addons``); none when the API has no such list."""
    try:
        body = client.get(app_path(app) + "/addons").json or {}
    except ScalingoAPIError as error:
        if error.status == 404:
            return []
        raise
    providers = []
    for addon in body.get("addons") or []:
        provider = (addon or {}).get("addon_provider") or {}
        provider_id = provider.get("id") if isinstance(provider, dict) else provider
        if provider_id:
            providers.append(provider_id)
    return providers


class Plan:
    """What a run changes: ``put`` (name -> value, for the bulk PUT), ``delete`` (variables to remove) and the
    name lists ``added``, ``updated``, ``removed``, ``unchanged``."""

    def __init__(self, current, wanted=None, remove=(), purge=False, keep=(), addon_prefixes=()):
        by_name = dict((item["name"], item) for item in current)
        wanted = wanted or {}
        self.current = by_name
        self.put = {}
        self.added, self.updated, self.unchanged = [], [], []
        for name in sorted(wanted):
            if name not in by_name:
                self.added.append(name)
                self.put[name] = wanted[name]
            elif by_name[name]["value"] != wanted[name]:
                self.updated.append(name)
                self.put[name] = wanted[name]
            else:
                self.unchanged.append(name)
        removing = set(name for name in remove if name in by_name)
        self.unchanged.extend(sorted(set(name for name in remove if name not in by_name)))
        if purge:
            removing.update(purge_candidates(by_name, wanted, keep, addon_prefixes))
        self.removed = sorted(removing)
        self.delete = [by_name[name] for name in self.removed]

    @property
    def changed(self):
        return bool(self.put or self.delete)

    def result(self):
        return dict(added=self.added, updated=self.updated, removed=self.removed, unchanged=sorted(self.unchanged))


ALIAS = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def set_by_addon(variable, addon_prefixes):
    """True when ``variable`` (``{name, value}``, the raw value) was set by an addon: its name has an addon's
    prefix, or its value is only a reference to such a name, the alias the platform adds beside an addon's own
    variable (``DATABASE_URL=$SCALINGO_POSTGRESQL_URL``)."""
    alias = ALIAS.fullmatch(variable.get("value") or "")
    return any(name.startswith(prefix) for prefix in addon_prefixes
               for name in [variable["name"]] + ([alias.group(1)] if alias else []))


def purge_candidates(by_name, wanted, keep, addon_prefixes=()):
    """Names a purge removes: not wanted, not kept, not set by an addon (set_by_addon)."""
    return sorted(name for name, variable in by_name.items() if name not in wanted and not kept(name, keep)
                  and not set_by_addon(variable, addon_prefixes))


def apply_plan(client, app, plan):
    """Send the plan: one bulk PUT (creations and updates), then one bulk DELETE (removals)."""
    if plan.put:
        # Setting the same values again is harmless: the PUT may be retried after a lost answer.
        body = dict(variables=[dict(name=name, value=value) for name, value in sorted(plan.put.items())])
        client.put(variables_path(app), json=body, retry_safe=True)
    if plan.delete:
        client.request("DELETE", variables_path(app), json=dict(variable_ids=[item["id"] for item in plan.delete]))


def make_env_diff(plan, env, secret_env, present=True):
    """``{before, after}`` of the variables the run touches or was given: plain values of ``env`` only; secret
    values and values of variables not given in ``env`` are replaced by markers (SECRET, SECRET_CHANGED,
    NOT_SHOWN)."""
    before, after = {}, {}
    names = set(plan.removed)
    if present:
        names.update(env, secret_env)
    for name in sorted(names):
        exists = name in plan.current
        if name in plan.removed:
            before[name] = plan.current[name]["value"] if name in env else (
                SECRET if name in secret_env else NOT_SHOWN)
            continue
        if name in env:
            if exists:
                before[name] = plan.current[name]["value"]
            after[name] = env[name]
        elif name in secret_env:
            if exists:
                before[name] = SECRET
            after[name] = SECRET_CHANGED if name in plan.updated else SECRET
    return dict(before=before, after=after)
