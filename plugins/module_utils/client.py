# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport for the Scalingo API v1.

Knows HTTP and the Scalingo API, never AnsibleModule.

Authentication
    The API token is exchanged for a bearer (``POST <auth_url>/v1/tokens/exchange``, basic auth with
    an empty user and the token as password, body ``{}``). The bearer is a JWT whose ``exp`` claim
    (read unverified) says when it expires; without ``exp`` it is assumed to last one hour. It is
    renewed when less than 5 minutes remain (a quarter of its lifetime, from ``iat``, for bearers that
    live less than 20 minutes), and re-exchanged once when the API answers 401. The token is stripped
    of surrounding whitespace; one with characters outside printable ASCII is refused (``api_token``).

Bearer cache
    One JSON file per token (``sha256(auth_url + token)``) in ``$SCALINGO_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/scalingo.cloud``, else ``~/.cache/scalingo.cloud``. A folder the client creates
    is 0700; an existing folder is used only when it belongs to the current user and nobody else may
    write in it (its mode is never changed). In a shared sticky folder such as ``/tmp`` (world-writable,
    sticky bit), the client uses its private subfolder ``scalingo.cloud-<uid>`` instead (created 0700,
    never a symbolic link). Any other folder is refused: the bearer is kept in memory, with a warning.
    Files are 0600, written atomically (temporary file + ``os.replace``); a cache file is trusted only
    when it is a regular file of the current user that nobody else can read or write, opened without
    following symbolic links (like the lock file). Reading, exchanging and writing happen under an
    exclusive ``flock`` on a lock file, so parallel processes exchange once. A corrupt, unreadable or
    untrusted file is ignored and rewritten. ``bearer_cache=False`` keeps the bearer in memory only.

Retry policy
    - 429 is retried for every method: the request was refused, not processed. ``Retry-After``
      (seconds or HTTP date, at most 120 s) is honoured, else exponential backoff from 1 s, capped at
      30 s, with jitter (a random wait between half and all of the step). A refusal is the API's rate
      limit (60 requests per minute per token) telling when to come back, so these retries are bounded
      by time, not by ``max_retries``: one request spends at most ``rate_limit_wait`` seconds in all
      (default 300, counted on a monotonic clock from its first 429, sends included) on 429 answers.
      Each of these pauses lasts at least 1 s: a ``Retry-After`` of 0 or a date in the past (a server
      clock behind this one) gives the exponential backoff instead. Parallel forks sharing a token
      thus queue behind the limit instead of failing, and a refused request costs nothing in the
      limit's budget. More than 5 s spent behind the limit in one task gives one warning with the total.
    - 500, 502, 503, 504, read timeouts, broken connections and truncated answers are retried only when
      the request is retry-safe: GET and HEAD, or a request sent with ``retry_safe=True``. TLS errors are
      not retried.
    - A failure to connect at all (nothing was sent) is retried for every method; a refused connection
      or an unknown host name only twice (it rarely heals in seconds), then ``cannot connect to <base
      URL> (connection refused); check api_url or SCALINGO_API_URL`` (``auth_url`` for the auth
      service, with a hint when ``api_url`` is set and ``auth_url`` is left at its default).
    - A POST, PATCH, PUT or DELETE that may have reached the server is never repeated: it raises
      ``ScalingoConnectionError`` with ``outcome_unknown=True``.
    - ``max_retries`` bounds the repeated sends of one request for 5xx answers and network failures
      together, whatever the causes.
    - ``timeout`` bounds each attempt as a whole (connection, answer head and body): the body is read
      in pieces against a monotonic deadline, so an answer trickled byte by byte ends as a timeout.

Answers that are not the API's
    A redirect (3xx) is never followed (the bearer would go along) and never taken for success: it is
    an error naming the host it points to. A success whose body is not JSON (an HTML page from a proxy
    or a captive portal, truncated JSON) is an error naming the status and the content type.

Secrets
    The API token and the bearer never appear in an exception message or ``to_dict()``: every error
    is scrubbed of them (and of their basic-auth base64 forms) before it leaves the client.
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
import socket
import stat
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
BEARER_REFRESH_SHARE = 0.25     # ... or less than this share of the bearer's lifetime, when smaller
RETRY_STATUSES = (500, 502, 503, 504)
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 120.0
RATE_LIMIT_WAIT = 300.0         # seconds one request may spend in all on 429 answers
RATE_LIMIT_MIN_PAUSE = 1.0      # shortest pause after a 429, whatever Retry-After says
RATE_LIMIT_WARN = 5.0           # seconds behind the rate limit in one task after which a warning is given
CONNECT_REFUSED_RETRIES = 2     # retries of a refused connection or an unknown host
READ_CHUNK = 65536
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


