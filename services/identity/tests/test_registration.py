"""Registration: the consumer account, its activation code and link, completing registration, re-sending the letter.

Every refusal leaves the database as it was (apart from the counted attempts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from identity.settings import IdentitySettings

LINK_ISSUED = "identity.registration_link_issued.v1"


async def test_a_new_consumer_gets_a_code_and_a_registration_letter(api: Any, world: Any) -> None:
    assert await api.outbox_types() == ["identity.consumer_account_created.v1", LINK_ISSUED]
    [created] = await api.outbox("identity.consumer_account_created.v1")
    assert created["consumer_id"] == world.consumer["id"]
    assert (created["account_number"], created["edrpou"], created["billing_day"]) == ("0789", "12345678", 25)
    assert created["branch_name"] == "ПАТ «ДТЕК ПЕМ-Енерговугілля»"
    [issued] = await api.outbox(LINK_ISSUED)
    assert issued["email"] == "demo@cabinet.local"
    assert issued["link_url"] == f"https://cabinet.test/registration/complete/{world.link_token}"
    lifetime = datetime.fromisoformat(issued["expires_at"]) - datetime.fromisoformat(issued["occurred_at"])
    assert abs(lifetime - timedelta(hours=72)) < timedelta(seconds=5)

    # only hashes of the code and the link token are kept
    code_symbols = world.activation_code.replace("-", "")
    assert await api.scalar("SELECT count(*) FROM activation_codes WHERE code_hash = :h",
                            h=hashlib.sha256(code_symbols.encode()).digest()) == 1
    assert await api.scalar("SELECT count(*) FROM registration_links WHERE token_hash = :h",
                            h=hashlib.sha256(world.link_token.encode()).digest()) == 1
    dump = str(await api.scalar("SELECT string_agg(t::text, '') FROM activation_codes t"))
    dump += str(await api.scalar("SELECT string_agg(t::text, '') FROM registration_links t"))
    assert code_symbols not in dump.upper() and world.link_token not in dump


async def test_the_link_shows_whose_registration_it_is(api: Any, world: Any) -> None:
    answer = await api.ok("GET", f"/registration/links/{world.link_token}")
    assert answer == {"consumer": {"account_number": "0789", "name": 'Кооператив "Автомобіліст-2"'}}
    response = await api.call("GET", "/registration/links/no-such-token")
    assert (response.status_code, response.json()["detail"]["code"]) == (404, "link_unknown")


@pytest.mark.parametrize(
    ("login", "available", "reason"),
    [("abc", False, "too_short"), ("ivan petrenko", False, "invalid_characters"), ("a" * 65, False, "too_long"),
     ("MANAGER", False, "taken"), ("avtomobilist", True, None)],
)
async def test_whether_a_login_is_free(api: Any, world: Any, login: str, available: bool, reason: str | None) -> None:
    answer = await api.ok("GET", availability(world.link_token), params={"login": login})
    assert answer == {"login": login, "available": available, "reason": reason}


def availability(token: str) -> str:
    return f"/registration/links/{token}/login-availability"


async def test_only_whoever_holds_a_registration_link_may_ask_whether_a_login_is_free(api: Any, world: Any) -> None:
    response = await api.call("GET", availability("x" * 43), params={"login": "manager"})
    assert (response.status_code, response.json()["detail"]["code"]) == (404, "link_unknown")
    await api.register(world)
    response = await api.call("GET", availability(world.link_token), params={"login": "manager"})
    assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_used")


async def test_login_checks_are_counted_per_link_and_per_address(api: Any, world: Any) -> None:
    for attempt in range(30):
        await api.ok("GET", availability(world.link_token), api.anonymous(f"203.0.113.{attempt}"),
                     params={"login": f"candidate{attempt}"})
    response = await api.call("GET", availability(world.link_token), api.anonymous("192.0.2.9"),
                              params={"login": "manager"})
    assert (response.status_code, response.json()["detail"]["code"]) == (429, "throttled")
    # the registration itself goes on
    await api.register(world)

    other = await api.ok("POST", "/consumers", world.staff_a, json=api.new_consumer_body(
        world.branch_a["id"], account_number="0790", edrpou="12345684", agreement_email="other@cabinet.local"))
    other_link = api.link_token((await api.outbox(LINK_ISSUED))[-1]["link_url"])
    assert other["consumer"]["account_number"] == "0790"
    await api.execute(
        "INSERT INTO throttled_attempts (rule, subject, occurred_at) "
        "SELECT 'login_check.network', '203.0.113.77', now() - interval '1 minute' FROM generate_series(1, 60)"
    )
    response = await api.call("GET", availability(other_link), api.anonymous("203.0.113.77"),
                              params={"login": "manager"})
    assert response.status_code == 429
    await api.ok("GET", availability(other_link), params={"login": "manager"})


def complete_body(world: Any, **changes: str) -> dict[str, str]:
    password = changes.pop("password", "vesela-kvitka-na-dnipri-42")
    return {
        "token": world.link_token, "activation_code": world.activation_code, "login": "avtomobilist",
        "password": password, "password_confirmation": password, **changes,
    }


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"activation_code": "AAAA-BBBB-CCCC"}, {"activation_code": "code_invalid"}),
        ({"activation_code": "not a code"}, {"activation_code": "code_invalid"}),
        ({"login": "abc"}, {"login": "too_short"}),
        ({"login": "ivan petrenko"}, {"login": "invalid_characters"}),
        ({"login": "Manager"}, {"login": "taken"}),  # a staff member's login, in another case
        # without the right code, whether a login is taken is not told
        ({"activation_code": "AAAA-BBBB-CCCC", "login": "Manager"}, {"activation_code": "code_invalid"}),
        ({"password": "short-pass"}, {"password": "too_short"}),
        ({"password": "password1234"}, {"password": "too_weak"}),
        ({"password": "demo@cabinet.local12345678"}, {"password": "too_weak"}),  # the consumer's own details
        ({"password": "avtomobilist-is-my-login"}, {"password": "contains_login"}),
        ({"password_confirmation": "vesela-kvitka-na-dnipri-43"}, {"password_confirmation": "mismatch"}),
        (
            {"activation_code": "AAAA-BBBB-CCCC", "login": "abc", "password": "password", "password_confirmation": "x"},
            {"activation_code": "code_invalid", "login": "too_short", "password": "too_short",
             "password_confirmation": "mismatch"},
        ),
    ],
)
async def test_refused_registrations_change_nothing(
    api: Any, world: Any, changes: dict[str, str], fields: dict[str, str]
) -> None:
    before = await api.snapshot()
    response = await api.call("POST", "/registration/complete", json=complete_body(world, **changes))
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == "invalid"
    assert response.json()["detail"]["fields"] == fields
    assert await api.snapshot() == before
    await api.register(world)  # the link and the code are still good


async def test_a_code_of_another_consumer_does_not_open_this_link(api: Any, world: Any) -> None:
    other = await api.ok("POST", "/consumers", world.staff_a, json=api.new_consumer_body(
        world.branch_a["id"], account_number="0790", edrpou="12345684", agreement_email="other@cabinet.local"))
    response = await api.call("POST", "/registration/complete",
                              json=complete_body(world, activation_code=other["activation_code"]))
    assert response.json()["detail"]["fields"] == {"activation_code": "code_invalid"}


async def test_codes_and_links_are_single_use(api: Any, world: Any) -> None:
    await api.register(world, login="first.user")
    # the same link again
    response = await api.call("POST", "/registration/complete", json=complete_body(world, login="second.user"))
    assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_used")
    response = await api.call("GET", f"/registration/links/{world.link_token}")
    assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_used")

    # a second code comes with a second link; the first code is spent
    second_code = (await api.ok("POST", f"/consumers/{world.consumer['id']}/activation-codes", world.staff_a))[
        "activation_code"]
    second_link = api.link_token((await api.outbox(LINK_ISSUED))[-1]["link_url"])
    before = await api.snapshot()
    response = await api.call("POST", "/registration/complete",
                              json=complete_body(world, token=second_link, login="second.user"))
    assert response.json()["detail"]["fields"] == {"activation_code": "code_used"}
    assert await api.snapshot() == before
    user = await api.register(world, login="second.user", token=second_link, code=second_code)
    assert user["consumer"]["id"] == world.consumer["id"]


async def test_an_expired_link_is_refused(api: Any, world: Any) -> None:
    await api.execute("UPDATE registration_links SET expires_at = now() - interval '1 second'")
    before = await api.snapshot()
    for response in (
        await api.call("GET", f"/registration/links/{world.link_token}"),
        await api.call("POST", "/registration/complete", json=complete_body(world)),
    ):
        assert (response.status_code, response.json()["detail"]["code"]) == (410, "link_expired")
    assert await api.snapshot() == before


async def test_an_unknown_link_is_refused(api: Any, world: Any) -> None:
    response = await api.call("POST", "/registration/complete", json=complete_body(world, token="x" * 43))
    assert (response.status_code, response.json()["detail"]["code"]) == (404, "link_unknown")


async def test_the_letter_is_sent_again_for_a_matching_code_and_address(api: Any, world: Any) -> None:
    typed_code = world.activation_code.lower().replace("-", " ")
    answer = await api.ok("POST", "/registration/resend",
                          json={"activation_code": typed_code, "email": " DEMO@cabinet.local "})
    assert answer == {"email": "demo@cabinet.local"}
    first, again = await api.outbox(LINK_ISSUED)
    assert again["link_url"] != first["link_url"] and again["consumer_id"] == world.consumer["id"]
    # both links work until one of them is used with the code
    await api.ok("GET", f"/registration/links/{api.link_token(first['link_url'])}")
    await api.register(world, token=api.link_token(again["link_url"]))


@pytest.mark.parametrize("case", ["wrong code", "not a code", "wrong address", "used code"])
async def test_resending_never_says_which_field_was_wrong(api: Any, world: Any, case: str) -> None:
    body = {"activation_code": world.activation_code, "email": "demo@cabinet.local"}
    if case == "wrong code":
        body["activation_code"] = "AAAA-BBBB-CCCC"
    elif case == "not a code":
        body["activation_code"] = "hello"
    elif case == "wrong address":
        body["email"] = "someone@cabinet.local"
    else:
        await api.register(world)
    before = await api.snapshot()
    response = await api.call("POST", "/registration/resend", json=body)
    assert response.status_code == 404
    assert response.json() == {"detail": {
        "code": "no_match", "message": "no consumer with this activation code and e-mail", "fields": {}}}
    assert await api.snapshot() == before


async def test_guessing_codes_is_throttled_per_link_and_address_and_the_count_survives_failures_and_restarts(
    api: Any, world: Any, settings: IdentitySettings,
    start_app: Callable[[IdentitySettings], AbstractAsyncContextManager[FastAPI]],
) -> None:
    guesser = api.anonymous("203.0.113.9")
    for attempt in range(5):
        response = await api.call("POST", "/registration/complete", guesser,
                                  json=complete_body(world, activation_code=f"AAAA-BBBB-CCC{attempt}"))
        assert response.json()["detail"]["fields"] == {"activation_code": "code_invalid"}
    # every failed request was rolled back, yet its attempt stayed counted
    assert await api.scalar(
        "SELECT count(*) FROM throttled_attempts WHERE rule = 'activation.link_network'"
    ) == 5

    before = await api.snapshot()
    response = await api.call("POST", "/registration/complete", guesser, json=complete_body(world))
    assert response.status_code == 429  # even the right code waits, from there
    assert response.json()["detail"]["code"] == "throttled"
    assert 25 < response.json()["detail"]["retry_after"] <= 30
    assert response.headers["Retry-After"] == str(response.json()["detail"]["retry_after"])
    assert await api.snapshot() == before

    # another replica (or this one after a restart) knows
    async with start_app(settings) as replica:
        other = type(api)(replica, api.tokens)
        async with other.client:
            response = await other.call("POST", "/registration/complete", guesser, json=complete_body(world))
            assert response.status_code == 429

    # from elsewhere the link is not held up
    await api.register(world, ip="192.0.2.10")


async def test_a_link_takes_a_hundred_wrong_codes_an_hour_from_everywhere(api: Any, world: Any) -> None:
    link_id = await api.scalar("SELECT id::text FROM registration_links")
    await api.execute(
        "INSERT INTO throttled_attempts (rule, subject, occurred_at) "
        "SELECT 'activation.link_total', :link, now() - interval '1 minute' FROM generate_series(1, 100)",
        link=link_id,
    )
    response = await api.call("POST", "/registration/complete", api.anonymous("192.0.2.11"), json=complete_body(world))
    assert response.status_code == 429
    await api.execute("UPDATE throttled_attempts SET occurred_at = occurred_at - interval '1 hour'")
    await api.register(world)


async def test_guessing_codes_is_throttled_per_client_address(api: Any, world: Any) -> None:
    await api.execute(
        "INSERT INTO throttled_attempts (rule, subject, occurred_at) "
        "SELECT 'activation.network', '203.0.113.5', now() - interval '1 minute' FROM generate_series(1, 20)"
    )
    response = await api.call("POST", "/registration/complete", api.anonymous("203.0.113.5"), json=complete_body(world))
    assert response.status_code == 429
    await api.register(world, ip="203.0.113.6")


async def test_resending_is_throttled_per_client_address_and_per_mailbox(api: Any, world: Any) -> None:
    body = {"activation_code": world.activation_code, "email": "demo@cabinet.local"}
    for _ in range(5):
        assert (await api.call("POST", "/registration/resend", json=body)).status_code == 202
    # the agreement address has had five letters this hour: no more, from anywhere
    response = await api.call("POST", "/registration/resend", api.anonymous("203.0.113.50"), json=body)
    assert response.status_code == 429

    wrong = {"activation_code": "AAAA-BBBB-CCCC", "email": "x@cabinet.local"}
    for attempt in range(5):  # an address trying many codes and e-mails: ten attempts with the five above
        wrong["email"] = f"x{attempt}@cabinet.local"
        assert (await api.call("POST", "/registration/resend", json=wrong)).status_code == 404
    wrong["email"] = "fresh@cabinet.local"
    response = await api.call("POST", "/registration/resend", json=wrong)
    assert response.status_code == 429
    assert len(await api.outbox(LINK_ISSUED)) == 1 + 5


async def test_a_strangers_attempts_with_the_consumers_e_mail_do_not_stop_its_letter(api: Any, world: Any) -> None:
    for address in range(10):
        stranger = api.anonymous(f"203.0.113.{address}")
        for attempt in range(5):
            guess = {"activation_code": f"AAAA-BBBB-CCC{attempt}", "email": "demo@cabinet.local"}
            assert (await api.call("POST", "/registration/resend", stranger, json=guess)).status_code == 404
    await api.ok("POST", "/registration/resend",
                 json={"activation_code": world.activation_code, "email": "demo@cabinet.local"})
