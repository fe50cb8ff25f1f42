# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Domains of an app (``/apps/{app}/domains``): name rules, the local certificate, comparison and waiting.

The API never returns a certificate, only its subject (``tlscert``) and validity (``validity``, its end);
a certificate given to a module is parsed locally with ``cryptography`` and compared on those two.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re
import time
import traceback

from ansible_collections.scalingo.cloud.plugins.module_utils.apps import app_path
from ansible_collections.scalingo.cloud.plugins.module_utils.client import ScalingoError, ScalingoTimeoutError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

MAX_DOMAINS = 20
DOMAIN_RULE = ("a host name of at least two labels (optionally starting with '*.' for a wildcard), each label 1 to "
               "63 letters, digits and hyphens, no hyphen at either end, 253 characters at most")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(r"(\*\.)?%s(\.%s)+" % (_LABEL, _LABEL))
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
# Short names of the subject attributes, as the API shows a subject (/C=FR/O=.../CN=example.com)
_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.5": "serialNumber", "2.5.4.9": "street", "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.25": "DC",
}
_LONG_NAMES = {"COMMONNAME": "CN", "COUNTRYNAME": "C", "LOCALITYNAME": "L", "STATEORPROVINCENAME": "ST",
               "ORGANIZATIONNAME": "O", "ORGANIZATIONALUNITNAME": "OU", "EMAIL": "EMAILADDRESS",
               "E": "EMAILADDRESS", "S": "ST"}

# letsencrypt_status values that will not become ``created`` without a change
LETSENCRYPT_ISSUED = "created"
LETSENCRYPT_FAILED = "error"

RESULT_KEYS = ("id", "name", "canonical", "letsencrypt_enabled", "letsencrypt", "letsencrypt_status", "ssl",
               "ssl_status", "certificate_subject", "certificate_validity", "acme_dns_fqdn", "acme_dns_value",
               "acme_dns_error")
DIFF_KEYS = ("name", "canonical", "letsencrypt_enabled", "certificate_subject", "certificate_validity")


def domains_path(app, domain_id=None):
    path = app_path(app) + "/domains"
    return path + "/" + domain_id if domain_id else path


def normalize_name(name):
    return name.lower() if isinstance(name, str) else name


def domain_name_error(name, option="name"):
    """Error message when ``name`` is not a domain name the platform accepts."""
    value = normalize_name(name)
    if isinstance(value, str) and len(value) <= 253 and _DOMAIN.fullmatch(value):
        return None
    return "%s: %r is not a valid domain name: %s" % (option, name, DOMAIN_RULE)


# ----------------------------------------------------------------------------- local certificate

class CertificateError(ValueError):
    """A certificate or key that cannot be used; the message names the option, never the key."""


def _subject(name):
    return "".join("/%s=%s" % (_SHORT_NAMES.get(a.oid.dotted_string, a.oid.dotted_string), a.value)
                   for rdn in name.rdns for a in rdn)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=_UTC)
    return value


def _not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_before.replace(tzinfo=_UTC)
    return value


