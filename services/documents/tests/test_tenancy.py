"""Tenancy of every documents route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer's documents, nor store one for it; its own user and its branch's staff do."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from documents.endpoints import router
from shared.auth import Principal, Role, ServiceTokens
from shared.testing import BRANCH_ID, OTHER_BRANCH_ID
from shared.testing_tenancy import Probe, TenancyCheck, callers

PDF = b"%PDF-1.4\n% a small but real-looking document\n"
EDS_INVOICE = {
    "number": "ЕЦП-1", "issued_on": "2024-05-01", "provider": {"name": "ТОВ «Мега-Білінг»", "edrpou": "37456124"},
    "customer": {"name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678"},
    "signer_name": "Іваненко Іван Іванович", "signer_position": "Голова", "email": "a@example.com",
    "price": "300.00", "vat_rate": "0.20",
}


async def test_every_route_keeps_to_the_consumer_and_its_branch(
    app: FastAPI, service_token_secret: str, known_consumer: Callable[[uuid.UUID], Awaitable[uuid.UUID]],
) -> None:
    started = time.monotonic()
    own, other = await known_consumer(uuid.uuid4()), await known_consumer(uuid.uuid4())
    tokens = ServiceTokens(service_token_secret)
    new_document = {
        "consumer_id": str(own), "type": "invoice", "period": "2024-05", "title": "Рахунок за травень 2024",
        "file_name": "Рахунок за травень 2024.pdf", "content_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://documents") as client:
        service = {"Authorization": f"Bearer {tokens.issue(Principal(role=Role.SERVICE, issuer='billing'))}"}
        stored = (await client.post("/api/v1/documents", json=new_document, headers=service)).json()

        def probe(path: str, **fields: Any) -> Callable[[], Awaitable[Probe]]:
            async def make() -> Probe:
                return Probe(path, **fields)
            return make

        probes = {
            "POST /api/v1/documents": probe("/api/v1/documents", json=new_document),
            "POST /api/v1/documents/files": probe(
                "/api/v1/documents/files", data={"consumer_id": str(own), "type": "supplementary_agreement",
                                                 "title": "Додаткова угода № 3"},
                files={"file": ("Додаткова угода № 3.pdf", PDF, "application/pdf")}),
            "POST /api/v1/documents/render": probe("/api/v1/documents/render", json={
                "consumer_id": str(own), "type": "eds_invoice", "title": "Рахунок № ЕЦП-1", "data": EDS_INVOICE}),
            "GET /api/v1/documents": probe("/api/v1/documents", lists=(stored["id"],)),
            "GET /api/v1/documents/{document_id}": probe(f"/api/v1/documents/{stored['id']}"),
            "GET /api/v1/documents/{document_id}/content": probe(stored["content_path"]),
        }
        exempt = {
            "POST /api/v1/onboarding-packages": "a consumer's user asks for their own consumer's package: the token "
                                                "names the consumer, the request names none",
            "GET /api/v1/templates": "the document types the service renders: no consumer's data",
        }

        async def snapshot() -> int:
            async with app.state.database.sessionmaker() as session:
                return int((await session.execute(sa.text("SELECT count(*) FROM documents"))).scalar_one())

        check = TenancyCheck(client, tokens, callers(own, other, BRANCH_ID, OTHER_BRANCH_ID), snapshot=snapshot)
        outcomes = await check.run([router], probes, exempt)
    assert len(outcomes) == len(probes) * 7
    print(f"documents tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
