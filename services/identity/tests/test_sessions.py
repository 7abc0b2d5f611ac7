"""Signing in and out, resolving sessions, and throttling of password guessing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from identity.settings import IdentitySettings


async def test_sign_in_resolve_and_sign_out(api: Any, world: Any) -> None:
    registered = await api.register(world, login="Avtomobilist")
    signed_in = await api.sign_in("avtomobilist ")  # logins are matched without case and blanks
    assert signed_in["user"] == registered
    assert signed_in["user"]["consumer"]["branch"]["name"] == "ПАТ «ДТЕК ПЕМ-Енерговугілля»"
    assert signed_in["user"]["branch"] == signed_in["user"]["consumer"]["branch"]
    lifetime = datetime.fromisoformat(signed_in["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)
    token = signed_in["session_token"]
    assert await api.scalar("SELECT count(*) FROM sessions WHERE token_hash = :h",
                            h=hashlib.sha256(token.encode()).digest()) == 1

    resolved = await api.ok("POST", "/sessions/resolve", json={"session_token": token})
    assert resolved["user"] == registered
    assert resolved["expires_at"] == signed_in["expires_at"]

    assert (await api.call("DELETE", "/sessions/current", json={"session_token": token})).status_code == 204
    response = await api.call("POST", "/sessions/resolve", json={"session_token": token})
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "session_invalid")
    # signing out twice, or with a token never issued, is no error
    assert (await api.call("DELETE", "/sessions/current", json={"session_token": token})).status_code == 204
    assert (await api.call("DELETE", "/sessions/current", json={"session_token": "nope"})).status_code == 204


async def test_staff_sessions_describe_their_branch(api: Any, world: Any) -> None:
    user = (await api.sign_in("manager"))["user"]
    assert (user["role"], user["consumer"], user["branch"]["id"]) == ("staff", None, world.branch_a["id"])
    admin = (await api.sign_in("administrator"))["user"]
    assert (admin["role"], admin["consumer"], admin["branch"]) == ("admin", None, None)


async def test_wrong_and_unknown_logins_get_the_same_answer(api: Any, world: Any) -> None:
    await api.register(world)
    for login, password in (("avtomobilist", "vesela-kvitka-na-dnipri-43"), ("nobody-at-all", "whatever")):
        response = await api.call("POST", "/sessions", json={"login": login, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"]["code"] == "invalid_credentials"
    assert await api.scalar("SELECT count(*) FROM sessions") == 0


async def test_an_expired_session_is_over(api: Any, world: Any) -> None:
    await api.register(world)
    token = (await api.sign_in("avtomobilist"))["session_token"]
    await api.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    response = await api.call("POST", "/sessions/resolve", json={"session_token": token})
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "session_invalid")


async def test_activity_keeps_a_session_alive_up_to_its_absolute_limit(api: Any, world: Any) -> None:
    await api.register(world)
    token = (await api.sign_in("avtomobilist"))["session_token"]
    # idle for eleven hours: one hour left, and this request gives it twelve again
    await api.execute(
        "UPDATE sessions SET expires_at = now() + interval '1 hour', created_at = now() - interval '11 hours'"
    )
    resolved = await api.ok("POST", "/sessions/resolve", json={"session_token": token})
    assert datetime.fromisoformat(resolved["expires_at"]) - datetime.now(UTC) > timedelta(hours=11, minutes=59)
    # signed in almost a week ago: the session ends at the week's end however active it is
    await api.execute("UPDATE sessions SET created_at = now() - interval '7 days' + interval '2 hours', "
                      "expires_at = now() + interval '1 hour'")
    resolved = await api.ok("POST", "/sessions/resolve", json={"session_token": token})
    left = datetime.fromisoformat(resolved["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)


async def test_resolving_a_session_is_one_query(api: Any, world: Any) -> None:
    await api.register(world)
    token = (await api.sign_in("avtomobilist"))["session_token"]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = api.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await api.ok("POST", "/sessions/resolve", json={"session_token": token})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # the outbox relay, woken by every commit, queries on its own; it is not part of the request
    queries = [s for s in statements if "outbox" not in s and not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
    assert len(queries) == 1, queries
    assert "token_hash" in queries[0]


WRONG_PASSWORD = "a wrong password"


def password_guess(login: str = "avtomobilist", password: str = WRONG_PASSWORD) -> dict[str, str]:
    return {"login": login, "password": password}


async def test_guessing_from_one_address_waits_longer_and_longer_across_replicas(
    api: Any, world: Any, settings: IdentitySettings,
    start_app: Callable[[IdentitySettings], AbstractAsyncContextManager[FastAPI]],
) -> None:
    await api.register(world)
    guesser = api.anonymous("203.0.113.9")
    for _ in range(5):  # a person's slips go free
        assert (await api.call("POST", "/sessions", guesser, json=password_guess())).status_code == 401
    response = await api.call("POST", "/sessions", guesser, json=password_guess(password=api.STRONG_PASSWORD))
    assert response.status_code == 429  # even the right password waits, from there
    assert 25 < response.json()["detail"]["retry_after"] <= 30
    assert await api.scalar("SELECT count(*) FROM sessions") == 0

    # another replica (or this one after a restart) knows
    async with start_app(settings) as replica:
        other = type(api)(replica, api.tokens)
        async with other.client:
            response = await other.call("POST", "/sessions", guesser, json=password_guess())
            assert response.status_code == 429

    # each further failure doubles the wait
    await api.execute("UPDATE throttled_attempts SET occurred_at = occurred_at - interval '30 seconds'")
    assert (await api.call("POST", "/sessions", guesser, json=password_guess())).status_code == 401
    response = await api.call("POST", "/sessions", guesser, json=password_guess())
    assert 55 < response.json()["detail"]["retry_after"] <= 60

    # the user, anywhere else, is not held up by it
    await api.sign_in("avtomobilist")


async def test_a_strangers_wrong_passwords_from_other_addresses_do_not_stop_the_users_right_password(
    api: Any, world: Any
) -> None:
    await api.register(world)
    await api.sign_in("avtomobilist")  # from the user's office, CLIENT_IP
    for address in range(12):  # sixty wrong passwords from a dozen addresses: twelve times what once locked her out
        stranger = api.anonymous(f"203.0.113.{address}")
        for _ in range(5):
            assert (await api.call("POST", "/sessions", stranger, json=password_guess())).status_code == 401
    await api.sign_in("avtomobilist")
    await api.ok("POST", "/sessions", api.anonymous("192.0.2.44"), json=password_guess(password=api.STRONG_PASSWORD))

    # a hundred failures within the hour, from everywhere together: from networks the user has not signed in from,
    # the login waits; from her own it does not
    for address in range(12, 20):
        stranger = api.anonymous(f"203.0.113.{address}")
        for _ in range(5):
            await api.call("POST", "/sessions", stranger, json=password_guess())
    response = await api.call("POST", "/sessions", api.anonymous("192.0.2.45"),
                              json=password_guess(password=api.STRONG_PASSWORD))
    assert response.status_code == 429
    assert 55 * 60 < response.json()["detail"]["retry_after"] <= 60 * 60
    await api.sign_in("avtomobilist")
    await api.ok("POST", "/sessions", api.anonymous("192.0.2.44"), json=password_guess(password=api.STRONG_PASSWORD))


async def test_the_ceiling_does_not_tell_which_logins_exist(api: Any, world: Any) -> None:
    await api.register(world)
    await api.execute(
        "INSERT INTO throttled_attempts (rule, subject, occurred_at) SELECT 'sign_in.login', login, "
        "now() - interval '1 minute' FROM (VALUES ('avtomobilist'), ('nobody-here')) AS logins (login), "
        "generate_series(1, 100)"
    )
    for login in ("avtomobilist", "nobody-here"):
        response = await api.call("POST", "/sessions", api.anonymous("192.0.2.46"), json=password_guess(login))
        assert response.status_code == 429


async def test_addresses_of_one_ipv6_network_count_as_one(api: Any, world: Any) -> None:
    await api.register(world)
    for host in range(5):
        guesser = api.anonymous(f"2001:db8:7:7::{host + 1:x}")
        assert (await api.call("POST", "/sessions", guesser, json=password_guess())).status_code == 401
    response = await api.call("POST", "/sessions", api.anonymous("2001:db8:7:7:ffff::1"), json=password_guess())
    assert response.status_code == 429
    await api.ok("POST", "/sessions", api.anonymous("2001:db8:7:8::1"),
                 json=password_guess(password=api.STRONG_PASSWORD))


async def test_a_successful_sign_in_forgives_the_users_slips(api: Any, world: Any) -> None:
    await api.register(world)
    for _ in range(4):
        assert (await api.call("POST", "/sessions", json=password_guess())).status_code == 401
    await api.sign_in("avtomobilist")
    for _ in range(4):
        assert (await api.call("POST", "/sessions", json=password_guess())).status_code == 401
    await api.sign_in("avtomobilist")


async def test_trying_many_logins_from_one_address_is_throttled(api: Any, world: Any) -> None:
    await api.register(world)
    for attempt in range(20):
        response = await api.call("POST", "/sessions", json=password_guess(f"someone{attempt}", "secret"))
        assert response.status_code == 401
    response = await api.call("POST", "/sessions", json=password_guess(password=api.STRONG_PASSWORD))
    assert response.status_code == 429
    # the user at another address is not held up
    await api.ok("POST", "/sessions", api.anonymous("192.0.2.1"), json=password_guess(password=api.STRONG_PASSWORD))


async def test_a_password_is_rehashed_when_the_hashing_parameters_change(
    api: Any, world: Any, settings: IdentitySettings,
    start_app: Callable[[IdentitySettings], AbstractAsyncContextManager[FastAPI]],
) -> None:
    await api.register(world)
    old_hash = await api.scalar("SELECT password_hash FROM users WHERE login = 'avtomobilist'")
    assert old_hash.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    stronger = settings.model_copy(update={"password_hash_time_cost": 2, "password_hash_memory_kib": 16 * 1024})
    async with start_app(stronger) as upgraded:
        other = type(api)(upgraded, api.tokens)
        async with other.client:
            await other.sign_in("avtomobilist")
    new_hash = await api.scalar("SELECT password_hash FROM users WHERE login = 'avtomobilist'")
    assert new_hash.startswith("$argon2id$v=19$m=16384,t=2,p=1$")
    await api.sign_in("avtomobilist")  # the old instance still verifies the new hash


async def test_requests_without_a_valid_service_token_are_refused(api: Any) -> None:
    response = await api.client.post("/api/v1/sessions", json={"login": "manager", "password": "x"})
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "token_missing")
    response = await api.client.post("/api/v1/sessions", json={"login": "manager", "password": "x"},
                                     headers={"Authorization": "Bearer not.a.token"})
    assert (response.status_code, response.json()["detail"]["code"]) == (401, "token_invalid")


async def test_a_burst_of_failures_does_not_starve_the_connection_pool(
    api: Any, world: Any, settings: IdentitySettings,
    start_app: Callable[[IdentitySettings], AbstractAsyncContextManager[FastAPI]],
) -> None:
    """Each failure is recorded while its request holds a connection; many at once must not wait on each other."""
    small = settings.model_copy(update={"database_pool_size": 2})  # at most four request connections
    async with start_app(small) as app:
        other = type(api)(app, api.tokens)
        async with other.client, asyncio.timeout(20):
            responses = await asyncio.gather(*(
                other.call("POST", "/sessions", api.anonymous(f"203.0.113.{n}"),
                           json={"login": f"someone{n}", "password": "a wrong password"})
                for n in range(16)
            ))
    assert [response.status_code for response in responses] == [401] * 16
    assert await api.scalar("SELECT count(*) FROM throttled_attempts WHERE rule = 'sign_in.login'") == 16
