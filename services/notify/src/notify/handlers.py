"""Events in (identity's, documents') → letters queued in the same transaction as the message's inbox row."""

from __future__ import annotations

import logging

from notify import repository
from notify.domain import letters
from shared.bus import MessageContext, PermanentError
from shared.contracts.base import Event
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


async def queue_letters(event: Event, context: MessageContext) -> None:
    try:
        composed = letters.compose(event)
    except letters.Unsendable as exc:
        # a bad link or file name stays bad however often the message is tried
        raise PermanentError(str(exc)) from exc
    added = await repository.add_letters(context.session, context.message_id, composed)
    logger.info(
        "queued %d letter(s)", added,
        extra=log_fields(message_id=context.message_id, message_type=context.message_type,
                         kinds=[letter.kind.value for letter in composed]),
    )
