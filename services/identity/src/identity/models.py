"""The identity service's tables (its own database; the bus tables come with the base).

Secrets (activation codes, link, session and access tokens) are stored only as SHA-256 hashes, passwords as argon2id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.auth import ConsumerRole
from shared.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


def _enum(enum: type[StrEnum], name: str, length: int = 16) -> sa.Enum:
    # text with a CHECK constraint rather than a PostgreSQL enum type: adding a value needs no type migration
    return sa.Enum(
        enum, name=name, native_enum=False, create_constraint=True, length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class UserRole(StrEnum):
    CONSUMER = "consumer"
    STAFF = "staff"
    ADMIN = "admin"


class EmailChangeStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class SupplierBranch(Base):
    """A district energy-sales office (РОЕ/RES) of the supplier; serves consumers, employs staff."""

    __tablename__ = "supplier_branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    edrpou: Mapped[str] = mapped_column(sa.String(8))
    iban: Mapped[str] = mapped_column(sa.String(34))
    address: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ConsumerAccount(Base):
    """A legal-entity consumer under its supplementary agreement for the cabinet."""

    __tablename__ = "consumer_accounts"
    __table_args__ = (
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name="billing_day"),
        # only a VAT payer has a VAT payer's number
        sa.CheckConstraint("vat_payer OR ipn IS NULL", name="ipn_of_vat_payer"),
        sa.Index("ix_consumer_accounts_edrpou", "edrpou"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    edrpou: Mapped[str] = mapped_column(sa.String(8))
    branch_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("supplier_branches.id"), index=True)
    agreement_email: Mapped[str] = mapped_column(sa.Text)
    billing_day: Mapped[int] = mapped_column(sa.SmallInteger)
    self_calculation: Mapped[bool]
    e_signature: Mapped[bool]
    #: the buyer on tax invoices: a VAT payer and its ІПН (12 digits; None until staff enter it), or not a payer
    vat_payer: Mapped[bool] = mapped_column(server_default=sa.true())
    ipn: Mapped[str | None] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())

    branch: Mapped[SupplierBranch] = relationship(lazy="raise")


class User(Base):
    """A person who signs in: a consumer's user, a supplier staff member, or an administrator."""

    __tablename__ = "users"
    __table_args__ = (
        # logins are unique regardless of case
        sa.Index("uq_users_login_key", sa.func.lower(sa.text("login")), unique=True),
        sa.CheckConstraint(
            "(role = 'consumer') = (consumer_id IS NOT NULL) AND (role <> 'staff' OR branch_id IS NOT NULL)",
            name="role_scope",
        ),
        # a consumer's user, and only one, has a role inside the consumer
        sa.CheckConstraint("(role = 'consumer') = (consumer_role IS NOT NULL)", name="consumer_role_scope"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    login: Mapped[str] = mapped_column(sa.String(64))
    email: Mapped[str] = mapped_column(sa.Text)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"))
    consumer_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("consumer_accounts.id"), index=True)
    #: the branch a staff member works for (administrators work for all)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("supplier_branches.id"))
    #: a consumer's user's role inside the consumer (`shared.auth.ConsumerRole`): what they may do there
    consumer_role: Mapped[ConsumerRole | None] = mapped_column(_enum(ConsumerRole, "consumer_role"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    #: when the consumer's director removed the user: they sign in no more (the row stays, naming what they did)
    removed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    consumer: Mapped[ConsumerAccount | None] = relationship(lazy="raise")
    branch: Mapped[SupplierBranch | None] = relationship(lazy="raise")
    pending_email_change: Mapped[EmailChange | None] = relationship(
        primaryjoin="and_(User.id == EmailChange.user_id, EmailChange.status == 'pending')",
        viewonly=True, uselist=False, lazy="raise",
    )


class ActivationCode(Base):
    """A single-use code handed to the consumer on paper; one per user to be registered."""

    __tablename__ = "activation_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumer_accounts.id"), index=True)
    code_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    used_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class RegistrationLink(Base):
    """The single-use link e-mailed to the agreement address; opens «Завершення реєстрації»."""

    __tablename__ = "registration_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumer_accounts.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    email: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    consumer: Mapped[ConsumerAccount] = relationship(lazy="raise")


class ColleagueInvitation(Base):
    """A consumer's director's invitation of a colleague, e-mailed as a single-use link that opens «Приєднання до
    кабінету»; whoever follows it becomes the consumer's user with the role named (`identity.colleagues`)."""

    __tablename__ = "colleague_invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumer_accounts.id"), index=True)
    email: Mapped[str] = mapped_column(sa.Text)
    consumer_role: Mapped[ConsumerRole] = mapped_column(_enum(ConsumerRole, "invitation_consumer_role"))
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    invited_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: accepted (`accepted_by` the new user) or withdrawn by a director: either way the link opens no more
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    consumer: Mapped[ConsumerAccount] = relationship(lazy="raise")


