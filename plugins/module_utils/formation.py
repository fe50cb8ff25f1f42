# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The container formation of an app and the operations that change it (scale, restart).

Knows the client, never AnsibleModule: failures are ScalingoError subclasses that the module glue turns
into structured failures.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoAPIError, ScalingoTimeoutError
from ansible_collections.scalingo.cloud.plugins.module_utils.validation import CONTAINER_SIZES

# App statuses during which the platform refuses a scale or a restart (GET /apps/{app} "status").
BUSY_STATUSES = ("scaling", "restarting", "booting")


def read_formation(client, app):
    """The container types of ``app`` as a list of ``{name, amount, size}`` (``GET /apps/{app}/containers``)."""
    body = client.get(app_path(app) + "/containers").json or {}
    return normalize_formation(body.get("containers"))


def normalize_formation(containers):
    return [dict(name=item.get("name"), amount=item.get("amount"), size=item.get("size"))
            for item in containers or [] if isinstance(item, dict)]


def offered_size_errors(client, sizes):
    """Messages for the sizes (``[(option, size)]``) that the region does not offer, checked before a write.

    The sizes this collection knows (validation.CONTAINER_SIZES) are taken as offered; for any other one the
    region's list is read once (``GET /features/container_sizes``), so that an unknown size costs one read
    instead of a write the API refuses. A region without that list (404) leaves the sizes to the API."""
    unknown = [(option, size) for option, size in sizes if size and size not in CONTAINER_SIZES]
    if not unknown:
        return []
    try:
        body = client.get("/features/container_sizes").json or {}
    except ScalingoAPIError as error:
        if error.status == 404:
            return []
        raise
    offered = [item.get("name") for item in body.get("container_sizes") or [] if isinstance(item, dict)]
    return ["%s: %r is not a container size this region offers (%s)" % (option, size, ", ".join(offered) or "none")
            for option, size in unknown if size not in offered]


def formation_map(formation):
    """``{type: {"amount": n, "size": s}}``, the shape of the diff."""
    return dict((item["name"], dict(amount=item["amount"], size=item["size"])) for item in formation)


def busy_reason(error):
    """The API's reason (such as ``is scaling``) when ``error`` refuses a request because the app is busy
    with another operation, else None: a 422 ``{"errors": {"app": ["is scaling"]}}``, or a 409 Conflict
    ``{"error": "..."}`` (the other form the official Go client knows for an app with a running operation)."""
    if not isinstance(error, ScalingoAPIError):
        return None
    if error.status == 409:
        return "answers 409 Conflict (%s)" % error.reason if error.reason else "answers 409 Conflict"
    if error.status != 422:
        return None
    for message in (error.errors or {}).get("app") or []:
        if str(message).startswith("is "):
            return str(message)
    return None


def wait_until_idle(client, app, timeout, interval):
    """Poll ``GET /apps/{app}`` until its status is not one of BUSY_STATUSES; returns the app.

    Raises ScalingoTimeoutError when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        found = (client.get(app_path(app)).json or {}).get("app") or {}
        status = found.get("status")
        if status not in BUSY_STATUSES:
            return found
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ScalingoTimeoutError(
                "app %s is still %s: gave up waiting for it to be idle (wait_for_idle, wait_timeout); its operation "
                "goes on on the platform: run the task again later or raise wait_timeout" % (app, status))
        client.sleep(min(interval, remaining))


def post_operation(client, app, path, body, wait_for_idle=False, timeout=300, interval=2.0):
    """POST a request that starts an operation (scale, restart) and return the response.

    When the app is busy with another operation, the API refuses the request (422): without
    ``wait_for_idle`` the error says so and tells what to do; with it, the app is polled until it is idle
    (at most ``timeout`` seconds in all) and the request sent again, since a refused request did nothing."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.post(path, json=body)
        except ScalingoAPIError as error:
            reason = busy_reason(error)
            if reason is None:
                raise
            remaining = deadline - time.monotonic()
            if not wait_for_idle or remaining <= 0:
                error.hint = "app %s is busy with another operation (it %s): a scale, restart or deployment " \
                    "must end first; " % (app, reason)
                error.hint += ("it was still busy after %g s of waiting (wait_for_idle, wait_timeout)" % timeout
                               if wait_for_idle else
                               "run the task again when it is over, or set wait_for_idle=true to wait for it")
                raise
            client.sleep(min(interval, remaining))
            wait_until_idle(client, app, max(deadline - time.monotonic(), 0), interval)


def operation_reference(client, app, location):
    """``{"id", "url"}`` of the operation named by a Location header, the URL on the configured API base."""
    operation_id = location.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    return dict(id=operation_id, url=client.operation_url(app, operation_id))


def follow_operation(client, app, response, wait=True, timeout=300, interval=2.0):
    """The operation started by ``response``: None without a Location header (nothing to wait for), its
    reference when not ``wait``, else the final operation (ScalingoOperationError on ``error``,
    ScalingoTimeoutError after ``timeout`` seconds)."""
    location = response.headers.get("Location")
    if not location:
        return None
    if not wait:
        return operation_reference(client, app, location)
    # the operation was just started: the first poll waits one interval (fewest polls)
    return client.wait_for_operation(location, timeout=timeout, interval=interval, first_poll=interval)


def run_operation(client, app, path, body, params):
    """POST ``body`` to ``path`` (post_operation) and follow the operation it starts (follow_operation),
    with the module options ``wait``, ``wait_for_idle``, ``wait_timeout`` and ``poll_interval``.

    Returns ``(response, operation)``; ``operation`` is None when the answer names no operation."""
    options = dict(timeout=params["wait_timeout"], interval=params["poll_interval"])
    response = post_operation(client, app, path, body, wait_for_idle=params.get("wait_for_idle", False), **options)
    return response, follow_operation(client, app, response, wait=params["wait"], **options)
