# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the app modules share: the path of an app and looking an app up by name."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError


def app_path(name):
    """API path of an app (names are checked by validation.app_name_error first)."""
    return "/apps/%s" % name


def read_app(client, name):
    """The app named ``name`` (``GET /apps/{name}``); the API's 404 raises ScalingoAPIError."""
    body = client.get(app_path(name)).json or {}
    return body.get("app") if isinstance(body.get("app"), dict) else body


def find_app(client, name):
    """The app named ``name`` (``GET /apps/{name}``), or None when the API answers 404."""
    try:
        return read_app(client, name)
    except ScalingoAPIError as error:
        if error.status == 404:
            return None
        raise
