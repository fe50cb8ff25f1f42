"""Injected failures of HTTP requests (`POST /_sim/faults`): an error status, a success or redirect a
proxy would send, a `Retry-After` of any kind, a delay, a body trickled byte by byte, a dropped
connection. Standard library only."""

import email.utils
import math
import re
import threading
import time

from . import catalog
from .catalog import invalid

FIELDS = ("method", "path", "path_regex", "count", "status", "body", "content_type", "location", "retry_after",
          "retry_after_date", "delay", "trickle", "trickle_bytes", "drop", "after_processing")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Faults:
    """The HTTP faults waiting for their requests; `match` takes the next one for a request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    @staticmethod
    def check(spec):
        if not isinstance(spec, dict):
            raise invalid("fault", "should be an object")
        fault = {"method": (spec.get("method") or "").upper() or None, "path": spec.get("path"),
                 "path_regex": spec.get("path_regex"), "count": spec.get("count", 1),
                 "status": spec.get("status"), "body": spec.get("body"), "content_type": spec.get("content_type"),
                 "location": spec.get("location"), "retry_after": spec.get("retry_after", 1),
                 "retry_after_date": spec.get("retry_after_date"), "delay": spec.get("delay") or 0,
                 "trickle": spec.get("trickle") or 0, "trickle_bytes": spec.get("trickle_bytes", 1),
                 "drop": bool(spec.get("drop", False)), "after_processing": bool(spec.get("after_processing", False))}
        if fault["path"] is None and fault["path_regex"] is None:
            raise invalid("path", "give path (exact) or path_regex")
        if fault["path_regex"] is not None:
            try:
                re.compile(fault["path_regex"])
            except (re.error, TypeError):
                raise invalid("path_regex", "is not a valid regular expression")
        if fault["count"] is not None and (not isinstance(fault["count"], int) or fault["count"] < 1):
            raise invalid("count", "should be a positive integer or null (every request)")
        status = fault["status"]
        if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599):
            raise invalid("status", "should be an HTTP status (200-599)")
        if status is not None and status < 300 and fault["body"] is None:
            raise invalid("body", "is required with a success status (what a proxy or a portal would answer)")
        if status is not None and 300 <= status < 400 and not isinstance(fault["location"], str):
            raise invalid("location", "is required with a redirect status (the URL it points to)")
        if fault["content_type"] is not None and not isinstance(fault["content_type"], str):
            raise invalid("content_type", "should be a string")
        retry_after = fault["retry_after"]
        if retry_after is not None and not isinstance(retry_after, str) and not (_number(retry_after) and retry_after >= 0):
            raise invalid("retry_after", "should be a number of seconds (0 or more), a string sent as is, or null")
        if fault["retry_after_date"] is not None and not _number(fault["retry_after_date"]):
            raise invalid("retry_after_date", "should be a number of seconds from now (negative: in the past)")
        for field in ("delay", "trickle"):
            if not _number(fault[field]) or fault[field] < 0:
                raise invalid(field, "should be a number of seconds")
        if not isinstance(fault["trickle_bytes"], int) or isinstance(fault["trickle_bytes"], bool) \
                or fault["trickle_bytes"] < 1:
            raise invalid("trickle_bytes", "should be a positive integer")
        if status is None and not fault["delay"] and not fault["drop"] and not fault["trickle"]:
            raise invalid("fault", "give a status, a delay, a trickle or drop")
        return fault

    def add(self, spec):
        fault = self.check(spec)
        with self._lock:
            self._faults.append(fault)
        return fault

    def match(self, method, path):
        with self._lock:
            for fault in self._faults:
                if fault["method"] not in (None, method):
                    continue
                if fault["path"] is not None and fault["path"] != path:
                    continue
                if fault["path_regex"] is not None and not re.search(fault["path_regex"], path):
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self._faults.remove(fault)
                return dict(fault)
        return None

    def list(self):
        with self._lock:
            return [dict(f) for f in self._faults]

    def clear(self):
        with self._lock:
            self._faults.clear()


def answer(fault):
    """(status, body, headers) of a fault with a status, the request left unprocessed."""
    status = fault["status"]
    body = fault["body"]
    if body is None:
        body = "" if 300 <= status < 400 else catalog.default_body(status)
    headers = {}
    if fault["content_type"]:
        headers["Content-Type"] = fault["content_type"]
    if 300 <= status < 400:
        headers["Location"] = fault["location"]
    if fault["retry_after_date"] is not None:
        headers["Retry-After"] = email.utils.formatdate(time.time() + fault["retry_after_date"], usegmt=True)
    elif status == 429 and fault["retry_after"] is not None:
        value = fault["retry_after"]
        headers["Retry-After"] = value if isinstance(value, str) else str(int(value))
    return status, body, headers
