"""Names and declarations of the exchange and queues: one place, so producers, consumers and ops agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

#: back-off between attempts of a failing handler; after the last one the message is dead-lettered
RETRY_DELAYS_SECONDS = (1, 5, 30, 120, 600)


@dataclass(frozen=True)
class Topology:
    namespace: str
    service: str

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def queue(self) -> str:
        return f"{self.namespace}.{self.service}"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    def retry_queue(self, delay: int) -> str:
        return f"{self.queue}.retry.{delay}s"

    def all_queues(self) -> list[str]:
        return [self.queue, self.dead_letter_queue, *(self.retry_queue(d) for d in RETRY_DELAYS_SECONDS)]


QUORUM: dict[str, Any] = {"x-queue-type": "quorum"}


def res_answers_queue(namespace: str, res_system: str) -> str:
    """A RES system's answers queue (docs/res-bus-contract.md), declared for it by the supplier's operations team."""
    return f"{namespace}.res.{res_system}.answers"


#: the services that answer RES systems: billing (payments and returns), metering (readings)
RES_ANSWERING_SERVICES = ("billing", "metering")


def res_answers_bindings(res_system: str) -> tuple[str, ...]:
    """What a RES system's answers queue is bound with: every answer a service routes to that system alone
    (`<service>.<answer>.v<n>.<RES system>`; the services' own events have three words, never four)."""
    return tuple(f"{service}.*.*.{res_system}" for service in RES_ANSWERING_SERVICES)


@dataclass(frozen=True)
class BrokerAccess:
    """A broker user's permissions on the virtual host (RabbitMQ regular expressions) and its topic permissions on
    the events exchange (what routing keys it may publish with, and bind with)."""

    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str


def res_system_access(namespace: str, res_system: str) -> BrokerAccess:
    """What a RES system's own broker user may do: publish its own messages (`res.<message>.v<n>.<itself>`) to the
    events exchange, and consume its answers queue, which operations declare and bind for it. Nothing else: it
    declares nothing, binds nothing (no read on the exchange), reads no other queue, and cannot publish another
    RES system's messages, billing's answers or any service's events."""
    ns = namespace.replace(".", r"\.")
    return BrokerAccess(
        configure="^$",
        write=rf"^{ns}\.events$",
        read=rf"^{ns}\.res\.{res_system}\.answers$",
        topic_write=rf"^res\.[a-z_]+\.v[0-9]+\.{res_system}$",
        topic_read=rf"^({'|'.join(RES_ANSWERING_SERVICES)})\.[a-z_]+\.v[0-9]+\.{res_system}$",
    )


async def declare_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_consumer_queues(
    channel: AbstractChannel, topology: Topology, binding_keys: list[str]
) -> AbstractQueue:
    exchange = await declare_exchange(channel, topology)
    queue = await channel.declare_queue(topology.queue, durable=True, arguments=QUORUM)
    for binding_key in binding_keys:
        await queue.bind(exchange, binding_key)
    await channel.declare_queue(topology.dead_letter_queue, durable=True, arguments=QUORUM)
    for delay in RETRY_DELAYS_SECONDS:
        # a message waits out its delay here, then RabbitMQ dead-letters it back onto the main queue
        await channel.declare_queue(
            topology.retry_queue(delay), durable=True,
            arguments={
                **QUORUM,
                "x-message-ttl": delay * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": topology.queue,
                # quorum queues then keep an expired message until the main queue has confirmed it
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
    return queue
