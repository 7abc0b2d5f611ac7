"""Render requests over the bus (`documents.render_requested.v1`): acts, invoices and tax invoices of the other
services are rendered, stored and answered with `documents.document_stored.v1` carrying the requester's reference;
the same reference twice makes one document; data that is not its document type's is dead-lettered with the reason."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import aio_pika
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from documents.models import Document
from shared.bus import Topology
from shared.bus.tables import INBOX
from shared.bus.topology import declare_exchange
from shared.contracts.documents import DocumentStored, InvoiceData, InvoiceLine, Party, RenderRequested
from shared.testing import eventually, wait_for_consumer


@pytest.fixture
async def exchange(
    app: FastAPI, amqp_url: str, bus_namespace: str
) -> AsyncIterator[aio_pika.abc.AbstractExchange]:
    """Where the other services publish, once the documents service listens."""
    await wait_for_consumer(amqp_url, Topology(bus_namespace, "documents").queue)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    yield await declare_exchange(channel, Topology(bus_namespace, "documents"))
    await connection.close()


async def request(exchange: aio_pika.abc.AbstractExchange, event: RenderRequested, **data_changes: Any) -> None:
    """`event` as its producer sends it; with `data_changes`, its data changed as no producer could."""
    body = event.model_dump(mode="json")
    body["data"] |= data_changes
    await exchange.publish(
        aio_pika.Message(json.dumps(body).encode(), message_id=str(uuid.uuid4()),
                         type=event.message_type(), content_type="application/json"),
        routing_key=event.message_type(),
    )


def render_request(consumer_id: uuid.UUID, reference: str) -> RenderRequested:
    """An invoice, as billing asks for it (the contract's own data class)."""
    supplier = Party(name="ТОВ «Енергозбут»", edrpou="37456124", iban="UA213223130000026007233566001")
    data = InvoiceData(
        number="0789/11/1", kind="regular", period="2026-11", formed_on=date(2026, 11, 25), pay_by=date(2026, 12, 5),
        account_number="0789", supplier=supplier, consumer=Party(name="ТОВ «Світанок»", edrpou="12345678"),
        lines=[InvoiceLine(meter_serial="0123456", energy="active", zones=1, zone=1, previous=Decimal(1000),
                           current=Decimal(1240), ct_ratio=Decimal(1), vt_ratio=Decimal(1), volume=Decimal(240),
                           tariff_price=Decimal("1.444"), coefficient=Decimal(1), price=Decimal("1.444"),
                           amount=Decimal("346.56"))],
        amount_excl_vat=Decimal("346.56"), vat=Decimal("69.31"), total=Decimal("415.87"), vat_rate=Decimal("0.20"),
    )
    return RenderRequested(
        consumer_id=consumer_id, document_type=data.document_type, period="2026-11", title="Рахунок 0789/11/1",
        file_name="Рахунок 0789-11-1.pdf", data=data, source_event=reference,
    )


async def documents_of(app: FastAPI, consumer_id: uuid.UUID) -> list[Document]:
    async with app.state.database.sessionmaker() as session:
        return list((await session.scalars(sa.select(Document).where(Document.consumer_id == consumer_id))).all())


async def requests_handled(app: FastAPI) -> int:
    """How many render requests the service has handled (each leaves its row in the inbox)."""
    async with app.state.database.sessionmaker() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(INBOX).where(
            INBOX.c.message_type == RenderRequested.message_type()))).scalar_one())


async def test_requests_are_rendered_stored_and_answered_once_per_reference(
    app: FastAPI, exchange: aio_pika.abc.AbstractExchange, amqp_url: str, bus_namespace: str
) -> None:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    answers = await channel.declare_queue(exclusive=True)
    await answers.bind(f"{bus_namespace}.events", DocumentStored.message_type())
    consumer_id = uuid.uuid4()
    references = [f"billing.invoice/{uuid.uuid4()}" for _ in range(5)]
    for reference in references:
        await request(exchange, render_request(consumer_id, reference))
    await request(exchange, render_request(consumer_id, references[0]))  # asked again: answered before
    stored: list[dict[str, Any]] = []
    async with answers.iterator(timeout=30) as received:
        async for message in received:
            await message.ack()
            stored.append(json.loads(message.body))
            if len(stored) == len(references):
                break
    await connection.close()
    assert sorted(answer["source_event"] for answer in stored) == sorted(references)

    async def repeat_handled() -> bool:
        return await requests_handled(app) == len(references) + 1

    await eventually(repeat_handled)  # and so a second document of the same reference would be there by now
    documents = await documents_of(app, consumer_id)
    assert len(documents) == len(references)
    assert {document.document_type for document in documents} == {"invoice"}
    assert all(document.content_type == "application/pdf" and document.size > 1000 for document in documents)


async def test_data_not_of_its_document_type_is_dead_lettered_and_the_others_stored(
    app: FastAPI, exchange: aio_pika.abc.AbstractExchange, amqp_url: str, bus_namespace: str
) -> None:
    consumer_id = uuid.uuid4()
    await request(exchange, render_request(consumer_id, "metering.act/bad"), consumer={"name": "X", "edrpou": "12"})
    await request(exchange, render_request(consumer_id, "metering.act/good"))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(Topology(bus_namespace, "documents").dead_letter_queue, passive=True)
        message = await eventually(lambda: dlq.get(fail=False), within=30.0, what="the bad request dead-lettered")
        assert "data.consumer.edrpou" in message.headers["x-dead-letter-reason"]
    documents = await eventually(lambda: documents_of(app, consumer_id), within=10.0)
    assert [document.source_event for document in documents] == ["metering.act/good"]
