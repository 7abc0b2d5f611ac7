"""What a service consumes: event class → handler. Each service's `subscriptions.py` builds one of these."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus import outbox
from shared.contracts.base import Event

E = TypeVar("E", bound=Event)


class PermanentError(Exception):
    """A handler's verdict that trying again cannot help: the message goes to the dead-letter queue at once.

    `answer`: events that answer the refused message (a refusal sent back to the partner system that published
    it), written to the outbox once per message id before it is dead-lettered, as a `Refusal` is.
    """

    def __init__(self, *args: object, answer: Sequence[Event] = ()) -> None:
        super().__init__(*args)
        self.answer = tuple(answer)


@dataclass
class MessageContext:
    """What a handler gets beside the event: the transaction it runs in and the message's identity.

    `message_id`: the id the message is handled once under: its `message_id` property, or for a partner's message
    sent without one an id made of its routing key and body. `sent_message_id`: the property as the sender set it
    (None when it did not). `partner`: the partner system a message routed per partner came from.
    """

    session: AsyncSession
    message_id: str
    message_type: str
    headers: Mapping[str, Any] = field(default_factory=dict)
    partner: str | None = None
    sent_message_id: str | None = None

    async def publish(self, *events: Event, message_id: uuid.UUID | None = None) -> None:
        await outbox.add(self.session, *events, message_id=message_id)


Handler = Callable[[E, MessageContext], Awaitable[None]]
#: handles many events of one type at once (one statement for all of them, say); same transaction rules
BatchHandler = Callable[[list[E], list[MessageContext]], Awaitable[None]]
#: the events that answer a message breaking its contract (its raw body, what is wrong with it, one item each, and
#: its `message_id` as sent, if any), e.g. a refusal sent back to the partner system that published it; written to
#: the outbox once per message id, addressed to that partner, then the message is dead-lettered
Refusal = Callable[[bytes, Sequence[str], str | None], Sequence[Event]]


def id_in_refused_body(body: bytes, field_name: str) -> str | None:
    """The partner's id of a refused message (`res_payment_id`, `submission_id`…) for its refusal to carry back,
    when the body can be read that far: a JSON object whose field is a string of 1 to 64 characters."""
    try:
        found = json.loads(body)
    except ValueError:
        return None
    value = found.get(field_name) if isinstance(found, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


@dataclass(frozen=True)
class Subscription(Generic[E]):
    event: type[E]
    handler: Handler[E] | None = None
    batch_handler: BatchHandler[E] | None = None
    refusal: Refusal | None = None


class Subscriptions:
    def __init__(self, *subscriptions: Subscription[Any]) -> None:
        self._by_type: dict[str, Subscription[Any]] = {}
        for subscription in subscriptions:
            message_type = subscription.event.message_type()
            if message_type in self._by_type:
                raise ValueError(f"{message_type} subscribed twice")
            self._by_type[message_type] = subscription

    @property
    def routing_keys(self) -> list[str]:
        """The message types subscribed to."""
        return sorted(self._by_type)

    @property
    def binding_keys(self) -> list[str]:
        """What the service's queue is bound with: a message type, or `<type>.*` for one routed per partner."""
        return sorted(f"{message_type}.*" if subscription.event.routed_per_partner else message_type
                      for message_type, subscription in self._by_type.items())

    def get(self, message_type: str) -> Subscription[Any] | None:
        return self._by_type.get(message_type)

    def route(self, routing_key: str) -> tuple[Subscription[Any], str | None] | None:
        """The subscription a routing key reaches, and the partner it names (None for a message type of its own)."""
        exact = self._by_type.get(routing_key)
        if exact is not None:
            return exact, None
        message_type, _, partner = routing_key.rpartition(".")
        per_partner = self._by_type.get(message_type)
        if per_partner is not None and per_partner.event.routed_per_partner:
            return per_partner, partner
        return None

    def __bool__(self) -> bool:
        return bool(self._by_type)


def on(event: type[E], handler: Handler[E], *, refusal: Refusal | None = None) -> Subscription[E]:
    return Subscription(event, handler=handler, refusal=refusal)


def on_batch(event: type[E], handler: BatchHandler[E], *, refusal: Refusal | None = None) -> Subscription[E]:
    """For hot paths: the handler gets every fresh event of the type in a delivered batch, in order."""
    return Subscription(event, batch_handler=handler, refusal=refusal)
