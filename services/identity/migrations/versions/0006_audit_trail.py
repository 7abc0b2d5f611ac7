"""The consumers' audit trail, and the public API's rate limit per token kept with the token.

Revision ID: 0006
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("access_tokens", sa.Column("calls_refilled_at", sa.DateTime(timezone=True)))
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_user_id", sa.Uuid),
        sa.Column("actor_login", sa.Text),
        sa.Column("actor_email", sa.Text),
        sa.Column("via", sa.String(16)),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("status", sa.SmallInteger),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumer_accounts.id"],
                                name="fk_audit_entries_consumer_id_consumer_accounts"),
        sa.CheckConstraint(
            "kind IN ('readings_entered', 'readings_accepted', 'document_signed', 'document_rejected', "
            "'consumer_changed', 'email_changed', 'login_changed', 'password_changed', 'access_token_created', "
            "'access_token_revoked', 'api_call', 'colleague_invited', 'colleague_joined', 'colleague_role_changed', "
            "'colleague_removed')",
            name=op.f("ck_audit_entries_audit_kind"),
        ),
        sa.CheckConstraint("via IN ('page', 'api')", name=op.f("ck_audit_entries_audit_via")),
    )
    op.create_index("ix_audit_entries_consumer_id_occurred_at", "audit_entries", ["consumer_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.drop_column("access_tokens", "calls_refilled_at")
