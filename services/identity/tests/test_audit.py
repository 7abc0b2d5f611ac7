"""The consumer's audit trail: what metering and signature tell over the bus (recorded once however often a message
comes), identity's own setting changes, every call of the public API with its status, and the rate limit of a token
counted in the database, so that every gateway replica counts against the same bucket. Read by the consumer's users
and by staff of its branch, newest first, by kind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aio_pika
import pytest

from identity.domain.rate_limit import take_call
from shared.auth import Principal, Role
from shared.bus import Topology
from shared.bus.topology import declare_exchange
from shared.contracts.base import Actor, Event
from shared.contracts.metering import EnteredReading, ReadingsAccepted, ReadingsEntered
from shared.contracts.signature import DocumentStatusChanged
from shared.testing import eventually

GATEWAY = Principal(role=Role.SERVICE, issuer="gateway")
NOW = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)


def test_a_bucket_gives_a_minutes_calls_at_once_then_one_call_every_interval() -> None:
    refilled_at = None
    for _ in range(3):
        take = take_call(refilled_at, NOW, 3)
        assert take.taken
        refilled_at = take.refilled_at
    assert refilled_at == NOW + timedelta(minutes=1)
    refused = take_call(refilled_at, NOW, 3)
    assert (refused.taken, refused.wait, refused.refilled_at) == (False, timedelta(seconds=20), refilled_at)
    assert take_call(refilled_at, NOW + timedelta(seconds=20), 3).taken
    # a bucket left alone is full again, never fuller
    assert take_call(refilled_at, NOW + timedelta(hours=1), 3).refilled_at == NOW + timedelta(hours=1, seconds=20)


async def _publish(amqp_url: str, namespace: str, event: Event, message_id: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_exchange(channel, Topology(namespace, "identity"))
        await exchange.publish(aio_pika.Message(
            body=event.model_dump_json().encode(), message_id=message_id, type=event.message_type(),
            content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ), routing_key=event.routing_key())


async def _trail(api: Any, principal: Principal, consumer_id: str, **params: Any) -> list[dict[str, Any]]:
    page = await api.ok("GET", f"/consumers/{consumer_id}/audit", principal, params=params)
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_readings_and_signatures_told_over_the_bus_are_recorded_once_with_who_did_them(
    api: Any, world: Any, amqp_url: str, bus_namespace: str,
) -> None:
    consumer = api.principal_of(await api.register(world))
    consumer_id = world.consumer["id"]
    act_id, document_id = uuid.uuid4(), uuid.uuid4()
    entered = ReadingsEntered(
        act_id=act_id, consumer_id=uuid.UUID(consumer_id), period="2026-03", source="consumer",
        readings=(EnteredReading(point_id=uuid.uuid4(), energy="active", zone=1, previous=Decimal("18000"),
                                 current=Decimal("18342"), meter_serial="0123456"),),
        actor=Actor(user_id=consumer.user_id, via="api"), occurred_at=NOW,
    )
    signed = DocumentStatusChanged(
        document_id=document_id, consumer_id=uuid.UUID(consumer_id), document_type="readings_act",
        status="signed_by_consumer", party="consumer", signature_id=uuid.uuid4(), rejected_reason=None,
        actor=Actor(user_id=consumer.user_id), occurred_at=NOW + timedelta(minutes=5),
    )
    accepted = ReadingsAccepted(act_id=act_id, consumer_id=uuid.UUID(consumer_id), period="2026-03",
                                source="consumer", readings=(), occurred_at=NOW + timedelta(minutes=6))
    message_id = str(uuid.uuid4())
    await _publish(amqp_url, bus_namespace, entered, message_id)
    await _publish(amqp_url, bus_namespace, entered, message_id)  # delivered again: recorded once
    await _publish(amqp_url, bus_namespace, signed, str(uuid.uuid4()))
    await _publish(amqp_url, bus_namespace, accepted, str(uuid.uuid4()))

    async def three() -> list[dict[str, Any]] | None:
        kinds = ("readings_entered", "document_signed", "readings_accepted")
        found = [entry for entry in await _trail(api, consumer, consumer_id) if entry["kind"] in kinds]
        return found if len(found) >= 3 else None

    trail = await eventually(three)
    assert [entry["kind"] for entry in trail] == ["readings_accepted", "document_signed", "readings_entered"]
    accepted_entry, signed_entry, entered_entry = trail
    assert entered_entry["actor"] == {"user_id": str(consumer.user_id), "login": "avtomobilist",
                                      "email": "demo@cabinet.local"}
    assert entered_entry["via"] == "api"
    assert entered_entry["details"]["readings"] == [{
        "meter_serial": "0123456", "energy": "active", "zone": 1, "previous": "18000", "current": "18342",
        "rollover": False}]
    assert signed_entry["details"]["document_id"] == str(document_id) and signed_entry["via"] == "page"
    # accepted by nobody in person (the act's signature is its own entry)
    assert accepted_entry["actor"] is None and accepted_entry["via"] is None
    assert await api.scalar("SELECT count(*) FROM audit_entries WHERE kind = 'readings_entered'") == 1

    # staff of the consumer's branch read the same trail, by kind; another branch's staff do not find it
    assert [entry["kind"] for entry in await _trail(api, world.staff_a, consumer_id, kind="document_signed")] == [
        "document_signed"]
    refused = await api.call("GET", f"/consumers/{consumer_id}/audit", world.staff_b)
    assert (refused.status_code, refused.json()["detail"]["code"]) == (404, "consumer_not_found")


async def test_setting_changes_and_tokens_are_recorded_as_they_are_made(api: Any, world: Any) -> None:
    consumer = api.principal_of(await api.register(world))
    consumer_id = world.consumer["id"]
    await api.ok("POST", "/me/login", consumer, json={"new_login": "avto-buh", "current_password": api.STRONG_PASSWORD})
    made = await api.ok("POST", "/me/access-tokens", consumer, json={"name": "1С", "scopes": ["invoices:read"]})
    assert (await api.call("DELETE", f"/me/access-tokens/{made['access_token']['id']}", consumer)).status_code == 204
    await api.ok("PATCH", f"/consumers/{consumer_id}", world.staff_a, json={"billing_day": 20})
    trail = await _trail(api, consumer, consumer_id)
    assert [entry["kind"] for entry in trail] == [
        "consumer_changed", "access_token_revoked", "access_token_created", "login_changed"]
    changed, revoked, created, login = trail
    assert changed["details"] == {"fields": ["billing_day"]} and changed["actor"]["login"] == "manager"
    assert created["details"]["token_name"] == "1С" and created["details"]["token_prefix"] == made["token"][:8]
    assert "token" not in created["details"] and revoked["actor"]["login"] == "avto-buh"
    assert login["details"] == {"old_login": "avtomobilist", "new_login": "avto-buh"}
    # a staff member changing nothing of a consumer leaves no entry
    await api.ok("PATCH", f"/consumers/{consumer_id}", world.staff_a, json={"billing_day": 20})
    assert len(await _trail(api, consumer, consumer_id)) == 4
    paged = await api.ok("GET", f"/consumers/{consumer_id}/audit", consumer, params={"limit": 3})
    assert (len(paged["items"]), paged["more"]) == (3, True)
    rest = await api.ok("GET", f"/consumers/{consumer_id}/audit", consumer, params={"limit": 3, "offset": 3})
    assert ([entry["kind"] for entry in rest["items"]], rest["more"]) == (["login_changed"], False)


async def test_every_public_api_call_is_recorded_with_its_status_and_limited_per_token(api: Any, world: Any) -> None:
    consumer = api.principal_of(await api.register(world))
    made = await api.ok("POST", "/me/access-tokens", consumer, json={"name": "1С", "scopes": ["payments:read"]})
    call = {"token": made["token"], "method": "GET", "route": "/saldo", "per_minute": 2}
    admitted = [await api.ok("POST", "/api-calls", GATEWAY, json=call) for _ in range(2)]
    assert (await api.call("PUT", f"/api-calls/{admitted[0]['call_id']}/status", GATEWAY,
                           json={"status": 200})).status_code == 204
    # told once: the status of a call does not change afterwards
    again = await api.call("PUT", f"/api-calls/{admitted[0]['call_id']}/status", GATEWAY, json={"status": 500})
    assert (again.status_code, again.json()["detail"]["code"]) == (404, "api_call_not_found")
    # the third call of the minute, whichever replica asks: the bucket is the token's row
    limited = await api.call("POST", "/api-calls", GATEWAY, json=call)
    assert (limited.status_code, limited.json()["detail"]["code"]) == (429, "rate_limited")
    assert limited.json()["detail"]["retry_after"] == 30 and limited.headers["Retry-After"] == "30"
    trail = await _trail(api, consumer, world.consumer["id"], kind="api_call")
    assert [(entry["details"]["route"], entry["status"], entry["via"]) for entry in trail] == [
        ("/saldo", None, "api"), ("/saldo", 200, "api")]
    assert trail[0]["details"]["token_name"] == "1С" and trail[0]["actor"]["login"] == "avtomobilist"
    # staff's principals never admit a call, nor tell its status
    refused = await api.call("PUT", f"/api-calls/{admitted[1]['call_id']}/status", world.staff_a, json={"status": 200})
    assert refused.status_code == 403


@pytest.mark.parametrize("kind", ["nothing", "api"])
async def test_an_unknown_kind_is_refused(api: Any, world: Any, kind: str) -> None:
    refused = await api.call("GET", f"/consumers/{world.consumer['id']}/audit", world.staff_a, params={"kind": kind})
    assert refused.status_code == 422
