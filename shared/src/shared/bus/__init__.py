"""The bus: a topic exchange on RabbitMQ, a transactional outbox, an inbox, retries and dead letters.

`Bus` runs in each service process: it keeps a (robust) broker connection, relays the outbox and consumes
the service's queue. The service keeps serving HTTP and writing its outbox while the broker is away; the
events leave when the broker is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from shared.background import cancelling
from shared.bus.consumer import Consumer
from shared.bus.outbox import add
from shared.bus.relay import OutboxRelay
from shared.bus.subscriptions import MessageContext, PermanentError, Subscriptions, on, on_batch
from shared.bus.topology import Topology, declare_consumer_queues, declare_exchange
from shared.db import Database
from shared.metrics import BROKER_CONNECTED

logger = logging.getLogger(__name__)

__all__ = ["Bus", "MessageContext", "PermanentError", "Subscriptions", "Topology", "add", "on", "on_batch"]

_RECONNECT_MAX_SECONDS = 10.0
_STOP_SECONDS = 15.0


class Bus:
    def __init__(
        self, *, amqp_url: str, database: Database, topology: Topology,
        subscriptions: Subscriptions | None = None, prefetch: int = 256,
    ) -> None:
        self._amqp_url = amqp_url
        self._database = database
        self.topology = topology
        self.subscriptions = subscriptions or Subscriptions()
        self._prefetch = prefetch
        self.relay = OutboxRelay(database, topology.service)
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"bus-{self.topology.service}")

    async def stop(self) -> None:
        """Stops relaying and consuming and closes the connection, waiting at most `_STOP_SECONDS` for the broker.

        A broker that does not answer a channel's or the connection's close must not keep the process from ending:
        what was not acknowledged is delivered again, and what was not confirmed is published again.
        """
        try:
            async with asyncio.timeout(_STOP_SECONDS):
                if self._task:
                    self._task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._task
                if self._connection:
                    await self._connection.close()
        except TimeoutError:
            logger.warning("the broker did not answer within %.0fs while the bus stopped; not waiting longer",
                           _STOP_SECONDS)
        BROKER_CONNECTED.labels(self.topology.service).set(0)

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                self._connection = await aio_pika.connect_robust(
                    self._amqp_url, client_properties={"connection_name": self.topology.service}
                )
                break
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                if cancelling():
                    raise
                # connect_robust reconnects by itself only after a first success
                logger.warning("broker unreachable (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
        self._connection.reconnect_callbacks.add(lambda *_: BROKER_CONNECTED.labels(self.topology.service).set(1))
        self._connection.close_callbacks.add(lambda *_: BROKER_CONNECTED.labels(self.topology.service).set(0))
        BROKER_CONNECTED.labels(self.topology.service).set(1)
        if self.subscriptions:
            # the service's own queue exists before anything it publishes could be routed to it
            channel = await self._connection.channel()
            await declare_consumer_queues(channel, self.topology, self.subscriptions.routing_keys)
            await channel.close()
        tasks = [asyncio.create_task(self._relay_loop())]
        if self.subscriptions:
            tasks.append(asyncio.create_task(self._consume_loop()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _relay_loop(self) -> None:
        assert self._connection
        channel = await self._connection.channel(publisher_confirms=True)
        exchange = await declare_exchange(channel, self.topology)
        delay = 0.5
        while True:
            try:
                await self.relay.run(channel, exchange)
            except Exception:
                if cancelling():
                    raise
                logger.exception("outbox relay stopped; restarting in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)

    async def _consume_loop(self) -> None:
        assert self._connection
        consumer = Consumer(self._database, self.topology, self.subscriptions, self._prefetch)
        delay = 0.5
        while True:
            try:
                channel = await self._connection.channel(publisher_confirms=True)
                await consumer.run(channel)
            except Exception:
                if cancelling():
                    raise
                logger.exception("consumer stopped; restarting in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
