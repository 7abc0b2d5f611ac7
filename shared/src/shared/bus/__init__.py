"""The bus: a topic exchange on RabbitMQ, a transactional outbox, an inbox, retries and dead letters.

`Bus` runs in each service process: it keeps a (robust) broker connection, relays the outbox and consumes
the service's queue. The service keeps serving HTTP and writing its outbox while the broker is away; the
events leave when the broker is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from shared import background
from shared.bus.consumer import ChannelLost, Consumer
from shared.bus.outbox import add
from shared.bus.relay import OutboxRelay
from shared.bus.subscriptions import MessageContext, PermanentError, Subscriptions, on, on_batch
from shared.bus.topology import Topology, declare_consumer_queues, declare_exchange
from shared.db import Database
from shared.metrics import BROKER_CONNECTED

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["Bus", "MessageContext", "PermanentError", "Subscriptions", "Topology", "add", "on", "on_batch"]

_RECONNECT_MAX_SECONDS = 10.0
_STOP_SECONDS = 15.0
#: a pause before consuming again on a new channel when the last one was lost, so a channel that the broker keeps
#: closing costs little, and a lost connection is seen as lost
_CONSUME_AGAIN_SECONDS = 0.5


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
        """Stops relaying and consuming and closes the connection, waiting at most `_STOP_SECONDS` for each.

        A broker that does not answer a channel's or the connection's close, or a task that ends with an error as it
        is cancelled, must not keep the process from ending: what was not acknowledged is delivered again, and what
        was not confirmed is published again.
        """
        await background.stop(self._task, seconds=_STOP_SECONDS)
        if self._connection:
            await background.bounded(self._connection.close(), what="closing the broker connection",
                                     seconds=_STOP_SECONDS)
        BROKER_CONNECTED.labels(self.topology.service).set(0)

    async def _run(self) -> None:
        """Connects, then relays and consumes until cancelled; a step that fails is tried again, so nothing but
        stopping ends the bus of a running service."""
        # connect_robust reconnects by itself only after a first success
        connection = await self._retrying("connecting to the broker", lambda: aio_pika.connect_robust(
            self._amqp_url, client_properties={"connection_name": self.topology.service}))
        self._connection = connection
        connection.reconnect_callbacks.add(lambda *_: BROKER_CONNECTED.labels(self.topology.service).set(1))
        connection.close_callbacks.add(lambda *_: BROKER_CONNECTED.labels(self.topology.service).set(0))
        BROKER_CONNECTED.labels(self.topology.service).set(1)
        if self.subscriptions:
            # the service's own queue exists before anything it publishes could be routed to it
            await self._retrying("declaring the service's queues", self._declare_queues)
        tasks = [asyncio.create_task(self._relay_loop())]
        if self.subscriptions:
            consumer = Consumer(self._database, self.topology, self.subscriptions, self._prefetch)
            tasks.append(asyncio.create_task(self._retrying("the consumer", lambda: self._consume(consumer))))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _declare_queues(self) -> None:
        assert self._connection
        channel = await self._connection.channel()
        await declare_consumer_queues(channel, self.topology, self.subscriptions.binding_keys)
        await channel.close()

    async def _relay_loop(self) -> None:
        assert self._connection
        connection = self._connection
        # one (robust) channel for the relay's life: restored with the connection, reused by every restart
        channel = await self._retrying("opening the relay's channel",
                                       lambda: connection.channel(publisher_confirms=True))
        exchange = await self._retrying("declaring the exchange", lambda: declare_exchange(channel, self.topology))
        await self._retrying("the outbox relay", lambda: self.relay.run(channel, exchange))

    async def _consume(self, consumer: Consumer) -> None:
        """Consumes on a channel of its own; when that channel is lost (a broker restart, say), on a new one as soon
        as the connection is back: nothing restores the consumer of a lost channel."""
        assert self._connection
        while True:
            await self._connection.ready()
            channel = await self._connection.channel(publisher_confirms=True)
            try:
                await consumer.run(channel)
            except ChannelLost as lost:
                if background.cancelling():
                    raise
                logger.warning("%s; consuming again on a new channel", lost)
                await asyncio.sleep(_CONSUME_AGAIN_SECONDS)

    async def _retrying(self, what: str, step: Callable[[], Awaitable[T]]) -> T:
        """`step`'s result, trying again with back-off for as long as it fails; only cancellation ends the wait."""
        delay = 0.5
        while True:
            try:
                return await step()
            except Exception as exc:
                if background.cancelling():
                    raise
                # the broker away is expected now and then and says enough in one line; anything else gets its trace
                away = isinstance(exc, (OSError, aio_pika.exceptions.AMQPError))
                logger.warning("%s failed (%s); trying again in %.1fs", what, exc, delay, exc_info=not away)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)
