"""Events in (identity's, documents', notify's own) → letters queued, and what notify keeps of identity's users and
consumers, in the same transaction as the message's inbox row."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from notify import repository
from notify.domain import letters
from shared.bus import MessageContext, PermanentError
from shared.bus.subscriptions import Handler
from shared.contracts.base import Event
from shared.contracts.identity import (
    ConsumerAccountCreated,
    EmailChanged,
    LoginChanged,
    PasswordChanged,
    UserRegistered,
)
from shared.contracts.notify import LetterAnswered
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


class AuthorAddressUnknown(Exception):
    """Notify has not (yet) heard of the user's e-mail: worth trying again, as identity's event may be on its way."""


async def queue_letters(event: Event, context: MessageContext) -> None:
    try:
        composed = letters.compose(event)
    except letters.Unsendable as exc:
        # a bad link or file name stays bad however often the message is tried
        raise PermanentError(str(exc)) from exc
    await _queue(context, composed)


async def tell_of_reply(event: LetterAnswered, context: MessageContext) -> None:
    """E-mails the consumer's user who wrote the letter, at the address notify knows for them now."""
    author = await repository.known_user(context.session, event.user_id)
    if author is None:
        raise AuthorAddressUnknown(f"no e-mail known for user {event.user_id}, the author of letter {event.letter_id}")
    try:
        letter = letters.letter_answered(event, recipient=author.email, login=author.login)
    except letters.Unsendable as exc:
        raise PermanentError(str(exc)) from exc
    await _queue(context, [letter])


async def _queue(context: MessageContext, composed: Sequence[letters.Letter]) -> None:
    added = await repository.add_letters(context.session, context.message_id, composed)
    logger.info(
        "queued %d letter(s)", added,
        extra=log_fields(message_id=context.message_id, message_type=context.message_type,
                         kinds=[letter.kind.value for letter in composed]),
    )


async def remember_user(
    event: UserRegistered | EmailChanged | LoginChanged | PasswordChanged, context: MessageContext
) -> None:
    """Whom to e-mail a reply to: each of these events names a user's current login and e-mail."""
    match event:
        case UserRegistered() | PasswordChanged():
            login, email = event.login, str(event.email)
        case EmailChanged():
            login, email = event.login, str(event.new_email)
        case LoginChanged():
            login, email = event.new_login, str(event.email)
    # the consumer a user acts for: only registration names it, and it never changes
    consumer_id = event.consumer_id if isinstance(event, UserRegistered) else None
    await repository.remember_user(
        context.session, user_id=event.user_id, login=login, email=email, consumer_id=consumer_id,
        as_of=event.occurred_at,
    )


async def remember_consumer(event: ConsumerAccountCreated, context: MessageContext) -> None:
    """Whose letter staff are reading, and which branch's staff may (`ConsumerAccountUpdated` is a
    `ConsumerAccountCreated` too)."""
    await repository.remember_consumer(
        context.session, consumer_id=event.consumer_id, account_number=event.account_number, name=event.name,
        branch_id=event.branch_id, as_of=event.occurred_at,
    )


def in_turn(*handlers: Handler[Any]) -> Handler[Any]:
    """One subscription doing several things with an event, in the same transaction."""

    async def handle(event: Any, context: MessageContext) -> None:
        for handler in handlers:
            await handler(event, context)

    return handle
