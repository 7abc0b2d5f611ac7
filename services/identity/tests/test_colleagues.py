"""A consumer's people: the director invites colleagues by e-mail with a role (a single-use link), changes their roles
and removes them; a removed user's sessions and tokens end at once; the consumer always keeps a director."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from shared.auth import ConsumerRole, Principal, Role

GATEWAY = Principal(role=Role.SERVICE, issuer="gateway")


async def _director(api: Any, world: Any) -> Principal:
    user = await api.register(world, "avto2.director")
    assert user["consumer_role"] == "director"
    principal: Principal = api.principal_of(user)
    return principal


async def _invite(api: Any, director: Principal, email: str, role: str) -> str:
    """The invitation's token, as the e-mailed link carries it."""
    await api.ok("POST", "/me/colleagues/invitations", director, json={"email": email, "consumer_role": role})
    letters = await api.outbox("identity.colleague_invited.v1")
    return str(api.link_token(letters[-1]["link_url"]))


async def _accept(api: Any, token: str, login: str) -> Any:
    return await api.call("POST", "/invitations/accept", api.anonymous(), json={
        "token": token, "login": login, "password": api.STRONG_PASSWORD,
        "password_confirmation": api.STRONG_PASSWORD})


async def test_an_invited_colleague_joins_once_with_the_role_named(api: Any, world: Any) -> None:
    director = await _director(api, world)
    token = await _invite(api, director, " Buh@Avto2.example.UA ", "accountant")
    [letter] = await api.outbox("identity.colleague_invited.v1")
    assert (letter["email"], letter["consumer_role"], letter["invited_by_login"]) == (
        "Buh@avto2.example.ua", "accountant", "avto2.director")
    assert letter["link_url"].endswith(f"/invitations/{token}")
    # only the hash of the link's token is kept
    assert await api.scalar("SELECT count(*) FROM colleague_invitations WHERE token_hash = :h",
                            h=hashlib.sha256(token.encode()).digest()) == 1
    shown = await api.ok("GET", f"/invitations/{token}", api.anonymous())
    assert shown["consumer_role"] == "accountant" and shown["consumer"]["account_number"] == "0789"
    listing = await api.ok("GET", "/me/colleagues", director)
    assert [invitation["email"] for invitation in listing["invitations"]] == ["Buh@avto2.example.ua"]

    accepted = await _accept(api, token, "avto2.buh")
    assert accepted.status_code == 201, accepted.text
    user = accepted.json()["user"]
    assert (user["consumer_role"], user["consumer"]["id"], user["email"]) == (
        "accountant", world.consumer["id"], "Buh@avto2.example.ua")
    signed_in = await api.sign_in("avto2.buh")
    assert signed_in["user"]["consumer_role"] == "accountant"
    assert "identity.user_registered.v1" in await api.outbox_types()

    again = await _accept(api, token, "avto2.buh2")
    assert (again.status_code, again.json()["detail"]["code"]) == (410, "invitation_used")
    listing = await api.ok("GET", "/me/colleagues", director)
    assert [(colleague["login"], colleague["consumer_role"]) for colleague in listing["users"]] == [
        ("avto2.director", "director"), ("avto2.buh", "accountant")]
    assert listing["invitations"] == []
    # staff see the consumer's users with their roles
    details = await api.ok("GET", f"/consumers/{world.consumer['id']}", world.staff_a)
    assert {(colleague["login"], colleague["consumer_role"]) for colleague in details["users"]} == {
        ("avto2.director", "director"), ("avto2.buh", "accountant")}


async def test_an_expired_replaced_or_unknown_invitation_is_refused(api: Any, world: Any) -> None:
    director = await _director(api, world)
    expired = await _invite(api, director, "old@avto2.example.ua", "engineer")
    await api.execute("UPDATE colleague_invitations SET expires_at = now() - interval '1 second'")
    refused = await _accept(api, expired, "avto2.engineer")
    assert (refused.status_code, refused.json()["detail"]["code"]) == (410, "invitation_expired")

    first = await _invite(api, director, "eng@avto2.example.ua", "engineer")
    second = await _invite(api, director, "ENG@avto2.example.ua", "viewer")
    refused = await _accept(api, first, "avto2.engineer")
    assert (refused.status_code, refused.json()["detail"]["code"]) == (410, "invitation_used")
    assert (await _accept(api, second, "avto2.viewer")).json()["user"]["consumer_role"] == "viewer"

    unknown = await api.call("GET", "/invitations/" + "A" * 43, api.anonymous())
    assert (unknown.status_code, unknown.json()["detail"]["code"]) == (404, "invitation_unknown")
    user_count = await api.scalar("SELECT count(*) FROM users")
    bad = await api.call("POST", "/me/colleagues/invitations", director,
                         json={"email": "no", "consumer_role": "viewer"})
    assert (bad.status_code, bad.json()["detail"]["fields"]) == (422, {"email": "invalid"})
    assert await api.scalar("SELECT count(*) FROM users") == user_count


