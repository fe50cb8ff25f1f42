# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport for the Scalingo API v1.

Knows HTTP and the Scalingo API, never AnsibleModule.

Authentication
    The API token is exchanged for a bearer (``POST <auth_url>/v1/tokens/exchange``, basic auth with
    an empty user and the token as password, body ``{}``). The bearer is a JWT whose ``exp`` claim
    (read unverified) says when it expires; without ``exp`` it is assumed to last one hour. It is
    renewed when less than 5 minutes remain, and re-exchanged once when the API answers 401.

Bearer cache
    One JSON file per token (``sha256(auth_url + token)``) in ``$SCALINGO_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/scalingo.cloud``, else ``~/.cache/scalingo.cloud``. Directory 0700, file 0600,
    written atomically (temporary file + ``os.replace``). Reading, exchanging and writing happen under
    an exclusive ``flock`` on a lock file, so parallel processes exchange once. A corrupt or unreadable
    file is ignored and rewritten. ``bearer_cache=False`` keeps the bearer in memory only.

Retry policy
    - 429 is retried for every method: the request was refused, not processed. ``Retry-After``
      (seconds or HTTP date, at most 120 s) is honoured, else exponential backoff from 1 s, capped at
      30 s, with jitter (a random wait between half and all of the step). A refusal is the API's rate
      limit (60 requests per minute per token) telling when to come back, so these retries are bounded
      by time, not by ``max_retries``: one request waits at most ``rate_limit_wait`` seconds in all
      (default 300) on 429 answers. Parallel forks sharing a token thus queue behind the limit instead
      of failing, and a refused request costs nothing in the limit's budget.
    - 500, 502, 503, 504, read timeouts, broken connections and truncated answers are retried only when
      the request is retry-safe: GET and HEAD, or a request sent with ``retry_safe=True``. TLS errors are
      not retried.
    - A failure to connect at all (nothing was sent) is retried for every method.
    - A POST, PATCH, PUT or DELETE that may have reached the server is never repeated: it raises
      ``ScalingoConnectionError`` with ``outcome_unknown=True``.
    - ``max_retries`` bounds the repeated sends of one request for 5xx answers and network failures
      together, whatever the causes.

Secrets
    The API token and the bearer never appear in an exception message or ``to_dict()``: every error
    is scrubbed of them before it leaves the client.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import email.utils
import hashlib
import json as jsonlib
import os
import random
import re
import tempfile
import time
import traceback

try:
    from urllib.parse import quote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for the import sanity test
    from urllib import quote  # type: ignore
    from urlparse import urlsplit  # type: ignore

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.scalingo.cloud.plugins.module_utils.version import COLLECTION_VERSION

PROJECT_URL = "https://github.com/scalingo-ansible/scalingo.cloud"
DEFAULT_REGION = "osc-fr1"
DEFAULT_AUTH_URL = "https://auth.scalingo.com"
REGIONS = {
    "osc-fr1": "https://api.osc-fr1.scalingo.com",
    "osc-secnum-fr1": "https://api.osc-secnum-fr1.scalingo.com",
}
BEARER_LIFETIME = 3600          # assumed when the JWT carries no exp
BEARER_REFRESH_MARGIN = 300     # renew when less than this many seconds remain
RETRY_STATUSES = (500, 502, 503, 504)
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 120.0
RATE_LIMIT_WAIT = 300.0         # seconds one request may wait in all on 429 answers
SAFE_METHODS = ("GET", "HEAD")
MAX_TEXT = 300
MAX_PAGES = 1000
REDACTED = "********"
_SECRET_PATTERNS = (
    re.compile(r"tk-us-[A-Za-z0-9_-]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{20,}"),
)


def scrub(value, secrets=(), patterns=True):
    """Return value (str, list, dict, nested) with the given secrets replaced by a placeholder, and with
    ``patterns`` also anything shaped like an API token, a JWT or an Authorization value."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, REDACTED)
        for pattern in _SECRET_PATTERNS if patterns else ():
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, dict):
        return dict((k, scrub(v, secrets, patterns)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [scrub(v, secrets, patterns) for v in value]
    return value


def _shorten(text, limit=MAX_TEXT):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class ScalingoError(Exception):
    """Base of every error the client raises."""

    fields = ()   # attributes reported by to_dict()

    def __init__(self, message):
        super(ScalingoError, self).__init__(message)
        self.message = message

    def __str__(self):
        return self.message

    def to_dict(self):
        """Structured, secret-free description for the module's ``failure`` key."""
        result = {"type": type(self).__name__, "message": str(self)}
        result.update((field, getattr(self, field)) for field in self.fields)
        return result

    def scrub(self, secrets):
        """Remove the secrets from every text the error carries (last line of defence)."""
        for key, value in list(vars(self).items()):
            setattr(self, key, scrub(value, secrets))
        self.args = tuple(scrub(list(self.args), secrets))
        return self


