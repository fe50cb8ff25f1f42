# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input rules shared by the modules. Each check returns an error message naming the option, or None."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import math
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

APP_NAME_RULE = "%d to %d lowercase letters, digits and hyphens, no hyphen at either end and no two hyphens in a row"
APP_NAME_MAX = 48
CHILD_APP_NAME_MAX = 32
APP_NAME_MIN = 6
_APP_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REGION_RE = re.compile(r"^[a-z0-9-]+$")


def app_name_error(name, option="name", child=False):
    """Error message when ``name`` breaks the Scalingo app name rule (child apps: at most 32 characters)."""
    longest = CHILD_APP_NAME_MAX if child else APP_NAME_MAX
    if isinstance(name, str) and APP_NAME_MIN <= len(name) <= longest and _APP_NAME.fullmatch(name):
        return None
    return "%s: %r is not a valid Scalingo %sapp name: %s" % (
        option, name, "child " if child else "", APP_NAME_RULE % (APP_NAME_MIN, longest))


def is_loopback(host):
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_error(value, option, validate_certs=True):
    """Error message when ``value`` is not an absolute http(s) URL with a host, or sends a token over
    plain http to a host other than a loopback one while certificates are checked."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return "%s: %r is not an absolute http(s) URL with a host, like https://api.osc-fr1.scalingo.com" % (
            option, value)
    if parts.query or parts.fragment or parts.username or parts.password:
        return "%s: the URL must not carry credentials, a query or a fragment" % option
    if parts.scheme == "http" and validate_certs and not is_loopback(host):
        return "%s: http:// sends the token in clear text; use https://, a loopback address, or validate_certs=false" % (
            option)
    return None


def region_error(value, option="region"):
    if value is None or (isinstance(value, str) and REGION_RE.fullmatch(value)):
        return None
    return "%s: %r is not a valid region name: lowercase letters, digits and hyphens, like osc-fr1" % (option, value)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def email_error(value, option):
    """Error message when ``value`` is not shaped like an email address (user@domain)."""
    if isinstance(value, str) and _EMAIL.fullmatch(value):
        return None
    return "%s: %r is not an email address (expected user@domain, like user@example.com)" % (option, value)


# ----------------------------------------------------------------------- numbers

def number_error(value, option, minimum=0, above=False, maximum=None, unit="seconds"):
    """Error message when ``value`` (a number option) is not finite, or is out of range: greater than
    ``minimum`` when ``above``, else at least ``minimum``; at most ``maximum`` when given. None when fine
    (None included: the option was not given)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "%s: %r is not a finite number of %s" % (option, value, unit)
    if above and value <= minimum:
        return "%s: must be greater than %g %s" % (option, minimum, unit)
    if not above and value < minimum:
        return "%s: must be %g or more %s" % (option, minimum, unit)
    if maximum is not None and value > maximum:
        return "%s: must be at most %g %s" % (option, maximum, unit)
    return None


# ------------------------------------------------------------- container formation

CONTAINER_SIZES = ("S", "M", "L", "XL", "2XL", "3XL")
MAX_CONTAINERS_PER_TYPE = 10
_CONTAINER_SIZE = re.compile(r"^[0-9]*[A-Z]+$")
_CONTAINER_TYPE = re.compile(r"^[^\s/]+$")


def container_size_error(size, option="size"):
    """Error message when ``size`` is not written like a Scalingo container size (S, M, L, XL, 2XL, ...).

    Well-formed names that this collection does not know (a region may offer more) are left to the API,
    which refuses unknown sizes with a 422."""
    if size is None or size == "" or (isinstance(size, str) and _CONTAINER_SIZE.fullmatch(size)):
        return None
    return "%s: %r is not a container size: sizes are upper-case names such as %s" % (
        option, size, ", ".join(CONTAINER_SIZES))


def container_type_error(name, option="name"):
    """Error message when ``name`` cannot be a container type (a Procfile process type such as web)."""
    if isinstance(name, str) and _CONTAINER_TYPE.fullmatch(name):
        return None
    return "%s: %r is not a container type name: it must be a non-empty word without spaces or '/', such as web" % (
        option, name)


