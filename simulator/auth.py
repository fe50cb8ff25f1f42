"""The authentication service: API tokens, their exchange for bearer tokens (JWT, HS256)."""

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import time

from .catalog import ApiError, user_id, user_object

DEFAULT_TOKEN = "tk-us-simulator-default-token"
DEFAULT_EMAIL = "user@example.com"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unauthorized(message):
    return ApiError(401, {"error": message})


def parse_basic(header):
    """(user, password) of a `Basic` Authorization header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, dummy, password = decoded.partition(":")
    return user, password


def token_fingerprint(token):
    """What stands for an API token in bearers, logs and rate-limit windows (never the token)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


class Authority:
    """Accepted API tokens and the bearers issued for them. Thread-safe."""

    def __init__(self, tokens, config):
        self._lock = threading.Lock()
        self._secret = os.urandom(32)
        self.tokens = dict(tokens)          # api token -> email
        self.config = config                # its bearer_lifetime is read at each exchange
        self._bearers = {}                  # jti -> record

    def add_token(self, token, email):
        with self._lock:
            self.tokens[token] = email

    def default_email(self):
        with self._lock:
            return next(iter(self.tokens.values()), DEFAULT_EMAIL)

    def exchange(self, authorization):
        """The bearer for the API token of a basic-auth header (empty user, token as password)."""
        credentials = parse_basic(authorization)
        if credentials is None:
            raise unauthorized("no authentication token provided")
        token = credentials[1]
        with self._lock:
            email = self.tokens.get(token)
            if email is None:
                raise unauthorized("invalid token")
            now = int(time.time())
            jti = os.urandom(12).hex()
            claims = {"iss": "scalingo-api-simulator", "sub": user_id(email), "uuid": user_id(email),
                      "email": email, "iat": now, "exp": now + int(self.config.bearer_lifetime), "jti": jti,
                      "tid": token_fingerprint(token)}
            bearer = self._sign(claims)
            self._bearers[jti] = {"token": bearer, "email": email, "issued_at": now,
                                  "expires_at": claims["exp"], "revoked": False}
        return bearer

    def _sign(self, claims):
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = (head + "." + body).encode("ascii")
        return head + "." + body + "." + _b64(hmac.new(self._secret, signing_input, hashlib.sha256).digest())

    def verify(self, bearer):
        """Claims of a valid bearer; ApiError 401 for a forged, unknown, revoked or expired one."""
        parts = bearer.split(".") if bearer else []
        if len(parts) != 3:
            raise unauthorized("invalid token")
        expected = hmac.new(self._secret, (parts[0] + "." + parts[1]).encode("ascii"), hashlib.sha256).digest()
        try:
            signature_ok = hmac.compare_digest(_unb64(parts[2]), expected)
            claims = json.loads(_unb64(parts[1])) if signature_ok else None
        except (binascii.Error, ValueError):
            claims = None
        if not isinstance(claims, dict):
            raise unauthorized("invalid token")
        with self._lock:
            record = self._bearers.get(claims.get("jti"))
        if record is None:
            raise unauthorized("invalid token")
        if record["revoked"] or claims.get("exp", 0) <= time.time():
            raise unauthorized("token has expired")
        return claims

    def user_from_header(self, authorization):
        """(email, token fingerprint) of an `Authorization: Bearer` header."""
        if not authorization:
            raise unauthorized("not authenticated")
        scheme, dummy, value = authorization.partition(" ")
        if scheme.lower() == "basic":
            return self._user_from_api_token(authorization)
        if scheme.lower() != "bearer":
            raise unauthorized("invalid authentication scheme, a bearer token is expected")
        claims = self.verify(value.strip())
        return claims["email"], claims["tid"]

    def _user_from_api_token(self, authorization):
        """The earlier revision of the API (global.older.md): basic auth with the API token itself."""
        credentials = parse_basic(authorization)
        with self._lock:
            email = self.tokens.get(credentials[1]) if credentials else None
        if email is None:
            raise unauthorized("invalid token")
        return email, token_fingerprint(credentials[1])

    def user_from_basic_bearer(self, authorization):
        """Email of the one-off attach credentials: basic auth, empty user, bearer as password."""
        credentials = parse_basic(authorization)
        if credentials is None:
            raise unauthorized("not authenticated")
        return self.verify(credentials[1])["email"]

    def bearers(self):
        now = time.time()
        with self._lock:
            return [{"token": r["token"], "user": r["email"], "issued_at": r["issued_at"],
                     "expires_at": r["expires_at"], "expired": r["revoked"] or r["expires_at"] <= now}
                    for r in self._bearers.values()]

    def expire_all(self):
        with self._lock:
            for record in self._bearers.values():
                record["revoked"] = True
            return len(self._bearers)

    @staticmethod
    def user(email):
        return dict(user_object(email), flags={})
