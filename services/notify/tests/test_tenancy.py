"""Tenancy of every notify route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer's letters to the supplier, nor its users' messages to the developers; the outgoing-letter
log, which names no consumer and so no branch, is administrators' alone."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from notify import repository
from notify.endpoints import router
from shared.auth import ServiceTokens
from shared.testing import BRANCH_ID, OTHER_BRANCH_ID
from shared.testing_tenancy import Probe, TenancyCheck, callers

LETTERS = "/api/v1/correspondence/letters"
TABLES = ("supplier_letters", "letter_replies", "feedback_messages", "outbox")


async def test_every_route_keeps_to_the_consumer_and_its_branch(run_notify: Any, service_token_secret: str) -> None:
    started = time.monotonic()
    own, other = uuid.uuid4(), uuid.uuid4()
    everyone = callers(own, other, BRANCH_ID, OTHER_BRANCH_ID)
    own_user = next(caller for caller in everyone if caller.name == "own consumer").principal
    tokens = ServiceTokens(service_token_secret)
    async with run_notify() as app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                      base_url="http://notify") as client:
        async with app.state.database.transaction() as session:
            for consumer_id in (own, other):
                await repository.remember_consumer(session, consumer_id=consumer_id, account_number="0789",
                                                   name="Споживач", branch_id=BRANCH_ID, as_of=datetime.now(UTC))
        as_own = {"Authorization": f"Bearer {tokens.issue(own_user)}"}
        letter = (await client.post(LETTERS, headers=as_own, json={
            "addressee_type": "settlements", "letter_type": "question", "subject": "Рахунок за травень",
            "text": "Прошу пояснити суму."})).json()
        feedback = (await client.post("/api/v1/feedback", headers=as_own, json={
            "text": "Кнопка не працює", "page_url": "/invoices"})).json()

        def probe(path: str, **fields: Any) -> Callable[[], Awaitable[Probe]]:
            async def make() -> Probe:
                return Probe(path, **fields)
            return make

        probes = {
            "GET /api/v1/letters": probe("/api/v1/letters"),
            "GET /api/v1/correspondence/letters": probe(LETTERS, lists=(letter["id"],)),
            "GET /api/v1/correspondence/letters/{letter_id}": probe(f"{LETTERS}/{letter['id']}"),
            "POST /api/v1/correspondence/letters/{letter_id}/replies": probe(
                f"{LETTERS}/{letter['id']}/replies", json={"text": "Сума включає борг за квітень."}),
            "POST /api/v1/correspondence/letters/{letter_id}/handled": probe(f"{LETTERS}/{letter['id']}/handled"),
            "GET /api/v1/feedback": probe("/api/v1/feedback", lists=(feedback["id"],)),
            "POST /api/v1/feedback/{message_id}/read": probe(f"/api/v1/feedback/{feedback['id']}/read"),
        }
        reference = "the supplier's reference list, the same for every consumer"
        own_only = "written by a consumer's user for the consumer their token names: the request names none"
        exempt = {
            "GET /api/v1/correspondence/addressee-types": reference,
            "GET /api/v1/correspondence/letter-types": reference,
            "POST /api/v1/correspondence/letters": own_only,
            "POST /api/v1/feedback": "the sender's own message: the request names no consumer",
        }

        async def snapshot() -> dict[str, Any]:
            async with app.state.database.sessionmaker() as session:
                return {table: (await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
                        for table in TABLES} | {"states": (await session.execute(sa.text(
                            "SELECT state, read_at FROM supplier_letters, feedback_messages"))).all()}

        check = TenancyCheck(client, tokens, everyone, snapshot=snapshot)
        outcomes = await check.run([router], probes, exempt)
    assert len(outcomes) == len(probes) * 7
    print(f"notify tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
