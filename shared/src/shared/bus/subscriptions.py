"""What a service consumes: event class → handler. Each service's `subscriptions.py` builds one of these."""

from __future__ import annotations

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
    """What a handler gets beside the event: the transaction it runs in and the message's identity."""

    session: AsyncSession
    message_id: str
    message_type: str
    headers: Mapping[str, Any] = field(default_factory=dict)

    async def publish(self, *events: Event, message_id: uuid.UUID | None = None) -> None:
        await outbox.add(self.session, *events, message_id=message_id)


Handler = Callable[[E, MessageContext], Awaitable[None]]
#: handles many events of one type at once (one statement for all of them, say); same transaction rules
BatchHandler = Callable[[list[E], list[MessageContext]], Awaitable[None]]
#: the events that answer a message breaking its contract (its raw body and why it broke it), e.g. a refusal sent
#: back to the partner system that published it; written to the outbox once per message id, then dead-lettered
Refusal = Callable[[bytes, str, str], Sequence[Event]]


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
        return sorted(self._by_type)

    def get(self, message_type: str) -> Subscription[Any] | None:
        return self._by_type.get(message_type)

    def __bool__(self) -> bool:
        return bool(self._by_type)


def on(event: type[E], handler: Handler[E], *, refusal: Refusal | None = None) -> Subscription[E]:
    return Subscription(event, handler=handler, refusal=refusal)


def on_batch(event: type[E], handler: BatchHandler[E], *, refusal: Refusal | None = None) -> Subscription[E]:
    """For hot paths: the handler gets every fresh event of the type in a delivered batch, in order."""
    return Subscription(event, batch_handler=handler, refusal=refusal)
