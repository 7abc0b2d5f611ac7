"""What other contexts' events change, over the real broker: identity's accounts, billing's invoices closing the
window, the documents service's act PDFs, the consumer's signature accepting an act, and RES systems' readings
(once per submission; bad ones dead-lettered with the reason)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import REGISTRY

from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountUpdated
from shared.contracts.res import MeterReading, ReadingsSubmitted
from shared.contracts.signature import DocumentStatusChanged
from shared.testing import eventually

#: the RES system the tests' broker publishes as (conftest's `Broker`)
RES_SYSTEM = "roe-donetsk"


async def in_inbox(api: Any, message_id: str) -> bool:
    """Whether metering has handled the message (its inbox row is committed)."""
    # a RES system's message is kept under its RES system's name and its id
    return bool(await api.scalar("SELECT count(*) FROM inbox WHERE message_id = :id OR message_id LIKE :res",
                                 id=message_id, res=f"%:{message_id}"))


async def handled(api: Any, broker: Any, event: Any = None, **kwargs: Any) -> None:
    """Publishes and waits until metering has handled the message."""
    message_id = await broker.publish(event, **kwargs)
    await eventually(lambda: in_inbox(api, message_id))


async def dead_lettered(broker: Any, count: int) -> dict[str, AbstractIncomingMessage]:
    collected: dict[str, AbstractIncomingMessage] = {}

    async def all_there() -> dict[str, AbstractIncomingMessage]:
        collected.update({str(message.message_id): message for message in await broker.dead_letters()})
        return collected if len(collected) >= count else {}

    return dict(await eventually(all_there))


async def test_identitys_accounts_are_kept_and_a_late_older_update_changes_nothing(api: Any, broker: Any) -> None:
    created = api.account(billing_day=10)
    await handled(api, broker, created)
    path = f"/consumers/{created.consumer_id}/window"
    assert (await api.ok("GET", path, api.staff()))["billing_day"] == 10
    now = datetime.now(UTC)
    await handled(api, broker, ConsumerAccountUpdated(**(created.model_dump() | {"billing_day": 20,
                                                                                  "occurred_at": now})))
    assert (await api.ok("GET", path, api.staff()))["billing_day"] == 20
    await handled(api, broker, ConsumerAccountUpdated(**(created.model_dump() | {
        "billing_day": 5, "occurred_at": now - timedelta(hours=1)})))
    assert (await api.ok("GET", path, api.staff()))["billing_day"] == 20


async def test_an_issued_invoice_closes_the_window(api: Any, broker: Any) -> None:
    consumer = await api.add_consumer()
    window_path = f"/consumers/{consumer.consumer_id}/window"
    assert (await api.ok("GET", window_path, api.staff()))["state"] == "open"
    await handled(api, broker, InvoiceIssued(
        invoice_id=uuid.uuid4(), consumer_id=consumer.consumer_id, account_number=consumer.account_number,
        number=f"{consumer.account_number}/11/1", kind="regular", corrects_invoice_id=None, period="2026-11",
        formed_on="2026-11-25", pay_by="2026-12-05", amount_excl_vat=Decimal("346.56"), vat=Decimal("69.31"),
        total=Decimal("415.87"),
    ))
    window = await api.ok("GET", window_path, api.consumer_user(consumer.consumer_id))
    assert (window["period"], window["state"], window["reason"], window["opens_on"]) == (
        "2026-11", "closed", "invoice_issued", "2026-12-25")


def stored(act: dict[str, Any], document_id: uuid.UUID, source_event: str | None = None) -> DocumentStored:
    return DocumentStored(
        document_id=document_id, consumer_id=uuid.UUID(act["consumer_id"]), document_type="readings_act",
        period=act["period"], title="Акт приймання-передачі показань", file_name="act.pdf",
        content_type="application/pdf", size=1000, sha256="a" * 64, replaces=None,
        source_event=source_event or f"metering.act/{act['id']}",
    )


def signed(act: dict[str, Any], document_id: uuid.UUID, status: str) -> DocumentStatusChanged:
    return DocumentStatusChanged(
        document_id=document_id, consumer_id=uuid.UUID(act["consumer_id"]), document_type="readings_act",
        status=status, party="consumer", signature_id=uuid.uuid4(), rejected_reason=None,  # type: ignore[arg-type]
    )


async def test_the_consumers_signature_on_the_acts_pdf_accepts_the_readings(api: Any, broker: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=1)
    user = api.consumer_user(consumer.consumer_id)
    submitted = await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", user, json={
        "period": "2026-11", "readings": [{"point_id": point["id"], "energy": "active", "zone": 1, "value": "9"}]})
    act = submitted["act"]
    act_path = f"/acts/{act['id']}"
    # another service's document (no act reference) is none of metering's business
    await handled(api, broker, stored(act, uuid.uuid4(), source_event="billing.invoice/1"))
    assert (await api.ok("GET", act_path, user))["state"] == "preparing"

    document_id = uuid.uuid4()
    await handled(api, broker, stored(act, document_id))
    shown = await api.ok("GET", act_path, user)
    assert (shown["state"], shown["document_id"]) == ("awaiting_signature", str(document_id))
    # the supplier's signature, or a refusal, accepts nothing
    await handled(api, broker, signed(act, document_id, "signed_by_supplier"))
    await handled(api, broker, signed(act, document_id, "rejected"))
    assert (await api.ok("GET", act_path, user))["state"] == "awaiting_signature"

    await handled(api, broker, signed(act, document_id, "signed_by_consumer"))
    shown = await api.ok("GET", act_path, user)
    assert (shown["state"], shown["accepted_by"]) == ("accepted", "signature")
    [accepted] = await api.outbox("metering.readings_accepted.v1")
    assert (accepted["act_id"], accepted["period"], accepted["source"], accepted["readings"]) == (
        act["id"], "2026-11", "consumer",
        [{"point_id": point["id"], "energy": "active", "zone": 1, "previous": "0", "current": "9",
          "rollover": False}],
    )
    # signed by both later: accepted once
    await handled(api, broker, signed(act, document_id, "signed_by_both"))
    assert len(await api.outbox("metering.readings_accepted.v1")) == 1


def signatures_retried() -> float:
    """Signature statuses metering has put aside for a later attempt (in this process, since it started)."""
    sample = REGISTRY.get_sample_value("cabinet_events_retried_total", {
        "service": "metering", "message_type": DocumentStatusChanged.message_type()})
    return sample or 0.0


async def test_a_signature_that_overtakes_the_acts_document_is_tried_again(api: Any, broker: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=1)
    user = api.consumer_user(consumer.consumer_id)
    act = (await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", user, json={
        "period": "2026-11", "readings": [{"point_id": point["id"], "energy": "active", "zone": 1, "value": "2"}]
    }))["act"]
    act_path = f"/acts/{act['id']}"
    document_id = uuid.uuid4()
    signature = signed(act, document_id, "signed_by_consumer")
    retried_before = signatures_retried()
    signature_id = await broker.publish(signature)

    async def put_aside_for_a_later_attempt() -> bool:
        return signatures_retried() > retried_before

    # the signature comes first: the act has no document yet, so it changes nothing and waits for another attempt
    await eventually(put_aside_for_a_later_attempt)
    shown = await api.ok("GET", act_path, user)
    assert (shown["state"], shown["document_id"], shown["accepted_at"]) == ("preparing", None, None)
    assert not await in_inbox(api, signature_id)
    assert await api.outbox("metering.readings_accepted.v1") == []

    # then the document: the signature's next attempt finds it, and accepts the readings as of the signature
    await handled(api, broker, stored(act, document_id))
    await eventually(lambda: in_inbox(api, signature_id))
    shown = await api.ok("GET", act_path, user)
    assert (shown["state"], shown["accepted_by"], shown["document_id"]) == ("accepted", "signature", str(document_id))
    assert datetime.fromisoformat(shown["accepted_at"]) == signature.occurred_at
    [accepted] = await api.outbox("metering.readings_accepted.v1")
    assert accepted["act_id"] == act["id"]


def res_submission(account_number: str, *readings: MeterReading, submission_id: str | None = None,
                   period: str = "2026-11") -> ReadingsSubmitted:
    return ReadingsSubmitted(submission_id=submission_id or f"RES-{uuid.uuid4().hex[:12]}",
                             account_number=account_number, period=period, readings=readings)


def reading(serial: str, value: str, zone: int = 1, **extra: Any) -> MeterReading:
    return MeterReading(meter_serial=serial, energy="active", zone=zone, value=Decimal(value), **extra)


async def test_res_readings_are_accepted_once_per_submission(api: Any, broker: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=2, location="res_substation", consumer_reads=False)
    serial = point["meter_serial"]
    submission = res_submission(consumer.account_number, reading(serial, "1500.25"), reading(serial, "700", zone=2))
    await handled(api, broker, submission)
    # the same submission again under another message id: nothing new
    await handled(api, broker, submission)
    [act] = await api.ok("GET", f"/consumers/{consumer.consumer_id}/acts", api.staff())
    assert (act["source"], act["state"], act["accepted_by"]) == ("res", "accepted", "res")
    [accepted] = await api.outbox("metering.readings_accepted.v1")
    assert [(line["zone"], line["current"]) for line in accepted["readings"]] == [(1, "1500.25"), (2, "700")]
    [render] = await api.outbox("documents.render_requested.v1")
    assert render["source_event"] == f"metering.act/{act['id']}"
    # answered both times, to the RES system that sent it, with the act that holds the readings
    answers = await api.outbox("metering.readings_taken.v1")
    assert [(answer["submission_id"], answer["act_id"], answer["readings"]) for answer in answers] == [
        (submission.submission_id, act["id"], 2)] * 2
    assert await addressees(api, "metering.readings_taken.v1") == {RES_SYSTEM}


async def addressees(api: Any, message_type: str) -> set[str]:
    """The partner systems the outbox's answers of this type are addressed to."""
    rows = await api.scalar("SELECT array_agg(DISTINCT headers->>'x-partner') FROM outbox WHERE message_type = :type",
                            type=message_type)
    return set(rows or ())


