"""Domains: validation, canonical uniqueness, custom certificates (subject, validity, key check), Let's Encrypt."""

import time

import pytest

pytest.importorskip("cryptography")

from certs import cert_pem, key_pem, make_key  # noqa: E402

PATH = "/v1/apps/example-app/domains"


@pytest.fixture(autouse=True)
def letsencrypt(sim):
    sim.admin("POST", "/_sim/config", {"letsencrypt_duration": 0.4, "letsencrypt_fails": False})


def add(api, name, **fields):
    return api.post(PATH, {"domain": dict(fields, name=name)})


def test_add_list_show_delete(api, sim, app):
    response = add(api, "www.example.com")
    assert response.status_code == 201, response.text
    domain = response.json()["domain"]
    assert {k: domain[k] for k in ("name", "ssl", "canonical", "letsencrypt_enabled", "letsencrypt")} == {
        "name": "www.example.com", "ssl": False, "canonical": False, "letsencrypt_enabled": True,
        "letsencrypt": False}
    assert domain["letsencrypt_status"] == "pending_dns"
    assert domain["acme_dns_fqdn"] == "_acme-challenge.www.example.com" and domain["acme_dns_value"]
    listed = api.get(PATH).json()["domains"]
    assert [d["id"] for d in listed] == [domain["id"]]
    assert api.get(PATH + "/" + domain["id"]).json()["domain"]["name"] == "www.example.com"
    assert api.delete(PATH + "/" + domain["id"]).status_code == 204
    assert api.get(PATH).json()["domains"] == []
    missing = api.get(PATH + "/" + domain["id"])
    assert (missing.status_code, missing.json()) == (404, {"resource": "domain", "error": "not found"})


def test_letsencrypt_progresses_then_created(api, sim, app):
    domain = add(api, "le.example.com").json()["domain"]
    time.sleep(0.25)
    assert api.get(PATH + "/" + domain["id"]).json()["domain"]["letsencrypt_status"] == "new"
    time.sleep(0.25)
    done = api.get(PATH + "/" + domain["id"]).json()["domain"]
    assert (done["letsencrypt_status"], done["letsencrypt"], done["tlscert"]) == ("created", True, "/CN=le.example.com")
    assert "acme_dns_fqdn" not in done


def test_letsencrypt_error_and_wildcard(api, sim, app):
    sim.admin("POST", "/_sim/config", {"letsencrypt_fails": True})
    wildcard = add(api, "*.apps.example.com").json()["domain"]
    assert wildcard["letsencrypt_status"] == "dns_required"
    assert wildcard["acme_dns_fqdn"] == "_acme-challenge.apps.example.com"
    time.sleep(0.45)
    failed = api.get(PATH + "/" + wildcard["id"]).json()["domain"]
    assert failed["letsencrypt_status"] == "error" and "acme_dns_error" in failed


def test_letsencrypt_disabled_has_no_status(api, sim, app):
    domain = add(api, "nole.example.com", letsencrypt_enabled=False).json()["domain"]
    assert domain["letsencrypt_enabled"] is False and "letsencrypt_status" not in domain


@pytest.mark.parametrize("name", ["", "example", "-bad.example.com", "bad-.example.com", "a..b.com",
                                  "under_score.example.com", "x" * 64 + ".com", "*.*.example.com"])
def test_invalid_names(api, sim, app, name):
    response = add(api, name)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]


def test_name_taken_and_limit(api, sim, app):
    assert add(api, "a.example.com").status_code == 201
    taken = add(api, "A.example.com")
    assert (taken.status_code, taken.json()) == (422, {"errors": {"name": ["has already been taken"]}})
    for index in range(19):
        assert add(api, "d%d.example.com" % index).status_code == 201
    over = add(api, "d21.example.com")
    assert (over.status_code, over.json()) == (422, {"errors": {"domains": ["an app can have at most 20 domains"]}})


def test_canonical_is_unique(api, sim, app):
    first = add(api, "one.example.com", canonical=True).json()["domain"]
    second = add(api, "two.example.com", canonical=True).json()["domain"]
    assert second["canonical"] is True
    assert api.get(PATH + "/" + first["id"]).json()["domain"]["canonical"] is False
    unset = api.patch(PATH + "/" + second["id"], {"domain": {"canonical": False}}).json()["domain"]
    assert unset["canonical"] is False
    assert not any(d["canonical"] for d in api.get(PATH).json()["domains"])


@pytest.mark.parametrize("kind,traditional,description", [
    ("ec", False, "EC private key - 256 bytes"), ("rsa", False, "RSA private key - 2048 bytes"),
    ("rsa", True, "RSA private key - 2048 bytes"), ("ec", True, "EC private key - 256 bytes")])
def test_custom_certificate_subject_and_validity(api, sim, app, kind, traditional, description):
    key = make_key(kind)
    cert = cert_pem(key, "shop.example.com", organization="Example Shop")
    response = add(api, "shop.example.com", tlscert=cert, tlskey=key_pem(key, traditional))
    assert response.status_code == 201, response.text
    domain = response.json()["domain"]
    assert domain["ssl"] is True
    assert domain["tlscert"] == "/C=FR/O=Example Shop/CN=shop.example.com"
    assert domain["tlskey"] == description
    assert domain["validity"] == "2026-04-01T00:00:00.000Z"


def test_renewed_certificate_and_removal(api, sim, app):
    key = make_key()
    domain = add(api, "shop.example.com", tlscert=cert_pem(key, "shop.example.com"), tlskey=key_pem(key)).json()["domain"]
    renewed = api.patch(PATH + "/" + domain["id"], {"domain": {
        "tlscert": cert_pem(key, "shop.example.com", days=180), "tlskey": key_pem(key)}})
    assert renewed.status_code == 200
    assert renewed.json()["domain"]["validity"] == "2026-06-30T00:00:00.000Z"
    removed = api.patch(PATH + "/" + domain["id"], {"domain": {"tlscert": "", "tlskey": ""}}).json()["domain"]
    assert removed["ssl"] is False and "tlscert" not in removed


def test_certificate_errors(api, sim, app):
    key, other = make_key(), make_key()
    cert = cert_pem(key, "shop.example.com")
    cases = [
        ({"tlscert": "not a certificate", "tlskey": key_pem(key)}, "tlscert"),
        ({"tlscert": cert, "tlskey": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "tlskey"),
        ({"tlscert": cert, "tlskey": key_pem(other)}, "tlskey"),
        ({"tlscert": cert, "tlskey": key_pem(make_key("rsa"))}, "tlskey"),
        ({"tlscert": cert}, "tlskey"),
    ]
    for fields, field in cases:
        response = add(api, "shop.example.com", **fields)
        assert response.status_code == 422, fields
        assert list(response.json()["errors"]) == [field]
    assert api.get(PATH).json()["domains"] == []


def test_name_cannot_change_and_key_never_logged(api, sim, app):
    key = make_key()
    pem = key_pem(key)
    domain = add(api, "shop.example.com", tlscert=cert_pem(key, "shop.example.com"), tlskey=pem).json()["domain"]
    response = api.patch(PATH + "/" + domain["id"], {"domain": {"name": "other.example.com"}})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["name"]
    logged = str(sim.admin("GET", "/_sim/requests"))
    body_line = pem.splitlines()[1]
    assert body_line not in logged and "'tlskey': '***'" in logged


def test_other_user_sees_nothing(api, other_api, sim, app):
    assert other_api.get(PATH).status_code == 404
