# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the unit tests: JWT builder, a mocked Scalingo API, and a module runner."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import time

import responses

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    @contextlib.contextmanager
    def patch_module_args(args=None):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

try:
    from urllib.parse import parse_qs, urlsplit
except ImportError:  # pragma: no cover
    from urlparse import parse_qs, urlsplit  # type: ignore

API_TOKEN = "tk-us-unit-test-token"
AUTH_URL = "https://auth.scalingo.com"
EXCHANGE_URL = AUTH_URL + "/v1/tokens/exchange"
API_URL = "https://api.osc-fr1.scalingo.com"
API_BASE = API_URL + "/v1"


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode("utf-8")).decode("ascii").rstrip("=")


def make_jwt(expires_in=3600, **claims):
    """An unsigned-looking JWT built at test time; ``expires_in=None`` leaves out the exp claim."""
    payload = dict(claims)
    payload.setdefault("iss", "unit-tests")
    payload.setdefault("jti", "%f" % time.time())
    if expires_in is not None:
        payload["exp"] = int(time.time() + expires_in)
    return "%s.%s.%s" % (_b64({"alg": "HS512", "typ": "JWT"}), _b64(payload), "c2lnbmF0dXJl")


class Call:
    """One request seen by the mock: method, url, path, query (dict of lists), headers, json."""

    def __init__(self, request):
        parts = urlsplit(request.url)
        self.method = request.method
        self.url = request.url
        self.path = parts.path
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = request.headers
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None
        self.body = body

    def __repr__(self):
        return "Call(%s %s %r)" % (self.method, self.url, self.json)


class ApiMock:
    """The Scalingo API mocked at the requests layer (wraps a ``responses.RequestsMock``).

    A token exchange answering a fresh JWT is registered; ``bearer`` is the last bearer served.
    ``add("GET", "/apps/x", json={...})`` registers an answer under ``API_BASE`` (absolute URLs kept);
    ``calls()`` lists the API calls made, without the token exchanges; ``exchanges()`` lists those.
    """

    def __init__(self, mock, base=API_BASE):
        self.mock = mock
        self.base = base
        self.bearers = []
        self.exchange = mock.add_callback(responses.POST, EXCHANGE_URL, callback=self._exchange)

    def _exchange(self, request):
        self.bearers.append(make_jwt())
        return 200, {"Content-Type": "application/json"}, json.dumps({"token": self.bearers[-1]})

    @property
    def bearer(self):
        return self.bearers[-1] if self.bearers else None

    def url(self, path):
        return path if path.startswith(("http://", "https://")) else self.base + path

    def add(self, method, path, json=None, status=200, headers=None, body=None, **kwargs):
        """Register one answer (answers to the same method and URL are served in order, the last one repeats)."""
        if body is None and json is None:
            json = {}
        return self.mock.add(method.upper(), self.url(path), json=json if body is None else None, body=body,
                             status=status, headers=headers, **kwargs)

    def all_calls(self):
        return [Call(c.request) for c in self.mock.calls]

    def calls(self):
        return [c for c in self.all_calls() if c.url.split("?")[0] != EXCHANGE_URL]

    def exchanges(self):
        return [c for c in self.all_calls() if c.url.split("?")[0] == EXCHANGE_URL]


class ModuleExit(Exception):
    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


def run_module(module, args, check_mode=False, diff=False):
    """Run ``module.main()`` with ``args`` (api_token defaults to API_TOKEN; pass ``api_token=None`` to
    leave it out); returns the result dict, with ``failed`` True when the module called fail_json and
    ``warnings`` listing what the module warned about."""
    args = dict(args)
    args.setdefault("api_token", API_TOKEN)
    if args["api_token"] is None:
        del args["api_token"]
    warnings = []
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff

    def exit_json(self, **kwargs):
        kwargs.setdefault("failed", False)
        kwargs["warnings"] = warnings
        raise ModuleExit(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=msg, warnings=warnings)
        raise ModuleExit(kwargs)

    def warn(self, warning, **kwargs):
        warnings.append(warning)

    cls = basic.AnsibleModule
    saved = cls.exit_json, cls.fail_json, cls.warn
    cls.exit_json, cls.fail_json, cls.warn = exit_json, fail_json, warn
    try:
        with patch_module_args(args):
            module.main()
    except ModuleExit as done:
        return done.result
    finally:
        cls.exit_json, cls.fail_json, cls.warn = saved
    raise AssertionError("the module returned without calling exit_json or fail_json")


OPERATION_KEYS = ("id", "url", "type", "status", "error", "created_at", "finished_at")


def shaped_operation(operation, url):
    """An operation as the modules return it: every key of the one shape, None where ``operation`` has none."""
    return dict(((key, operation.get(key)) for key in OPERATION_KEYS if key != "url"), url=url)
