# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input rules shared by the modules. Each check returns an error message naming the option, or None."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
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
    if isinstance(name, str) and APP_NAME_MIN <= len(name) <= longest and _APP_NAME.match(name):
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
    if value is None or REGION_RE.match(value):
        return None
    return "%s: %r is not a valid region name: lowercase letters, digits and hyphens, like osc-fr1" % (option, value)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def email_error(value, option):
    """Error message when ``value`` is not shaped like an email address (user@domain)."""
    if isinstance(value, str) and _EMAIL.match(value):
        return None
    return "%s: %r is not an email address (expected user@domain, like user@example.com)" % (option, value)