class ScalingoResponseError(ScalingoError):
    """An answer below 400 that is not the API's: a redirect (3xx), or a success whose body is not the
    documented JSON. ``outcome_unknown`` is True for a write that may have been processed."""

    fields = ("status", "method", "path", "content_type", "location", "outcome_unknown")

    def __init__(self, message, status=None, method=None, path=None, content_type=None, location=None,
                 outcome_unknown=False):
        super(ScalingoResponseError, self).__init__(message)
        self.status, self.method, self.path = status, method, path
        self.content_type, self.location, self.outcome_unknown = content_type, location, outcome_unknown


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


def jwt_claim(token, name):
    """A numeric claim (``exp``, ``iat``) of a JWT, read unverified; None when absent or unreadable."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        value = jsonlib.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8")).get(name)
        return float(value) if value is not None else None
    except Exception:
        return None


def jwt_expiry(token):
    """Expiry (epoch seconds) read from a JWT's exp claim, unverified; None when absent or unreadable."""
    return jwt_claim(token, "exp")


def refresh_margin(bearer, expires):
    """Seconds before ``expires`` at which ``bearer`` is renewed: BEARER_REFRESH_MARGIN, or a share of the
    bearer's lifetime (``exp - iat``) when that is smaller, so that a short-lived bearer is not renewed
    at every request."""
    issued = jwt_claim(bearer, "iat") if bearer else None
    if issued is None or expires <= issued:
        return BEARER_REFRESH_MARGIN
    return min(BEARER_REFRESH_MARGIN, (expires - issued) * BEARER_REFRESH_SHARE)


def token_error(token, option="api_token"):
    """Error message when ``token`` (already stripped) cannot be an API token; the value is never shown."""
    if not token:
        return None
    if any(not 32 < ord(char) < 127 for char in token):
        return ("%s: the API token holds characters an API token never has (only printable ASCII characters, "
                "no spaces): check its value" % option)
    return None


def basic_secret(secret):
    """The base64 of ``:secret`` (basic auth with an empty user), without padding, as an echo would show it."""
    return base64.b64encode((":" + secret).encode("utf-8")).decode("ascii").rstrip("=")


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


O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class CacheRefused(OSError):
    """The bearer cache folder or file cannot be trusted; the message says why."""


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


def _socket_of(raw):
    """The socket under a urllib3 answer (http.client answer -> buffered reader -> socket IO), or None
    (a mocked answer); used only to bound each read by the time left."""
    fp = getattr(getattr(raw, "_fp", None), "fp", None)
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _exception_chain(exc):
    """``exc`` and every exception it wraps (args, reason, cause, context), each once."""
    seen, stack, found = set(), [exc], []
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, str) or id(item) in seen or not isinstance(item, BaseException):
            continue
        seen.add(id(item))
        found.append(item)
        stack.extend(getattr(item, "args", ()))
        stack.extend((getattr(item, "reason", None), item.__cause__, item.__context__))
    return found


def _connect_failure(exc, timeout):
    """``(kind, reason)`` of a failure to connect: kind is "refused", "name", "timeout" or "other"; the
    reason is a few words, never a library's message."""
    chain = _exception_chain(exc)
    names = [type(item).__name__ for item in chain]
    texts = " ".join(str(item) for item in chain).lower()
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or "connection refused" in texts \
            or "errno 111" in texts:
        return "refused", "connection refused"
    if "NameResolutionError" in names or any(isinstance(item, socket.gaierror) for item in chain) \
            or "name or service not known" in texts or "name resolution" in texts or "nodename nor servname" in texts:
        return "name", "host name not found"
    if isinstance(exc, requests.exceptions.ConnectTimeout) or "ConnectTimeoutError" in names:
        return "timeout", "no answer within %g s" % timeout
    for item in chain:
        if isinstance(item, OSError) and item.strerror:
            return "other", item.strerror.lower()
    return "other", "connection failed"


