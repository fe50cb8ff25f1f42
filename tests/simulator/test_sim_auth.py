"""The auth service: token exchange, JWT bearers, expiry, regions, users/self."""

import base64
import time

import requests

from simhelpers import OTHER_EMAIL, TOKEN, Api, basic, decode_jwt_part


def test_exchange_returns_a_signed_jwt_with_exp(sim):
    response = requests.post(sim.base + "/v1/tokens/exchange", auth=("", TOKEN), json={})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert list(response.json()) == ["token"]
    bearer = response.json()["token"]
    header, payload, signature = bearer.split(".")
    assert decode_jwt_part(header) == {"alg": "HS256", "typ": "JWT"}
    claims = decode_jwt_part(payload)
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["sub"].startswith("us-")
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32
    assert TOKEN not in bearer and TOKEN not in base64.urlsafe_b64decode(payload + "==").decode()


def test_exchange_without_body_is_accepted(sim):
    response = requests.post(sim.base + "/v1/tokens/exchange", headers={"Authorization": basic(TOKEN)})
    assert response.status_code == 200
    assert response.json()["token"].count(".") == 2


def test_exchange_refuses_unknown_or_missing_tokens(sim):
    assert requests.post(sim.base + "/v1/tokens/exchange", auth=("", "tk-us-unknown"), json={}).json() == {
        "error": "invalid token"}
    response = requests.post(sim.base + "/v1/tokens/exchange", json={})
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


def test_api_refuses_missing_forged_and_unknown_credentials(api, sim):
    assert requests.get(sim.base + "/v1/apps").status_code == 401
    header, payload, signature = api.bearer.split(".")
    forged = "Bearer %s.%s.%s" % (header, payload, signature[::-1])
    response = requests.get(sim.base + "/v1/apps", headers={"Authorization": forged})
    assert (response.status_code, response.json()) == (401, {"error": "invalid token"})
    response = requests.get(sim.base + "/v1/apps", headers={"Authorization": basic("tk-us-not-accepted")})
    assert (response.status_code, response.json()) == (401, {"error": "invalid token"})
    response = requests.get(sim.base + "/v1/apps", headers={"Authorization": basic(api.bearer)})
    assert response.status_code == 401


def test_api_accepts_the_earlier_basic_auth_with_the_api_token(api, sim):
    """global.older.md: `-u ":$AUTH_TOKEN"` on every request; clients of that revision still exist."""
    api.post("/v1/apps", {"app": {"name": "basic-auth-app"}})
    response = requests.get(sim.base + "/v1/apps/basic-auth-app", headers={"Authorization": basic(TOKEN)})
    assert response.status_code == 200
    assert response.json()["app"]["name"] == "basic-auth-app"
    logged = [r for r in sim.admin("GET", "/_sim/requests")["requests"]
              if r["path"] == "/v1/apps/basic-auth-app"][-1]
    assert logged["headers"]["Authorization"] == "Basic ***"


def test_bearer_expires_after_its_lifetime(sim):
    sim.admin("POST", "/_sim/config", {"bearer_lifetime": 1})
    user = Api(sim.base)
    claims = decode_jwt_part(user.bearer.split(".")[1])
    assert claims["exp"] - claims["iat"] == 1
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.05)
    response = user.get("/v1/apps")
    assert (response.status_code, response.json()) == (401, {"error": "token has expired"})
    assert Api(sim.base).get("/v1/apps").status_code == 200


def test_admin_expires_every_bearer_now(sim):
    first, second = Api(sim.base), Api(sim.base)
    assert first.get("/v1/apps").status_code == 200
    expired = sim.admin("POST", "/_sim/bearers/expire")["expired"]
    assert expired >= 2
    assert first.get("/v1/apps").status_code == 401
    assert second.get("/v1/apps").status_code == 401
    assert Api(sim.base).get("/v1/apps").status_code == 200
    bearers = sim.admin("GET", "/_sim/bearers")["bearers"]
    assert {b["token"]: b["expired"] for b in bearers}[first.bearer] is True


def test_regions_list_the_simulator_itself(sim):
    response = requests.get(sim.base + "/v1/regions")
    assert response.status_code == 200
    regions = response.json()["regions"]
    assert [r["name"] for r in regions] == ["osc-fr1", "osc-secnum-fr1", "simulator"]
    for region in regions:
        assert set(region) == {"name", "display_name", "api", "dashboard", "database_api", "ssh", "default"}
        # the simulator region at the root, each other region under /regions/<name> (simulator/regions.py)
        expected = sim.base if region["name"] == "simulator" else sim.base + "/regions/" + region["name"]
        assert region["api"] == expected
    assert [r["name"] for r in regions if r["default"]] == ["osc-fr1"]


def test_regions_api_url_follows_the_host_header(sim):
    regions = requests.get(sim.base + "/v1/regions", headers={"Host": "localhost:%d" % sim.port}).json()
    assert regions["regions"][0]["api"] == "http://localhost:%d/regions/osc-fr1" % sim.port
    assert regions["regions"][2]["api"] == "http://localhost:%d" % sim.port


def test_users_self(api, other_api, sim):
    response = api.get("/v1/users/self")
    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == {"id", "username", "email", "flags"}
    assert (user["email"], user["username"], user["flags"]) == ("user@example.com", "user", {})
    assert other_api.get("/v1/users/self").json()["user"]["email"] == OTHER_EMAIL
    assert requests.get(sim.base + "/v1/users/self").status_code == 401
