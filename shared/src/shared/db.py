"""Async SQLAlchemy per service: one engine, one database of the service's own, one session per unit of work."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """The metadata of one service's database, already holding the bus tables (outbox, inbox).

    Each service declares `class Base(DeclarativeBase): metadata = service_metadata()` in its models.py.
    """
    from shared.bus.tables import add_bus_tables

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    add_bus_tables(metadata)
    return metadata


def mark(session: AsyncSession, key: str) -> None:
    """Say what the session's transaction wrote, for those waiting for such commits (`Database.after_commit`)."""
    session.info[key] = True


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Runs `callback` once the session's transaction commits, never when it rolls back (business counters: a
    batch rolled back and handled again one by one is counted once)."""
    event.listen(session.sync_session, "after_commit", lambda _: callback(), once=True)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
        event.listen(self.engine.sync_engine, "checkout", _replace_closed_connection)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        #: called after a commit made through `transaction()` whose session was `mark`ed with the key: the outbox relay
        #: wakes for the commits that queued events and notify's sender for those that queued letters, not for every
        #: one (most of a consumer's batches queue neither)
        self.after_commit: defaultdict[str, list[Callable[[], None]]] = defaultdict(list)

    async def ensure_exists(self) -> None:
        """Create the service's database when it is missing (each service owns one)."""
        await create_database_if_missing(self.url)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits once at the end, rolls back on any error."""
        async with self.sessionmaker() as session, session.begin():
            yield session
        for key in session.info.keys() & self.after_commit.keys():
            for callback in self.after_commit[key]:
                callback()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _replace_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (a restart, a terminated backend) is replaced before it is used.

    Instead of `pool_pre_ping`, which asks the server on every checkout — with asyncpg three round trips (a
    transaction begun and rolled back around `;`), most of the overhead of a small unit of work such as a bus
    batch or a page's call — this asks asyncpg, which has already seen the server close the socket.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


async def create_database_if_missing(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    assert name, "the database URL names no database"
    connection = await asyncpg.connect(
        user=parsed.username or "postgres", password=parsed.password, host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432, database="postgres",
    )
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # another replica may create it at the same moment
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        user=parsed.username or "postgres", password=parsed.password, host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432, database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once when the endpoint returns (before the response is sent)."""
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