class ScalingoClient:
    """Client of the Scalingo API v1 (see the module docstring for auth, cache and retry policy)."""

    def __init__(self, api_token, region=DEFAULT_REGION, api_url=None, auth_url=None,
                 validate_certs=True, timeout=30, bearer_cache=True, cache_dir=None,
                 max_retries=5, sleep=time.sleep, session=None, rate_limit_wait=RATE_LIMIT_WAIT):
        if not HAS_REQUESTS:
            raise ScalingoError("the Python library requests is required")
        token = api_token.strip() if isinstance(api_token, str) else api_token
        if not token:
            raise ScalingoError("api_token is required (option api_token or environment variable SCALINGO_API_TOKEN)")
        if token_error(token):
            raise ScalingoError(token_error(token))
        self._token = token
        self.region = region or DEFAULT_REGION
        self._api_url = normalize_base_url(api_url) or None
        self._api_url_given = self._api_url is not None
        self.auth_url = normalize_base_url(auth_url) or DEFAULT_AUTH_URL
        self._auth_url_default = not normalize_base_url(auth_url)
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
        self._secrets = [token, basic_secret(token)]
        if api_token != token:
            self._secrets.insert(0, api_token)
        self._deadline = None   # monotonic deadline of the operation being waited for
        self.rate_limited = 0.0     # seconds spent behind the rate limit (429), every request together
        self._rate_limit_warning = None

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

    def _cache_path(self, folder=None):
        digest = hashlib.sha256((self.auth_url + self._token).encode("utf-8")).hexdigest()
        return os.path.join(folder or self.cache_dir, digest + ".json")

    def _remember(self, bearer, expires):
        self._bearer, self._bearer_expires = bearer, expires
        if bearer not in self._secrets:
            self._secrets.extend((bearer, basic_secret(bearer)))

    @staticmethod
    def _fresh(expires, bearer=None):
        return expires - time.time() > refresh_margin(bearer, expires)

    def bearer(self, rejected=None):
        """A valid bearer: from memory, from the disk cache, or from a new exchange.

        ``rejected`` is a bearer the API refused: it is never returned again.
        """
        if self._bearer and self._bearer != rejected and self._fresh(self._bearer_expires, self._bearer):
            return self._bearer
        if self.bearer_cache:
            try:
                return self._cached_bearer(rejected)
            except (OSError, IOError) as exc:
                reason = exc.args[0] if isinstance(exc, CacheRefused) else (
                    getattr(exc, "strerror", None) or type(exc).__name__)
                self.warnings.append("bearer cache %s not usable (%s); the bearer is kept in memory only"
                                     % (self.cache_dir, reason))
                self.bearer_cache = False
        self._remember(*self._exchange())
        return self._bearer

    def _cache_folder(self):
        """The folder the cache files go to (see the module docstring); CacheRefused when none is safe."""
        folder = self.cache_dir
        created = False
        if not os.path.isdir(folder):
            try:
                os.makedirs(folder, 0o700)
                created = True
            except OSError:
                if not os.path.isdir(folder):  # else another process just created it
                    raise
        uid = os.geteuid()
        info = os.stat(folder)
        if info.st_mode & 0o002 and info.st_mode & stat.S_ISVTX:
            return self._private_subfolder(folder, uid)
        if info.st_uid != uid:
            raise CacheRefused("the folder belongs to another user (uid %d), who could plant a bearer of another "
                               "account; use a folder of your own" % info.st_uid)
        if info.st_mode & 0o022:
            if not created:
                raise CacheRefused("other users may write in the folder (mode %04o), and could plant a bearer of "
                                   "another account; make it 0700" % stat.S_IMODE(info.st_mode))
            os.chmod(folder, 0o700)   # created just now, wider than asked by the umask
        return folder

    @staticmethod
    def _private_subfolder(shared, uid):
        """``scalingo.cloud-<uid>`` in a shared sticky folder: created 0700, else used only when it is a
        folder (not a symbolic link) of this user that nobody else can enter."""
        folder = os.path.join(shared, "scalingo.cloud-%d" % uid)
        try:
            os.mkdir(folder, 0o700)
        except OSError:
            if not os.path.lexists(folder):
                raise
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
            raise CacheRefused("%s is not a private folder of this user (a symbolic link, another owner or a mode "
                               "other than 0700)" % folder)
        return folder

    def _cached_bearer(self, rejected):
        folder = self._cache_folder()
        path = self._cache_path(folder)
        lock_fd = os.open(path[:-5] + ".lock", os.O_RDWR | os.O_CREAT | O_NOFOLLOW, 0o600)
        try:
            if os.fstat(lock_fd).st_uid != os.geteuid():
                raise CacheRefused("the lock file belongs to another user")
            if HAS_FCNTL:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
            cached = self._read_cache(path)
            if cached and cached[0] != rejected and self._fresh(cached[1], cached[0]):
                self._remember(*cached)
                return self._bearer
            self._remember(*self._exchange())
            self._write_cache(path)
            return self._bearer
        finally:
            os.close(lock_fd)  # closing releases the lock

    @staticmethod
    def _read_cache(path):
        """(bearer, expiry) from a cache file that only this user could have written, else None."""
        try:
            fd = os.open(path, os.O_RDONLY | O_NOFOLLOW)
        except OSError:
            return None   # missing, or a symbolic link: exchange and rewrite it
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
                return None   # not written by this client: never trusted, replaced
            with os.fdopen(os.dup(fd), "r") as handle:
                data = jsonlib.load(handle)
            bearer, expires = data["bearer"], float(data["expires_at"])
            if isinstance(bearer, str) and bearer:
                return bearer, expires
        except Exception:
            pass  # corrupt or unreadable: exchange and rewrite it
        finally:
            os.close(fd)
        return None

    def _write_cache(self, path):
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
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

    def request(self, method, path, json=None, params=None, headers=None, retry_safe=None, expect_json=True):
        """Send one API request. Returns ScalingoResponse for < 300, raises ScalingoAPIError for >= 400 and
        ScalingoResponseError for a redirect, or for a body that is not JSON unless ``expect_json`` is False
        (an endpoint documented to answer text).

        ``retry_safe``: None = by method (GET/HEAD are safe); True for writes whose repetition is harmless.
        """
        try:
            url = self.url(path)
            return self._request(method.upper(), url, json, params, headers, retry_safe, True,
                                 expect_json=expect_json)
        except ScalingoError as exc:
            raise exc.scrub(self._secrets)

    def get(self, path, params=None, headers=None, expect_json=True):
        return self.request("GET", path, params=params, headers=headers, expect_json=expect_json)

    def post(self, path, json=None, headers=None, retry_safe=False):
        return self.request("POST", path, json=json, headers=headers, retry_safe=retry_safe)

    def patch(self, path, json=None, params=None, retry_safe=False, headers=None):
        return self.request("PATCH", path, json=json, params=params, headers=headers, retry_safe=retry_safe)

    def put(self, path, json=None, params=None, retry_safe=False, headers=None):
        return self.request("PUT", path, json=json, params=params, headers=headers, retry_safe=retry_safe)

    def delete(self, path, params=None, retry_safe=False, headers=None):
        return self.request("DELETE", path, params=params, headers=headers, retry_safe=retry_safe)

    def _request(self, method, url, json, params, headers, retry_safe, with_bearer, auth=None,
                 service="Scalingo API", expect_json=True):
        """Send with the retry policy; re-exchange the bearer once on a 401."""
        if retry_safe is None:
            retry_safe = method in SAFE_METHODS
        path = urlsplit(url).path or "/"
        reexchanged = False
        retries = 0
        throttled = [0, 0.0, time.monotonic()]   # 429 answers, seconds slept on them, monotonic start
        while True:
            bearer = self.bearer() if with_bearer else None
            response, retries = self._send(method, url, path, json, params, headers,
                                           _BearerAuth(bearer) if bearer else auth, retry_safe, retries, service)
            status = response.status_code
            if status < 300:
                return self._success(response, method, path, service, retry_safe, expect_json)
            if status < 400:
                raise self._redirect_error(response, method, path, service, retry_safe)
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
                                  waited=self._spent(throttled))

    def _check_hint(self, service):
        if service == "Scalingo auth service":
            hint = "check auth_url or SCALINGO_AUTH_URL"
            if self._api_url_given and self._auth_url_default:
                hint += ("; api_url is set but auth_url is left at its default %s: auth_url (SCALINGO_AUTH_URL) "
                         "is probably missing" % DEFAULT_AUTH_URL)
            return hint
        return "check api_url or SCALINGO_API_URL"

    def _success(self, response, method, path, service, retry_safe, expect_json=True):
        """The ScalingoResponse of an answer below 300; ScalingoResponseError when a body is there but is
        not JSON (every API answer with a body is JSON) and ``expect_json``."""
        answer = ScalingoResponse.from_requests(response)
        if expect_json and answer.json is None and (answer.text or "").strip() and method != "HEAD":
            ctype = response.headers.get("Content-Type") or "none"
            message = ("%s answered %s %s with %d and a body that is not JSON (content type %s, %d bytes: %r); "
                       "a proxy or a captive portal may stand between this host and the API: %s"
                       % (service, method, path, response.status_code, ctype, len(response.content or b""),
                          _shorten(answer.text, 60), self._check_hint(service)))
            if not retry_safe:
                message += ("; the request may have been processed: check the app with "
                            "scalingo.cloud.scalingo_app_info before retrying")
            raise ScalingoResponseError(message, response.status_code, method, path, ctype,
                                        outcome_unknown=not retry_safe)
        return answer

    def _redirect_error(self, response, method, path, service, retry_safe):
        location = response.headers.get("Location") or ""
        try:
            parts = urlsplit(location)
            where = parts.netloc.rpartition("@")[2] if parts.netloc else None
        except ValueError:
            where = None
        target = ("to %s" % where) if where else ("to %r on the same host" % _shorten(location, 80)) if location \
            else "without a location"
        message = ("%s answered %s %s with a redirect (%d) %s; redirects are not followed, so that the bearer "
                   "goes to no other host: %s" % (service, method, path, response.status_code, target,
                                                  self._check_hint(service)))
        if not retry_safe:
            message += "; the request may have been processed: check the app with scalingo.cloud.scalingo_app_info"
        return ScalingoResponseError(message, response.status_code, method, path,
                                     response.headers.get("Content-Type"), where or location or None,
                                     outcome_unknown=not retry_safe)

    def _send(self, method, url, path, json, params, headers, auth, retry_safe, retries, service="Scalingo API"):
        """One HTTP exchange, repeated on network failures when allowed; returns (response, retries)."""
        while True:
            self.request_count += 1
            try:
                deadline = time.monotonic() + self.timeout
                response = self.session.request(method, url, json=json, params=params, headers=headers, auth=auth,
                                                timeout=self.timeout, verify=self.validate_certs,
                                                allow_redirects=False, stream=True)
                self._read_body(response, deadline)
                return response, retries
            except requests.exceptions.SSLError as exc:
                raise ScalingoConnectionError(
                    "TLS error on %s %s: %s; check the CA certificates (validate_certs=false skips the check)"
                    % (method, path, _shorten(str(exc), 200)), method, path)
            except NETWORK_ERRORS as exc:
                nothing_sent = _nothing_sent(exc)
                kind = _connect_failure(exc, self.timeout)[0] if nothing_sent else None
                limit = CONNECT_REFUSED_RETRIES if kind in ("refused", "name") else self.max_retries
                if (nothing_sent or retry_safe) and retries < limit and self._pause(retries):
                    retries += 1
                    continue
                if nothing_sent:
                    raise self._connect_error(exc, url, method, path, service)
                raise self._network_error(exc, method, path, retry_safe, retries)
            except requests.exceptions.RequestException as exc:
                raise ScalingoConnectionError("%s %s could not be sent: %s" % (method, path, _shorten(str(exc), 200)),
                                              method, path)

    def _read_body(self, response, deadline):
        """Read the body of a streamed answer before ``deadline`` (monotonic): one piece at a time, each read
        bounded by the time left, so that a trickled body cannot outlast ``timeout``."""
        raw = response.raw
        read = getattr(raw, "read1", None) or raw.read
        sock = _socket_of(raw)
        chunks = []
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise requests.exceptions.ReadTimeout(
                        "the answer did not arrive in full within %g s (timeout)" % self.timeout)
                if sock is not None:
                    try:
                        sock.settimeout(remaining)
                    except OSError:
                        pass
                try:
                    chunk = read(READ_CHUNK)
                except requests.exceptions.RequestException:
                    raise
                except Exception as exc:
                    name = type(exc).__name__
                    if isinstance(exc, socket.timeout) or "Timeout" in name:
                        raise requests.exceptions.ReadTimeout(
                            "the answer did not arrive in full within %g s (timeout)" % self.timeout)
                    if "Decode" in name:
                        raise requests.exceptions.ContentDecodingError(exc)
                    raise requests.exceptions.ChunkedEncodingError(exc)
                if not chunk:
                    break
                chunks.append(chunk)
        except Exception:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
        release = getattr(raw, "release_conn", None)
        if release is not None:
            release()

    def _connect_error(self, exc, url, method, path, service):
        """Nothing could be sent: ``cannot connect to <base> (<reason>); check <option>``, whole."""
        parts = urlsplit(url)
        where = "%s://%s" % (parts.scheme, parts.netloc.rpartition("@")[2])
        reason = _connect_failure(exc, self.timeout)[1]
        return ScalingoConnectionError("cannot connect to %s (%s); %s" % (where, reason, self._check_hint(service)),
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

    @staticmethod
    def _spent(throttled):
        """Seconds a request has spent since it was first sent (monotonic), or its pauses behind the rate
        limit when they are longer (a clock that does not advance in tests)."""
        return max(throttled[1], time.monotonic() - throttled[2])

    def _pause_rate_limited(self, throttled, retry_after):
        """Sleep before sending a request refused with 429 again; ``throttled`` is ``[refusals, seconds
        slept, monotonic time of the first send]`` of the request, updated. The pause is Retry-After when
        it says 1 s or more, else the backoff (1 s at least). False, without sleeping, when the time spent
        since the first send plus the pause would pass rate_limit_wait, or when the deadline of
        wait_for_operation has passed (the wait never goes beyond it)."""
        seconds = _retry_after(retry_after)
        if seconds is None or seconds < RATE_LIMIT_MIN_PAUSE:
            seconds = max(RATE_LIMIT_MIN_PAUSE, self._delay(throttled[0]))
        if self._spent(throttled) + seconds > self.rate_limit_wait:
            return False
        slept = self._sleep_until_deadline(seconds)
        if slept is None:
            return False
        throttled[0] += 1
        throttled[1] += slept
        self._note_rate_limited(slept)
        return True

    def _note_rate_limited(self, seconds):
        """Count the time spent behind the rate limit; past RATE_LIMIT_WARN seconds, one warning (kept up to
        date with the total until the module flushes it)."""
        self.rate_limited += seconds
        if self.rate_limited <= RATE_LIMIT_WARN:
            return
        text = ("%.0f s were spent waiting behind the API rate limit (429 answers; 60 requests per minute per "
                "API token): fewer tasks or forks sharing the token at once make runs faster" % self.rate_limited)
        if self._rate_limit_warning in self.warnings:
            self.warnings[self.warnings.index(self._rate_limit_warning)] = text
        elif self._rate_limit_warning is None:
            self.warnings.append(text)
        self._rate_limit_warning = text

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
        flat meta.next_page), stopping when next_page is null or names a page already read.
        ScalingoError when the API still names a next page after MAX_PAGES pages (never a silent cut)."""
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
        raise ScalingoError("GET %s: the API still named a next page after %d pages; the list was not read to its "
                            "end (its pagination never ends)" % (urlsplit(self.url(path)).path, MAX_PAGES))

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

    def _operation_gone(self, url, operation):
        """The operation answered 404 while followed: the request that started it was accepted, so the
        outcome is reported as unknown (a warning), not as a failure of a request that was processed."""
        path = urlsplit(url).path
        known = dict(operation or {})
        known.setdefault("id", path.rstrip("/").rsplit("/", 1)[-1])
        known["status"] = "unknown"
        self.warnings.append("operation %s answered 404 while it was followed (GET %s): the request that started it "
                             "was accepted, but whether it ended well is not known; check the app with "
                             "scalingo.cloud.scalingo_app_info" % (known["id"], path))
        return known

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
                except ScalingoAPIError as exc:
                    if exc.status == 404:
                        return self._operation_gone(url, operation)
                    if operation is None or time.monotonic() < deadline:
                        raise
                    body = {"operation": operation}   # the last poll failed at the deadline
                except ScalingoConnectionError:
                    if operation is None or time.monotonic() < deadline:
                        raise
                    body = {"operation": operation}   # the last poll failed at the deadline
                if not isinstance(body, dict):
                    raise ScalingoResponseError("the Scalingo API answered the operation poll GET %s with JSON that "
                                                "is not an operation" % urlsplit(url).path, 200, "GET",
                                                urlsplit(url).path)
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
