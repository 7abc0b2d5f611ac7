"""Consuming: batches of messages, each handled once (inbox), failures retried with back-off, then dead-lettered.

A batch runs in one transaction (inbox rows + every handler), which is what makes the bus fast; if anything
in it fails, the batch is rolled back and its messages are handled one by one, so one bad message neither
blocks nor takes down the others. A message is acknowledged only after its outcome is durable: its
transaction committed, or its copy confirmed on a retry or dead-letter queue.

Messages are consumed, acknowledged and republished straight on aiormq's channel under aio-pika's: aio-pika's
wrapping of each delivery (an `IncomingMessage`, a task of its own, its acknowledgement's checks) cost about a
tenth of the consuming process's time. Nothing restores such a consumer after its channel is lost, so `run`
ends then, and the bus starts it again on a new channel (delivery tags belong to the channel that delivered them).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel
from aiormq.abc import DeliveredMessage
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.background import cancelling
from shared.bus import outbox
from shared.bus.subscriptions import MessageContext, PermanentError, Subscription, Subscriptions
from shared.bus.topology import RETRY_DELAYS_SECONDS, Topology, declare_consumer_queues
from shared.contracts.base import PARTNER_NAME, Event
from shared.db import Database
from shared.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_RETRIED,
    HANDLER_LATENCY,
    QUEUE_DEPTH,
)
from shared.telemetry import extract_from, log_fields

logger = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

QUEUE_DEPTH_INTERVAL_SECONDS = 15.0
# one statement, the same text whatever the batch size, so the database prepares it once
_CLAIM_INBOX = text(
    "INSERT INTO inbox (message_id, message_type) "
    "SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)
BATCH_LINGER_SECONDS = 0.005


class Malformed(Exception):
    """The message cannot be understood: no id, unknown type, or a body that breaks its contract."""

    def __init__(self, why: str, subscription: Subscription[Any] | None = None, problems: Sequence[str] = ()) -> None:
        super().__init__(why)
        #: the subscription of the message's type, when the type is known but the message breaks its contract
        self.subscription = subscription
        #: what is wrong, one item each (a body's fields, `mfo: String should match pattern …`), for an answer
        self.problems = tuple(problems) or (why,)


class ChannelLost(aiormq.exceptions.AMQPChannelError):
    """The consumer's channel closed, or the broker cancelled its consumer: consume again on a new channel."""


class Message:
    """What the consumer reads of a delivered message (aiormq's delivery, without aio-pika's wrapping).

    Parsing finds what the message is (`handled_as`, the message type its routing key names), the partner its
    routing key names, and the id it is handled once under (`inbox_id`).
    """

    __slots__ = ("body", "delivery_tag", "exchange", "handled_as", "inbox_id", "partner", "properties",
                 "routing_key")

    def __init__(self, delivered: DeliveredMessage) -> None:
        self.body = delivered.body
        self.properties = delivered.header.properties
        self.routing_key = delivered.routing_key
        self.exchange = delivered.exchange
        tag = delivered.delivery_tag
        assert tag is not None  # a consumer's delivery always has one
        self.delivery_tag = tag
        self.handled_as: str | None = None
        self.partner: str | None = None
        self.inbox_id: str | None = self.properties.message_id

    @property
    def message_id(self) -> str | None:
        return self.properties.message_id

    @property
    def type(self) -> str | None:
        """The message type it is handled as once parsed; before, its `type` property."""
        return self.handled_as or self.properties.message_type

    @property
    def original_routing_key(self) -> str:
        """The routing key it was published with. A copy that comes back from a retry or dead-letter queue (through
        the default exchange, which only the services may publish to) carries it in a header; on a message from
        the events exchange that header is the sender's own, never believed: it would let a RES system pass for
        another."""
        original = self.headers.get("x-original-routing-key")
        if not self.exchange and isinstance(original, str) and original:
            return original
        return self.routing_key or ""

    @property
    def headers(self) -> dict[str, Any]:
        return self.properties.headers or {}

    @property
    def timestamp(self) -> datetime | None:
        return self.properties.timestamp


Parsed = tuple[Message, Subscription[Any], Any]