class ScalingoAPIError(ScalingoError):
    """An HTTP answer >= 400."""

    fields = ("status", "method", "path", "errors", "resource", "url", "code")

    def __init__(self, status, message, errors=None, method=None, path=None, resource=None, url=None,
                 code=None, service="Scalingo API", hint=None):
        super(ScalingoAPIError, self).__init__(message)
        self.status, self.reason, self.errors = status, message, errors or {}
        self.method, self.path = method, path
        self.resource, self.url, self.code = resource, url, code
        self.service, self.hint = service, hint

    def __str__(self):
        text = "%s refused %s %s (%s): %s" % (self.service, self.method, self.path, self.status, self.reason)
        return text + ("; " + self.hint if self.hint else "")


class ScalingoConnectionError(ScalingoError):
    """A network failure. ``outcome_unknown`` is True when a non-idempotent request may have reached
    the server."""

    fields = ("method", "path", "outcome_unknown")

    def __init__(self, message, method=None, path=None, outcome_unknown=False):
        super(ScalingoConnectionError, self).__init__(message)
        self.method, self.path, self.outcome_unknown = method, path, outcome_unknown


class _OperationFailure(ScalingoError):
    fields = ("operation",)

    def __init__(self, message, operation=None):
        super(_OperationFailure, self).__init__(message)
        self.operation = operation


class ScalingoTimeoutError(_OperationFailure):
    """The operation wait deadline passed; ``operation`` holds the last state seen."""


class ScalingoOperationError(_OperationFailure):
    """An operation ended with status ``error`` (``operation`` holds it, with its ``error`` text)."""


class ScalingoResponse:
    """A successful answer: ``status``, ``headers`` (case-insensitive), ``json`` (dict or None), ``text``."""

    def __init__(self, status, headers, json, text):
        self.status = status
        self.headers = headers
        self.json = json
        self.text = text

    @classmethod
    def from_requests(cls, response):
        return cls(response.status_code, response.headers, _parse_json(response), response.text)


def _parse_json(response):
    text = response.text or ""
    ctype = response.headers.get("Content-Type", "")
    if "json" not in ctype and not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return jsonlib.loads(text)
    except ValueError:
        return None


def error_reason(status, body, text):
    """Turn a documented error body into a short human message.

    Returns ``(message, errors, resource, url, code)``.
    """
    errors, resource, url, code = {}, None, None, None
    if isinstance(body, dict):
        resource = body.get("resource")
        url = body.get("url") or None
        code = body.get("code")
        raw_errors = body.get("errors")
        if isinstance(raw_errors, dict):
            errors = dict((k, v if isinstance(v, list) else [v]) for k, v in raw_errors.items())
            message = "; ".join("%s %s" % (field, ", ".join(str(m) for m in msgs)) for field, msgs in errors.items())
        elif raw_errors:
            message = _shorten(str(raw_errors))
        else:
            message = body.get("error") or body.get("message") or ""
            if not isinstance(message, str):
                message = jsonlib.dumps(message, sort_keys=True)
            if resource:
                message = ("%s %s" % (resource, message)).strip()
            if code and code not in message:
                message = ("%s: %s" % (code, message)) if message else code
            if url:
                message = "%s (see %s)" % (message, url)
        if not message:
            message = _shorten(jsonlib.dumps(body, sort_keys=True))
    else:
        message = _shorten(text)
    if not message:
        message = {401: "unauthorized", 404: "not found", 429: "too many requests"}.get(status, "no details given")
    return _shorten(message, 1000), errors, resource, url, code


def normalize_base_url(url):
    """Strip trailing slashes and a trailing /v1 from a base URL."""
    url = (url or "").strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[:-3].rstrip("/")
    return url


