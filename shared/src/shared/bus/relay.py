"""The outbox relay: publishes committed outbox rows with publisher confirms, in batches.

A row is marked published only after the broker confirmed it. A row that fails is tried again with back-off,
for ever (the outbox age metric and its alert tell when the broker stays unreachable): no event is given up.
Several replicas can relay the same outbox: rows are claimed with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange
from sqlalchemy import func, select, update

from shared.bus.tables import OUTBOX
from shared.db import Database
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300


class BrokerUnavailable(Exception):
    pass


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** min(attempts, 16), MAX_BACKOFF_SECONDS))


class OutboxRelay:
    def __init__(self, database: Database, service: str) -> None:
        self._database = database
        self._service = service
        self._wakeup = asyncio.Event()
        database.after_commit.append(self._wakeup.set)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, exchange: AbstractExchange) -> None:
        delay = 0.5
        while True:
            self._wakeup.clear()
            try:
                published = await self.relay_batch(exchange)
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("outbox relay: %s; trying again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if published < BATCH_SIZE:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), POLL_SECONDS)
                except TimeoutError:
                    await self.observe_backlog()

    async def relay_batch(self, exchange: AbstractExchange) -> int:
        async with self._database.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(OUTBOX.c.id, OUTBOX.c.message_id, OUTBOX.c.message_type, OUTBOX.c.body,
                           OUTBOX.c.headers, OUTBOX.c.created_at, OUTBOX.c.attempts)
                    .where(OUTBOX.c.published_at.is_(None), OUTBOX.c.next_attempt_at <= func.now())
                    .order_by(OUTBOX.c.id)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            # the frames go out in order on one channel; confirms are awaited together
            results = await asyncio.gather(
                *(exchange.publish(self._message(row), routing_key=row.message_type) for row in rows),
                return_exceptions=True,
            )
            published_ids = [row.id for row, result in zip(rows, results, strict=True)
                             if not isinstance(result, BaseException)]
            if not published_ids:
                # nothing confirmed: the broker is away, not the rows at fault; keep them as they are
                first_error = next(r for r in results if isinstance(r, BaseException))
                raise BrokerUnavailable(repr(first_error)) from first_error
            now = datetime.now(UTC)
            if published_ids:
                await session.execute(
                    update(OUTBOX).where(OUTBOX.c.id.in_(published_ids)).values(published_at=now)
                )
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    await session.execute(
                        update(OUTBOX).where(OUTBOX.c.id == row.id).values(
                            attempts=row.attempts + 1, next_attempt_at=now + backoff(row.attempts + 1),
                            last_error=repr(result)[:2000],
                        )
                    )
                else:
                    EVENTS_PUBLISHED.labels(self._service, row.message_type).inc()
            if len(published_ids) < len(rows):
                logger.warning("outbox: %d of %d events not confirmed; will retry", len(rows) - len(published_ids),
                               len(rows))
            return len(published_ids)

    def _message(self, row: Any) -> aio_pika.Message:
        return aio_pika.Message(
            body=row.body,
            message_id=str(row.message_id),
            type=row.message_type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            timestamp=row.created_at,
            app_id=self._service,
            headers=row.headers,
        )

    async def observe_backlog(self) -> None:
        async with self._database.sessionmaker() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(OUTBOX.c.created_at)).where(OUTBOX.c.published_at.is_(None))
                )
            ).one()
        OUTBOX_BACKLOG.labels(self._service).set(count)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self._service).set(age)

    async def purge_published(self, older_than: timedelta = timedelta(days=7)) -> None:
        from sqlalchemy import delete

        async with self._database.transaction() as session:
            await session.execute(
                delete(OUTBOX).where(OUTBOX.c.published_at < datetime.now(UTC) - older_than)
            )
