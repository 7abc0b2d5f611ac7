"""Signature: consumers and documents known from events, certificates, signings in progress, signatures.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PARTIES = "('consumer', 'supplier')"
STATUSES = "('not_signed', 'signed_by_consumer', 'signed_by_supplier', 'signed_by_both', 'rejected')"


def _moment(name: str, *, nullable: bool = False, now: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), nullable=nullable, server_default=sa.func.now() if now else None
    )


def upgrade() -> None:
    op.create_table(
        "consumers",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("edrpou", sa.String(8), nullable=False),
        sa.Column("e_signature", sa.Boolean, nullable=False),
        _moment("as_of"),
        sa.PrimaryKeyConstraint("id", name="pk_consumers"),
    )

    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("rejected_by", sa.String(32)),
        sa.Column("rejected_reason", sa.Text),
        _moment("status_changed_at", now=True),
        _moment("created_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_documents_sha256")),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_documents_document_status")),
        sa.CheckConstraint(f"rejected_by IN {PARTIES}", name=op.f("ck_documents_rejected_by_party")),
    )
    op.create_index("ix_documents_consumer_id_status", "documents", ["consumer_id", "status"])
    op.create_index("ix_documents_status", "documents", ["status"])

    op.create_table(
        "certificates",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid),
        sa.Column("consumer_id", sa.Uuid),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("common_name", sa.Text),
        sa.Column("edrpou", sa.String(8)),
        sa.Column("serial", sa.Text, nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        _moment("not_before"),
        _moment("not_after"),
        sa.Column("fingerprint_sha256", sa.String(64), nullable=False),
        _moment("registered_at", now=True),
        _moment("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.CheckConstraint(f"party IN {PARTIES}", name=op.f("ck_certificates_party")),
    )
    op.create_index(
        "uq_certificates_fingerprint_registered", "certificates", ["fingerprint_sha256"], unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index("ix_certificates_user_id", "certificates", ["user_id"])

    op.create_table(
        "signings",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("document_id", sa.Uuid, nullable=False),
        sa.Column("certificate_id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("data_to_sign", sa.LargeBinary, nullable=False),
        _moment("created_at", now=True),
        _moment("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_signings"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_signings_document_id_documents"),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name="fk_signings_certificate_id_certificates"
        ),
        sa.CheckConstraint(f"party IN {PARTIES}", name=op.f("ck_signings_party")),
    )
    op.create_index("ix_signings_document_id", "signings", ["document_id"])
    op.create_index("ix_signings_certificate_id", "signings", ["certificate_id"])
    op.create_index("ix_signings_expires_at", "signings", ["expires_at"])

    op.create_table(
        "signatures",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("document_id", sa.Uuid, nullable=False),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("certificate_id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid),
        sa.Column("signer", sa.Text, nullable=False),
        _moment("signing_time"),
        sa.Column("p7s_document_id", sa.Uuid),
        _moment("created_at", now=True),
        sa.PrimaryKeyConstraint("id", name="pk_signatures"),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_signatures_document_id_documents"),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name="fk_signatures_certificate_id_certificates"
        ),
        sa.UniqueConstraint("document_id", "party", name="uq_signatures_document_id_party"),
        sa.CheckConstraint(f"party IN {PARTIES}", name=op.f("ck_signatures_party")),
    )
    op.create_index("ix_signatures_certificate_id", "signatures", ["certificate_id"])


def downgrade() -> None:
    op.drop_table("signatures")
    op.drop_table("signings")
    op.drop_table("certificates")
    op.drop_table("documents")
    op.drop_table("consumers")
