"""Queries on outgoing letters. Takes a session; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.domain.letters import Letter
from notify.models import LetterStatus, OutgoingLetter


async def add_letters(session: AsyncSession, source_message_id: str, letters: Sequence[Letter]) -> int:
    """Queue letters for sending; a letter already queued for the same message and recipient is kept as it is.

    Returns how many were new.
    """
    if not letters:
        return 0
    rows = [
        {
            "source_message_id": source_message_id, "kind": letter.kind.value, "recipient": letter.recipient,
            "subject": letter.subject, "text_body": letter.text, "html_body": letter.html,
            "attachment_document_id": letter.attachment.document_id if letter.attachment else None,
            "attachment_file_name": letter.attachment.file_name if letter.attachment else None,
            "attachment_content_type": letter.attachment.content_type if letter.attachment else None,
        }
        for letter in letters
    ]
    result = await session.execute(
        insert(OutgoingLetter).values(rows).on_conflict_do_nothing().returning(OutgoingLetter.id)
    )
    return len(result.all())


async def claim_due(session: AsyncSession, limit: int) -> list[OutgoingLetter]:
    """Pending letters whose time has come, locked for this transaction; other senders skip them."""
    result = await session.scalars(
        select(OutgoingLetter)
        .where(OutgoingLetter.status == LetterStatus.PENDING, OutgoingLetter.next_attempt_at <= func.now())
        .order_by(OutgoingLetter.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result)


async def list_letters(
    session: AsyncSession, *, recipient: str | None, status: LetterStatus | None, limit: int
) -> list[OutgoingLetter]:
    query = select(OutgoingLetter).order_by(OutgoingLetter.created_at.desc(), OutgoingLetter.id).limit(limit)
    if recipient is not None:
        query = query.where(func.lower(OutgoingLetter.recipient) == recipient.lower())
    if status is not None:
        query = query.where(OutgoingLetter.status == status)
    return list(await session.scalars(query))


async def pending_backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many letters wait, and since when the oldest of them."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutgoingLetter.created_at)).where(
                OutgoingLetter.status == LetterStatus.PENDING
            )
        )
    ).one()
    return int(count), oldest