async def test_removing_a_colleague_ends_their_sessions_and_tokens(api: Any, world: Any) -> None:
    director = await _director(api, world)
    engineer_user = (await _accept(api, await _invite(api, director, "eng@avto2.example.ua", "engineer"),
                                   "avto2.engineer")).json()["user"]
    engineer = api.principal_of(engineer_user)
    session = await api.sign_in("avto2.engineer")
    token = await api.ok("POST", "/me/access-tokens", engineer, json={"name": "АСКОЕ", "scopes": ["readings:write"]})

    assert (await api.call("DELETE", f"/me/colleagues/{engineer_user['id']}", director)).status_code == 204
    ended = await api.call("POST", "/sessions/resolve", api.anonymous(),
                           json={"session_token": session["session_token"]})
    assert (ended.status_code, ended.json()["detail"]["code"]) == (401, "session_invalid")
    revoked = await api.call("POST", "/api-calls", GATEWAY, json={"token": token["token"], "method": "GET",
                                                               "route": "/invoices", "per_minute": 60})
    assert (revoked.status_code, revoked.json()["detail"]["code"]) == (401, "access_token_invalid")
    refused = await api.call("POST", "/sessions", json={"login": "avto2.engineer", "password": api.STRONG_PASSWORD})
    assert (refused.status_code, refused.json()["detail"]["code"]) == (401, "invalid_credentials")
    assert [colleague["login"] for colleague in (await api.ok("GET", "/me/colleagues", director))["users"]] == [
        "avto2.director"]
    # the trail says who let the engineer in and who removed them; the engineer, removed, reads no trail
    trail = await api.ok("GET", f"/consumers/{director.consumer_id}/audit", director)
    assert [(entry["kind"], entry["actor"]["login"], entry["details"]) for entry in trail["items"]
            if entry["kind"].startswith("colleague_")] == [
        ("colleague_removed", "avto2.director", {"login": "avto2.engineer"}),
        ("colleague_joined", "avto2.engineer", {"consumer_role": "engineer"}),
        ("colleague_invited", "avto2.director", {"email": "eng@avto2.example.ua", "consumer_role": "engineer"}),
    ]
    assert (await api.call("GET", f"/consumers/{director.consumer_id}/audit", engineer)).status_code in (401, 403, 404)


async def test_only_a_director_manages_and_the_last_director_stays(api: Any, world: Any) -> None:
    director = await _director(api, world)
    accountant_user = (await _accept(api, await _invite(api, director, "buh@avto2.example.ua", "accountant"),
                                     "avto2.buh")).json()["user"]
    accountant = api.principal_of(accountant_user)
    for method, path, body in (
        ("GET", "/me/colleagues", None),
        ("POST", "/me/colleagues/invitations", {"email": "x@avto2.example.ua", "consumer_role": "director"}),
        ("DELETE", f"/me/colleagues/{director.user_id}", None),
    ):
        refused = await api.call(method, path, accountant, json=body)
        assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "capability_forbidden"), path

    # a director changes only the others
    for method, body in (("PATCH", {"consumer_role": "viewer"}), ("DELETE", None)):
        refused = await api.call(method, f"/me/colleagues/{director.user_id}", director, json=body)
        assert (refused.status_code, refused.json()["detail"]["code"]) == (409, "own_user")
    promoted = await api.ok("PATCH", f"/me/colleagues/{accountant_user['id']}", director,
                            json={"consumer_role": "director"})
    assert promoted["consumer_role"] == "director"
    second = accountant.model_copy(update={"consumer_role": ConsumerRole.DIRECTOR})
    demoted = await api.call("PATCH", f"/me/colleagues/{director.user_id}", second, json={"consumer_role": "viewer"})
    assert demoted.status_code == 200, demoted.text
    # the stored role decides, not what a token issued before the change says
    stale = await api.call("DELETE", f"/me/colleagues/{second.user_id}", director)
    assert (stale.status_code, stale.json()["detail"]["code"]) == (403, "capability_forbidden")

    # a user who is not the consumer's is not found
    missing = await api.call("DELETE", f"/me/colleagues/{uuid.uuid4()}", second)
    assert (missing.status_code, missing.json()["detail"]["code"]) == (404, "user_not_found")


@pytest.mark.parametrize(("role", "scopes", "allowed"), [
    ("engineer", ["readings:write"], True),
    ("engineer", ["invoices:read"], False),
    ("accountant", ["invoices:read", "payments:read", "documents:read"], True),
    ("accountant", ["readings:write"], False),
    ("viewer", ["invoices:read"], True),
    ("viewer", ["readings:write"], False),
])
async def test_an_access_token_acts_with_at_most_its_owners_role(
    api: Any, world: Any, role: str, scopes: list[str], allowed: bool,
) -> None:
    director = await _director(api, world)
    user = (await _accept(api, await _invite(api, director, "c@avto2.example.ua", role), "avto2.colleague")).json()
    made = await api.call("POST", "/me/access-tokens", api.principal_of(user["user"]),
                          json={"name": "program", "scopes": scopes})
    if allowed:
        assert made.status_code == 201
    else:
        assert (made.status_code, made.json()["detail"]["fields"]) == (422, {"scopes": "beyond_role"})