class Consumer:
    def __init__(self, database: Database, topology: Topology, subscriptions: Subscriptions, prefetch: int) -> None:
        self._database = database
        self._topology = topology
        self._subscriptions = subscriptions
        self._prefetch = prefetch
        self._service = topology.service
        #: the channel of the current run: its deliveries are acknowledged and republished on it, never on another
        self._underlay: aiormq.abc.AbstractChannel

    async def run(self, channel: AbstractChannel) -> None:
        """Consumes until the channel is lost (raises `ChannelLost` then) or the task is cancelled."""
        await channel.set_qos(prefetch_count=self._prefetch)
        await declare_consumer_queues(channel, self._topology, self._subscriptions.binding_keys)
        underlay = await channel.get_underlay_channel()
        self._underlay = underlay
        # None in the queue: the channel is gone (or its consumer cancelled), and with it every delivery in the queue
        pending: asyncio.Queue[Message | None] = asyncio.Queue()

        async def deliver(delivered: DeliveredMessage) -> None:
            pending.put_nowait(Message(delivered))

        closing = underlay.closing
        closing.add_done_callback(lambda _: pending.put_nowait(None))
        consumer_tag = (await underlay.basic_consume(self._topology.queue, deliver)).consumer_tag

        def on_cancel(frame: aiormq.spec.Basic.Cancel) -> None:
            if frame.consumer_tag == consumer_tag:
                pending.put_nowait(None)

        underlay.on_consumer_cancel_callbacks.add(on_cancel)
        depth_task = asyncio.create_task(self._observe_queue_depth(channel))
        try:
            while True:
                message = await pending.get()
                if message is None:
                    raise _lost(underlay)
                batch = [message]
                if pending.qsize() < self._prefetch // 2:
                    # a few milliseconds of patience turn a trickle into a batch: one transaction for many
                    await asyncio.sleep(BATCH_LINGER_SECONDS)
                while len(batch) < self._prefetch and not pending.empty():
                    message = pending.get_nowait()
                    if message is None:
                        raise _lost(underlay)
                    batch.append(message)
                try:
                    await self.process(batch)
                except Exception as exc:
                    if underlay.is_closed and not cancelling():  # an acknowledgement or a copy that could not go
                        raise _lost(underlay) from exc
                    raise
        finally:
            depth_task.cancel()
            closing.cancel()  # only this observer of the channel's closing
            underlay.on_consumer_cancel_callbacks.discard(on_cancel)
            # Left open, the robust channel would be restored when the broker is back, for nothing: the loop that
            # starts again opens a channel of its own
            with contextlib.suppress(Exception):
                await channel.close()

    async def process(self, batch: list[Message]) -> None:
        parsed: list[Parsed] = []
        for message in batch:
            try:
                parsed.append(self._parse(message))
            except Malformed as exc:
                await self._refuse(message, exc)
                await self._dead_letter(message, str(exc), reason="malformed")
        if not parsed:
            return
        try:
            await self._handle_in_one_transaction(parsed)
        except Exception as exc:
            if cancelling():
                raise
            if len(parsed) == 1:
                await self._fail(parsed[0], exc)
                return
            logger.info("batch of %d failed; handling its messages one by one", len(parsed))
            for item in parsed:
                try:
                    await self._handle_in_one_transaction([item])
                except Exception as item_exc:
                    if cancelling():
                        raise
                    await self._fail(item, item_exc)
                else:
                    await self._ack(item)
            return
        # one acknowledgement covers the whole batch (the tags before it are settled already)
        await self._underlay.basic_ack(parsed[-1][0].delivery_tag, multiple=True)

    def _parse(self, message: Message) -> Parsed:
        """The routing key decides what a message is; its `type` property, when set, must agree.

        A partner's message (routed per partner) needs nothing but its routing key and body: without a
        `message_id` it is handled once under an id made of both (the same body sent again is the same message);
        either id counts among that partner's own only.
        """
        routing_key = message.original_routing_key
        route = self._subscriptions.route(routing_key)
        if route is None and message.properties.message_type:
            # a message moved back by hand from another queue keeps its type, not its routing key
            subscription = self._subscriptions.get(message.properties.message_type)
            route = (subscription, None) if subscription else None
        if route is None:
            raise Malformed(f"{self._service} has no handler for routing key {routing_key!r} "
                            f"(type property {message.properties.message_type!r})")
        subscription, partner = route
        contract = subscription.event
        message.handled_as = contract.message_type()
        if contract.routed_per_partner:
            if partner is None or not PARTNER_NAME.fullmatch(partner):
                raise Malformed(f"routing key {routing_key!r}: expected {contract.message_type()}.<RES system>")
            message.partner = partner
            # a partner names its messages its own way: its ids are kept apart from every other partner's
            sent_id = message.message_id or "sha256:" + hashlib.sha256(
                routing_key.encode() + b"\n" + message.body).hexdigest()
            message.inbox_id = f"{partner}:{sent_id}"
        if not message.inbox_id:
            raise Malformed("the message has no message_id property")
        sent_type = message.properties.message_type
        if sent_type and sent_type != contract.message_type():
            raise Malformed(f"the type property {sent_type!r} contradicts routing key {routing_key!r}: the routing "
                            f"key says {contract.message_type()}; leave type out or make it the same", subscription)
        content_type = (message.properties.content_type or "application/json").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Malformed(f"content_type {message.properties.content_type!r}: the body must be JSON "
                            "(application/json, or no content_type)", subscription)
        try:
            event = contract.model_validate_json(message.body)
        except ValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}" for error in exc.errors()]
            raise Malformed(f"body does not match {message.type}: {'; '.join(problems)}"[:4000], subscription,
                            problems) from exc
        return message, subscription, event

    async def _refuse(self, message: Message, malformed: Malformed) -> None:
        """Answer a message that broke its contract, if its subscription says how (once per message id)."""
        refusal = malformed.subscription.refusal if malformed.subscription else None
        if refusal is None or not message.inbox_id:
            return
        await self._answer_once(message, refusal(message.body, malformed.problems, message.message_id))

    async def _answer_once(self, message: Message, answer: Sequence[Event]) -> None:
        """Answers addressed to the partner that sent the message (none can be sent to a partner not known)."""
        routed = [event for event in answer if not event.routed_per_partner or message.partner]
        async with self._database.transaction() as session:
            if await self._claim(session, [message]):
                await outbox.add(session, *routed, partner=message.partner)

    async def _handle_in_one_transaction(self, items: list[Parsed]) -> None:
        async with self._database.transaction() as session:
            fresh = await self._claim(session, [message for message, _, _ in items])
            batches: dict[str, tuple[Subscription[Any], list[Any], list[MessageContext]]] = {}
            for message, subscription, event in items:
                message_id = str(message.inbox_id)
                if message_id not in fresh:
                    EVENTS_CONSUMED.labels(self._service, message.type, "duplicate").inc()
                    continue
                fresh.discard(message_id)  # the same id twice in one batch runs once
                context = MessageContext(session, message_id, str(message.type), message.headers,
                                         partner=message.partner, sent_message_id=message.message_id)
                if subscription.batch_handler is not None:
                    batch = batches.setdefault(str(message.type), (subscription, [], []))
                    batch[1].append(event)
                    batch[2].append(context)
                    continue
                assert subscription.handler is not None
                with _tracer.start_as_current_span(
                    f"consume {message.type}", context=extract_from(message.headers),
                    kind=trace.SpanKind.CONSUMER,
                    attributes={"messaging.system": "rabbitmq", "messaging.message.id": message_id},
                ):
                    await subscription.handler(event, context)
            for message_type, (subscription, events, contexts) in batches.items():
                assert subscription.batch_handler is not None
                with _tracer.start_as_current_span(
                    f"consume {message_type} x{len(events)}", context=extract_from(contexts[0].headers),
                    kind=trace.SpanKind.CONSUMER, attributes={"messaging.system": "rabbitmq"},
                ):
                    await subscription.batch_handler(events, contexts)
        self._observe_handled(items)

    def _observe_handled(self, items: list[Parsed]) -> None:
        now = datetime.now(UTC)
        for message_type, count in Counter(str(message.type) for message, _, _ in items).items():
            EVENTS_CONSUMED.labels(self._service, message_type, "handled").inc(count)
        sent = items[-1][0].timestamp
        if sent:
            sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
            HANDLER_LATENCY.labels(self._service).observe(max(0.0, (now - sent).total_seconds()))

    async def _claim(self, session: AsyncSession, messages: list[Message]) -> set[str]:
        """Insert inbox rows; returns the message ids not seen before."""
        result = await session.execute(
            _CLAIM_INBOX, {"ids": [str(m.inbox_id) for m in messages], "types": [str(m.type) for m in messages]},
        )
        return {row[0] for row in result}

    async def _ack(self, item: Parsed) -> None:
        await self._underlay.basic_ack(item[0].delivery_tag)

    async def _fail(self, item: Parsed, error: Exception) -> None:
        message = item[0]
        if isinstance(error, PermanentError):
            if error.answer:
                await self._answer_once(message, error.answer)
            await self._dead_letter(message, f"{type(error).__name__}: {error}", reason="rejected")
            return
        attempts = _attempts(message) + 1
        if attempts > len(RETRY_DELAYS_SECONDS):
            await self._dead_letter(
                message, f"handler failed {attempts} times; last: {type(error).__name__}: {error}",
                reason="exhausted",
            )
            return
        delay = RETRY_DELAYS_SECONDS[attempts - 1]
        logger.warning(
            "handler failed; retrying in %ss", delay,
            extra=log_fields(message_id=message.message_id, message_type=message.type, attempt=attempts,
                             error=f"{type(error).__name__}: {error}"[:500]),
        )
        await self._republish(message, self._topology.retry_queue(delay),
                              {"x-attempts": attempts, "x-last-error": f"{type(error).__name__}: {error}"[:1000],
                               "x-original-routing-key": message.original_routing_key})
        EVENTS_RETRIED.labels(self._service, message.handled_as or "unknown").inc()
        await self._underlay.basic_ack(message.delivery_tag)

    async def _dead_letter(self, message: Message, why: str, *, reason: str) -> None:
        logger.error(
            "dead-lettered: %s", why,
            extra=log_fields(message_id=message.message_id, message_type=message.type, reason=reason),
        )
        await self._republish(message, self._topology.dead_letter_queue, {
            "x-dead-letter-reason": why[:4000],
            "x-dead-letter-kind": reason,
            "x-exception": why.split(":", 1)[0][:200],
            "x-original-routing-key": message.original_routing_key,
            "x-attempts": _attempts(message),
            "x-failed-at": datetime.now(UTC).isoformat(),
            "x-service": self._service,
        })
        # a message type the service handles, or "unknown": a partner's mistakes must not make new series
        EVENTS_DEAD_LETTERED.labels(self._service, message.handled_as or "unknown", reason).inc()
        await self._underlay.basic_ack(message.delivery_tag)

    async def _republish(self, message: Message, queue: str, extra_headers: dict[str, Any]) -> None:
        properties = message.properties
        copy = aiormq.spec.Basic.Properties(
            message_id=properties.message_id,
            # as sent: the routing key in the copy's headers decides what it is when it comes back
            message_type=properties.message_type,
            content_type=properties.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            timestamp=properties.timestamp,
            app_id=properties.app_id,
            headers={**message.headers, **extra_headers},
        )
        # the channel has publisher confirms: this returns once the copy is safe (on the channel that delivered the
        # message, which its acknowledgement needs too)
        await self._underlay.basic_publish(message.body, routing_key=queue, properties=copy, mandatory=True)

    async def _observe_queue_depth(self, channel: AbstractChannel) -> None:
        while True:
            for name in (self._topology.queue, self._topology.dead_letter_queue):
                try:
                    queue = await channel.declare_queue(name, passive=True)
                    QUEUE_DEPTH.labels(self._service, name).set(queue.declaration_result.message_count or 0)
                except Exception:  # a passing broker hiccup must not stop consumption
                    logger.debug("queue depth of %s unavailable", name, exc_info=True)
            await asyncio.sleep(QUEUE_DEPTH_INTERVAL_SECONDS)


def _attempts(message: Message) -> int:
    value = message.headers.get("x-attempts", 0)
    return value if isinstance(value, int) else 0


def _lost(channel: aiormq.abc.AbstractChannel) -> ChannelLost:
    if not channel.is_closed:
        return ChannelLost("the broker cancelled the consumer")
    closing = channel.closing  # done: the channel's own future
    reason = None if closing.cancelled() else closing.exception()
    return ChannelLost(f"the consumer's channel closed ({reason!r})")
