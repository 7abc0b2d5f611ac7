"""Guessing through the gateway, against the real identity service: whom the throttling holds up, and whose
address it counts.

The gateway trusts 127.0.0.1 as its proxy (`CABINET_TRUSTED_PROXIES`), as it trusts the ingress controller in
Kubernetes: a request from there with `X-Forwarded-For` stands for a client at the address the proxy appended.
A client connecting from 127.0.0.2 is one that reaches the gateway directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.testing import run_in_thread

pytestmark = pytest.mark.timeout(600)

PASSWORD = "zelenyi-tramvai-cherez-sim-mostiv"
LOGIN = "avto2guess"


@pytest.fixture(scope="module")
def live(start_live_system: Any, run_id: str) -> Iterator[Any]:
    with start_live_system(("identity",), f"gwg{run_id}", {"CABINET_TRUSTED_PROXIES": "127.0.0.1"}) as live:
        yield live


@pytest.fixture(scope="module")
def user(live: Any) -> str:
    live.register("0789", live.demo["activation_code"], LOGIN, PASSWORD)
    return LOGIN


def log_in(browser: Any, client: str, password: str, login: str = LOGIN, **headers: str) -> httpx.Response:
    """A sign-in from `client`, as the proxy passes it on (after whatever the browser wrote into the header)."""
    forwarded = ", ".join(part for part in (headers.get("forged", ""), client) if part)
    return browser.post("/login", {"login": login, "password": password}, headers={"X-Forwarded-For": forwarded})


def counted_subjects(live: Any, rule: str) -> list[str]:
    async def query() -> list[str]:
        engine = create_async_engine(live.identity_database, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT DISTINCT subject FROM throttled_attempts WHERE rule = :rule"), {"rule": rule}
                )
                return sorted(row.subject for row in rows)
        finally:
            await engine.dispose()

    return run_in_thread(query())


def test_a_strangers_wrong_passwords_from_other_addresses_do_not_stop_the_users_right_password(
    live: Any, user: str
) -> None:
    stranger = live.browser()
    for address in range(1, 5):  # twenty wrong passwords: four times what once locked the user out
        for _ in range(5):
            assert log_in(stranger, f"203.0.113.{address}", "a wrong password").status_code == 401
        refused = log_in(stranger, f"203.0.113.{address}", "one more guess")
        assert refused.status_code == 429
        assert "Забагато спроб" in refused.text
    response = log_in(live.browser(), "198.51.100.7", PASSWORD)
    assert response.status_code == 303, response.text


def test_forged_forwarding_headers_do_not_change_which_address_is_counted(live: Any, user: str) -> None:
    stranger = live.browser()
    # what the stranger writes into the header is passed on before what the proxy appends; only the latter counts
    for forged in ("198.51.100.8", "192.0.2.1", "198.51.100.8, 192.0.2.2", "10.0.0.1", "not an address"):
        assert log_in(stranger, "203.0.113.66", "a wrong password", forged=forged).status_code == 401
    assert log_in(stranger, "203.0.113.66", "a wrong password", forged="192.0.2.3").status_code == 429
    # the address it pretended to be is not held up
    assert log_in(live.browser(), "198.51.100.8", PASSWORD).status_code == 303

    # a client reaching the gateway directly (not through the trusted proxy) is its own address, whatever it writes
    direct = live.browser(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    for address in range(5):
        response = direct.post("/login", {"login": LOGIN, "password": "a wrong password"},
                               headers={"X-Forwarded-For": f"203.0.113.{100 + address}"})
        assert response.status_code == 401
    response = direct.post("/login", {"login": LOGIN, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 429

    networks = {subject.rsplit("|", 1)[1] for subject in counted_subjects(live, "sign_in.login_network")}
    assert "127.0.0.2" in networks and "203.0.113.66" in networks
    assert not networks & {"198.51.100.8", "192.0.2.1", "192.0.2.2", "192.0.2.3", "10.0.0.1"}
    assert not any(network.startswith("203.0.113.10") for network in networks)


def test_only_the_registration_form_asks_whether_a_login_is_free(live: Any) -> None:
    _, code = live.new_consumer(live.staff(), "0792", "ТОВ «Перевірка логіна»", "login-check@cabinet.local")
    token = live.registration_link("0792").rsplit("/", 1)[1]
    visitor = live.browser()
    page = visitor.get(f"/registration/complete/{token}")
    assert f'data-url="/registration/complete/{token}/login-availability"' in page.text

    # without scripts the button sends the form to be shown again with the answer
    checked = visitor.post(f"/registration/complete/{token}/check-login", {"login": "nova.firma"})
    assert checked.status_code == 200
    assert "login-check__result--free" in checked.text and "Цей логін вільний." in checked.text
    free = visitor.get(f"/registration/complete/{token}/login-availability", params={"login": "nova.firma"})
    assert free.json() == {"available": True, "message": "Цей логін вільний."}
    taken = visitor.get(f"/registration/complete/{token}/login-availability", params={"login": "AVTO2GUESS"})
    assert taken.json()["available"] is False
    # without a link there is nothing to ask
    assert visitor.get("/registration/login-availability", params={"login": "avto2guess"}).status_code == 404
    unknown = visitor.get(f"/registration/complete/{'x' * 43}/login-availability", params={"login": "avto2guess"})
    assert unknown.json() == {"available": False, "message": "Посилання для реєстрації недійсне"}

    response = visitor.post(f"/registration/complete/{token}", {
        "activation_code": code, "login": "nova.firma", "password": PASSWORD,
        "password_confirmation": PASSWORD,
    })
    assert response.status_code == 303
    used = visitor.get(f"/registration/complete/{token}/login-availability", params={"login": "avto2guess"})
    assert used.json()["available"] is False
    assert "уже завершено" in used.json()["message"]
    without_script = visitor.post(f"/registration/complete/{token}/check-login", {"login": "avto2guess"})
    assert without_script.status_code == 410
