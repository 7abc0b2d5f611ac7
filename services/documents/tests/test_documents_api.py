"""Storing and reading documents through the HTTP API, against real PostgreSQL, RabbitMQ and an S3 server."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from minio import Minio
from pypdf import PdfReader

from documents.domain.documents import Metadata
from documents.models import Document
from documents.service import Documents, NewDocument
from shared.auth import Principal, Role
from shared.bus.tables import OUTBOX
from shared.testing import OTHER_BRANCH_ID, staff_of

PDF = b"%PDF-1.4\n% a small but real-looking document\n"


def new_document(consumer_id: uuid.UUID, content: bytes = PDF, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "consumer_id": str(consumer_id), "type": "invoice", "period": "2024-05",
        "title": "Рахунок за травень 2024", "file_name": "Рахунок за травень 2024.pdf",
        "content_type": "application/pdf", "content_base64": base64.b64encode(content).decode(),
    }
    body.update(changes)
    return body


async def store(client: httpx.AsyncClient, consumer_id: uuid.UUID, content: bytes = PDF,
                **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/documents", json=new_document(consumer_id, content, **changes))
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()
    return stored


async def outbox(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    async with app.state.database.sessionmaker() as session:
        rows = (await session.execute(sa.select(OUTBOX.c.message_type, OUTBOX.c.body).order_by(OUTBOX.c.id))).all()
    return [(row.message_type, json.loads(row.body)) for row in rows]


async def document_rows(app: FastAPI) -> int:
    async with app.state.database.sessionmaker() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(Document))).scalar_one())


def objects(raw_s3: Minio, bucket: str) -> list[str]:
    return [found.object_name for found in raw_s3.list_objects(bucket, prefix="sha256/", recursive=True)]


async def test_a_stored_document_reads_back_byte_for_byte_with_its_sha256(
    service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    consumer_id = uuid.uuid4()
    stored = await store(service_client, consumer_id)

    digest = hashlib.sha256(PDF).hexdigest()
    assert stored["sha256"] == digest and stored["size"] == len(PDF)
    assert stored["consumer_id"] == str(consumer_id) and stored["type"] == "invoice" and stored["period"] == "2024-05"
    metadata = (await service_client.get(f"/api/v1/documents/{stored['id']}")).json()
    assert metadata == stored
    content = await service_client.get(stored["content_path"])
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["etag"] == f'"{digest}"'
    assert content.headers["x-content-type-options"] == "nosniff"


async def test_the_download_names_the_file_in_cyrillic_as_rfc_6266_asks(
    service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    stored = await store(service_client, uuid.uuid4())
    disposition = (await service_client.get(stored["content_path"])).headers["content-disposition"]
    assert disposition == (
        "attachment; filename=\"document.pdf\"; filename*=UTF-8''"
        "%D0%A0%D0%B0%D1%85%D1%83%D0%BD%D0%BE%D0%BA%20%D0%B7%D0%B0%20%D1%82%D1%80%D0%B0%D0%B2%D0%B5%D0%BD%D1%8C"
        "%202024.pdf"
    )


async def test_identical_bytes_are_one_object_under_two_documents(
    service_client: httpx.AsyncClient, app: FastAPI, raw_s3: Minio, bucket: str
) -> None:
    first = await store(service_client, uuid.uuid4())
    second = await store(service_client, uuid.uuid4(), title="Інший рахунок")

    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert objects(raw_s3, bucket) == [f"sha256/{first['sha256']}"]
    assert (await service_client.get(second["content_path"])).content == PDF
    await store(service_client, uuid.uuid4(), PDF + b"%%EOF\n")
    assert len(objects(raw_s3, bucket)) == 2


async def test_a_reissue_is_a_new_document_pointing_to_the_one_it_replaces(
    service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    consumer_id = uuid.uuid4()
    original = await store(service_client, consumer_id)
    corrected = await store(service_client, consumer_id, PDF + b"% corrected\n", replaces=original["id"])

    assert corrected["replaces"] == original["id"] and corrected["id"] != original["id"]
    reread = (await service_client.get(f"/api/v1/documents/{original['id']}")).json()
    assert reread["replaced_by"] == corrected["id"]
    # the original's bytes stay as they were
    assert (await service_client.get(original["content_path"])).content == PDF

    again = await service_client.post("/api/v1/documents", json=new_document(consumer_id, replaces=original["id"]))
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "already_replaced"
    assert again.json()["detail"]["replaced_by"] == corrected["id"]

    elsewhere = await service_client.post("/api/v1/documents",
                                          json=new_document(uuid.uuid4(), replaces=corrected["id"]))
    assert elsewhere.status_code == 422
    assert elsewhere.json()["detail"]["fields"] == {"replaces": "other_consumer"}
    missing = await service_client.post("/api/v1/documents", json=new_document(consumer_id, replaces=str(uuid.uuid4())))
    assert missing.json()["detail"]["fields"] == {"replaces": "document_not_found"}


async def test_tampered_bytes_are_refused_not_served(
    service_client: httpx.AsyncClient, app: FastAPI, raw_s3: Minio, bucket: str
) -> None:
    stored = await store(service_client, uuid.uuid4())
    forged = b"%PDF-1.4\n% pay to another IBAN\n"
    raw_s3.put_object(bucket, f"sha256/{stored['sha256']}", io.BytesIO(forged), len(forged),
                      content_type="application/pdf")
    failures_before = await integrity_failures(service_client, "mismatch")

    response = await service_client.get(stored["content_path"])

    assert response.status_code == 500
    assert response.json()["detail"]["code"] == "integrity_failure"
    assert forged not in response.content
    assert await integrity_failures(service_client, "mismatch") == failures_before + 1


async def test_missing_bytes_are_an_integrity_failure_too(
    service_client: httpx.AsyncClient, app: FastAPI, raw_s3: Minio, bucket: str
) -> None:
    stored = await store(service_client, uuid.uuid4())
    raw_s3.remove_object(bucket, f"sha256/{stored['sha256']}")
    response = await service_client.get(stored["content_path"])
    assert response.status_code == 500
    assert response.json()["detail"]["code"] == "integrity_failure"


async def integrity_failures(client: httpx.AsyncClient, reason: str) -> float:
    metrics = (await client.get("/metrics")).text
    prefix = f'cabinet_document_integrity_failures_total{{reason="{reason}"}} '
    return next((float(line[len(prefix):]) for line in metrics.splitlines() if line.startswith(prefix)), 0.0)


async def test_a_consumer_sees_only_their_own_documents_by_every_route(
    service_client: httpx.AsyncClient, staff_client: httpx.AsyncClient,
    consumer_client: Callable[[uuid.UUID], httpx.AsyncClient], client_for: Callable[[Principal], httpx.AsyncClient],
    known_consumer: Callable[[uuid.UUID], Awaitable[uuid.UUID]], app: FastAPI,
) -> None:
    alice, bob = await known_consumer(uuid.uuid4()), await known_consumer(uuid.uuid4())
    alices = await store(service_client, alice)
    bobs = await store(service_client, bob, PDF + b"% bob\n")
    as_alice = consumer_client(alice)

    own = (await as_alice.get("/api/v1/documents")).json()
    assert [item["id"] for item in own["items"]] == [alices["id"]] and own["total"] == 1
    assert (await as_alice.get("/api/v1/documents", params={"consumer_id": str(alice)})).status_code == 200
    foreign_listing = await as_alice.get("/api/v1/documents", params={"consumer_id": str(bob)})
    assert foreign_listing.status_code == 403
    assert foreign_listing.json()["detail"]["code"] == "other_consumer"
    for path in (f"/api/v1/documents/{bobs['id']}", bobs["content_path"]):
        refused = await as_alice.get(path)
        assert refused.status_code == 404, path
        assert refused.json()["detail"]["code"] == "document_not_found"
    assert (await as_alice.get(alices["content_path"])).content == PDF
    # consumers do not issue documents, nor re-issue someone else's
    assert (await as_alice.post("/api/v1/documents", json=new_document(alice))).status_code == 403
    assert (await as_alice.post("/api/v1/documents", json=new_document(bob, replaces=bobs["id"]))).status_code == 403
    assert (await as_alice.post("/api/v1/documents/render", json={
        "consumer_id": str(bob), "type": "eds_invoice", "title": "x", "data": {}})).status_code == 403

    for path in (f"/api/v1/documents/{bobs['id']}", bobs["content_path"]):
        assert (await staff_client.get(path)).status_code == 200
    listed = (await staff_client.get("/api/v1/documents", params={"consumer_id": str(bob)})).json()
    assert [item["id"] for item in listed["items"]] == [bobs["id"]]
    assert (await staff_client.get("/api/v1/documents")).json()["total"] == 2
    # another branch's staff: as if there were none
    elsewhere = client_for(staff_of(OTHER_BRANCH_ID))
    for path in (f"/api/v1/documents/{bobs['id']}", bobs["content_path"]):
        assert (await elsewhere.get(path)).status_code == 404
    assert (await elsewhere.get("/api/v1/documents")).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert (await elsewhere.get("/api/v1/documents", params={"consumer_id": str(bob)})).json()["total"] == 0

    anonymous = client_for(Principal(role=Role.ANONYMOUS))
    assert (await anonymous.get("/api/v1/documents")).status_code == 403
    assert (await anonymous.get(f"/api/v1/documents/{alices['id']}")).status_code == 403
    no_token = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://documents")
    async with no_token:
        assert (await no_token.get(alices["content_path"])).status_code == 401


async def test_listing_filters_by_type_and_period_newest_first(
    service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    consumer_id = uuid.uuid4()
    may = await store(service_client, consumer_id, PDF + b"1")
    june = await store(service_client, consumer_id, PDF + b"2", period="2024-06")
    act = await store(service_client, consumer_id, PDF + b"3", type="act_of_readings", period="2024-06")

    async def ids(**params: str) -> list[str]:
        response = await service_client.get("/api/v1/documents", params={"consumer_id": str(consumer_id), **params})
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [act["id"], june["id"], may["id"]]
    assert await ids(type="invoice") == [june["id"], may["id"]]
    assert await ids(period="2024-06") == [act["id"], june["id"]]
    assert await ids(type="invoice", period="2024-05") == [may["id"]]
    page = (await service_client.get("/api/v1/documents", params={
        "consumer_id": str(consumer_id), "limit": "1", "offset": "1"})).json()
    assert [item["id"] for item in page["items"]] == [june["id"]] and page["total"] == 3


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"content_base64": "not base64!"}, "content_base64", "base64_invalid"),
        ({"content_base64": base64.b64encode(b"<html>").decode()}, "content", "content_does_not_match_type"),
        ({"content_type": "text/html"}, "content_type", "content_type_not_allowed"),
        ({"period": "2024-5"}, "period", "period_invalid"),
        ({"type": "../x"}, "type", "document_type_invalid"),
        ({"file_name": "a/b.pdf"}, "file_name", "file_name_invalid"),
        ({"title": None}, "title", "string_type"),
    ],
)
async def test_bad_documents_are_refused_with_the_field_and_nothing_is_stored(
    service_client: httpx.AsyncClient, app: FastAPI, raw_s3: Minio, bucket: str,
    changes: dict[str, Any], field: str, code: str,
) -> None:
    response = await service_client.post("/api/v1/documents", json=new_document(uuid.uuid4(), **changes))
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == {field: code}
    assert await document_rows(app) == 0 and await outbox(app) == []
    assert objects(raw_s3, bucket) == []


async def test_a_file_can_be_uploaded_as_multipart(
    staff_client: httpx.AsyncClient, known_consumer: Callable[[uuid.UUID], Awaitable[uuid.UUID]]
) -> None:
    consumer_id = await known_consumer(uuid.uuid4())
    response = await staff_client.post(
        "/api/v1/documents/files",
        data={"consumer_id": str(consumer_id), "type": "supplementary_agreement", "title": "Додаткова угода № 3"},
        files={"file": ("Додаткова угода № 3.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["file_name"] == "Додаткова угода № 3.pdf" and stored["period"] is None
    assert (await staff_client.get(stored["content_path"])).content == PDF


async def test_documents_render_from_a_template_and_are_stored(
    service_client: httpx.AsyncClient, app: FastAPI
) -> None:
    consumer_id = uuid.uuid4()
    data = {
        "number": "ЕЦП-1", "issued_on": "2024-05-01", "provider": {"name": "ТОВ «Мега-Білінг»", "edrpou": "37456124"},
        "customer": {"name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678"},
        "signer_name": "Іваненко Іван Іванович", "signer_position": "Голова", "email": "a@example.com",
        "price": "300.00", "vat_rate": "0.20",
    }
    response = await service_client.post("/api/v1/documents/render", json={
        "consumer_id": str(consumer_id), "type": "eds_invoice", "title": "Рахунок № ЕЦП-1", "data": data,
        "source_event": "billing.invoice_issued.v1/5d1c7a0e",
    })
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["content_type"] == "application/pdf" and stored["file_name"] == "Рахунок № ЕЦП-1.pdf"
    assert stored["source_event"] == "billing.invoice_issued.v1/5d1c7a0e"
    pdf = (await service_client.get(stored["content_path"])).content
    assert "Рахунок на оплату № ЕЦП-1" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    bad = await service_client.post("/api/v1/documents/render", json={
        "consumer_id": str(consumer_id), "type": "eds_invoice", "title": "x",
        "data": {**data, "customer": {"name": "X", "edrpou": "123"}},
    })
    assert bad.status_code == 422
    assert bad.json()["detail"]["fields"] == {"data.customer.edrpou": "string_pattern_mismatch"}
    unknown = await service_client.post("/api/v1/documents/render", json={
        "consumer_id": str(consumer_id), "type": "no_such_template", "title": "x", "data": {}})
    assert unknown.json()["detail"]["fields"] == {"type": "template_unknown"}
    templates = (await service_client.get("/api/v1/templates")).json()
    assert "eds_invoice" in [template["type"] for template in templates]


async def test_a_reference_renders_once_however_many_ask_at_the_same_time(
    service_client: httpx.AsyncClient, app: FastAPI, raw_s3: Minio, bucket: str
) -> None:
    """A PDF rendered on its first download (a tax invoice's): two first downloads at once give one document."""
    consumer_id = uuid.uuid4()
    request = {
        "consumer_id": str(consumer_id), "type": "eds_invoice", "title": "Рахунок № ЕЦП-2",
        "source_event": "billing.tax_invoice/7f1c7a0e",
        "data": {
            "number": "ЕЦП-2", "issued_on": "2024-05-01",
            "provider": {"name": "ТОВ «Мега-Білінг»", "edrpou": "37456124"},
            "customer": {"name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678"},
            "signer_name": "Іваненко Іван Іванович", "signer_position": "Голова", "email": "a@example.com",
            "price": "300.00", "vat_rate": "0.20",
        },
    }
    first, second = await asyncio.gather(*(service_client.post("/api/v1/documents/render", json=request)
                                           for _ in range(2)))
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    assert await document_rows(app) == 1 and len(objects(raw_s3, bucket)) == 1
    assert [message_type for message_type, _ in await outbox(app)] == ["documents.document_stored.v1"]
    # later it is the same document again, and another consumer's request cannot take the reference
    assert (await service_client.post("/api/v1/documents/render", json=request)).json()["id"] == first.json()["id"]
    taken = await service_client.post("/api/v1/documents/render", json={**request, "consumer_id": str(uuid.uuid4())})
    assert taken.status_code == 409 and taken.json()["detail"]["code"] == "reference_taken"


async def test_document_stored_is_written_in_the_same_transaction_as_the_document(
    app: FastAPI
) -> None:
    documents_runtime = app.state.documents
    service = Principal(role=Role.SERVICE)
    metadata = Metadata(document_type="invoice", period="2024-05", title="Рахунок", file_name="r.pdf",
                        content_type="application/pdf")

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned):
        async with app.state.database.transaction() as session:
            await Documents(session, documents_runtime).store(service, NewDocument(uuid.uuid4(), metadata, PDF))
            raise Abandoned
    assert await document_rows(app) == 0 and await outbox(app) == []

    async with app.state.database.transaction() as session:
        listed = await Documents(session, documents_runtime).store(service, NewDocument(uuid.uuid4(), metadata, PDF))
    [(message_type, body)] = await outbox(app)
    assert message_type == "documents.document_stored.v1"
    assert body["document_id"] == str(listed.document.id)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["document_type"] == "invoice"
    assert await document_rows(app) == 1


async def test_documents_outlive_a_restart(
    run_documents: Callable[..., Any], client_of: Callable[[FastAPI, Principal], httpx.AsyncClient]
) -> None:
    service = Principal(role=Role.SERVICE)
    async with run_documents() as first:
        stored = await store(client_of(first, service), uuid.uuid4())
    async with run_documents() as second:
        assert (await client_of(second, service).get(stored["content_path"])).content == PDF
