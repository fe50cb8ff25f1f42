# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Addons of an app and the addon providers' plans (addons.md, addon_providers.md).

Knows the client, never AnsibleModule: failures are ScalingoError subclasses that the module glue turns into
structured failures. The values of an addon's environment variables (credentials) are never read here: only
their names, as the provision and plan change answers give them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import time

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for the import sanity test
    from urllib import quote  # type: ignore

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError, ScalingoError, ScalingoTimeoutError

RUNNING = "running"
PROVISIONING = "provisioning"
SUSPENDED = "suspended"
PROVIDER_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")


def provider_error(value, option="provider"):
    """Message for a provider id that cannot be one (checked before any request), else None."""
    if value is None:
        return None
    if not isinstance(value, str) or not PROVIDER_RE.fullmatch(value):
        return ("%s: %r is not an addon provider id (lowercase letters, digits, '.', '_' and '-', for example "
                "postgresql or redis)" % (option, value))
    return None


def plan_name_error(value, option="plan"):
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        return "%s: must be a plan name such as postgresql-starter-512, without surrounding spaces" % option
    return None


def addons_path(app):
    return app_path(app) + "/addons"


def addon_path(app, addon_id):
    return "%s/%s" % (addons_path(app), quote(addon_id, safe=""))


def list_addons(client, app):
    """The app's addons as the API returns them (``GET /apps/{app}/addons``)."""
    body = client.get(addons_path(app)).json or {}
    return [item for item in body.get("addons") or [] if isinstance(item, dict)]


def get_addon(client, app, addon_id):
    body = client.get(addon_path(app, addon_id)).json or {}
    return body.get("addon") if isinstance(body.get("addon"), dict) else body


def provider_id(addon):
    return ((addon or {}).get("addon_provider") or {}).get("id")


def list_providers(client):
    """The addon providers' ids (``GET /addon_providers``)."""
    body = client.get("/addon_providers").json or {}
    return sorted(item.get("id") for item in body.get("addon_providers") or [] if isinstance(item, dict) and item.get("id"))


class UnknownProviderError(ScalingoError):
    """The provider is not in the catalog; ``providers`` lists the valid ids."""

    fields = ("provider", "providers")

    def __init__(self, provider, providers):
        super(UnknownProviderError, self).__init__(
            "provider: %r is not an addon provider of this region; valid providers: %s"
            % (provider, ", ".join(providers) or "none"))
        self.provider, self.providers = provider, providers


def list_plans(client, provider):
    """The provider's plans, disabled ones included (``GET /addon_providers/{provider}/plans?show_all=true``).

    A provider the API does not know (404) raises UnknownProviderError, after reading the providers' list
    to name the valid ones."""
    try:
        body = client.get("/addon_providers/%s/plans" % quote(provider, safe=""), params=dict(show_all="true")).json or {}
    except ScalingoAPIError as error:
        if error.status != 404:
            raise
        raise UnknownProviderError(provider, list_providers(client))
    return [item for item in body.get("plans") or [] if isinstance(item, dict)]


def plan_summary(plan):
    """A plan in the shape of scalingo_addon_info's ``plans``."""
    summary = dict(id=plan.get("id"), name=plan.get("name"), display_name=plan.get("display_name"),
                   disabled=bool(plan.get("disabled")), to_be_discontinued=bool(plan.get("to_be_discontinued")),
                   disabled_alternative_plan_id=plan.get("disabled_alternative_plan_id"))
    if plan.get("price") is not None:
        summary["price"] = plan.get("price")
    return summary


class PlanError(ScalingoError):
    """A plan that cannot be provisioned: unknown, or disabled (``alternative`` names the API's alternative)."""

    fields = ("provider", "plan", "plans", "alternative")

    def __init__(self, message, provider, plan, plans, alternative=None):
        super(PlanError, self).__init__(message)
        self.provider, self.plan, self.plans, self.alternative = provider, plan, plans, alternative


def resolve_plan(plans, provider, name):
    """``(plan, warning)`` for the plan named ``name``: PlanError when it is unknown or disabled; the warning
    (else None) says that a plan is to be discontinued, naming the alternative when the API gives one."""
    offered = [plan.get("name") for plan in plans if not plan.get("disabled")]
    by_id = dict((plan.get("id"), plan) for plan in plans)
    plan = next((item for item in plans if item.get("name") == name), None)
    if plan is None:
        raise PlanError("plan: %r is not a plan of addon provider %s; valid plans: %s"
                        % (name, provider, ", ".join(offered) or "none"), provider, name, offered)
    alternative = (by_id.get(plan.get("disabled_alternative_plan_id")) or {}).get("name")
    if plan.get("disabled"):
        raise PlanError("plan: %s of addon provider %s is disabled and cannot be provisioned any more; %s"
                        % (name, provider, "the API offers %s instead" % alternative if alternative
                           else "valid plans: %s" % (", ".join(offered) or "none")),
                        provider, name, offered, alternative)
    warning = None
    if plan.get("to_be_discontinued"):
        warning = "plan %s of addon provider %s is to be discontinued%s" % (
            name, provider, "; the API offers %s instead" % alternative if alternative else
            ": plan a move to another plan (%s)" % ", ".join(n for n in offered if n != name))
    return plan, warning


def addon_result(addon, env_names=None):
    """An addon in the shape every module returns: id, resource_id, status, provider, plan, env_names."""
    provider = addon.get("addon_provider") or {}
    plan = addon.get("plan") or {}
    return dict(id=addon.get("id"), resource_id=addon.get("resource_id"), status=addon.get("status"),
                provider=dict(id=provider.get("id"), name=provider.get("name")),
                plan=dict(id=plan.get("id"), name=plan.get("name")),
                env_names=sorted(env_names) if env_names is not None else None)


def answer_env_names(body):
    """The names of the variables the addon set, from a provision (``variables``) or plan change (``vars``)
    answer; None when the answer names none."""
    for key in ("variables", "vars"):
        names = (body or {}).get(key)
        if isinstance(names, list):
            return [str(name) for name in names]
    return None


class AddonWaitError(ScalingoTimeoutError):
    """The addon is not running at the wait deadline (or is suspended); ``addon`` is its last state."""

    fields = ("addon",)

    def __init__(self, message, addon=None):
        super(AddonWaitError, self).__init__(message)
        self.addon = addon


def wait_for_addon(client, app, addon, timeout, interval):
    """Poll ``GET /apps/{app}/addons/{id}`` until the addon is ``running``; returns it.

    ``addon`` is the API's answer that started the wait: when it is running already, nothing is read. The
    first poll comes one interval later (the addon was just provisioned or changed), then one per interval;
    the wait ends at most one interval after the addon runs, and never sleeps past the deadline. A
    suspended addon, or one still provisioning at the deadline, raises AddonWaitError with its status."""
    deadline = time.monotonic() + timeout
    while True:
        status = addon.get("status")
        label = "addon %s (%s) of app %s" % (addon.get("id"), provider_id(addon), app)
        if status == RUNNING:
            return addon
        if status == SUSPENDED:
            raise AddonWaitError("%s is suspended: it does not run until it is resumed (see the dashboard)" % label,
                                 addon_result(addon))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AddonWaitError(
                "%s is still %s after %g s (wait_timeout); it goes on on the platform: check it with "
                "scalingo.cloud.scalingo_addon_info, or run the task again with a longer wait_timeout"
                % (label, status, timeout), addon_result(addon))
        client.sleep(min(interval, remaining))
        addon = get_addon(client, app, addon.get("id"))
