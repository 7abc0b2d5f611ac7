"""The service database: a pooled connection the server closed is replaced, not handed to the next unit of work;
commits wake who waits for them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from shared.bus import outbox
from shared.contracts.identity import ConsumerAccountCreated
from shared.db import Database, mark, service_metadata


async def test_a_connection_the_server_closed_is_replaced_before_the_next_unit_of_work(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = Database(await database_factory("db"), pool_size=1)
    other = Database(database.url, pool_size=1)
    try:
        async with database.transaction() as session:
            backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # the server ends the pooled connection (as a restart or an administrator would)
        async with other.transaction() as session:
            assert (await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})).scalar_one()
        await asyncio.sleep(0.2)  # asyncpg reads the server's goodbye while the pool holds the connection

        async with database.transaction() as session:
            replaced = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        assert replaced != backend
    finally:
        await database.dispose()
        await other.dispose()



async def test_only_commits_that_queued_events_wake_the_outbox_relay(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    database = Database(await database_factory("db"), pool_size=1)
    async with database.engine.begin() as connection:
        await connection.run_sync(service_metadata().create_all)
    woken: list[str] = []
    database.after_commit[outbox.QUEUED].append(lambda: woken.append("relay"))
    database.after_commit["letters"].append(lambda: woken.append("letter sender"))
    event = ConsumerAccountCreated(
        consumer_id=uuid.uuid4(), account_number="0789", name="Кооператив", edrpou="12345678",
        branch_id=uuid.uuid4(), branch_name="РЕС", agreement_email="a@example.com", billing_day=1,
        self_calculation=True, e_signature=False,
    )
    try:
        async with database.transaction() as session:
            await session.execute(text("INSERT INTO inbox (message_id, message_type) VALUES ('a', 'x.v1')"))
        assert woken == []
        async with database.transaction() as session:
            await outbox.add(session, event)
            assert woken == []  # not before the commit
        assert woken == ["relay"]
        with contextlib.suppress(RuntimeError):
            async with database.transaction() as session:
                await outbox.add(session, event)
                raise RuntimeError("rolled back")
        assert woken == ["relay"]
        async with database.transaction() as session:
            mark(session, "letters")
        assert woken == ["relay", "letter sender"]
    finally:
        await database.dispose()
