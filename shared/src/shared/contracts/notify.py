"""Events published by the notify service."""

from __future__ import annotations

from uuid import UUID

from shared.contracts.base import Event, event


@event
class LetterAnswered(Event):
    event_name = "notify.letter_answered"
    summary = (
        "Supplier staff replied to a consumer's letter («Написати лист»); notify itself e-mails the consumer's "
        "user who wrote it a link to the letter in the cabinet."
    )

    letter_id: UUID
    reply_id: UUID
    consumer_id: UUID
    #: the consumer's user who wrote the letter
    user_id: UUID
    subject: str
    #: the letter's page in the cabinet
    letter_url: str
