# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.scalingo.cloud.plugins.modules import scalingo_domain

crypto = pytest.importorskip("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

APP = "my-app"
PATH = "/apps/my-app/domains"
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def cert_pem(key, cn="shop.example.com", days=90):
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(START)
            .not_valid_after(START + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def pair():
    key = make_key()
    return key, key_pem(key)


def domain(**fields):
    base = dict(id="dom-1", name="shop.example.com", ssl=False, canonical=False, letsencrypt_enabled=True,
                letsencrypt=False, letsencrypt_status="pending_dns")
    base.update(fields)
    return base


def with_cert(days=90, **fields):
    values = dict(ssl=True, tlscert="/C=FR/CN=shop.example.com", tlskey="EC private key - 256 bytes",
                  validity=(START + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000+00:00"),
                  letsencrypt_enabled=False)
    values.update(fields)
    return domain(**values)


def listing(api, *domains):
    api.add("GET", PATH, json={"domains": list(domains)})


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault("name", "shop.example.com")
    return run_module(scalingo_domain, dict(app=APP, **args), check_mode=check_mode, diff=diff)


def assert_no_key(result, pem):
    text = json.dumps(result)
    for line in pem.splitlines()[1:-1]:
        assert line not in text


@pytest.mark.parametrize("name", ["example", "-a.example.com", "a_b.example.com", "a..example.com",
                                  "x" * 64 + ".com", "*.*.example.com", "shop.example.com."])
def test_invalid_names_are_refused_before_any_request(api, run_module, name):
    result = run(run_module, name=name)
    assert result["failed"]
    assert result["msg"].startswith("name: %r is not a valid domain name: a host name" % name)
    assert api.all_calls() == []


def test_certificate_that_does_not_parse(api, run_module, pair):
    result = run(run_module, tls_cert="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                 tls_key=pair[1])
    assert result["failed"] and result["msg"] == "tls_cert: the PEM certificate does not parse"
    assert api.all_calls() == []
    result = run(run_module, tls_cert="hello", tls_key=pair[1])
    assert result["msg"].startswith("tls_cert: not a PEM certificate")


def test_key_that_does_not_match_is_refused_without_showing_it(api, run_module, pair):
    other = key_pem(make_key())
    result = run(run_module, tls_cert=cert_pem(pair[0]), tls_key=other)
    assert result["failed"]
    assert result["msg"].startswith("tls_key: the private key does not match the certificate given in tls_cert")
    assert_no_key(result, other)
    assert api.all_calls() == []
    result = run(run_module, tls_cert=cert_pem(pair[0]), tls_key="-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----")
    assert result["msg"] == "tls_key: not a PEM private key, or one that does not parse"


def test_cert_without_key(api, run_module, pair):
    result = run(run_module, tls_cert=cert_pem(pair[0]))
    assert result["failed"] and "tls_cert, tls_key" in result["msg"]
    assert api.all_calls() == []


def test_add_with_letsencrypt(api, run_module):
    listing(api)
    api.add("POST", PATH, status=201, json={"domain": domain(acme_dns_fqdn="_acme-challenge.shop.example.com",
                                                             acme_dns_value="abc")})
    result = run(run_module, canonical=True)
    assert result["changed"]
    calls = api.calls()
    assert [(c.method, c.path, c.json) for c in calls] == [
        ("GET", "/v1" + PATH, None),
        ("POST", "/v1" + PATH, {"domain": {"canonical": True, "name": "shop.example.com"}})]
    assert calls[1].headers["Authorization"] == "Bearer " + api.bearer
    assert result["scalingo_domain"] == {
        "id": "dom-1", "name": "shop.example.com", "canonical": False, "letsencrypt_enabled": True,
        "letsencrypt": False, "letsencrypt_status": "pending_dns", "ssl": False, "ssl_status": None,
        "certificate_subject": None, "certificate_validity": None,
        "acme_dns_fqdn": "_acme-challenge.shop.example.com", "acme_dns_value": "abc", "acme_dns_error": None}


def test_name_compared_without_case_and_no_op_is_one_get(api, run_module):
    listing(api, domain(canonical=True))
    result = run(run_module, name="Shop.Example.com", canonical=True, letsencrypt=True)
    assert not result["changed"]
    assert [c.method for c in api.calls()] == ["GET"]


def test_add_with_certificate_sends_it_and_never_returns_the_key(api, run_module, pair):
    cert = cert_pem(pair[0])
    listing(api)
    api.add("POST", PATH, status=201, json={"domain": with_cert()})
    result = run(run_module, tls_cert=cert, tls_key=pair[1], letsencrypt=False, diff=True)
    assert result["changed"]
    assert api.calls()[1].json == {"domain": {"name": "shop.example.com", "letsencrypt_enabled": False,
                                              "tlscert": cert, "tlskey": pair[1]}}
    assert result["scalingo_domain"]["certificate_subject"] == "/C=FR/CN=shop.example.com"
    assert result["scalingo_domain"]["certificate_validity"] == "2026-04-01T00:00:00.000+00:00"
    assert result["diff"]["before"] == {}
    assert_no_key(result, pair[1])


def test_same_certificate_is_idempotent(api, run_module, pair):
    listing(api, with_cert())
    result = run(run_module, tls_cert=cert_pem(pair[0]), tls_key=pair[1], letsencrypt=False)
    assert not result["changed"]
    assert [c.method for c in api.calls()] == ["GET"]


def test_validity_in_another_time_zone_is_the_same(api, run_module, pair):
    listing(api, with_cert(validity="2026-04-01T02:00:00.000+02:00"))
    result = run(run_module, tls_cert=cert_pem(pair[0]), tls_key=pair[1])
    assert not result["changed"]


def test_renewed_certificate_is_sent_once(api, run_module, pair):
    renewed = cert_pem(pair[0], days=180)
    listing(api, with_cert())
    api.add("PATCH", PATH + "/dom-1", json={"domain": with_cert(days=180)})
    result = run(run_module, tls_cert=renewed, tls_key=pair[1], diff=True)
    assert result["changed"]
    assert [(c.method, c.path, c.json) for c in api.calls()][1] == (
        "PATCH", "/v1" + PATH + "/dom-1", {"domain": {"tlscert": renewed, "tlskey": pair[1]}})
    assert result["diff"]["before"]["certificate_validity"] == "2026-04-01T00:00:00.000+00:00"
    assert result["diff"]["after"]["certificate_validity"] == "2026-06-30T00:00:00.000+00:00"
    assert_no_key(result, pair[1])


def test_other_subject_is_an_update(api, run_module, pair):
    listing(api, with_cert(tlscert="/C=FR/CN=old.example.com"))
    result = run(run_module, tls_cert=cert_pem(pair[0]), tls_key=pair[1], check_mode=True)
    assert result["changed"] and [c.method for c in api.calls()] == ["GET"]
    assert result["scalingo_domain"]["certificate_subject"] == "/C=FR/CN=shop.example.com"
    assert result["scalingo_domain"]["certificate_validity"] == "2026-04-01T00:00:00Z"


def test_update_sends_only_what_differs(api, run_module):
    listing(api, domain(canonical=True))
    api.add("PATCH", PATH + "/dom-1", json={"domain": domain(canonical=True, letsencrypt_enabled=False)})
    result = run(run_module, canonical=True, letsencrypt=False)
    assert result["changed"]
    assert api.calls()[1].json == {"domain": {"letsencrypt_enabled": False}}


def test_check_mode_sends_no_write(api, run_module):
    listing(api)
    result = run(run_module, canonical=True, check_mode=True, diff=True)
    assert result["changed"] and [c.method for c in api.calls()] == ["GET"]
    assert result["scalingo_domain"]["id"] is None and result["scalingo_domain"]["canonical"] is True
    assert result["diff"]["after"]["name"] == "shop.example.com"


def test_21st_domain_is_refused_before_any_write(api, run_module):
    listing(api, *[domain(id="d%d" % i, name="d%d.example.com" % i) for i in range(20)])
    result = run(run_module)
    assert result["failed"]
    assert result["msg"].startswith("name: app my-app already has 20 domains, the most an app may have")
    assert [c.method for c in api.calls()] == ["GET"]


def test_missing_app_in_check_mode_reports_the_prediction(api, run_module):
    api.add("GET", PATH, status=404, json={"resource": "app", "error": "not found"})
    result = run(run_module, check_mode=True)
    assert result["changed"] and not result["failed"]
    assert "does not exist (yet)" in result["warnings"][0]
    result = run(run_module)
    assert result["failed"] and result["failure"]["status"] == 404


def test_absent_removes_then_changes_nothing(api, run_module):
    listing(api, domain())
    api.add("DELETE", PATH + "/dom-1", status=204, body="")
    result = run(run_module, state="absent")
    assert result["changed"] and result["scalingo_domain"] == {}
    assert [(c.method, c.path) for c in api.calls()][1] == ("DELETE", "/v1" + PATH + "/dom-1")


def test_absent_when_missing(api, run_module):
    listing(api)
    result = run(run_module, state="absent")
    assert not result["changed"] and [c.method for c in api.calls()] == ["GET"]


def test_api_refusal_is_a_structured_failure(api, run_module):
    listing(api)
    api.add("POST", PATH, status=422, json={"errors": {"name": ["has already been taken"]}})
    result = run(run_module)
    assert result["failed"]
    assert result["failure"]["errors"] == {"name": ["has already been taken"]}


def test_wait_for_certificate_polls_until_created(api, run_module, clock):
    listing(api)
    api.add("POST", PATH, status=201, json={"domain": domain()})
    api.add("GET", PATH + "/dom-1", json={"domain": domain(letsencrypt_status="new")})
    api.add("GET", PATH + "/dom-1", json={"domain": domain(letsencrypt_status="created", letsencrypt=True)})
    result = run(run_module, wait_for_certificate=True, poll_interval=3)
    assert result["scalingo_domain"]["letsencrypt_status"] == "created"
    assert [c.method for c in api.calls()] == ["GET", "POST", "GET", "GET"]
    assert clock.sleeps == [3, 3]


def test_wait_for_certificate_times_out_naming_the_record(api, run_module, clock):
    listing(api, domain(letsencrypt_status="dns_required", acme_dns_fqdn="_acme-challenge.x.example.com",
                        acme_dns_value="v4lue"))
    api.add("GET", PATH + "/dom-1", json={"domain": domain(letsencrypt_status="dns_required",
                                                           acme_dns_fqdn="_acme-challenge.x.example.com",
                                                           acme_dns_value="v4lue")})
    result = run(run_module, wait_for_certificate=True, poll_interval=4, wait_timeout=10)
    assert result["failed"]
    assert "has not issued the certificate yet (letsencrypt_status dns_required)" in result["msg"]
    assert "TXT record _acme-challenge.x.example.com = v4lue" in result["msg"]
    assert clock.sleeps == [4, 4, 2]


def test_wait_for_certificate_fails_on_error(api, run_module, clock):
    listing(api, domain(letsencrypt_status="error"))
    result = run(run_module, wait_for_certificate=True)
    assert result["failed"] and "Let's Encrypt could not issue the certificate" in result["msg"]
    assert clock.sleeps == []


def test_no_wait_with_wait_false(api, run_module, clock):
    listing(api, domain())
    result = run(run_module, wait_for_certificate=True, wait=False)
    assert not result["changed"] and [c.method for c in api.calls()] == ["GET"]
