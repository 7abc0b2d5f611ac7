"""The outbox relay: publishes committed outbox rows with publisher confirms, in batches.

A row is marked published only after the broker confirmed it. A row that fails is tried again with back-off,
for ever (the outbox age metric and its alert tell when the broker stays unreachable): no event is given up.
Several replicas can relay the same outbox: rows are claimed with `FOR UPDATE SKIP LOCKED`.

Batches are pipelined: while the broker confirms one batch, the next is claimed and its frames are written,
on the same channel and so in order after the first. A batch's frames leave in one write (`publish_all`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp.header import ContentHeader
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.background import cancelling
from shared.bus import outbox
from shared.bus.tables import OUTBOX
from shared.db import Database
from shared.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300
PURGE_EVERY_SECONDS = 3600
#: published rows are kept this long for investigations, then deleted
PUBLISHED_KEPT = timedelta(days=7)


def _routing_key(row: Any) -> str:
    """The message type; for a message addressed to a partner system, its name after it."""
    partner = (row.headers or {}).get(outbox.PARTNER_HEADER)
    return f"{row.message_type}.{partner}" if partner else row.message_type


class BrokerUnavailable(Exception):
    pass


#: a message to publish: its body, routing key and properties (with a `message_id`)
Outgoing = tuple[bytes, str, aiormq.spec.Basic.Properties]


async def publish_all(channel: aiormq.Channel, exchange: str,
                      messages: Sequence[Outgoing]) -> list[asyncio.Future[Any]]:
    """Publishes the messages (mandatory) in one write on a channel with publisher confirms; their confirmations, in
    order, as aiormq's `basic_publish` would give them (a returned message's fails or carries it, the channel's
    closing rejects the rest).

    aiormq's `basic_publish` takes its lock, a timeout, a task of the caller's and a socket write for each message:
    for a batch of hundreds that cost as much as the rest of the relay. Here the lock is taken once, the delivery
    tags and confirmations are registered as `basic_publish` registers them, and the frames go out together.
    """
    if channel.is_closed:
        raise aiormq.exceptions.ChannelInvalidStateError(f"{channel!r} closed")
    assert channel.publisher_confirms, "the relay's channel has publisher confirms"
    confirmations: list[asyncio.Future[Any]] = []
    frames: list[Any] = []
    async with channel.lock:
        for body, routing_key, properties in messages:
            message_id = properties.message_id
            assert message_id, "a relayed message has its id"
            channel.delivery_tag += 1
            tag = channel.delivery_tag
            confirmation = channel.create_future()
            channel.confirmations[tag] = confirmation
            # a returned message is matched to its confirmation by its id
            channel.message_id_delivery_tag[message_id] = tag
            confirmation.add_done_callback(functools.partial(_forget, channel, message_id, tag))
            confirmations.append(confirmation)
            frames += (spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=True),
                       ContentHeader(properties=properties, body_size=len(body)), *channel._split_body(body))
        try:
            await channel.write_queue.put(ChannelFrame.marshall(frames=frames, channel_number=channel.number))
        except BaseException:
            # nothing was written: the tags are given back, as basic_publish gives back an unsent one's
            channel.delivery_tag -= len(confirmations)
            for confirmation in confirmations:
                confirmation.cancel()
            for tag in range(channel.delivery_tag + 1, channel.delivery_tag + len(confirmations) + 1):
                channel.confirmations.pop(tag, None)
            raise
    return confirmations


def _forget(channel: aiormq.Channel, message_id: str, tag: int, _: asyncio.Future[Any]) -> None:
    if channel.message_id_delivery_tag.get(message_id) == tag:
        del channel.message_id_delivery_tag[message_id]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** min(attempts, 16), MAX_BACKOFF_SECONDS))


@dataclass
class _Batch:
    """Claimed rows (locked by the open session) whose messages are on their way to the broker."""

    session: AsyncSession
    rows: list[Any]
    confirmations: asyncio.Future[list[Any]]


class OutboxRelay:
    def __init__(self, database: Database, service: str) -> None:
        self._database = database
        self._service = service
        self._wakeup = asyncio.Event()
        self._last_purge = 0.0
        database.after_commit[outbox.QUEUED].append(self._wakeup.set)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, channel: AbstractChannel, exchange: AbstractExchange) -> None:
        delay = 0.5
        in_flight: _Batch | None = None
        while True:
            self._wakeup.clear()
            claimed: _Batch | None = None
            try:
                claimed = await self._claim_and_publish(channel, exchange)
                if in_flight is not None:
                    batch, in_flight = in_flight, None
                    await self._settle(batch)
                in_flight = claimed
                delay = 0.5
            except (asyncio.CancelledError, Exception) as exc:
                if isinstance(exc, asyncio.CancelledError) or cancelling():
                    for unsettled in (in_flight, claimed):
                        if unsettled is not None:
                            await unsettled.session.close()
                    raise
                for unsettled in (in_flight, claimed):
                    if unsettled is not None:
                        await self._abandon(unsettled)
                in_flight = None
                logger.warning("outbox relay: %s; trying again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if claimed is None:
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                    # arrives as the wake-up does, and the relay would then never stop
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wakeup.wait()
                except TimeoutError:
                    await self._housekeeping()

    async def _claim_and_publish(self, channel: AbstractChannel, exchange: AbstractExchange) -> _Batch | None:
        # straight onto aiormq's channel, under aio-pika's: an aio-pika Message and its checks cost ~35 µs an
        # event, a tenth of what the relay spends on one
        underlay = await channel.get_underlay_channel()
        assert isinstance(underlay, aiormq.Channel)
        session = self._database.sessionmaker()
        try:
            await session.begin()
            rows = list((
                await session.execute(
                    select(OUTBOX.c.id, OUTBOX.c.message_id, OUTBOX.c.message_type, OUTBOX.c.body,
                           OUTBOX.c.headers, OUTBOX.c.created_at, OUTBOX.c.attempts)
                    .where(OUTBOX.c.published_at.is_(None), OUTBOX.c.next_attempt_at <= func.now())
                    .order_by(OUTBOX.c.id)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all())
        except BaseException:
            await session.close()
            raise
        if not rows:
            await session.close()
            return None
        try:
            confirmations = await publish_all(
                underlay, exchange.name, [(row.body, _routing_key(row), self._properties(row)) for row in rows])
        except BaseException:
            await session.close()
            raise
        return _Batch(session, rows, asyncio.gather(*confirmations, return_exceptions=True))

    async def _settle(self, batch: _Batch) -> int:
        """Wait for the broker's confirmations, then mark the rows and commit."""
        session, rows = batch.session, batch.rows
        try:
            results = await batch.confirmations
            published_ids = [row.id for row, result in zip(rows, results, strict=True)
                             if not isinstance(result, BaseException)]
            if not published_ids:
                # nothing confirmed: the broker is away, not the rows at fault; keep them as they are
                first_error = next(r for r in results if isinstance(r, BaseException))
                raise BrokerUnavailable(repr(first_error)) from first_error
            now = datetime.now(UTC)
            await session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(published_ids)).values(published_at=now))
            published_types: Counter[str] = Counter()
            for row, result in zip(rows, results, strict=True):
                if isinstance(result, BaseException):
                    await session.execute(
                        update(OUTBOX).where(OUTBOX.c.id == row.id).values(
                            attempts=row.attempts + 1, next_attempt_at=now + backoff(row.attempts + 1),
                            last_error=repr(result)[:2000],
                        )
                    )
                else:
                    published_types[row.message_type] += 1
            await session.commit()
        finally:
            await session.close()
        for message_type, count in published_types.items():
            EVENTS_PUBLISHED.labels(self._service, message_type).inc(count)
        if len(published_ids) < len(rows):
            logger.warning("outbox: %d of %d events not confirmed; will retry", len(rows) - len(published_ids),
                           len(rows))
        return len(published_ids)

    async def _abandon(self, batch: _Batch) -> None:
        """Give the rows back unchanged (they are published again later: consumers deduplicate)."""
        batch.confirmations.cancel()
        await batch.session.close()

    def _properties(self, row: Any) -> aiormq.spec.Basic.Properties:
        return aiormq.spec.Basic.Properties(
            message_id=str(row.message_id),
            message_type=row.message_type,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            timestamp=row.created_at,
            app_id=self._service,
            headers=row.headers,
        )

    async def _housekeeping(self) -> None:
        """When idle: report the backlog, and now and then delete rows published long ago."""
        await self.observe_backlog()
        now = asyncio.get_running_loop().time()
        if now - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = now
            await self.purge_published()

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

    async def purge_published(self) -> None:
        # not through Database.transaction(): its commit would wake the relay for nothing
        async with self._database.sessionmaker() as session, session.begin():
            await session.execute(delete(OUTBOX).where(OUTBOX.c.published_at < datetime.now(UTC) - PUBLISHED_KEPT))
