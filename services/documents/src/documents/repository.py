"""Queries of the documents service; each takes the caller's session and never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from documents.models import Consumer, Document


@dataclass(frozen=True)
class DocumentFilter:
    #: None: every consumer's (staff and services only)
    consumer_id: uuid.UUID | None = None
    document_type: str | None = None
    period: str | None = None
    #: only the consumers of this branch (a staff member's listing); None: of every branch
    branch_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Listed:
    """A document and the id of the document that replaced it, if one did."""

    document: Document
    replaced_by: uuid.UUID | None


T = TypeVar("T", bound=tuple[Any, ...])

# the document that replaced the one selected (the outer join leaves its id None when there is none)
_successor = aliased(Document)


def _with_successor() -> sa.Select[tuple[Document, uuid.UUID]]:
    return sa.select(Document, _successor.id).outerjoin(_successor, _successor.replaces_id == Document.id)


def _filtered(statement: sa.Select[T], found: DocumentFilter) -> sa.Select[T]:
    if found.consumer_id is not None:
        statement = statement.where(Document.consumer_id == found.consumer_id)
    if found.document_type is not None:
        statement = statement.where(Document.document_type == found.document_type)
    if found.period is not None:
        statement = statement.where(Document.period == found.period)
    if found.branch_id is not None:
        statement = statement.where(
            Document.consumer_id.in_(sa.select(Consumer.id).where(Consumer.branch_id == found.branch_id))
        )
    return statement


async def keep_consumer(session: AsyncSession, consumer_id: uuid.UUID, *, branch_id: uuid.UUID, as_of: datetime
                        ) -> None:
    """Insert or update the consumer, unless what is kept is newer than `as_of` (events may come late)."""
    statement = insert(Consumer).values(id=consumer_id, branch_id=branch_id, as_of=as_of)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Consumer.id], set_={"branch_id": branch_id, "as_of": as_of}, where=Consumer.as_of <= as_of,
    ))


async def branch_of(session: AsyncSession, consumer_id: uuid.UUID) -> uuid.UUID | None:
    """The consumer's branch; None for a consumer not heard of (yet)."""
    return await session.scalar(sa.select(Consumer.branch_id).where(Consumer.id == consumer_id))


async def add_all(session: AsyncSession, documents: Sequence[Document]) -> None:
    session.add_all(documents)
    await session.flush()


async def lock_references(session: AsyncSession, references: Sequence[str]) -> None:
    """Hold the requesters' references (`source_event`) until the transaction ends: whoever stores a document for one
    of them checks first that it has none, and no other transaction stores one in between. Taken in one order, so two
    batches sharing references wait for each other instead of deadlocking."""
    if references:
        await session.execute(_LOCK_REFERENCES, {"references": sorted(set(references))})


_LOCK_REFERENCES = sa.text(
    "SELECT pg_advisory_xact_lock(hashtextextended(reference, 0)) "
    "FROM (SELECT reference FROM unnest(CAST(:references AS text[])) AS reference ORDER BY reference) AS ordered"
)


async def by_reference(session: AsyncSession, reference: str) -> Listed | None:
    """The document stored for a requester's reference (`source_event`), if there is one."""
    row = (await session.execute(_with_successor().where(Document.source_event == reference)
                                 .order_by(Document.created_at).limit(1))).one_or_none()
    return Listed(row[0], row[1]) if row else None


async def stored_references(session: AsyncSession, references: Sequence[str]) -> set[str]:
    """Which of these requesters' references (`source_event`) have a document already."""
    rows = await session.scalars(
        sa.select(Document.source_event).where(Document.source_event.in_(references)).distinct()
    )
    return {reference for reference in rows if reference is not None}


async def get(session: AsyncSession, document_id: uuid.UUID) -> Listed | None:
    row = (await session.execute(_with_successor().where(Document.id == document_id))).one_or_none()
    return Listed(row[0], row[1]) if row else None


async def lock(session: AsyncSession, document_id: uuid.UUID) -> Document | None:
    """The document, locked until the transaction ends (re-issues of one document wait for each other)."""
    return (
        await session.execute(sa.select(Document).where(Document.id == document_id).with_for_update())
    ).scalar_one_or_none()


async def replaced_by(session: AsyncSession, document_id: uuid.UUID) -> uuid.UUID | None:
    return (
        await session.execute(sa.select(Document.id).where(Document.replaces_id == document_id))
    ).scalar_one_or_none()


async def find(session: AsyncSession, found: DocumentFilter, *, limit: int, offset: int) -> Sequence[Listed]:
    statement = _filtered(_with_successor(), found).order_by(
        Document.issued_on.desc(), Document.created_at.desc(), Document.id.desc()
    )
    rows = (await session.execute(statement.limit(limit).offset(offset))).all()
    return [Listed(row[0], row[1]) for row in rows]


async def count(session: AsyncSession, found: DocumentFilter) -> int:
    statement = _filtered(sa.select(sa.func.count()).select_from(Document), found)
    return int((await session.execute(statement)).scalar_one())


async def created_since(
    session: AsyncSession, consumer_id: uuid.UUID, document_type: str, since: datetime
) -> list[datetime]:
    """When the consumer's documents of a type were stored since a moment, oldest first."""
    statement = sa.select(Document.created_at).where(
        Document.consumer_id == consumer_id, Document.document_type == document_type, Document.created_at >= since
    ).order_by(Document.created_at)
    return list((await session.execute(statement)).scalars())
