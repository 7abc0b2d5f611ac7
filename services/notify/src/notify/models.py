"""The notify service's tables (its own database; the bus tables come with the base)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from notify.domain.letters import Attachment
from shared.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


_moment = sa.DateTime(timezone=True)


class LetterStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: given up for good: the SMTP server refused it permanently, or kept failing for too long
    FAILED = "failed"


_ATTACHMENT_COLUMNS = ("attachment_document_id", "attachment_file_name", "attachment_content_type")


class OutgoingLetter(Base):
    """A letter to send, written in the same transaction as the inbox row of the event that asked for it."""

    __tablename__ = "outgoing_letters"
    __table_args__ = (
        # one event may address several people (old and new e-mail), but each of them once
        sa.UniqueConstraint("source_message_id", "recipient"),
        sa.CheckConstraint(
            sa.column("status").in_([status.value for status in LetterStatus]), name="status_known"
        ),
        sa.Index(
            "ix_outgoing_letters_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
        ),
        sa.Index("ix_outgoing_letters_recipient", sa.text("lower(recipient)"), "created_at"),
        # an attachment is named completely or not at all
        sa.CheckConstraint(
            sa.or_(
                sa.and_(*(sa.column(name).is_(None) for name in _ATTACHMENT_COLUMNS)),
                sa.and_(*(sa.column(name).is_not(None) for name in _ATTACHMENT_COLUMNS)),
            ),
            name="attachment_complete",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source_message_id: Mapped[str] = mapped_column(sa.Text)
    #: `notify.domain.letters.LetterKind`
    kind: Mapped[str] = mapped_column(sa.Text)
    recipient: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.Text)
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default=LetterStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    sent_at: Mapped[datetime | None] = mapped_column(_moment)
    #: a document of the documents service sent along; its bytes are fetched when the letter is sent
    attachment_document_id: Mapped[uuid.UUID | None]
    attachment_file_name: Mapped[str | None] = mapped_column(sa.Text)
    attachment_content_type: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def attachment(self) -> Attachment | None:
        document_id, file_name = self.attachment_document_id, self.attachment_file_name
        content_type = self.attachment_content_type
        if document_id is None or file_name is None or content_type is None:
            return None  # `attachment_complete`: then all three are
        return Attachment(document_id, file_name, content_type)