class _Utc(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return "UTC"


_UTC = _Utc()


def iso_utc(value):
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_certificate(cert_text, key_text, cert_option="tls_cert", key_option="tls_key"):
    """{subject, not_before, not_after} of the certificate (the first of a chain), after checking that the key
    is its key. Raises CertificateError naming the option (never showing the key)."""
    match = _PEM_CERT.search(cert_text or "")
    if match is None:
        raise CertificateError("%s: not a PEM certificate (expected a -----BEGIN CERTIFICATE----- block)"
                               % cert_option)
    try:
        cert = x509.load_pem_x509_certificate(match.group(0).encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise CertificateError("%s: the PEM certificate does not parse" % cert_option)
    if not key_text:
        raise CertificateError("%s: give the private key of the certificate given in %s" % (key_option, cert_option))
    try:
        key = serialization.load_pem_private_key(key_text.encode("utf-8"), password=None)
    except TypeError:
        raise CertificateError("%s: the private key is encrypted; give it without a passphrase" % key_option)
    except (ValueError, UnicodeEncodeError):
        raise CertificateError("%s: not a PEM private key, or one that does not parse" % key_option)
    except Exception:  # pylint: disable=broad-except  # unsupported key types
        raise CertificateError("%s: the private key cannot be read" % key_option)
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise CertificateError("%s: the private key does not match the certificate given in %s (it is not the key "
                               "the certificate was issued for)" % (key_option, cert_option))
    return dict(subject=_subject(cert.subject), not_before=iso_utc(_not_before(cert)),
                not_after=iso_utc(_not_after(cert)), expired=_not_after(cert) < datetime.datetime.now(_UTC))


def subject_pairs(subject):
    """Sorted (NAME, value) pairs of a subject written /C=FR/CN=x (OpenSSL) or CN=x,C=FR (RFC 4514)."""
    if not subject:
        return []
    text = subject.strip()
    parts = re.split(r"(?<!\\)/", text[1:]) if text.startswith("/") else re.split(r"(?<!\\),\s*", text)
    pairs = []
    for part in parts:
        if "=" not in part:
            continue
        name, value = part.split("=", 1)
        name = name.strip().upper()
        pairs.append((_LONG_NAMES.get(name, name), value.strip()))
    return sorted(pairs)


def parse_time(value):
    """Seconds since the epoch of an ISO 8601 date the API gives (2015-08-05T19:57:21.000+02:00, ...Z), or None."""
    if not isinstance(value, str):
        return None
    match = re.match(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?$", value.strip())
    if match is None:
        return None
    parts = [int(p) for p in match.groups()[:6]]
    moment = datetime.datetime(*parts, tzinfo=_UTC)
    zone = match.group(7)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - datetime.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds()


def certificate_matches(domain, local):
    """Whether the domain already uses the certificate described by ``local`` (subject and end of validity)."""
    if not domain.get("ssl"):
        return False
    if subject_pairs(domain.get("tlscert")) != subject_pairs(local["subject"]):
        return False
    current, wanted = parse_time(domain.get("validity")), parse_time(local["not_after"])
    return current is not None and wanted is not None and abs(current - wanted) < 1


# ----------------------------------------------------------------------------- API objects

def domain_result(domain):
    """The module's view of an API domain: RESULT_KEYS, never a key."""
    custom = bool(domain.get("ssl")) or bool(domain.get("letsencrypt"))
    result = dict((key, domain.get(key)) for key in RESULT_KEYS)
    result["certificate_subject"] = domain.get("tlscert") if custom else None
    result["certificate_validity"] = domain.get("validity") if custom else None
    result["acme_dns_error"] = domain.get("acme_dns_error") or None
    result["acme_dns_fqdn"] = domain.get("acme_dns_fqdn") or None
    result["acme_dns_value"] = domain.get("acme_dns_value") or None
    return result


def find_domain(domains, name):
    name = normalize_name(name)
    for domain in domains:
        if normalize_name(domain.get("name")) == name:
            return domain
    return None


def list_domains(client, app):
    return (client.get(domains_path(app)).json or {}).get("domains") or []


def wait_for_certificate(client, app, domain, timeout, interval):
    """Poll the domain until Let's Encrypt has issued its certificate (``letsencrypt_status`` ``created``).

    Polls at most once per ``interval`` and stops at the deadline; raises ScalingoTimeoutError when the time is
    up and ScalingoError when Let's Encrypt reports an error."""
    deadline = time.monotonic() + timeout
    while True:
        status = domain.get("letsencrypt_status")
        if status == LETSENCRYPT_ISSUED:
            return domain
        if status == LETSENCRYPT_FAILED:
            raise ScalingoError("domain %s of app %s: Let's Encrypt could not issue the certificate (letsencrypt_status "
                                "error%s)" % (domain.get("name"), app, _acme_hint(domain)))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ScalingoTimeoutError(
                "domain %s of app %s: Let's Encrypt has not issued the certificate yet (letsencrypt_status %s) after "
                "%g s (wait_timeout)%s; the platform goes on trying: run the task again later"
                % (domain.get("name"), app, status, timeout, _acme_hint(domain)))
        client.sleep(min(interval, remaining))
        domain = (client.get(domains_path(app, domain["id"])).json or {}).get("domain") or domain


def _acme_hint(domain):
    if domain.get("acme_dns_fqdn") and domain.get("acme_dns_value"):
        return "; the DNS needs the TXT record %s = %s" % (domain["acme_dns_fqdn"], domain["acme_dns_value"])
    if domain.get("letsencrypt_status") == "pending_dns":
        return "; the domain must point to the app (CNAME or A record) first"
    return ""
