"""Collaborators: invitations (pending), the admin acceptance, limited collaborators, the owner apart."""

from simhelpers import OTHER_EMAIL

PATH = "/v1/apps/example-app/collaborators"


def invite(api, email, **fields):
    return api.post(PATH, {"collaborator": dict(fields, email=email)})


def test_invite_is_pending_without_access(api, other_api, sim, app):
    response = invite(api, OTHER_EMAIL, is_limited=False)
    assert response.status_code == 201, response.text
    collaborator = response.json()["collaborator"]
    assert {k: collaborator[k] for k in ("email", "status", "username", "user_id", "is_limited", "app_name")} == {
        "email": OTHER_EMAIL, "status": "pending", "username": "n/a", "user_id": None, "is_limited": False,
        "app_name": "example-app"}
    assert collaborator["invitation_link"].startswith(sim.base + "/apps/collaboration?token=")
    assert api.get(PATH).json()["collaborators"] == [collaborator]
    assert other_api.get("/v1/apps/example-app").status_code == 404


def test_accept_gives_access(api, other_api, sim, app):
    collaborator = invite(api, OTHER_EMAIL.upper(), is_limited=False).json()["collaborator"]
    accepted = sim.admin("POST", "/_sim/apps/example-app/collaborators/%s/accept" % collaborator["id"])["collaborator"]
    assert (accepted["status"], accepted["username"], accepted["invitation_link"]) == ("accepted", "other", "")
    assert accepted["user_id"] and accepted["email"] == OTHER_EMAIL
    assert other_api.get("/v1/apps/example-app").status_code == 200
    assert api.get(PATH).json()["collaborators"][0]["status"] == "accepted"


def test_accept_by_email(api, other_api, sim, app):
    invite(api, OTHER_EMAIL, is_limited=False)
    sim.admin("POST", "/_sim/apps/example-app/collaborators/%s/accept" % OTHER_EMAIL)
    assert other_api.get("/v1/apps/example-app").status_code == 200


def test_default_is_limited_and_update(api, sim, app):
    collaborator = invite(api, "dev@example.com").json()["collaborator"]
    assert collaborator["is_limited"] is True and collaborator["invitation_link"] == ""
    updated = api.patch(PATH + "/" + collaborator["id"], {"collaborator": {"is_limited": False, "email": "x@y.z"}})
    assert updated.status_code == 200
    assert (updated.json()["collaborator"]["is_limited"], updated.json()["collaborator"]["email"]) == (
        False, "dev@example.com")


def test_invite_errors(api, sim, app):
    assert invite(api, "dev@example.com").status_code == 201
    cases = [
        ("", {"email": ["can't be blank"]}),
        ("not-an-email", {"email": ["is invalid"]}),
        ("DEV@example.com", {"email": ["is already a collaborator of the app"]}),
        ("user@example.com", {"email": ["is the owner of the app"]}),
    ]
    for email, errors in cases:
        response = invite(api, email)
        assert (response.status_code, response.json()) == (422, {"errors": errors}), email
    bad = api.post(PATH, {"collaborator": {"email": "a@example.com", "is_limited": "yes"}})
    assert bad.json() == {"errors": {"is_limited": ["must be a boolean"]}}
    assert len(api.get(PATH).json()["collaborators"]) == 1


def test_remove_revokes_access(api, other_api, sim, app):
    collaborator = invite(api, OTHER_EMAIL, is_limited=False).json()["collaborator"]
    sim.admin("POST", "/_sim/apps/example-app/collaborators/%s/accept" % collaborator["id"])
    assert api.delete(PATH + "/" + collaborator["id"]).status_code == 204
    assert api.get(PATH).json()["collaborators"] == []
    assert other_api.get("/v1/apps/example-app").status_code == 404
    again = api.delete(PATH + "/" + collaborator["id"])
    assert (again.status_code, again.json()) == (404, {"resource": "collaborator", "error": "not found"})


def test_owner_is_not_listed_and_admin_seeded_collaborators_are(api, other_api, sim, app):
    sim.admin("POST", "/_sim/apps/example-app/collaborators", {"email": OTHER_EMAIL})
    listed = api.get(PATH).json()["collaborators"]
    assert [(c["email"], c["status"], c["is_limited"]) for c in listed] == [(OTHER_EMAIL, "accepted", False)]
    assert all(c["email"] != "user@example.com" for c in other_api.get(PATH).json()["collaborators"])
    owned = api.get("/v1/collaborators").json()["collaborators"]
    assert [c["app_name"] for c in owned] == ["example-app"]


def test_limited_collaborator_cannot_manage(api, other_api, sim, app):
    collaborator = invite(api, OTHER_EMAIL, is_limited=True).json()["collaborator"]
    sim.admin("POST", "/_sim/apps/example-app/collaborators/%s/accept" % collaborator["id"])
    refused = other_api.post(PATH, {"collaborator": {"email": "third@example.com"}})
    assert refused.status_code == 403
    assert other_api.patch(PATH + "/" + collaborator["id"], {"collaborator": {"is_limited": False}}).status_code == 403
    assert other_api.delete(PATH + "/" + collaborator["id"]).status_code == 204   # one may leave


def test_transfer_keeps_the_new_owner_out_of_the_list(api, other_api, sim, app):
    sim.admin("POST", "/_sim/apps/example-app/collaborators", {"email": OTHER_EMAIL})
    response = api.patch("/v1/apps/example-app?current_name=example-app", {"app": {"owner": OTHER_EMAIL}})
    assert response.status_code == 200, response.text
    listed = other_api.get(PATH).json()["collaborators"]
    assert [c["email"] for c in listed] == ["user@example.com"]
