"""Documents: one row per issued document; the bytes are in object storage under their SHA-256.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("document_type", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("replaces_id", sa.Uuid),
        sa.Column("source_event", sa.Text),
        sa.Column("created_by", sa.Uuid),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(["replaces_id"], ["documents.id"], name="fk_documents_replaces_id_documents"),
        sa.UniqueConstraint("replaces_id", name="uq_documents_replaces_id"),
        sa.CheckConstraint("period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="ck_documents_period"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_documents_sha256"),
        sa.CheckConstraint("size > 0", name="ck_documents_size"),
    )
    op.create_index("ix_documents_consumer_listing", "documents", ["consumer_id", "created_at"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])


def downgrade() -> None:
    op.drop_table("documents")
