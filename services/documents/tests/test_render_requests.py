"""Render requests over the bus (`documents.render_requested.v1`): acts, invoices and tax invoices of the other
services are rendered, stored and answered with `documents.document_stored.v1` carrying the requester's reference;
the same reference twice makes one document; data the template refuses is dead-lettered with the reason."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from documents.models import Document
from shared.bus import Topology
from shared.bus.topology import declare_exchange
from shared.contracts.documents import DocumentStored, RenderRequested
from shared.testing import wait_for_consumer


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


async def request(exchange: aio_pika.abc.AbstractExchange, event: RenderRequested) -> None:
    await exchange.publish(
        aio_pika.Message(event.model_dump_json().encode(), message_id=str(uuid.uuid4()),
                         type=event.message_type(), content_type="application/json"),
        routing_key=event.message_type(),
    )


def render_request(consumer_id: uuid.UUID, reference: str, **changes: Any) -> RenderRequested:
    # any registered template does: the EDS provider's invoice of the onboarding package
    data: dict[str, Any] = {
        "number": "ЕЦП-20261124-0A1B2C", "issued_on": "2026-11-24",
        "provider": {"name": "ТОВ «Центр сертифікації»", "edrpou": "37456124", "iban": "UA213223130000026007233566001",
                     "bank": "АТ «Банк»", "address": "м. Київ", "phone": "+380 44 111 11 11", "email": "ca@ca.local"},
        "customer": {"name": "ТОВ «Світанок»", "edrpou": "12345678", "address": "м. Дніпро"},
        "signer_name": "Коваль Ірина Петрівна", "signer_position": "Директор",
        "email": "buh@svitanok.local", "price": "250.00", "vat_rate": "0.20",
    } | changes
    return RenderRequested(
        consumer_id=consumer_id, document_type="eds_invoice", period="2026-11", title="Рахунок 0789/11/1",
        file_name="Рахунок 0789-11-1.pdf", data=data, source_event=reference,
    )


async def documents_of(app: FastAPI, consumer_id: uuid.UUID) -> list[Document]:
    async with app.state.database.sessionmaker() as session:
        return list((await session.scalars(sa.select(Document).where(Document.consumer_id == consumer_id))).all())


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
    await asyncio.sleep(1.0)
    documents = await documents_of(app, consumer_id)
    assert len(documents) == len(references)
    assert {document.document_type for document in documents} == {"eds_invoice"}
    assert all(document.content_type == "application/pdf" and document.size > 1000 for document in documents)


async def test_data_the_template_refuses_is_dead_lettered_and_the_others_stored(
    app: FastAPI, exchange: aio_pika.abc.AbstractExchange, amqp_url: str, bus_namespace: str
) -> None:
    consumer_id = uuid.uuid4()
    await request(exchange, render_request(consumer_id, "metering.act/bad", customer={"name": "X", "edrpou": "12"}))
    await request(exchange, render_request(consumer_id, "metering.act/good"))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(Topology(bus_namespace, "documents").dead_letter_queue, passive=True)
        for _ in range(300):
            message = await dlq.get(fail=False)
            if message is not None:
                break
            await asyncio.sleep(0.1)
        assert message is not None
        assert "render refused" in message.headers["x-dead-letter-reason"]
        assert "customer" in message.headers["x-dead-letter-reason"]
    for _ in range(100):
        documents = await documents_of(app, consumer_id)
        if documents:
            break
        await asyncio.sleep(0.1)
    assert [document.source_event for document in documents] == ["metering.act/good"]
