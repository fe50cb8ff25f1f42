"""The request and answer objects that the routes of every API family handle. Standard library only."""

import json

from . import catalog
from .catalog import bad_json, invalid


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def encode(self):
        """(bytes, content type) of the body."""
        if self.body is None:
            return b"", None
        if isinstance(self.body, (dict, list)):
            return catalog.dumps(self.body).encode("utf-8"), "application/json; charset=utf-8"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        text = str(self.body)
        kind = "text/html" if text.lstrip().startswith("<html") else "text/plain"
        return text.encode("utf-8"), kind + "; charset=utf-8"


class Request:
    def __init__(self, method, path, query, headers, body, base):
        self.method, self.path, self.query, self.headers, self.body, self.base = (
            method, path, query, headers, body, base)
        self.email = None
        self.token_id = None
        self._json = None

    def json(self):
        """The JSON body (an object), {} when empty; 400 with the documented message otherwise."""
        if self._json is None:
            if not self.body.strip():
                self._json = {}
            else:
                try:
                    value = json.loads(self.body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    raise bad_json(self.body)
                if not isinstance(value, dict):
                    raise bad_json(self.body)
                self._json = value
        return self._json

    def payload(self, root, message="missing field"):
        """The object under `root` in the JSON body (`{"addon": {...}}`), else 422 on `root` with `message`."""
        payload = self.json().get(root)
        if not isinstance(payload, dict):
            raise invalid(root, message)
        return payload

    @property
    def dry_run(self):
        return (self.headers.get("X-Dry-Run") or "").strip().lower() in ("true", "1")
