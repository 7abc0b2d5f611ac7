"""The notify service's tables (its own database; the bus tables come with the base)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from notify.domain.correspondence import LetterState
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


# The correspondence with the supplier («Постачальник → Написати лист») and the messages to the developers.


class AddresseeType(Base):
    """Whom in the supplier a letter goes to; data the supplier keeps, seeded by the migration."""

    __tablename__ = "addressee_types"

    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    #: the order of the form's list
    position: Mapped[int]
    name_uk: Mapped[str] = mapped_column(sa.Text)
    name_ru: Mapped[str] = mapped_column(sa.Text)
    name_en: Mapped[str] = mapped_column(sa.Text)
    #: whom to write to in which case
    description_uk: Mapped[str] = mapped_column(sa.Text)
    description_ru: Mapped[str] = mapped_column(sa.Text)
    description_en: Mapped[str] = mapped_column(sa.Text)


class LetterType(Base):
    """What a letter is (a question, a complaint...); data, seeded by the migration."""

    __tablename__ = "letter_types"

    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    position: Mapped[int]
    name_uk: Mapped[str] = mapped_column(sa.Text)
    name_ru: Mapped[str] = mapped_column(sa.Text)
    name_en: Mapped[str] = mapped_column(sa.Text)


class SupplierLetter(Base):
    """A consumer's letter to the supplier; the replies are its thread."""

    __tablename__ = "supplier_letters"
    __table_args__ = (
        sa.CheckConstraint(
            sa.column("state").in_([state.value for state in LetterState]), name="state_known"
        ),
        # the consumer's history, and the throttle's count of the last day
        sa.Index("ix_supplier_letters_consumer", "consumer_id", "created_at"),
        # the staff inbox
        sa.Index("ix_supplier_letters_inbox", "addressee_type", "state", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID]
    #: the consumer's user who wrote it: the one told by e-mail of replies
    author_user_id: Mapped[uuid.UUID]
    addressee_type: Mapped[str] = mapped_column(sa.Text, sa.ForeignKey("addressee_types.code"))
    letter_type: Mapped[str] = mapped_column(sa.Text, sa.ForeignKey("letter_types.code"))
    subject: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text, default=LetterState.NEW.value)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    #: the latest reply's time
    answered_at: Mapped[datetime | None] = mapped_column(_moment)
    handled_at: Mapped[datetime | None] = mapped_column(_moment)
    handled_by: Mapped[uuid.UUID | None]


class LetterReply(Base):
    __tablename__ = "letter_replies"
    __table_args__ = (sa.Index("ix_letter_replies_letter", "letter_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    letter_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("supplier_letters.id"))
    #: the supplier's employee who wrote it
    author_user_id: Mapped[uuid.UUID]
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())


class FeedbackMessage(Base):
    """A message to the developers («Повідомлення розробникам») from any signed-in user."""

    __tablename__ = "feedback_messages"
    __table_args__ = (
        sa.Index("ix_feedback_messages_created", "created_at"),
        # the throttle's count of the last hour
        sa.Index("ix_feedback_messages_user", "user_id", "created_at"),
        # a branch's staff read their branch's
        sa.Index("ix_feedback_messages_branch", "branch_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    #: `shared.auth.Role` of the sender
    role: Mapped[str] = mapped_column(sa.Text)
    consumer_id: Mapped[uuid.UUID | None]
    #: the sender's branch (a staff member's employer, a consumer user's serving branch), whose staff read it; None:
    #: an administrator's, or sent before messages had a branch, read by administrators
    branch_id: Mapped[uuid.UUID | None]
    #: the page it was sent from
    page_url: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    read_at: Mapped[datetime | None] = mapped_column(_moment)
    read_by: Mapped[uuid.UUID | None]


# What notify knows of identity's consumers and users, kept from identity's events: whom to e-mail a reply to,
# and whose letter staff are reading. `as_of` is the time of the event the row was last written from, so an
# older event arriving late (a retry) does not overwrite a newer one.


class KnownUser(Base):
    __tablename__ = "known_users"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: null for a user notify has only heard of from a change (a staff member, say)
    consumer_id: Mapped[uuid.UUID | None]
    login: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str] = mapped_column(sa.Text)
    as_of: Mapped[datetime] = mapped_column(_moment)


class KnownConsumer(Base):
    __tablename__ = "known_consumers"

    consumer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    #: whose staff read the consumer's letters (None: not known yet, for a consumer kept before branches were:
    #: administrators only)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    as_of: Mapped[datetime] = mapped_column(_moment)
