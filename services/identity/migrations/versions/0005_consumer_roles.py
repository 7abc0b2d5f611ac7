"""Roles inside a consumer: each consumer's user is its director, accountant, engineer or viewer; a director invites
colleagues by e-mail and removes them. The users there were (each consumer's registrants) become its directors.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ROLES = "'director', 'accountant', 'engineer', 'viewer'"


def upgrade() -> None:
    op.add_column("users", sa.Column("consumer_role", sa.String(16)))
    op.add_column("users", sa.Column("removed_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE users SET consumer_role = 'director' WHERE role = 'consumer'")
    op.create_check_constraint(op.f("ck_users_consumer_role"), "users", f"consumer_role IN ({_ROLES})")
    op.create_check_constraint(
        op.f("ck_users_consumer_role_scope"), "users", "(role = 'consumer') = (consumer_role IS NOT NULL)"
    )
    op.create_table(
        "colleague_invitations",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("consumer_role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("invited_by", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("accepted_by", sa.Uuid),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_colleague_invitations"),
        sa.UniqueConstraint("token_hash", name="uq_colleague_invitations_token_hash"),
        sa.CheckConstraint(f"consumer_role IN ({_ROLES})", name=op.f("ck_colleague_invitations_invitation_consumer_role")),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumer_accounts.id"],
                                name="fk_colleague_invitations_consumer_id_consumer_accounts"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name="fk_colleague_invitations_invited_by_users"),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"], name="fk_colleague_invitations_accepted_by_users"),
    )
    op.create_index("ix_colleague_invitations_consumer_id", "colleague_invitations", ["consumer_id"])


def downgrade() -> None:
    op.drop_table("colleague_invitations")
    op.drop_constraint("ck_users_consumer_role_scope", "users")
    op.drop_constraint("ck_users_consumer_role", "users")
    op.drop_column("users", "removed_at")
    op.drop_column("users", "consumer_role")
