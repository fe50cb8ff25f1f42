"""Domains and their certificates (reference/scalingo_api/domains.md). Standard library only; see families.py for the interface.

A custom certificate is parsed (PEM or base64 DER, a small DER walker) for its subject and validity, which
is all that reads return; its key is checked against it (RSA modulus, EC public point) and described as
"RSA private key - 2048 bytes", never kept. Let's Encrypt statuses progress over `letsencrypt_duration`
seconds (`pending_dns` for the first half, `new` for the second, then `created`, or `error` with
`letsencrypt_fails`); wildcard domains are `dns_required` until then. The ACME DNS record
(`acme_dns_fqdn`, `acme_dns_value`) is shown while the certificate is not issued.
"""

import base64
import binascii
import calendar
import hashlib
import re
import time

from .catalog import invalid, iso, new_id, not_found
from .web import Response

CONFIG = {
    "letsencrypt_duration": (float, 2.0),   # seconds until a Let's Encrypt certificate is `created`
    "letsencrypt_fails": (bool, False),     # Let's Encrypt ends in `error` instead
}

MAX_DOMAINS = 20
LETSENCRYPT_DAYS = 90

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(r"(\*\.)?%s(\.%s)+" % (_LABEL, _LABEL))
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)

_NAMES = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
          "2.5.4.5": "serialNumber", "2.5.4.9": "street", "1.2.840.113549.1.9.1": "emailAddress",
          "0.9.2342.19200300.100.1.25": "DC"}
_RSA = "1.2.840.113549.1.1.1"
_EC = "1.2.840.10045.2.1"


class DerError(ValueError):
    pass


# ------------------------------------------------------------------------------------------- DER walker

def _tlv(data, offset):
    """(tag, start of value, end of value) of the element at `offset`."""
    if offset + 2 > len(data):
        raise DerError("truncated")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise DerError("truncated")
    return tag, offset, offset + length


def _children(data, start, end):
    """[(tag, start, end)] of the elements between start and end."""
    items = []
    while start < end:
        tag, value_start, value_end = _tlv(data, start)
        items.append((tag, value_start, value_end))
        start = value_end
    return items


def _expect(item, tag):
    if item[0] != tag:
        raise DerError("unexpected tag %#x" % item[0])
    return item


