"""Queries of the signature service. Takes a session; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from signature.domain.statuses import DocumentStatus, Party, awaiting_signature_of
from signature.models import Certificate, Consumer, Document, Signature, Signing


# consumers
async def consumer(session: AsyncSession, consumer_id: uuid.UUID) -> Consumer | None:
    return await session.get(Consumer, consumer_id)


async def keep_consumer(
    session: AsyncSession, consumer_id: uuid.UUID, *, edrpou: str, e_signature: bool, branch_id: uuid.UUID,
    as_of: datetime,
) -> None:
    """Insert or update the consumer, unless what is kept is newer than `as_of` (events may come late)."""
    values = {"edrpou": edrpou, "e_signature": e_signature, "branch_id": branch_id, "as_of": as_of}
    statement = insert(Consumer).values(id=consumer_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Consumer.id],
            set_=values,
            where=Consumer.as_of <= as_of,
        )
    )


# documents
async def keep_document(session: AsyncSession, **fields: Any) -> Document:
    """The document, inserted when it is not known yet (its metadata never changes, so a known one is kept)."""
    await session.execute(insert(Document).values(**fields).on_conflict_do_nothing(index_elements=[Document.id]))
    found = await session.get(Document, fields["id"])
    assert found is not None
    return found


async def document(session: AsyncSession, document_id: uuid.UUID) -> Document | None:
    return await session.get(Document, document_id)


async def lock_document(session: AsyncSession, document_id: uuid.UUID) -> Document:
    """The document, locked until the transaction ends: status changes of one document happen one at a time.

    NO KEY UPDATE rather than UPDATE: inserting a signature takes a KEY SHARE lock on its document (the foreign
    key), and FOR UPDATE would conflict with that and deadlock two signers of the same document.
    """
    found = await session.scalar(
        select(Document)
        .where(Document.id == document_id)
        .with_for_update(key_share=True)  # PostgreSQL: FOR NO KEY UPDATE
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


@dataclass(frozen=True)
class DocumentFilter:
    consumer_id: uuid.UUID | None = None
    document_ids: Collection[uuid.UUID] = ()
    document_type: str | None = None
    #: None: any status; empty: none matches
    statuses: Collection[DocumentStatus] | None = None
    #: only documents this party must sign and has not signed yet (nor refused)
    awaiting: Party | None = None
    #: only the documents of this branch's consumers (a staff member's listing); None: of every branch
    branch_id: uuid.UUID | None = None


async def find_documents(session: AsyncSession, found: DocumentFilter, *, limit: int, offset: int) -> list[Document]:
    query = select(Document).order_by(
        Document.issued_on.desc(), Document.created_at.desc(), Document.id
    ).limit(limit).offset(offset)
    if found.consumer_id is not None:
        query = query.where(Document.consumer_id == found.consumer_id)
    if found.branch_id is not None:
        query = query.where(Document.consumer_id.in_(select(Consumer.id).where(Consumer.branch_id == found.branch_id)))
    if found.document_ids:
        query = query.where(Document.id.in_(list(found.document_ids)))
    if found.document_type is not None:
        query = query.where(Document.document_type == found.document_type)
    if found.statuses is not None:
        query = query.where(Document.status.in_(list(found.statuses)))
    if found.awaiting is not None:
        signs = Document.consumer_signs if found.awaiting is Party.CONSUMER else Document.supplier_signs
        query = query.where(signs, Document.status.in_(list(awaiting_signature_of(found.awaiting))))
    return list(await session.scalars(query))


# certificates
async def certificate(session: AsyncSession, certificate_id: uuid.UUID) -> Certificate | None:
    return await session.get(Certificate, certificate_id)


async def certificates_of_user(session: AsyncSession, user_id: uuid.UUID) -> list[Certificate]:
    return list(
        await session.scalars(
            select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.registered_at.desc())
        )
    )


async def keep_seal_certificate(session: AsyncSession, **fields: Any) -> Certificate:
    """The seal's certificate row, made the first time the seal signs with this certificate."""
    await session.execute(
        insert(Certificate).values(id=uuid.uuid4(), **fields).on_conflict_do_nothing(
            index_elements=[Certificate.fingerprint_sha256], index_where=Certificate.revoked_at.is_(None)
        )
    )
    found = await session.scalar(
        select(Certificate).where(
            Certificate.fingerprint_sha256 == fields["fingerprint_sha256"], Certificate.revoked_at.is_(None)
        )
    )
    assert found is not None
    return found


# signings
async def signing(session: AsyncSession, signing_id: uuid.UUID) -> Signing | None:
    return await session.get(Signing, signing_id)


async def purge_signings(session: AsyncSession, expired_before: datetime) -> int:
    result = await session.execute(delete(Signing).where(Signing.expires_at < expired_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# signatures
async def signature(session: AsyncSession, signature_id: uuid.UUID) -> Signature | None:
    return await session.get(Signature, signature_id)


async def signatures_of(session: AsyncSession, document_id: uuid.UUID) -> list[Signature]:
    return list(
        await session.scalars(
            select(Signature).where(Signature.document_id == document_id).order_by(Signature.signing_time)
        )
    )


async def signed_parties(session: AsyncSession, document_id: uuid.UUID) -> set[Party]:
    parties = await session.scalars(select(Signature.party).where(Signature.document_id == document_id))
    return set(parties)


async def has_signed(session: AsyncSession, document_id: uuid.UUID, party: Party) -> bool:
    found = await session.scalar(
        select(Signature.id).where(Signature.document_id == document_id, Signature.party == party)
    )
    return found is not None

