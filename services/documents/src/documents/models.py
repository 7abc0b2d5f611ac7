"""The documents service's tables (its own database; the bus tables come with the base).

The bytes live in object storage under their SHA-256 (`domain.documents.object_key`); a row here is one issued
document. Two rows may share bytes; a row's bytes never change. A re-issue is a new row pointing to the one it
replaces.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        sa.Index("ix_documents_consumer_listing", "consumer_id", "issued_on", "created_at"),
        # render requests are answered once per requester's reference
        sa.Index("ix_documents_source_event", "source_event", postgresql_where=sa.text("source_event IS NOT NULL")),
        sa.CheckConstraint("period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="period"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        sa.CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: the consumer the document belongs to: only they and the supplier's staff may read it
    consumer_id: Mapped[uuid.UUID]
    document_type: Mapped[str] = mapped_column(sa.String(64))
    #: the billing month `YYYY-MM`, for documents of a period (invoices, acts)
    period: Mapped[str | None] = mapped_column(sa.String(7))
    title: Mapped[str] = mapped_column(sa.Text)
    file_name: Mapped[str] = mapped_column(sa.Text)
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: a document is replaced at most once: re-issues form a chain
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("documents.id"), unique=True)
    #: `<message type>/<message id>` of the event the document was made for
    source_event: Mapped[str | None] = mapped_column(sa.Text)
    #: the user or service that stored it (the principal's user id; None for services)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    #: the document's own date, as lists show and sort it: an invoice's formation date, else the day it was stored
    issued_on: Mapped[date] = mapped_column(sa.Date)
    #: the parties that must sign it; None: as the signature service's rule for its type says
    signers: Mapped[list[str] | None] = mapped_column(sa.ARRAY(sa.String(16)))


class Consumer(Base):
    """What documents keeps of a consumer account (from identity's events): the branch whose staff see its documents.
    A document of a consumer not heard of yet is seen by the consumer's own users, administrators and services."""

    __tablename__ = "consumers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: when the state kept here was true at identity: an older event arriving late changes nothing
    as_of: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
