"""Static facts of the simulated platform: sizes, regions, name rules, ids, dates and error bodies.

Everything here comes from the Scalingo API documentation (apps.md, the global page) and the
behaviour of the platform listed in design.md section 7.
"""

import json
import os
import re
import time
import uuid

NAMESPACE = uuid.UUID("5f1e7f0c-52a8-4c44-9a43-7b0d7a6c1c3e")

# name, memory (bytes), ordinal, hourly price, 30-days price, human cpu
_SIZES = (
    ("S", 256 * 2 ** 20, 2, 10, 720, "standard CPU priority"),
    ("M", 512 * 2 ** 20, 3, 20, 1440, "standard CPU priority"),
    ("L", 1024 * 2 ** 20, 4, 40, 2880, "high CPU priority"),
    ("XL", 2048 * 2 ** 20, 5, 80, 5760, "high CPU priority"),
    ("2XL", 4096 * 2 ** 20, 6, 160, 11520, "high CPU priority"),
    ("3XL", 8192 * 2 ** 20, 7, 320, 23040, "high CPU priority"),
)

CONTAINER_SIZES = {
    name: {
        "id": str(uuid.uuid5(NAMESPACE, "size-" + name)),
        "name": name,
        "human_name": name,
        "ordinal": ordinal,
        "memory": memory,
        "human_cpu": cpu,
        "hourly_price": hourly,
        "thirtydays_price": monthly,
        "pids_limit": 0,
        "swap": 0,
        "sku": "osc-fr1-app-" + name,
    }
    for name, memory, ordinal, hourly, monthly, cpu in _SIZES
}
DEFAULT_SIZE = "M"
FREE_PLAN_SIZES = ("S", "M")
MAX_CONTAINERS_PER_TYPE = 10
MAX_ONE_OFFS_PER_APP = 10
MAX_ONE_OFFS_PER_ACCOUNT = 50
SIGNALS = ("SIGUSR1", "SIGUSR2")

REGIONS = (
    ("osc-fr1", "Paris - Outscale", True),
    ("osc-secnum-fr1", "Paris - Outscale SecNumCloud", False),
    ("simulator", "Local simulator", False),
)

DEFAULT_STACK_ID = "st-" + str(uuid.uuid5(NAMESPACE, "stack-scalingo-22"))

METRICS = ("cpu", "memory", "swap", "router")
ROUTER_STATUS_CODES = ("1XX", "2XX", "3XX", "4XX", "5XX", "all")
RECOMMENDED_METRICS = ("cpu", "memory", "swap", "5XX", "all", "rpm_per_container", "p95_response_time")
RESOURCE_METRICS = ("cpu", "memory", "swap")

APP_NAME_MAX = 48
CHILD_APP_NAME_MAX = 32
APP_NAME_MIN = 6

INTERNAL_ERROR = "Internal error occured, we're on it!"
FREE_PLAN_APP = "Sorry, you need to verify your account (billing profile and payment card) to create a new app"
FREE_PLAN_SCALE = ("Sorry, you need to verify your account (billing profile and payment card) "
                   "to scale beyond one S or M web container")
BILLING_URL = "https://my.scalingo.com/apps/billing"
NO_CHANGE = "no change in containers formation"
RETRY_LATER = "Retry later"


class ApiError(Exception):
    """An answer other than success: status, body (dict, list or text) and extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def not_found(resource):
    return ApiError(404, {"resource": resource, "error": "not found"})


def invalid(field, *messages):
    """422 with the documented `errors` body: one field, one or more messages."""
    return ApiError(422, {"errors": {field: list(messages)}})


def bad_request(message):
    return ApiError(400, {"error": message})


def payment_required(message):
    return ApiError(402, {"error": message, "url": BILLING_URL})


def bad_json(raw):
    """400 in the documented form of the platform's JSON parser message."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return bad_request("There was a problem in the JSON you submitted: 795: unexpected token at '%s'" % text[:200])


def too_many_requests(retry_after):
    headers = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
    return ApiError(429, RETRY_LATER, headers)


def region_disabled():
    return ApiError(403, {"code": "region_disabled",
                          "error": "This region is disabled, its API does not accept requests"})


# What a fault answers when the test gives a status and no body: the documented body of that status.
_GATEWAY_PAGE = "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center><hr><center>nginx</center></body></html>\n"
_DEFAULT_BODIES = {
    400: {"error": "There was a problem in the JSON you submitted: 795: unexpected token at ''"},
    401: {"error": "invalid token"},
    402: {"error": FREE_PLAN_APP, "url": BILLING_URL},
    403: {"code": "region_disabled", "error": "This region is disabled, its API does not accept requests"},
    404: {"resource": "app", "error": "not found"},
    408: {"error": "request timeout"},
    409: {"error": "conflict"},
    422: {"errors": {"app": ["is invalid"]}},
    429: RETRY_LATER,
    500: {"error": INTERNAL_ERROR},
    502: _GATEWAY_PAGE.format("502 Bad Gateway"),
    503: _GATEWAY_PAGE.format("503 Service Temporarily Unavailable"),
    504: _GATEWAY_PAGE.format("504 Gateway Time-out"),
}


def default_body(status):
    if status in _DEFAULT_BODIES:
        return _DEFAULT_BODIES[status]
    if status >= 500:
        return {"error": INTERNAL_ERROR}
    return {"error": "simulated error"}


def check_app_name(name, maximum=APP_NAME_MAX):
    """Messages for a name that breaks the platform's rules (empty list when the name is fine)."""
    if not isinstance(name, str) or not name:
        return ["can't be blank"]
    errors = []
    if len(name) < APP_NAME_MIN:
        errors.append("is too short (minimum is %d characters)" % APP_NAME_MIN)
    if len(name) > maximum:
        errors.append("is too long (maximum is %d characters)" % maximum)
    if not re.fullmatch(r"[a-z0-9-]+", name):
        errors.append("should contain only lowercap letters, digits and hyphens")
    if name.startswith("-") or name.endswith("-"):
        errors.append("can't start or end with a hyphen")
    if "--" in name:
        errors.append("can't contain two hyphens in a row")
    return errors


def new_id():
    """A 24-hex id, shaped like the platform's object ids (time first, then random)."""
    return "%08x%s" % (int(time.time()), os.urandom(8).hex())


def user_id(email):
    return "us-" + str(uuid.uuid5(NAMESPACE, "user-" + email.lower()))


def user_object(email):
    return {"id": user_id(email), "username": email.split("@", 1)[0], "email": email}


def default_project(email):
    return {"id": "pr-" + str(uuid.uuid5(NAMESPACE, "project-" + email.lower())), "name": "default"}


def iso(timestamp):
    """ISO 8601 with milliseconds in UTC, as the documentation describes: YYYY-MM-DDThh:mm:ss.mmmZ."""
    if timestamp is None:
        return None
    whole = int(timestamp)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + ".%03dZ" % int((timestamp - whole) * 1000)


def dumps(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=False)
