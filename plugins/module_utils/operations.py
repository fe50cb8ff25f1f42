# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one shape in which every module returns an operation (scale, restart, start-one-off, ...)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

OPERATION_KEYS = ("id", "url", "type", "status", "error", "created_at", "finished_at")


def operation_result(client, app, operation):
    """``operation`` as OPERATION_KEYS, None where unknown.

    ``operation`` is the API's operation (a dict), a reference ``{"id", "url"}`` (not waited for), a bare id,
    or None (nothing started: None is returned). Without a ``url``, it is built on the configured API base."""
    if operation is None:
        return None
    if not isinstance(operation, dict):
        operation = dict(id=str(operation))
    result = dict((key, operation.get(key)) for key in OPERATION_KEYS)
    if result["id"] and not result["url"]:
        result["url"] = client.operation_url(app, result["id"])
    return result
