"""Outgoing letters: one per event and recipient, sent by the letter sender with retries.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_letters",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("source_message_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text_body", sa.Text, nullable=False),
        sa.Column("html_body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_letters"),
        sa.UniqueConstraint("source_message_id", "recipient", name="uq_outgoing_letters_source_message_id"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_outgoing_letters_status_known"),
    )
    op.create_index(
        "ix_outgoing_letters_due", "outgoing_letters", ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_outgoing_letters_recipient", "outgoing_letters", [sa.text("lower(recipient)"), "created_at"]
    )


def downgrade() -> None:
    op.drop_table("outgoing_letters")
