"""Queries on outgoing letters, letters to the supplier, messages to the developers, and what notify knows of
identity's users and consumers. Takes a session; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.domain.correspondence import LetterState
from notify.domain.letters import Letter
from notify.models import (
    AddresseeType,
    FeedbackMessage,
    KnownConsumer,
    KnownUser,
    LetterReply,
    LetterStatus,
    LetterType,
    OutgoingLetter,
    SupplierLetter,
)
from shared.db import mark

_T = TypeVar("_T", bound=tuple[Any, ...])
#: the mark of a transaction that queued letters (`shared.db.mark`): its commit wakes the sender
QUEUED_LETTERS = "letters"


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
    mark(session, QUEUED_LETTERS)
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


# The correspondence with the supplier and the messages to the developers.


@dataclass(frozen=True)
class LetterFilter:
    consumer_id: uuid.UUID | None = None
    state: LetterState | None = None
    addressee_type: str | None = None
    #: only the letters of this branch's consumers (a staff member's inbox); None: of every branch
    branch_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ListedLetter:
    """A letter with what the listings show beside it."""

    letter: SupplierLetter
    reply_count: int
    consumer: KnownConsumer | None
    author: KnownUser | None


async def addressee_types(session: AsyncSession) -> list[AddresseeType]:
    return list(await session.scalars(select(AddresseeType).order_by(AddresseeType.position, AddresseeType.code)))


async def letter_types(session: AsyncSession) -> list[LetterType]:
    return list(await session.scalars(select(LetterType).order_by(LetterType.position, LetterType.code)))


async def lock_writer(session: AsyncSession, key: str) -> None:
    """Serialises one writer's (a consumer's, a user's) writes until the transaction ends, so that two requests at
    once cannot both pass the throttle's count."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def letters_written_since(session: AsyncSession, consumer_id: uuid.UUID, since: datetime) -> list[datetime]:
    """When the consumer's letters were written since a moment, oldest first."""
    return list(await session.scalars(
        select(SupplierLetter.created_at)
        .where(SupplierLetter.consumer_id == consumer_id, SupplierLetter.created_at >= since)
        .order_by(SupplierLetter.created_at)
    ))


def _letters_where(query: Select[_T], found: LetterFilter) -> Select[_T]:
    if found.consumer_id is not None:
        query = query.where(SupplierLetter.consumer_id == found.consumer_id)
    if found.state is not None:
        query = query.where(SupplierLetter.state == found.state)
    if found.addressee_type is not None:
        query = query.where(SupplierLetter.addressee_type == found.addressee_type)
    if found.branch_id is not None:
        query = query.where(SupplierLetter.consumer_id.in_(
            select(KnownConsumer.consumer_id).where(KnownConsumer.branch_id == found.branch_id)))
    return query


async def branch_of(session: AsyncSession, consumer_id: uuid.UUID) -> uuid.UUID | None:
    """The consumer's branch; None for a consumer not heard of (yet)."""
    return await session.scalar(select(KnownConsumer.branch_id).where(KnownConsumer.consumer_id == consumer_id))


def _listed_letters() -> Select[tuple[SupplierLetter, int, KnownConsumer, KnownUser]]:  # outer joins: maybe None
    reply_count = (
        select(func.count()).where(LetterReply.letter_id == SupplierLetter.id).correlate(SupplierLetter)
        .scalar_subquery()
    )
    return (
        select(SupplierLetter, reply_count, KnownConsumer, KnownUser)
        .outerjoin(KnownConsumer, KnownConsumer.consumer_id == SupplierLetter.consumer_id)
        .outerjoin(KnownUser, KnownUser.user_id == SupplierLetter.author_user_id)
    )


async def find_letters(
    session: AsyncSession, found: LetterFilter, *, limit: int, offset: int
) -> tuple[list[ListedLetter], int]:
    """A page of letters, newest first, and how many match in all."""
    rows = await session.execute(
        _letters_where(_listed_letters(), found)
        .order_by(SupplierLetter.created_at.desc(), SupplierLetter.id.desc()).limit(limit).offset(offset)
    )
    total = await session.scalar(_letters_where(select(func.count()).select_from(SupplierLetter), found))
    return [ListedLetter(*row) for row in rows.tuples()], int(total or 0)


async def listed_letter(session: AsyncSession, letter_id: uuid.UUID) -> ListedLetter | None:
    row = (await session.execute(_listed_letters().where(SupplierLetter.id == letter_id))).tuples().one_or_none()
    return ListedLetter(*row) if row else None


