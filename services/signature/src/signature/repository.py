"""The queries several features share: a kept document and its signatures. Takes a session; never commits.

A feature's own queries are in its module (`access`, `certificates`, `signing`, `sealing`, `statuses`,
`downloads`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from signature.models import Document, Signature


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


async def signatures_of(session: AsyncSession, document_id: uuid.UUID) -> list[Signature]:
    return list(
        await session.scalars(
            select(Signature).where(Signature.document_id == document_id).order_by(Signature.signing_time)
        )
    )