async def test_bad_res_messages_are_dead_lettered_with_the_reason(api: Any, broker: Any) -> None:
    consumer = await api.add_consumer()
    point = await api.add_point(consumer.consumer_id, zones=1, digits=4, consumer_reads=False)
    serial = point["meter_serial"]
    other = await api.add_consumer()
    strangers = await api.add_point(other.consumer_id, zones=1)
    await api.ok("POST", f"/consumers/{consumer.consumer_id}/readings", api.staff(), json={
        "period": "2026-10", "readings": [{"point_id": point["id"], "energy": "active", "zone": 1, "value": "500"}]})
    before = await api.snapshot()

    broken = json.loads(res_submission(consumer.account_number, reading(serial, "1")).model_dump_json())
    broken["readings"][0]["zone"] = 5
    ids = {
        "contract": await broker.publish(body=json.dumps(broken).encode(),
                                         message_type=ReadingsSubmitted.message_type()),
        "account": await broker.publish(res_submission("NO-SUCH", reading(serial, "600"))),
        "stranger": await broker.publish(res_submission(consumer.account_number,
                                                        reading(strangers["meter_serial"], "600"))),
        "below": await broker.publish(res_submission(consumer.account_number, reading(serial, "499"))),
        "digits": await broker.publish(res_submission(consumer.account_number, reading(serial, "10000"))),
        "future": await broker.publish(res_submission(consumer.account_number, reading(serial, "600"),
                                                      period="2099-01")),
    }
    dead = await dead_lettered(broker, len(ids))
    assert set(dead) == set(ids.values())
    reasons = {name: str(dead[message_id].headers["x-dead-letter-reason"]) for name, message_id in ids.items()}
    assert "body does not match" in reasons["contract"] and "zone" in reasons["contract"]
    assert "no consumer account 'NO-SUCH'" in reasons["account"]
    assert "readings[0].meter_serial: point_not_found" in reasons["stranger"]
    assert "readings[0].value: below_previous" in reasons["below"]
    assert "readings[0].value: too_many_digits" in reasons["digits"]
    assert "period_invalid" in reasons["future"]
    assert {str(dead[ids[name]].headers["x-exception"]) for name in ids if name != "contract"} == {"PermanentError"}
    # each is answered to the RES system that sent it, with every reason; nothing else is written
    refusals = {answer["message_id"]: answer for answer in await api.outbox("metering.readings_refused.v1")}
    assert set(refusals) == set(ids.values())
    assert {name: refusals[message_id]["reason"] for name, message_id in ids.items()} == {
        name: "invalid" if name == "contract" else "refused" for name in ids}
    assert refusals[ids["contract"]]["submission_id"] == broken["submission_id"]
    assert any("zone" in error for error in refusals[ids["contract"]]["errors"])
    assert refusals[ids["stranger"]]["errors"] == ["readings[0].meter_serial: point_not_found"]
    assert refusals[ids["below"]]["errors"] == ["readings[0].value: below_previous"]
    assert await addressees(api, "metering.readings_refused.v1") == {RES_SYSTEM}
    assert await api.snapshot() == before | {"outbox": before["outbox"] + len(ids)}
