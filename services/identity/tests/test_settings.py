"""«Налаштування»: changing e-mail (confirmed by a link), login and password, each with the current password."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

EMAIL_REQUESTED = "identity.email_change_requested.v1"


@pytest.fixture
async def user(api: Any, world: Any) -> Any:
    """The registered consumer user's principal."""
    return api.principal_of(await api.register(world))


async def request_change(api: Any, user: Any, new_email: str) -> str:
    """Ask for a change; the token of the confirmation link."""
    answer = await api.ok("POST", "/me/email", user, json={"new_email": new_email,
                                                           "current_password": api.STRONG_PASSWORD})
    assert answer == {"pending_email": new_email}
    return str(api.link_token((await api.outbox(EMAIL_REQUESTED))[-1]["confirm_url"]))


async def test_me(api: Any, world: Any, user: Any) -> None:
    me = await api.ok("GET", "/me", user)
    assert (me["login"], me["email"], me["pending_email"], me["role"]) == (
        "avtomobilist", "demo@cabinet.local", None, "consumer")
    assert me["consumer"] == {"id": world.consumer["id"], "account_number": "0789",
                              "name": 'Кооператив "Автомобіліст-2"', "edrpou": "12345678",
                              "branch": {"id": world.branch_a["id"], "name": world.branch_a["name"]},
                              "e_signature": True}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"new_email": "new@cabinet.local", "current_password": "wrong password"},
         {"current_password": "wrong_password"}),
        ({"new_email": "not an address"}, {"new_email": "invalid"}),
        ({"new_email": "DEMO@cabinet.local"}, {"new_email": "same_as_current"}),
    ],
)
async def test_refused_email_changes_change_nothing(
    api: Any, user: Any, body: dict[str, str], fields: dict[str, str]
) -> None:
    before = await api.snapshot()
    response = await api.call("POST", "/me/email", user, json={"current_password": api.STRONG_PASSWORD, **body})
    assert (response.status_code, response.json()["detail"]["fields"]) == (422, fields)
    assert await api.snapshot() == before


async def test_the_old_address_holds_until_the_link_is_followed(api: Any, user: Any) -> None:
    token = await request_change(api, user, "new@cabinet.local")
    [requested] = await api.outbox(EMAIL_REQUESTED)
    assert (requested["current_email"], requested["new_email"]) == ("demo@cabinet.local", "new@cabinet.local")
    assert requested["confirm_url"] == f"https://cabinet.test/settings/email/confirm/{token}"
    me = await api.ok("GET", "/me", user)
    assert (me["email"], me["pending_email"]) == ("demo@cabinet.local", "new@cabinet.local")

    assert await api.ok("POST", "/email-changes/confirm", json={"token": token}) == {"email": "new@cabinet.local"}
    me = await api.ok("GET", "/me", user)
    assert (me["email"], me["pending_email"]) == ("new@cabinet.local", None)
    response = await api.call("POST", "/email-changes/confirm", json={"token": token})
    assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_used")


async def test_a_cancelled_or_replaced_change_cannot_be_confirmed(api: Any, user: Any) -> None:
    cancelled = await request_change(api, user, "first@cabinet.local")
    assert (await api.call("DELETE", "/me/email/pending", user)).status_code == 204
    assert (await api.ok("GET", "/me", user))["pending_email"] is None
    replaced = await request_change(api, user, "second@cabinet.local")
    current = await request_change(api, user, "third@cabinet.local")
    for token in (cancelled, replaced):
        response = await api.call("POST", "/email-changes/confirm", json={"token": token})
        assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_used")
    assert (await api.ok("GET", "/me", user))["email"] == "demo@cabinet.local"
    await api.ok("POST", "/email-changes/confirm", json={"token": current})
    assert (await api.ok("GET", "/me", user))["email"] == "third@cabinet.local"
    assert (await api.call("DELETE", "/me/email/pending", user)).status_code == 204  # nothing pending: no error


async def test_an_expired_or_unknown_confirmation_link_is_refused(api: Any, user: Any) -> None:
    token = await request_change(api, user, "new@cabinet.local")
    await api.execute("UPDATE email_changes SET expires_at = now() - interval '1 second'")
    response = await api.call("POST", "/email-changes/confirm", json={"token": token})
    assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_expired")
    assert (await api.ok("GET", "/me", user))["pending_email"] is None  # an expired change is no longer pending
    response = await api.call("POST", "/email-changes/confirm", json={"token": "x" * 43})
    assert (response.status_code, response.json()["detail"]["code"]) == (404, "link_unknown")
    assert (await api.ok("GET", "/me", user))["email"] == "demo@cabinet.local"


async def test_a_wrong_current_password_is_throttled_per_session_across_all_three_forms(api: Any, user: Any) -> None:
    """Someone at a browser left signed in may guess; the user's other sessions are not held up by it."""
    left_open = user.model_copy(update={"session_id": uuid.uuid4()})
    own = user.model_copy(update={"session_id": uuid.uuid4()})
    wrong = "not my password"
    forms = [
        ("/me/email", {"new_email": "new@cabinet.local", "current_password": wrong}),
        ("/me/login", {"new_login": "new.login", "current_password": wrong}),
        ("/me/password", {"current_password": wrong, "new_password": api.OTHER_STRONG_PASSWORD,
                          "new_password_confirmation": api.OTHER_STRONG_PASSWORD}),
    ]
    for attempt in range(5):
        path, body = forms[attempt % 3]
        response = await api.call("POST", path, left_open, json=body)
        assert response.json()["detail"]["fields"]["current_password"] == "wrong_password"
    for path, body in forms:
        right = {**body, "current_password": api.STRONG_PASSWORD}
        response = await api.call("POST", path, left_open, json=right)
        assert response.status_code == 429, path
        assert 25 < response.json()["detail"]["retry_after"] <= 30
    assert (await api.ok("GET", "/me", user))["login"] == "avtomobilist"
    await api.ok("POST", "/me/login", own, json={"new_login": "new.login", "current_password": api.STRONG_PASSWORD})