async def letter_for_update(session: AsyncSession, letter_id: uuid.UUID) -> SupplierLetter | None:
    """The letter, locked until the transaction ends: replies and closing happen one at a time."""
    return await session.scalar(select(SupplierLetter).where(SupplierLetter.id == letter_id).with_for_update())


async def replies_of(session: AsyncSession, letter_id: uuid.UUID) -> list[LetterReply]:
    """Oldest first: the thread as it went."""
    return list(await session.scalars(
        select(LetterReply).where(LetterReply.letter_id == letter_id).order_by(LetterReply.created_at, LetterReply.id)
    ))


async def feedback_sent_since(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> list[datetime]:
    return list(await session.scalars(
        select(FeedbackMessage.created_at)
        .where(FeedbackMessage.user_id == user_id, FeedbackMessage.created_at >= since)
        .order_by(FeedbackMessage.created_at)
    ))


@dataclass(frozen=True)
class ListedFeedback:
    message: FeedbackMessage
    sender: KnownUser | None


def _listed_feedback() -> Select[tuple[FeedbackMessage, KnownUser]]:  # the user is None when not known
    return select(FeedbackMessage, KnownUser).outerjoin(KnownUser, KnownUser.user_id == FeedbackMessage.user_id)


def _feedback_where(query: Select[_T], *, unread: bool, branch_id: uuid.UUID | None) -> Select[_T]:
    if branch_id is not None:
        query = query.where(FeedbackMessage.branch_id == branch_id)
    return query.where(FeedbackMessage.read_at.is_(None)) if unread else query


async def find_feedback(
    session: AsyncSession, *, unread: bool, branch_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[ListedFeedback], int]:
    """A page of messages (of one branch's senders, or of every one), newest first, and how many match in all."""
    rows = await session.execute(
        _feedback_where(_listed_feedback(), unread=unread, branch_id=branch_id)
        .order_by(FeedbackMessage.created_at.desc(), FeedbackMessage.id.desc()).limit(limit).offset(offset)
    )
    total = await session.scalar(
        _feedback_where(select(func.count()).select_from(FeedbackMessage), unread=unread, branch_id=branch_id))
    return [ListedFeedback(*row) for row in rows.tuples()], int(total or 0)


async def listed_feedback(session: AsyncSession, message_id: uuid.UUID) -> ListedFeedback | None:
    row = (await session.execute(_listed_feedback().where(FeedbackMessage.id == message_id))).tuples().one_or_none()
    return ListedFeedback(*row) if row else None


# What notify knows of identity's users and consumers.


def _newer(table: type[KnownUser | KnownConsumer], excluded: Any, column: str) -> ColumnElement[Any]:
    """The incoming value when its event is at least as new as the one the row was written from; else the row's."""
    return case((table.as_of <= excluded.as_of, getattr(excluded, column)), else_=getattr(table, column))


async def remember_user(
    session: AsyncSession, *, user_id: uuid.UUID, login: str, email: str, as_of: datetime,
    consumer_id: uuid.UUID | None = None,
) -> None:
    statement = insert(KnownUser).values(
        user_id=user_id, consumer_id=consumer_id, login=login, email=email, as_of=as_of
    )
    excluded = statement.excluded
    await session.execute(statement.on_conflict_do_update(index_elements=[KnownUser.user_id], set_={
        # the consumer a user belongs to never changes; only registration tells it
        "consumer_id": func.coalesce(KnownUser.consumer_id, excluded.consumer_id),
        "login": _newer(KnownUser, excluded, "login"),
        "email": _newer(KnownUser, excluded, "email"),
        "as_of": func.greatest(KnownUser.as_of, excluded.as_of),
    }))


async def remember_consumer(
    session: AsyncSession, *, consumer_id: uuid.UUID, account_number: str, name: str, branch_id: uuid.UUID,
    as_of: datetime,
) -> None:
    statement = insert(KnownConsumer).values(
        consumer_id=consumer_id, account_number=account_number, name=name, branch_id=branch_id, as_of=as_of
    )
    excluded = statement.excluded
    await session.execute(statement.on_conflict_do_update(index_elements=[KnownConsumer.consumer_id], set_={
        "account_number": _newer(KnownConsumer, excluded, "account_number"),
        "name": _newer(KnownConsumer, excluded, "name"),
        "branch_id": _newer(KnownConsumer, excluded, "branch_id"),
        "as_of": func.greatest(KnownConsumer.as_of, excluded.as_of),
    }))


async def known_user(session: AsyncSession, user_id: uuid.UUID) -> KnownUser | None:
    return await session.get(KnownUser, user_id)
