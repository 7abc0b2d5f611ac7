"""The service database: a pooled connection the server closed is replaced, not handed to the next unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from shared.db import Database


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