async def test_whether_a_login_is_taken_is_told_only_with_the_right_password(api: Any, user: Any) -> None:
    response = await api.call("POST", "/me/login", user, json={"new_login": "MANAGER", "current_password": "nope"})
    assert response.json()["detail"]["fields"] == {"current_password": "wrong_password"}


@pytest.mark.parametrize(
    ("new_login", "code"),
    [("abc", "too_short"), ("new login", "invalid_characters"), ("MANAGER", "taken"),
     ("avtomobilist", "same_as_current")],
)
async def test_refused_login_changes_change_nothing(api: Any, user: Any, new_login: str, code: str) -> None:
    before = await api.snapshot()
    response = await api.call("POST", "/me/login", user, json={"new_login": new_login,
                                                                "current_password": api.STRONG_PASSWORD})
    assert (response.status_code, response.json()["detail"]["fields"]) == (422, {"new_login": code})
    assert await api.snapshot() == before


async def test_changing_the_login(api: Any, user: Any) -> None:
    answer = await api.ok("POST", "/me/login", user, json={"new_login": "Avto.Mobilist",
                                                            "current_password": api.STRONG_PASSWORD})
    assert answer["user"]["login"] == "Avto.Mobilist"
    [changed] = await api.outbox("identity.login_changed.v1")
    assert (changed["old_login"], changed["new_login"], changed["email"]) == (
        "avtomobilist", "Avto.Mobilist", "demo@cabinet.local")
    assert (await api.call("POST", "/sessions", json={"login": "avtomobilist",
                                                      "password": api.STRONG_PASSWORD})).status_code == 401
    await api.sign_in("avto.mobilist")
    # a change of case only is a change too
    body = {"new_login": "avto.mobilist", "current_password": api.STRONG_PASSWORD}
    assert (await api.ok("POST", "/me/login", user, json=body))["user"]["login"] == "avto.mobilist"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"current_password": "wrong password"}, {"current_password": "wrong_password"}),
        ({"new_password": "short", "new_password_confirmation": "short"}, {"new_password": "too_short"}),
        ({"new_password": "qwerty123456", "new_password_confirmation": "qwerty123456"}, {"new_password": "too_weak"}),
        ({"new_password": "avtomobilist-forever-42", "new_password_confirmation": "avtomobilist-forever-42"},
         {"new_password": "contains_login"}),
        ({"new_password_confirmation": "something else"}, {"new_password_confirmation": "mismatch"}),
    ],
)
async def test_refused_password_changes_change_nothing(
    api: Any, user: Any, body: dict[str, str], fields: dict[str, str]
) -> None:
    complete = {"current_password": api.STRONG_PASSWORD, "new_password": api.OTHER_STRONG_PASSWORD,
                "new_password_confirmation": api.OTHER_STRONG_PASSWORD, **body}
    before = await api.snapshot()
    hash_before = await api.scalar("SELECT password_hash FROM users WHERE login = 'avtomobilist'")
    response = await api.call("POST", "/me/password", user, json=complete)
    assert (response.status_code, response.json()["detail"]["fields"]) == (422, fields)
    assert await api.snapshot() == before
    assert await api.scalar("SELECT password_hash FROM users WHERE login = 'avtomobilist'") == hash_before


async def test_changing_the_password(api: Any, user: Any) -> None:
    response = await api.call("POST", "/me/password", user, json={
        "current_password": api.STRONG_PASSWORD, "new_password": api.OTHER_STRONG_PASSWORD,
        "new_password_confirmation": api.OTHER_STRONG_PASSWORD})
    assert response.status_code == 204
    [changed] = await api.outbox("identity.password_changed.v1")
    assert (changed["login"], changed["email"]) == ("avtomobilist", "demo@cabinet.local")
    response = await api.call("POST", "/sessions", json={"login": "avtomobilist", "password": api.STRONG_PASSWORD})
    assert response.status_code == 401
    await api.sign_in("avtomobilist", api.OTHER_STRONG_PASSWORD)


async def test_a_new_password_ends_the_users_other_sessions_but_not_the_current_one(api: Any, user: Any) -> None:
    here = await api.sign_in("avtomobilist")
    elsewhere = await api.sign_in("avtomobilist")
    resolved = await api.ok("POST", "/sessions/resolve", json={"session_token": here["session_token"]})
    acting_here = api.principal_of(resolved["user"]).model_copy(
        update={"session_id": uuid.UUID(resolved["session_id"])}
    )
    response = await api.call("POST", "/me/password", acting_here, json={
        "current_password": api.STRONG_PASSWORD, "new_password": api.OTHER_STRONG_PASSWORD,
        "new_password_confirmation": api.OTHER_STRONG_PASSWORD})
    assert response.status_code == 204
    kept = await api.call("POST", "/sessions/resolve", json={"session_token": here["session_token"]})
    assert kept.status_code == 200
    ended = await api.call("POST", "/sessions/resolve", json={"session_token": elsewhere["session_token"]})
    assert (ended.status_code, ended.json()["detail"]["code"]) == (401, "session_invalid")