def jwt_expiry(token):
    """Expiry (epoch seconds) read from a JWT's exp claim, unverified; None when absent or unreadable."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        exp = jsonlib.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8")).get("exp")
        return float(exp) if exp is not None else None
    except Exception:
        return None


def default_cache_dir():
    if os.environ.get("SCALINGO_CACHE_DIR"):
        return os.environ["SCALINGO_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "scalingo.cloud")


def _retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (seconds or HTTP date), None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


if HAS_REQUESTS:
    # failures after which the request may have reached the server (except when _nothing_sent says otherwise)
    NETWORK_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                      requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


class _BearerAuth:
    """requests auth hook: sets Authorization and keeps requests from using ~/.netrc instead."""

    def __init__(self, bearer):
        self.bearer = bearer

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer " + self.bearer
        return request


def _nothing_sent(exc):
    """True when a requests ConnectionError means the connection was never established."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        name = type(item).__name__
        if name in ("NewConnectionError", "NameResolutionError", "ConnectionRefusedError", "ConnectTimeoutError"):
            return True
        stack.extend(getattr(item, "args", ()) if not isinstance(item, str) else ())
        stack.append(getattr(item, "reason", None))
        stack.append(getattr(item, "__cause__", None))
    return False


class ScalingoClient:
    """Client of the Scalingo API v1 (see the module docstring for auth, cache and retry policy)."""

    def __init__(self, api_token, region=DEFAULT_REGION, api_url=None, auth_url=None,
                 validate_certs=True, timeout=30, bearer_cache=True, cache_dir=None,
                 max_retries=5, sleep=time.sleep, session=None, rate_limit_wait=RATE_LIMIT_WAIT):
        if not HAS_REQUESTS:
            raise ScalingoError("the Python library requests is required")
        if not api_token:
            raise ScalingoError("api_token is required (option api_token or environment variable SCALINGO_API_TOKEN)")
        self._token = api_token
        self.region = region or DEFAULT_REGION
        self._api_url = normalize_base_url(api_url) or None
        self.auth_url = normalize_base_url(auth_url) or DEFAULT_AUTH_URL
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.bearer_cache = bearer_cache
        self.cache_dir = cache_dir or default_cache_dir()
        self.max_retries = max_retries
        self.rate_limit_wait = rate_limit_wait
        self.sleep = sleep
        self.random = random.random
        self.session = session or requests.Session()
        self.session.headers.update({
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "scalingo.cloud/%s (+%s) python-requests/%s" % (
                COLLECTION_VERSION, PROJECT_URL, requests.__version__),
        })
        self.request_count = 0
        self.warnings = []
        self._bearer = None
        self._bearer_expires = 0.0
        self._secrets = [api_token]
        self._deadline = None   # monotonic deadline of the operation being waited for

    # ----------------------------------------------------------------- URLs

    @property
    def api_url(self):
        """Resolved regional base URL, without /v1."""
        if self._api_url is None:
            self._api_url = REGIONS.get(self.region) or self._lookup_region()
        return self._api_url

    def _lookup_region(self):
        answer = self._request("GET", self.auth_url + "/v1/regions", None, None, None, None, True,
                               service="Scalingo auth service")
        regions = (answer.json or {}).get("regions") or []
        for item in regions:
            if isinstance(item, dict) and item.get("name") == self.region and item.get("api"):
                return normalize_base_url(item["api"])
        known = ", ".join(sorted(set(REGIONS) | set(r.get("name", "?") for r in regions if isinstance(r, dict))))
        raise ScalingoError("region '%s' is unknown to the Scalingo auth service %s (known regions: %s); "
                            "use one of them or set api_url" % (self.region, self.auth_url, known))

    def url(self, path):
        """Absolute URL of an API path ("/apps/x" -> "<api_url>/v1/apps/x"); absolute URLs are kept."""
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/"):
            path = "/" + path
        if not (path == "/v1" or path.startswith("/v1/")):
            path = "/v1" + path
        return self.api_url + path

    def operation_url(self, app, operation_id):
        return "%s/v1/apps/%s/operations/%s" % (self.api_url, quote(app, safe=""), quote(operation_id, safe=""))

    # --------------------------------------------------------------- bearer

    def _cache_path(self):
        digest = hashlib.sha256((self.auth_url + self._token).encode("utf-8")).hexdigest()
        return os.path.join(self.cache_dir, digest + ".json")

    def _remember(self, bearer, expires):
        self._bearer, self._bearer_expires = bearer, expires
        if bearer not in self._secrets:
            self._secrets.append(bearer)

    def _fresh(self, expires):
        return expires - time.time() > BEARER_REFRESH_MARGIN

    def bearer(self, rejected=None):
        """A valid bearer: from memory, from the disk cache, or from a new exchange.

        ``rejected`` is a bearer the API refused: it is never returned again.
        """
        if self._bearer and self._bearer != rejected and self._fresh(self._bearer_expires):
            return self._bearer
        if self.bearer_cache:
            try:
                return self._cached_bearer(rejected)
            except (OSError, IOError) as exc:
                self.warnings.append("bearer cache %s not usable (%s); the bearer is kept in memory only"
                                     % (self.cache_dir, getattr(exc, "strerror", None) or type(exc).__name__))
                self.bearer_cache = False
        self._remember(*self._exchange())
        return self._bearer

    def _cached_bearer(self, rejected):
        if not os.path.isdir(self.cache_dir):
            try:
                os.makedirs(self.cache_dir, 0o700)
            except OSError:
                if not os.path.isdir(self.cache_dir):  # else another process just created it
                    raise
        if os.stat(self.cache_dir).st_mode & 0o077:
            os.chmod(self.cache_dir, 0o700)
        path = self._cache_path()
        lock_fd = os.open(path[:-5] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
            cached = self._read_cache(path)
            if cached and cached[0] != rejected and self._fresh(cached[1]):
                self._remember(*cached)
                return self._bearer
            self._remember(*self._exchange())
            self._write_cache(path)
            return self._bearer
        finally:
            os.close(lock_fd)  # closing releases the lock

    @staticmethod
    def _read_cache(path):
        try:
            with open(path, "r") as handle:
                data = jsonlib.load(handle)
            bearer, expires = data["bearer"], float(data["expires_at"])
            if isinstance(bearer, str) and bearer:
                return bearer, expires
        except Exception:
            pass  # missing, corrupt or unreadable: exchange and rewrite it
        return None

    def _write_cache(self, path):
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.cache_dir)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                jsonlib.dump({"bearer": self._bearer, "expires_at": self._bearer_expires}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except Exception:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _exchange(self):
        """Exchange the API token for a bearer; returns (bearer, expiry epoch)."""
        try:
            answer = self._request("POST", self.auth_url + "/v1/tokens/exchange", {}, None, None, True, False,
                                   auth=("", self._token), service="Scalingo auth service")
        except ScalingoAPIError as exc:
            if exc.status == 401:
                exc.hint = "the API token was refused: check api_token (or SCALINGO_API_TOKEN)"
            raise
        bearer = (answer.json or {}).get("token") if isinstance(answer.json, dict) else None
        if not isinstance(bearer, str) or not bearer:
            raise ScalingoError("the Scalingo auth service answered the token exchange without a token")
        self._secrets.append(bearer)
        expires = jwt_expiry(bearer)
        return bearer, expires if expires is not None else time.time() + BEARER_LIFETIME

    # ------------------------------------------------------------- requests

    def request(self, method, path, json=None, params=None, headers=None, retry_safe=None):
        """Send one API request. Returns ScalingoResponse for < 400, raises ScalingoAPIError otherwise.

        ``retry_safe``: None = by method (GET/HEAD are safe); True for writes whose repetition is harmless.
        """
        try:
            url = self.url(path)
            return self._request(method.upper(), url, json, params, headers, retry_safe, True)
        except ScalingoError as exc:
            raise exc.scrub(self._secrets)

    def get(self, path, params=None, headers=None):
        return self.request("GET", path, params=params, headers=headers)

    def post(self, path, json=None, headers=None, retry_safe=False):
        return self.request("POST", path, json=json, headers=headers, retry_safe=retry_safe)

    def patch(self, path, json=None, params=None, retry_safe=False, headers=None):
        return self.request("PATCH", path, json=json, params=params, headers=headers, retry_safe=retry_safe)

    def put(self, path, json=None, params=None, retry_safe=False, headers=None):
        return self.request("PUT", path, json=json, params=params, headers=headers, retry_safe=retry_safe)

    def delete(self, path, params=None, retry_safe=False, headers=None):
        return self.request("DELETE", path, params=params, headers=headers, retry_safe=retry_safe)

    def _request(self, method, url, json, params, headers, retry_safe, with_bearer, auth=None,
                 service="Scalingo API"):
        """Send with the retry policy; re-exchange the bearer once on a 401."""
        if retry_safe is None:
            retry_safe = method in SAFE_METHODS
        path = urlsplit(url).path or "/"
        reexchanged = False
        retries = 0
        throttled = [0, 0.0]   # 429 answers, seconds waited on them
        while True:
            bearer = self.bearer() if with_bearer else None
            response, retries = self._send(method, url, path, json, params, headers,
                                           _BearerAuth(bearer) if bearer else auth, retry_safe, retries)
            status = response.status_code
            if status < 400:
                return ScalingoResponse.from_requests(response)
            if status == 401 and with_bearer and not reexchanged:
                reexchanged = True
                self._bearer = None
                self.bearer(rejected=bearer)
                continue
            if status == 429:
                if self._pause_rate_limited(throttled, response.headers.get("Retry-After")):
                    continue
                retries = throttled[0]
            elif status in RETRY_STATUSES and retry_safe and self._pause(retries):
                retries += 1
                continue
            raise self._api_error(response, method, path, service, retries, reexchanged, retry_safe,
                                  waited=throttled[1])

    def _send(self, method, url, path, json, params, headers, auth, retry_safe, retries):
        """One HTTP exchange, repeated on network failures when allowed; returns (response, retries)."""
        while True:
            self.request_count += 1
            try:
                response = self.session.request(method, url, json=json, params=params, headers=headers, auth=auth,
                                                timeout=self.timeout, verify=self.validate_certs,
                                                allow_redirects=False)
                return response, retries
            except requests.exceptions.SSLError as exc:
                raise ScalingoConnectionError(
                    "TLS error on %s %s: %s; check the CA certificates (validate_certs=false skips the check)"
                    % (method, path, _shorten(str(exc), 200)), method, path)
            except NETWORK_ERRORS as exc:
                nothing_sent = _nothing_sent(exc)
                if (nothing_sent or retry_safe) and self._pause(retries):
                    retries += 1
                    continue
                raise self._network_error(exc, method, path, nothing_sent or retry_safe, retries)
            except requests.exceptions.RequestException as exc:
                raise ScalingoConnectionError("%s %s could not be sent: %s" % (method, path, _shorten(str(exc), 200)),
                                              method, path)

    def _network_error(self, exc, method, path, safe, retries):
        kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
        detail = "%s %s %s (%s)" % (method, path, kind, _shorten(str(exc), 200))
        if safe:
            return ScalingoConnectionError("%s after %d retries" % (detail, retries), method, path)
        return ScalingoConnectionError(
            "%s; the request may have reached Scalingo, so its outcome is unknown and it was not repeated: "
            "check the app with scalingo.cloud.scalingo_app_info before retrying" % detail,
            method, path, outcome_unknown=True)

    def _api_error(self, response, method, path, service, retries, reexchanged, retry_safe, waited=0.0):
        status = response.status_code
        message, errors, resource, url, code = error_reason(status, _parse_json(response), response.text)
        hint = None
        if status == 401 and reexchanged:
            hint = "the bearer obtained from the API token was refused even after a new token exchange"
        elif status == 429:
            hint = ("still refused after %d retries over %d s (the rate limit of the API token)" % (retries, waited)
                    if retries else None)
        elif status in RETRY_STATUSES and retry_safe:
            hint = "gave up after %d retries" % retries if retries else None
        elif status >= 500:
            hint = ("the request was not repeated since it may have been processed: check the app with "
                    "scalingo.cloud.scalingo_app_info before retrying")
        return ScalingoAPIError(status, message, errors, method, path, resource, url, code, service, hint)

    def _pause(self, retries, retry_after=None):
        """Sleep before retry number ``retries + 1``; False, without sleeping, when max_retries is reached
        or when the deadline of wait_for_operation has passed (the pause never goes beyond it)."""
        if retries >= self.max_retries:
            return False
        return self._sleep_until_deadline(self._delay(retries, retry_after)) is not None

    def _pause_rate_limited(self, throttled, retry_after):
        """Sleep before sending a request refused with 429 again; ``throttled`` is ``[refusals, seconds
        waited]`` of the request, updated. False, without sleeping, when the next wait would pass
        rate_limit_wait or when the deadline of wait_for_operation has passed (the wait never goes
        beyond it)."""
        delay = self._delay(throttled[0], retry_after)
        if throttled[1] + delay > self.rate_limit_wait:
            return False
        slept = self._sleep_until_deadline(delay)
        if slept is None:
            return False
        throttled[0] += 1
        throttled[1] += slept
        return True

    def _sleep_until_deadline(self, delay):
        """Sleep ``delay`` seconds, cut at the deadline of wait_for_operation; the seconds slept, or None
        without sleeping when that deadline has passed."""
        if self._deadline is not None:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return None
            delay = min(delay, remaining)
        self.sleep(delay)
        return delay

    def _delay(self, retries, retry_after=None):
        """Seconds to sleep before retry number ``retries + 1``."""
        seconds = _retry_after(retry_after)
        if seconds is not None:
            return seconds
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** retries))
        return ceiling / 2 + self.random() * ceiling / 2

    # ------------------------------------------------------- lists and waits

    def paginate(self, path, root_key, params=None, per_page=None):
        """Yield the items under ``root_key`` across pages (meta.pagination.next_page, or the older
        flat meta.next_page), stopping when next_page is null."""
        params = dict(params or {})
        if per_page:
            params["per_page"] = per_page
        seen = set()
        for dummy in range(MAX_PAGES):
            body = self.get(path, params=params).json or {}
            yield from body.get(root_key) or []
            meta = body.get("meta") or {}
            pagination = meta.get("pagination") if isinstance(meta.get("pagination"), dict) else meta
            next_page = pagination.get("next_page")
            if next_page in (None, "", 0) or str(next_page) in seen:
                return
            seen.add(str(next_page))
            params["page"] = next_page

    def _operation_location(self, location):
        """The URL to poll: a Location on another host is rebuilt on the configured API base."""
        if not location.startswith(("http://", "https://")):
            return self.url(location)
        parts = urlsplit(location)
        base = urlsplit(self.api_url)
        if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
            return location
        match = re.search(r"/apps/([^/]+)/operations/([^/?#]+)", parts.path)
        if match:
            return "%s/v1/apps/%s/operations/%s" % (self.api_url, match.group(1), match.group(2))
        return self.url(parts.path)

    def wait_for_operation(self, location, timeout=300, interval=2.0, first_poll=0.0):
        """Poll an operation until ``done`` (returns the operation dict) or ``error``
        (ScalingoOperationError); ScalingoTimeoutError when ``timeout`` seconds pass first.

        The first poll comes ``first_poll`` seconds after the call, then one every ``interval``. With
        ``first_poll=interval`` (for an operation that was just started, so cannot be over yet), an
        operation of ``d`` seconds costs at most ``d / interval + 1`` polls; in every case the wait ends
        at most one interval after the operation does.
        Retries of a poll (429, 5xx) do not wait beyond the deadline either."""
        url = self._operation_location(location)
        deadline = time.monotonic() + timeout
        operation = None
        self._deadline = deadline
        try:
            if first_poll > 0 and timeout > 0:
                self.sleep(min(first_poll, timeout))
            while True:
                try:
                    body = self.get(url).json or {}
                except (ScalingoAPIError, ScalingoConnectionError):
                    if operation is None or time.monotonic() < deadline:
                        raise
                    body = {"operation": operation}   # the last poll failed at the deadline
                operation = body.get("operation") if isinstance(body.get("operation"), dict) else body
                status = operation.get("status")
                label = "operation %s (%s)" % (operation.get("id", "?"), operation.get("type", "?"))
                if status == "done":
                    return operation
                if status == "error":
                    raise ScalingoOperationError("%s failed: %s" % (label, operation.get("error") or "no details given"),
                                                 operation).scrub(self._secrets)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ScalingoTimeoutError(
                        "%s still %s after %s s; it goes on on the platform: check it with "
                        "scalingo.cloud.scalingo_app_info or wait longer (wait_timeout)"
                        % (label, status, ("%g" % timeout)), operation).scrub(self._secrets)
                self.sleep(min(interval, remaining))
        finally:
            self._deadline = None
