"""One consumer's whole way, and each state change's event written to the outbox with it."""

from __future__ import annotations

import json
from typing import Any

import aio_pika

from identity.settings import IdentitySettings
from shared.bus import Topology
from shared.testing import eventually


async def test_from_a_new_consumer_account_to_a_changed_password(api: Any, world: Any) -> None:
    # the supplier created the account: the letter with the link is on its way
    [issued] = await api.outbox("identity.registration_link_issued.v1")
    token = api.link_token(issued["link_url"])
    assert (await api.ok("GET", f"/registration/links/{token}"))["consumer"]["account_number"] == "0789"

    # the consumer completes registration and signs in
    assert (await api.ok("GET", f"/registration/links/{token}/login-availability", params={"login": "avtomobilist"}))[
        "available"]
    user = await api.register(world, token=token)
    [registered] = await api.outbox("identity.user_registered.v1")
    assert registered == {**registered, "user_id": user["id"], "consumer_id": world.consumer["id"],
                          "login": "avtomobilist", "email": "demo@cabinet.local"}
    session = await api.sign_in("avtomobilist")
    resolved = await api.ok("POST", "/sessions/resolve", json={"session_token": session["session_token"]})
    principal = api.principal_of(resolved["user"])

    # e-mail: asked for, cancelled, asked for again, confirmed
    password = api.STRONG_PASSWORD
    for new_email in ("wrong@cabinet.local", "office@avto2.com.ua"):
        await api.ok("POST", "/me/email", principal, json={"new_email": new_email, "current_password": password})
        if new_email.startswith("wrong"):
            await api.ok("DELETE", "/me/email/pending", principal)
    requested = await api.outbox("identity.email_change_requested.v1")
    assert [event["new_email"] for event in requested] == ["wrong@cabinet.local", "office@avto2.com.ua"]
    assert (await api.ok("GET", "/me", principal))["pending_email"] == "office@avto2.com.ua"
    confirmed = await api.ok("POST", "/email-changes/confirm",
                             json={"token": api.link_token(requested[-1]["confirm_url"])})
    assert confirmed == {"email": "office@avto2.com.ua"}
    [changed] = await api.outbox("identity.email_changed.v1")
    assert (changed["old_email"], changed["new_email"]) == ("demo@cabinet.local", "office@avto2.com.ua")

    # login, then password
    await api.ok("POST", "/me/login", principal, json={"new_login": "avto2.office", "current_password": password})
    await api.ok("POST", "/me/password", principal, json={
        "current_password": password, "new_password": api.OTHER_STRONG_PASSWORD,
        "new_password_confirmation": api.OTHER_STRONG_PASSWORD})
    response = await api.call("POST", "/sessions", json={"login": "avto2.office", "password": password})
    assert response.status_code == 401
    me = (await api.sign_in("avto2.office", api.OTHER_STRONG_PASSWORD))["user"]
    assert (me["login"], me["email"], me["consumer"]["id"]) == ("avto2.office", "office@avto2.com.ua",
                                                                 world.consumer["id"])

    assert await api.outbox_types() == [
        "identity.consumer_account_created.v1",
        "identity.registration_link_issued.v1",
        "identity.user_registered.v1",
        "identity.email_change_requested.v1",
        "identity.email_change_requested.v1",
        "identity.email_changed.v1",
        "identity.login_changed.v1",
        "identity.password_changed.v1",
    ]


async def test_the_events_reach_the_bus(api: Any, world: Any, settings: IdentitySettings, amqp_url: str) -> None:
    """The outbox relay of the running service publishes what the use cases wrote."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            Topology(settings.bus_namespace, "identity").exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "identity.#")
        await api.ok("POST", f"/consumers/{world.consumer['id']}/activation-codes", world.staff_a)
        received: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def link_issued() -> bool:
            message = await queue.get(fail=False)
            if message is not None:
                await message.ack()
                received.append(message)
            return any(m.type == "identity.registration_link_issued.v1" for m in received)

        await eventually(link_issued, within=15)
    published = [json.loads(m.body) for m in received if m.type == "identity.registration_link_issued.v1"]
    assert published[-1]["link_url"] == (await api.outbox("identity.registration_link_issued.v1"))[-1]["link_url"]
    assert await api.scalar("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") >= 1
