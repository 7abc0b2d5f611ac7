"""What billing consumes, over the real broker: consumer accounts, metering points, accepted readings (a correction
of an invoiced period issues a correcting invoice, once however often the message comes), the stored invoice PDF
and its signature status."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import aio_pika
import pytest
from fastapi import FastAPI

from shared.bus import Topology
from shared.bus.topology import declare_exchange
from shared.contracts.base import Event
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from shared.contracts.metering import MeteringPointChanged
from shared.contracts.signature import DocumentStatusChanged
from shared.testing import eventually, wait_for_consumer

Publish = Callable[..., Awaitable[str]]


@pytest.fixture
async def publish(app: FastAPI, amqp_url: str, bus_namespace: str) -> AsyncIterator[Publish]:
    """Publishes as the other services do, once billing listens; the message id (given, to send one again)."""
    await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await declare_exchange(channel, Topology(bus_namespace, "billing"))

    async def send(event: Event, message_id: str | None = None) -> str:
        message_id = message_id or str(uuid.uuid4())
        await exchange.publish(aio_pika.Message(event.model_dump_json().encode(), message_id=message_id,
                                                type=event.message_type(), content_type="application/json"),
                               routing_key=event.message_type())
        return message_id

    yield send
    await connection.close()


async def handled(api: Any, message_id: str) -> bool:
    return bool(await api.scalar("SELECT count(*) FROM inbox WHERE message_id = :id", id=message_id))


async def test_consumer_accounts_and_metering_points_are_kept(api: Any, publish: Publish) -> None:
    consumer_id, point_id = uuid.uuid4(), uuid.uuid4()
    account = {"consumer_id": consumer_id, "account_number": "0789", "name": "Кооператив", "edrpou": "12345678",
               "branch_id": api.branch_id, "branch_name": "РЕС", "agreement_email": "a@cabinet.local",
               "billing_day": 25, "self_calculation": False, "e_signature": True}
    await publish(ConsumerAccountCreated(**account))
    last = await publish(ConsumerAccountUpdated(**{**account, "self_calculation": True, "billing_day": 5}))
    point = {"point_id": point_id, "consumer_id": consumer_id, "meter_serial": "0123456", "zones": 2, "digits": 6,
             "ct_ratio": Decimal("40"), "vt_ratio": Decimal("1"), "location": "res_substation",
             "consumer_reads": False, "registers": ("active", "reactive"), "tariff_class": "class2_general",
             "active": True}
    await publish(MeteringPointChanged(**point))
    retired = await publish(MeteringPointChanged(**{**point, "active": False}))
    await eventually(lambda: handled(api, last))
    await eventually(lambda: handled(api, retired))
    assert await api.scalar("SELECT self_calculation::text || billing_day FROM consumers") == "true5"
    assert await api.scalar("SELECT active::text || ct_ratio || array_to_string(registers, ',') FROM metering_points"
                            ) == "false40.0000active,reactive"


async def test_a_correction_over_the_bus_issues_one_correcting_invoice(api: Any, publish: Publish) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer()
    point = await api.add_point(consumer_id, "0123456")
    first = await publish(api.readings_accepted(consumer_id, "2013-08", [(point, "active", 1, "1000", "1200")]))
    # a later act of the same period replaces the earlier one's readings
    second = await publish(api.readings_accepted(consumer_id, "2013-08", [(point, "active", 1, "1000", "1240")]))
    await eventually(lambda: handled(api, second))
    assert await handled(api, first)
    invoice = (await api.call("POST", f"/consumers/{consumer_id}/invoices", api.consumer_user(consumer_id),
                              json={"period": "2013-08"})).json()
    assert invoice["total"] == "415.87"

    correction = api.readings_accepted(consumer_id, "2013-08", [(point, "active", 1, "1000", "1250")],
                                   correction_reason="misread digit")
    message_id = await publish(correction)
    await publish(correction, message_id)  # redelivered
    await publish(correction)  # the same act published again

    async def all_handled() -> bool:
        return bool(await api.scalar("SELECT count(*) FROM inbox WHERE message_type LIKE 'metering.%'") == 4)

    await eventually(all_handled)
    listed = await api.ok("GET", f"/consumers/{consumer_id}/invoices", api.staff())
    assert [(item["number"], item["total"]) for item in listed["items"]] == [("0789/8/1/П1", "17.33"),
                                                                           ("0789/8/1", "415.87")]


async def test_the_stored_pdf_and_its_signature_status_reach_the_invoice(api: Any, publish: Publish) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer()
    point = await api.add_point(consumer_id, "0123456")
    await api.accept(consumer_id, "2013-08", [(point, "active", 1, "1000", "1240")])
    invoice = (await api.call("POST", f"/consumers/{consumer_id}/invoices", api.staff(),
                              json={"period": "2013-08"})).json()
    document_id = uuid.uuid4()
    stored = {"document_id": document_id, "consumer_id": consumer_id, "document_type": "invoice",
              "period": "2013-08", "title": "Рахунок № 0789/8/1", "file_name": "Рахунок 0789-8-1.pdf",
              "content_type": "application/pdf", "size": 1000, "sha256": "0" * 64, "replaces": None,
              "source_event": f"billing.invoice/{invoice['id']}"}
    await publish(DocumentStored(**{**stored, "document_id": uuid.uuid4(), "document_type": "act_of_readings",
                                    "source_event": f"metering.act/{uuid.uuid4()}"}))
    await publish(DocumentStored(**stored))
    await publish(DocumentStatusChanged(document_id=document_id, consumer_id=consumer_id, document_type="invoice",
                                        status="signed_by_supplier", party="supplier", signature_id=uuid.uuid4(),
                                        rejected_reason=None))

    async def signed() -> Any:
        found = await api.ok("GET", f"/invoices/{invoice['id']}", api.consumer_user(consumer_id))
        return found if found["signature_status"] else None

    found = await eventually(signed)
    assert (found["document_id"], found["signature_status"]) == (str(document_id), "signed_by_supplier")
    assert await api.scalar("SELECT count(*) FROM invoices WHERE document_id IS NOT NULL") == 1