def containers_errors(containers, option="containers"):
    """Messages for a formation list (``[{name, amount, size}]``) that breaks the rules: at least one entry,
    valid type names given once, amounts from 0 to MAX_CONTAINERS_PER_TYPE, sizes written like S, M, 2XL."""
    if not containers:
        return ["%s: give at least one container type, like [{name: web, amount: 1}]" % option]
    errors = []
    seen = set()
    for index, item in enumerate(containers):
        where = "%s[%d]" % (option, index)
        name = item.get("name")
        error = container_type_error(name, where + ".name")
        if error:
            errors.append(error)
        elif name in seen:
            errors.append("%s.name: %r is listed more than once; list each container type once" % (where, name))
        seen.add(name)
        amount = item.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= MAX_CONTAINERS_PER_TYPE:
            errors.append("%s.amount: %r is out of range: from 0 to %d containers per type (the platform's limit)"
                          % (where, amount, MAX_CONTAINERS_PER_TYPE))
        error = container_size_error(item.get("size"), where + ".size")
        if error:
            errors.append(error)
    return errors


def scope_errors(scope, formation, option="scope"):
    """Messages for restart scope entries that are neither a container type of ``formation`` (a list of
    ``{name, amount}``) nor a container name ``<type>-<index>`` with 1 <= index <= amount."""
    amounts = dict((item.get("name"), item.get("amount") or 0) for item in formation)
    unknown = []
    for entry in scope:
        if entry in amounts:
            continue
        prefix, dummy, index = (entry or "").rpartition("-")
        if prefix in amounts and index.isdigit() and 1 <= int(index) <= amounts[prefix]:
            continue
        unknown.append(entry)
    if not unknown:
        return []
    known = ", ".join(_type_containers(name, amount) for name, amount in sorted(amounts.items())) or "none"
    return ["%s: %s %s not in the app's formation; its container types and containers are: %s" % (
        option, ", ".join(repr(e) for e in unknown), "is" if len(unknown) == 1 else "are", known)]


def _type_containers(name, amount):
    if not amount:
        return "%s (no container)" % name
    if amount == 1:
        return "%s (%s-1)" % (name, name)
    return "%s (%s-1 to %s-%d)" % (name, name, name, amount)


# ------------------------------------------------------------- environment variables

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_NAME_MAX = 64
ENV_VALUE_MAX = 8192


def env_errors(env, option="env", max_name=None, max_value=None):
    """Messages for ``env`` entries (a dict name -> value) the API cannot take; they name the variable and the
    rule, never the value. Values may be strings, numbers or booleans (see env_strings)."""
    errors = []
    for name in sorted(env or {}, key=str):
        value = env[name]
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            errors.append("%s: %r is not a valid environment variable name: letters, digits and underscores, "
                          "not starting with a digit" % (option, name))
        elif max_name and len(name) > max_name:
            errors.append("%s: the name %s is %d characters long; the platform takes at most %d"
                          % (option, name, len(name), max_name))
        elif value is None or isinstance(value, (dict, list, tuple)):
            errors.append("%s: the value of %s must be a string (or a number or boolean)" % (option, name))
        elif max_value and len(env_string(value)) > max_value:
            errors.append("%s: the value of %s is %d characters long; the platform takes at most %d"
                          % (option, name, len(env_string(value)), max_value))
    return errors


def env_string(value):
    """The string a variable holds for a YAML value: booleans as true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def env_strings(env):
    """``env`` with every value turned into the string the platform stores (see env_string)."""
    return dict((name, env_string(value)) for name, value in (env or {}).items())


def env_pair_errors(env, secret_env, options=("env", "secret_env"), **limits):
    """env_errors of a plain and a secret dict, plus the names given in both (an error: which value wins?)."""
    errors = env_errors(env, options[0], **limits) + env_errors(secret_env, options[1], **limits)
    both = sorted(set(env or {}) & set(secret_env or {}), key=str)
    if both:
        errors.append("%s and %s: %s given in both; give each variable once, in %s when its value is a secret"
                      % (options[0], options[1], ", ".join(str(n) for n in both), options[1]))
    return errors