def _oid(raw):
    if not raw:
        raise DerError("empty OID")
    parts = [raw[0] // 40, raw[0] % 40] if raw[0] < 80 else [2, raw[0] - 80]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _time(tag, raw):
    text = raw.decode("ascii")
    if tag == 0x17:       # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:     # GeneralizedTime YYYYMMDDHHMMSSZ
        raise DerError("not a time")
    if not re.fullmatch(r"\d{14}Z", text):
        raise DerError("unsupported time format")
    return calendar.timegm(time.strptime(text[:14], "%Y%m%d%H%M%S"))


def _name(data, item):
    """'/C=FR/O=.../CN=example.com' of a Name, in the order of the certificate (as the API shows it)."""
    parts = []
    for rdn in _children(data, item[1], item[2]):
        for attribute in _children(data, rdn[1], rdn[2]):
            oid, value = _children(data, attribute[1], attribute[2])[:2]
            text = data[value[1]:value[2]]
            text = text.decode("utf-16-be") if value[0] == 0x1E else text.decode("utf-8", "replace")
            key = _oid(data[oid[1]:oid[2]])
            parts.append("%s=%s" % (_NAMES.get(key, key), text))
    return "".join("/" + p for p in parts)


def _spki(data, item):
    """(algorithm OID, public key bits) of a SubjectPublicKeyInfo."""
    algorithm, bits = _children(data, item[1], item[2])[:2]
    oid = _children(data, algorithm[1], algorithm[2])[0]
    _expect(bits, 0x03)
    return _oid(data[oid[1]:oid[2]]), data[bits[1] + 1:bits[2]]


def _integer(data, item):
    return int.from_bytes(data[item[1]:item[2]], "big")


def _rsa_modulus(der):
    """Modulus of an RSAPublicKey or RSAPrivateKey (PKCS#1)."""
    seq = _expect(_tlv(der, 0), 0x30)
    items = _children(der, seq[1], seq[2])
    return _integer(der, items[0] if len(items) == 2 else items[1])


def _der_blocks(text, kinds):
    """DER bytes of the PEM blocks of the given kinds, or of the whole text read as base64 DER."""
    blocks = [(kind, body) for kind, body in _PEM.findall(text) if kind in kinds]
    if not blocks and "-----" not in text:
        blocks = [(None, text)]
    result = []
    for kind, body in blocks:
        try:
            result.append((kind, base64.b64decode("".join(body.split()), validate=True)))
        except (binascii.Error, ValueError):
            raise DerError("bad base64")
    return result


def parse_certificate(text):
    """{subject, cn, not_before, not_after, algorithm, public_key} of the first certificate of `text`."""
    blocks = _der_blocks(text, ("CERTIFICATE",))
    if not blocks:
        raise DerError("no certificate")
    der = blocks[0][1]
    try:
        cert = _expect(_tlv(der, 0), 0x30)
        tbs = _expect(_children(der, cert[1], cert[2])[0], 0x30)
        fields = _children(der, tbs[1], tbs[2])
        if fields and fields[0][0] == 0xA0:    # explicit version
            fields = fields[1:]
        validity, subject, spki = fields[3], fields[4], fields[5]
        not_before, not_after = _children(der, validity[1], validity[2])[:2]
        algorithm, public_key = _spki(der, spki)
        subject_text = _name(der, _expect(subject, 0x30))
        return {
            "subject": subject_text,
            "cn": (re.findall(r"/CN=([^/]*)", subject_text) or [None])[-1],
            "not_before": _time(not_before[0], der[not_before[1]:not_before[2]]),
            "not_after": _time(not_after[0], der[not_after[1]:not_after[2]]),
            "algorithm": algorithm,
            "public_key": public_key,
        }
    except (IndexError, UnicodeDecodeError, ValueError) as error:
        raise DerError(str(error))


def parse_key(text):
    """(algorithm OID, public part to compare with the certificate or None, size in bits) of a private key."""
    blocks = _der_blocks(text, ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"))
    if not blocks:
        raise DerError("no private key")
    kind, der = blocks[0]
    try:
        if kind == "RSA PRIVATE KEY":
            return _RSA, _rsa_modulus(der), None
        if kind == "EC PRIVATE KEY":
            return _EC, _ec_point(der, _tlv(der, 0)), None
        seq = _expect(_tlv(der, 0), 0x30)
        version, algorithm, key = _children(der, seq[1], seq[2])[:3]
        oid = _children(der, algorithm[1], algorithm[2])[0]
        algorithm_oid = _oid(der[oid[1]:oid[2]])
        inner = der[key[1]:key[2]]
        if algorithm_oid == _RSA:
            return _RSA, _rsa_modulus(inner), None
        if algorithm_oid == _EC:
            return _EC, _ec_point(inner, _tlv(inner, 0)), None
        return algorithm_oid, None, None
    except (IndexError, ValueError) as error:
        raise DerError(str(error))


def _ec_point(der, seq):
    """Public point of an ECPrivateKey (SEC1) when it carries one, else None."""
    for tag, start, end in _children(der, seq[1], seq[2]):
        if tag == 0xA1:
            bits = _expect(_tlv(der, start), 0x03)
            return der[bits[1] + 1:bits[2]]
    return None


def check_pair(cert_text, key_text):
    """The certificate's description, or a 422 naming the field that is wrong."""
    if not isinstance(cert_text, str) or not cert_text.strip():
        raise invalid("tlscert", "can't be blank")
    if not isinstance(key_text, str) or not key_text.strip():
        raise invalid("tlskey", "can't be blank")
    try:
        cert = parse_certificate(cert_text)
    except DerError:
        raise invalid("tlscert", "is invalid: not a PEM certificate")
    try:
        algorithm, public, dummy = parse_key(key_text)
    except DerError:
        raise invalid("tlskey", "is invalid: not a PEM private key")
    if algorithm != cert["algorithm"]:
        raise invalid("tlskey", "doesn't match the certificate")
    if algorithm == _RSA:
        if public != _rsa_modulus(cert["public_key"]):
            raise invalid("tlskey", "doesn't match the certificate")
        bits = public.bit_length()
        cert["key"] = "RSA private key - %d bytes" % bits
    else:
        if public is not None and public != cert["public_key"]:
            raise invalid("tlskey", "doesn't match the certificate")
        cert["key"] = "EC private key - %d bytes" % ((len(cert["public_key"]) - 1) // 2 * 8)
    del cert["public_key"]
    return cert


# ------------------------------------------------------------------------------------------------ state

def _domains(app):
    return app.setdefault("domains", [])


def _find_domain(app, ref):
    ref = (ref or "").lower()
    for domain in _domains(app):
        if domain["id"] == ref or domain["name"] == ref:
            return domain
    raise not_found("domain")


def _letsencrypt_status(sim, domain, now):
    if not domain["letsencrypt_enabled"] or domain["le_started"] is None:
        return None
    elapsed = now - domain["le_started"]
    duration = sim.config.letsencrypt_duration
    if elapsed >= duration:
        return "error" if domain["le_fails"] else "created"
    if domain["name"].startswith("*."):
        return "dns_required"
    return "pending_dns" if elapsed < duration / 2 else "new"


def view(sim, app, domain, now=None):
    now = time.time() if now is None else now
    status = _letsencrypt_status(sim, domain, now)
    cert = domain["cert"]
    out = {
        "id": domain["id"], "app_id": app["id"], "name": domain["name"], "ssl": cert is not None,
        "canonical": domain["canonical"], "letsencrypt_enabled": domain["letsencrypt_enabled"],
        "letsencrypt": cert is None and status == "created",
    }
    if status is not None:
        out["letsencrypt_status"] = status
    if cert is not None:
        out.update({"tlscert": cert["subject"], "tlskey": cert["key"], "validity": iso(cert["not_after"]),
                    "ssl_status": "success"})
    elif status == "created":
        out.update({"tlscert": "/CN=%s" % domain["name"], "tlskey": "EC private key - 256 bytes",
                    "validity": iso(domain["le_started"] + sim.config.letsencrypt_duration + LETSENCRYPT_DAYS * 86400),
                    "ssl_status": "success"})
    elif status is not None:
        out["ssl_status"] = "error" if status == "error" else "pending"
    if status in ("pending_dns", "new", "dns_required", "error"):
        out["acme_dns_fqdn"] = "_acme-challenge.%s" % domain["name"].lstrip("*.")
        out["acme_dns_value"] = domain["acme_value"]
    if status == "error":
        out["acme_dns_error"] = {"dns_provider": "", "variables": []}
    return out


def _bool(payload, key):
    value = payload.get(key)
    if value is not None and not isinstance(value, bool):
        raise invalid(key, "must be a boolean")
    return value


def _certificate(payload, current):
    """The new certificate record (None: removed) or `current` when the payload does not touch it."""
    if "tlscert" not in payload and "tlskey" not in payload:
        return current
    cert, key = payload.get("tlscert"), payload.get("tlskey")
    if cert in ("", None) and key in ("", None):
        return None
    return check_pair(cert, key)


def _set_canonical(app, domain, value):
    if value is None:
        return
    if value:
        for other in _domains(app):
            other["canonical"] = False
    domain["canonical"] = value


def routes(sim):
    store = sim.store
    app_path = r"/v1/apps/(?P<app>[^/]+)/domains"
    one = app_path + r"/(?P<domain>[^/]+)"

    def list_domains(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            now = time.time()
            return Response(200, {"domains": [view(sim, record, d, now) for d in _domains(record)]})

    def show(req, app, domain):
        with store.lock:
            record = store.app_for(req.email, app)
            return Response(200, {"domain": view(sim, record, _find_domain(record, domain))})

    def create(req, app):
        with store.lock:
            record = store.app_for(req.email, app)
            payload = req.payload("domain")
            name = payload.get("name")
            if not isinstance(name, str) or not name:
                raise invalid("name", "can't be blank")
            name = name.lower()
            if not _HOSTNAME.fullmatch(name) or len(name) > 253:
                raise invalid("name", "is invalid")
            if any(d["name"] == name for a in store.apps.values() for d in a.get("domains", ())):
                raise invalid("name", "has already been taken")
            if len(_domains(record)) >= MAX_DOMAINS:
                raise invalid("domains", "an app can have at most %d domains" % MAX_DOMAINS)
            canonical = _bool(payload, "canonical")
            letsencrypt = _bool(payload, "letsencrypt_enabled")
            cert = _certificate(payload, None)
            domain = {"id": new_id(), "name": name, "canonical": False,
                      "letsencrypt_enabled": True if letsencrypt is None else letsencrypt,
                      "cert": cert, "le_started": None, "le_fails": sim.config.letsencrypt_fails,
                      "acme_value": hashlib.sha256(new_id().encode()).hexdigest()[:43]}
            if domain["letsencrypt_enabled"] and cert is None:
                domain["le_started"] = time.time()
            if req.dry_run:
                return Response(201, {"domain": view(sim, record, domain)})
            _set_canonical(record, domain, canonical)
            _domains(record).append(domain)
            store.log(record["id"], "domain %s added" % name, "manager")
            return Response(201, {"domain": view(sim, record, domain)})

    def update(req, app, domain):
        with store.lock:
            record = store.app_for(req.email, app)
            found = _find_domain(record, domain)
            payload = req.payload("domain")
            if "name" in payload and str(payload["name"]).lower() != found["name"]:
                raise invalid("name", "cannot be changed: add another domain and remove this one")
            canonical = _bool(payload, "canonical")
            letsencrypt = _bool(payload, "letsencrypt_enabled")
            cert = _certificate(payload, found["cert"])
            found["cert"] = cert
            _set_canonical(record, found, canonical)
            if letsencrypt is not None:
                found["letsencrypt_enabled"] = letsencrypt
            if not found["letsencrypt_enabled"] or cert is not None:
                if found["letsencrypt_enabled"] is False:
                    found["le_started"] = None
            elif found["le_started"] is None:
                found["le_started"] = time.time()
                found["le_fails"] = sim.config.letsencrypt_fails
            return Response(200, {"domain": view(sim, record, found)})

    def delete(req, app, domain):
        with store.lock:
            record = store.app_for(req.email, app)
            found = _find_domain(record, domain)
            _domains(record).remove(found)
            store.log(record["id"], "domain %s removed" % found["name"], "manager")
            return Response(204)

    return [
        ("GET", app_path, list_domains, "regional"),
        ("POST", app_path, create, "regional"),
        ("GET", one, show, "regional"),
        ("PATCH", one, update, "regional"),
        ("PUT", one, update, "regional"),
        ("DELETE", one, delete, "regional"),
    ]


def admin(sim, req):
    return None
