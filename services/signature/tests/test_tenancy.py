"""Tenancy of every signature route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer's documents, statuses, signature files and containers, nor sign, seal or refuse its
documents; its own user and its branch's staff do."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import sqlalchemy as sa

from shared.testing_tenancy import Probe, TenancyCheck, callers
from signature.endpoints import router

TABLES = ("signings", "signatures", "outbox")


async def test_every_route_keeps_to_the_consumer_and_its_branch(cabinet: Any) -> None:
    started = time.monotonic()
    own, other = cabinet.consumer_a.consumer_id, cabinet.consumer_b.consumer_id
    documents = [await cabinet.store_document(own, document_type="act") for _ in range(4)]
    for document in documents:
        await cabinet.heard_of(document["id"])
    listed, to_seal, sealed, to_refuse = (document["id"] for document in documents)
    signed = (await cabinet.api(cabinet.staff).post(f"/api/v1/documents/{sealed}/seal")).json()
    signature = signed["signature"]["id"]

    def probe(path: str, **fields: Any) -> Callable[[], Awaitable[Probe]]:
        async def make() -> Probe:
            return Probe(path, **fields)
        return make

    probes = {
        # the document is looked at before the certificate: a caller who gets as far as their certificate passed
        "POST /api/v1/documents/{document_id}/signings": probe(
            f"/api/v1/documents/{listed}/signings", json={"certificate_id": str(uuid.uuid4())},
            refusal_code="document_not_found", passed_codes=frozenset({(404, "certificate_not_found")})),
        "POST /api/v1/documents/{document_id}/seal": probe(f"/api/v1/documents/{to_seal}/seal"),
        "GET /api/v1/documents/{document_id}/status": probe(f"/api/v1/documents/{listed}/status"),
        "GET /api/v1/documents": probe("/api/v1/documents", lists=(listed,)),
        "POST /api/v1/documents/{document_id}/rejection": probe(f"/api/v1/documents/{to_refuse}/rejection",
                                                                json={"reason": "Не той період"}),
        "GET /api/v1/signatures/{signature_id}/p7s": probe(f"/api/v1/signatures/{signature}/p7s"),
        "GET /api/v1/documents/{document_id}/container": probe(f"/api/v1/documents/{sealed}/container"),
    }
    own_user = "a user's own certificates (each user registers, lists and withdraws theirs): no consumer named"
    exempt = {
        "POST /api/v1/certificates": own_user,
        "GET /api/v1/certificates": own_user,
        "DELETE /api/v1/certificates/{certificate_id}": own_user,
        "GET /api/v1/trust": "the certification authorities the service trusts: no consumer's data",
        "POST /api/v1/signings/{signing_id}/finalize": "a signing in progress is its signer's alone (their user id), "
                                                       "prepared after the document's check above",
    }

    async def snapshot() -> dict[str, Any]:
        async with cabinet.signature.state.database.sessionmaker() as session:
            counts = {table: (await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
                      for table in TABLES}
            statuses = (await session.execute(sa.text("SELECT id, status FROM documents ORDER BY id"))).all()
        return counts | {"statuses": statuses}

    everyone = callers(own, other, uuid.UUID(cabinet.demo.branch_id), uuid.UUID(cabinet.demo.second_branch_id))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cabinet.signature),
                                 base_url="http://signature") as client:
        check = TenancyCheck(client, cabinet.tokens, everyone, snapshot=snapshot)
        outcomes = await check.run([router], probes, exempt)
    assert len(outcomes) == len(probes) * 7
    print(f"signature tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