class Session(Base):
    """A signed-in browser; the gateway holds the token in a cookie."""

    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    client_address: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")


class AccessToken(Base):
    """A consumer's user's personal access token for their accounting program (`identity.access_tokens`)."""

    __tablename__ = "access_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    #: what the token may do, `identity.access_tokens.Scope` values
    scopes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    #: the token's first characters, shown in the list so that its owner can tell which one a program holds
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: when the token's bucket of calls is full again (`domain.rate_limit`); None: never called
    calls_refilled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="raise")


class EmailChange(Base):
    """A requested change of a user's e-mail; the old address stays in force until the link is followed."""

    __tablename__ = "email_changes"
    __table_args__ = (
        # at most one pending change per user: a new request cancels the previous one
        sa.Index(
            "uq_email_changes_pending_user", "user_id", unique=True,
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    old_email: Mapped[str] = mapped_column(sa.Text)
    new_email: Mapped[str] = mapped_column(sa.Text)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    status: Mapped[EmailChangeStatus] = mapped_column(_enum(EmailChangeStatus, "email_change_status"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ThrottledAttempt(Base):
    """One counted attempt at a guessable secret (or at a letter-sending form), for `domain.throttling`."""

    __tablename__ = "throttled_attempts"
    __table_args__ = (sa.Index("ix_throttled_attempts_subject", "rule", "subject", "occurred_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(40))
    #: whom the rule counts: a login, a client address, a link id, a user id, an e-mail address
    subject: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class AuditKind(StrEnum):
    # the names say what was changed, not secrets (S105)
    READINGS_ENTERED = "readings_entered"
    READINGS_ACCEPTED = "readings_accepted"
    DOCUMENT_SIGNED = "document_signed"
    DOCUMENT_REJECTED = "document_rejected"
    CONSUMER_CHANGED = "consumer_changed"
    EMAIL_CHANGED = "email_changed"
    LOGIN_CHANGED = "login_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105
    ACCESS_TOKEN_CREATED = "access_token_created"  # noqa: S105
    ACCESS_TOKEN_REVOKED = "access_token_revoked"  # noqa: S105
    API_CALL = "api_call"
    COLLEAGUE_INVITED = "colleague_invited"
    COLLEAGUE_JOINED = "colleague_joined"
    COLLEAGUE_ROLE_CHANGED = "colleague_role_changed"
    COLLEAGUE_REMOVED = "colleague_removed"


class AuditVia(StrEnum):
    """Where a person did it: the cabinet's pages, or a program with their personal access token."""

    PAGE = "page"
    API = "api"


class AuditEntry(Base):
    """One line of a consumer's audit trail (`identity.audit`): what was done, when, by whom as they were then."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_consumer_id_occurred_at", "consumer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    consumer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("consumer_accounts.id"))
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    kind: Mapped[AuditKind] = mapped_column(_enum(AuditKind, "audit_kind", length=32))
    #: the person, their login and e-mail as they were then; None: the system (a RES system, the supplier's seal)
    actor_user_id: Mapped[uuid.UUID | None]
    actor_login: Mapped[str | None] = mapped_column(sa.Text)
    actor_email: Mapped[str | None] = mapped_column(sa.Text)
    via: Mapped[AuditVia | None] = mapped_column(_enum(AuditVia, "audit_via"))
    #: what the entry is about, by kind: a period and act, a document, the fields changed, a token, a call's route
    details: Mapped[dict[str, object]] = mapped_column(JSONB)
    #: the HTTP status a public API call was answered with (None until it is, and for other kinds)
    status: Mapped[int | None] = mapped_column(sa.SmallInteger)
