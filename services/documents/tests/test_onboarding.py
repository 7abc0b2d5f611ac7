"""The e-signature onboarding package (manual «Оформление ЭЦП»): the form → documents.zip with six PDFs carrying
the form's data, stored, and announced for notify to e-mail."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pypdf import PdfReader

from shared.auth import Principal, Role
from shared.bus import Topology
from shared.bus.tables import OUTBOX
from shared.bus.topology import declare_exchange

FORM = {
    "company_name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678",
    "legal_address": "49000, м. Дніпро, вул. Січеславська, 5", "phone": "+380 56 123 45 67",
    "signer_name": "Ґалаґан Юлія Миколаївна", "signer_position": "Голова правління",
    "email": "buh@avto2.example.com",
}
EXPECTED_FILES = [
    "01 Публічний договір.pdf", "02 Заявка на реєстрацію.pdf", "03 Акт про отримання послуг.pdf",
    "04 Рахунок на оплату.pdf", "05 Бланк парольної фрази.pdf", "06 Інструкція з отримання ЕЦП.pdf",
]


@pytest.fixture
async def published(
    amqp_url: str, bus_namespace: str
) -> AsyncIterator[asyncio.Queue[aio_pika.abc.AbstractIncomingMessage]]:
    """What the documents service publishes to the broker, as a subscriber of `documents.#` receives it."""
    received: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await declare_exchange(channel, Topology(bus_namespace, "documents"))
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "documents.#")
    await queue.consume(received.put, no_ack=True)
    yield received
    await connection.close()


async def outbox_types(app: FastAPI) -> list[str]:
    async with app.state.database.sessionmaker() as session:
        return list((await session.execute(sa.select(OUTBOX.c.message_type).order_by(OUTBOX.c.id))).scalars())


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


async def test_the_form_makes_documents_zip_with_the_form_data_in_every_document(
    consumer_client: Callable[[uuid.UUID], httpx.AsyncClient], app: FastAPI,
    published: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage],
) -> None:
    consumer_id = uuid.uuid4()
    client = consumer_client(consumer_id)

    response = await client.post("/api/v1/onboarding-packages", json=FORM)

    assert response.status_code == 201, response.text
    package = response.json()
    document = package["document"]
    assert package["email"] == FORM["email"]
    assert document["type"] == "eds_onboarding_package" and document["consumer_id"] == str(consumer_id)
    assert document["file_name"] == "documents.zip" and document["content_type"] == "application/zip"
    download = await client.get(document["content_path"])
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert 'filename="documents.zip"' in download.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.namelist() == EXPECTED_FILES
        for name in EXPECTED_FILES:
            text = pdf_text(archive.read(name))
            for expected in (FORM["edrpou"], FORM["signer_name"], FORM["company_name"]):
                assert expected in text, f"{expected!r} missing from {name}"
    listed = (await client.get("/api/v1/documents", params={"type": "eds_onboarding_package"})).json()
    assert [item["id"] for item in listed["items"]] == [document["id"]]

    assert await outbox_types(app) == [
        "documents.document_stored.v1", "documents.eds_onboarding_package_ready.v1",
    ]
    # the relay publishes both to the broker
    messages = {}
    for _ in range(2):
        message = await asyncio.wait_for(published.get(), timeout=30)
        messages[message.type] = json.loads(message.body)
    ready = messages["documents.eds_onboarding_package_ready.v1"]
    assert ready["document_id"] == document["id"] and ready["consumer_id"] == str(consumer_id)
    assert ready["email"] == FORM["email"] and ready["edrpou"] == FORM["edrpou"]
    assert ready["content_path"] == document["content_path"]
    assert ready["download_url"] == f"https://cabinet.example/documents/{document['id']}/download"
    assert messages["documents.document_stored.v1"]["sha256"] == document["sha256"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"edrpou": "12345679"}, {"edrpou": "edrpou_invalid"}),
        ({"edrpou": "12345679", "email": "buh@", "signer_name": "Ґалаґан"},
         {"edrpou": "edrpou_invalid", "email": "email_invalid", "signer_name": "person_name_invalid"}),
        ({"signer_position": "   "}, {"signer_position": "required"}),
        ({"signer_name": None}, {"signer_name": "string_type"}),
        ({"unexpected": "x"}, {"unexpected": "extra_forbidden"}),
    ],
)
async def test_mistakes_in_the_form_are_refused_by_field_and_nothing_is_made(
    consumer_client: Callable[[uuid.UUID], httpx.AsyncClient], app: FastAPI,
    changes: dict[str, Any], fields: dict[str, str],
) -> None:
    client = consumer_client(uuid.uuid4())
    response = await client.post("/api/v1/onboarding-packages", json={**FORM, **changes})
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == fields
    assert await outbox_types(app) == []


async def test_missing_fields_are_named(
    consumer_client: Callable[[uuid.UUID], httpx.AsyncClient], app: FastAPI
) -> None:
    form = {key: value for key, value in FORM.items() if key not in ("edrpou", "email")}
    response = await consumer_client(uuid.uuid4()).post("/api/v1/onboarding-packages", json=form)
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == {"edrpou": "missing", "email": "missing"}


async def test_only_a_consumer_requests_a_package(
    staff_client: httpx.AsyncClient, service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    for client in (staff_client, service_client):
        response = await client.post("/api/v1/onboarding-packages", json=FORM)
        assert response.status_code == 403


async def test_packages_are_limited_per_consumer_and_hour(
    run_documents: Callable[..., Any], client_of: Callable[[FastAPI, Principal], httpx.AsyncClient]
) -> None:
    consumer = Principal(user_id=uuid.uuid4(), consumer_id=uuid.uuid4(), role=Role.CONSUMER)
    another = Principal(user_id=uuid.uuid4(), consumer_id=uuid.uuid4(), role=Role.CONSUMER)
    async with run_documents(onboarding_packages_per_hour=2) as app:
        client = client_of(app, consumer)
        for _ in range(2):
            assert (await client.post("/api/v1/onboarding-packages", json=FORM)).status_code == 201
        refused = await client.post("/api/v1/onboarding-packages", json=FORM)
        assert refused.status_code == 429
        assert refused.json()["detail"]["code"] == "throttled"
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600
        # another consumer is not held back
        assert (await client_of(app, another).post("/api/v1/onboarding-packages", json=FORM)).status_code == 201
