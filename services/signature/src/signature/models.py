"""The signature service's tables (its own database; the bus tables come with the metadata).

The signature files themselves (detached CMS, `.p7s`) are documents of type `signature` in the documents service;
a signature row here names that document and says who signed what.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata
from signature.domain.statuses import DocumentStatus, Party, still_to_sign


class Base(DeclarativeBase):
    metadata = service_metadata()


_moment = sa.DateTime(timezone=True)


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    # text with a CHECK constraint rather than a PostgreSQL enum type: adding a value needs no type migration
    return sa.Enum(
        enum, name=name, native_enum=False, create_constraint=True, length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Consumer(Base):
    """What this service keeps of a consumer account (from identity's events): whose EDRPOU its signers carry."""

    __tablename__ = "consumers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    edrpou: Mapped[str] = mapped_column(sa.String(8))
    #: the consumer works with electronic documents (their users may register certificates and sign)
    e_signature: Mapped[bool]
    #: the branch whose staff see the consumer's documents (None: not known yet, only administrators do)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: when the state kept here was true at identity: an older event arriving late changes nothing
    as_of: Mapped[datetime] = mapped_column(_moment)


class Document(Base):
    """A document that may be signed (from the documents service's events), with its signature status."""

    __tablename__ = "documents"
    __table_args__ = (
        sa.Index("ix_documents_consumer_id_status", "consumer_id", "status"),
        sa.Index("ix_documents_status", "status"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    consumer_id: Mapped[uuid.UUID]
    document_type: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.Text)
    file_name: Mapped[str] = mapped_column(sa.Text)
    #: hex SHA-256 of the bytes, which never change: what every signature of the document covers
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: the document's own date (an invoice's formation date): the seal signs only what is issued the day it signs
    issued_on: Mapped[date] = mapped_column(sa.Date)
    #: whether the consumer, and the supplier, must sign it (`domain.statuses.signers_of`)
    consumer_signs: Mapped[bool]
    supplier_signs: Mapped[bool]
    status: Mapped[DocumentStatus] = mapped_column(
        _enum(DocumentStatus, "document_status"), default=DocumentStatus.NOT_SIGNED
    )
    rejected_by: Mapped[Party | None] = mapped_column(_enum(Party, "rejected_by_party"))
    rejected_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_changed_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())

    @property
    def signers(self) -> frozenset[Party]:
        return frozenset(party for party, signs in ((Party.CONSUMER, self.consumer_signs),
                                                    (Party.SUPPLIER, self.supplier_signs)) if signs)

    @property
    def awaiting(self) -> frozenset[Party]:
        """The parties whose signature it still waits for."""
        return still_to_sign(self.signers, self.status)


class Certificate(Base):
    """A signer's certificate: registered by a user, or the supplier's seal (no user)."""

    __tablename__ = "certificates"
    __table_args__ = (
        # a certificate is one signer's: while registered, nobody else may register it too
        sa.Index(
            "uq_certificates_fingerprint_registered", "fingerprint_sha256", unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.Index("ix_certificates_user_id", "user_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: None for the supplier's electronic seal
    user_id: Mapped[uuid.UUID | None]
    consumer_id: Mapped[uuid.UUID | None]
    party: Mapped[Party] = mapped_column(_enum(Party, "party"))
    der: Mapped[bytes] = mapped_column(sa.LargeBinary)
    subject: Mapped[str] = mapped_column(sa.Text)
    common_name: Mapped[str | None] = mapped_column(sa.Text)
    edrpou: Mapped[str | None] = mapped_column(sa.String(8))
    #: hexadecimal, as certificate viewers show it
    serial: Mapped[str] = mapped_column(sa.Text)
    issuer: Mapped[str] = mapped_column(sa.Text)
    not_before: Mapped[datetime] = mapped_column(_moment)
    not_after: Mapped[datetime] = mapped_column(_moment)
    fingerprint_sha256: Mapped[str] = mapped_column(sa.String(64))
    registered_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    #: when its owner took it out of use (it stays, as the certificate of the signatures made with it)
    revoked_at: Mapped[datetime | None] = mapped_column(_moment)


class Signing(Base):
    """Step one of signing: the data to sign (the DER signed attributes) waiting for the signer's value, for the
    document and for the ASiCManifest of it the signer signs too (the ASiC-E container's signature)."""

    __tablename__ = "signings"
    __table_args__ = (sa.Index("ix_signings_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    certificate_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    user_id: Mapped[uuid.UUID]
    party: Mapped[Party] = mapped_column(_enum(Party, "party"))
    data_to_sign: Mapped[bytes] = mapped_column(sa.LargeBinary)
    manifest: Mapped[bytes] = mapped_column(sa.LargeBinary)
    manifest_to_sign: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
    expires_at: Mapped[datetime] = mapped_column(_moment)


class Signature(Base):
    """A party's signature of a document; its `.p7s` is the document `p7s_document_id` in the documents service."""

    __tablename__ = "signatures"
    __table_args__ = (
        # each party signs a document once: the database has the last word when two try at the same moment
        sa.UniqueConstraint("document_id", "party", name="uq_signatures_document_id_party"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("documents.id"))
    party: Mapped[Party] = mapped_column(_enum(Party, "party"))
    certificate_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("certificates.id"), index=True)
    #: who signed: a user, or None for the seal
    user_id: Mapped[uuid.UUID | None]
    #: the signer as their certificate names them
    signer: Mapped[str] = mapped_column(sa.Text)
    signing_time: Mapped[datetime] = mapped_column(_moment)
    #: set in the same transaction as the row, once the documents service has stored the file
    p7s_document_id: Mapped[uuid.UUID | None]
    #: the ASiCManifest the party signed and that signature (None for signatures made before manifests were signed)
    asic_manifest: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    asic_signature: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(_moment, server_default=sa.func.now())
