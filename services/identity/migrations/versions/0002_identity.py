"""Identity: supplier branches, consumer accounts, users, activation codes, registration links, sessions,
e-mail changes and throttled attempts.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "supplier_branches",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("edrpou", sa.String(8), nullable=False),
        sa.Column("iban", sa.String(34), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_supplier_branches"),
        sa.UniqueConstraint("name", name="uq_supplier_branches_name"),
    )

    op.create_table(
        "consumer_accounts",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("edrpou", sa.String(8), nullable=False),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("agreement_email", sa.Text, nullable=False),
        sa.Column("billing_day", sa.SmallInteger, nullable=False),
        sa.Column("self_calculation", sa.Boolean, nullable=False),
        sa.Column("e_signature", sa.Boolean, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_consumer_accounts"),
        sa.UniqueConstraint("account_number", name="uq_consumer_accounts_account_number"),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["supplier_branches.id"], name="fk_consumer_accounts_branch_id_supplier_branches"
        ),
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name=op.f("ck_consumer_accounts_billing_day")),
    )
    op.create_index("ix_consumer_accounts_branch_id", "consumer_accounts", ["branch_id"])
    op.create_index("ix_consumer_accounts_edrpou", "consumer_accounts", ["edrpou"])

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("consumer_id", sa.Uuid),
        sa.Column("branch_id", sa.Uuid),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumer_accounts.id"], name="fk_users_consumer_id_consumer_accounts"
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["supplier_branches.id"], name="fk_users_branch_id_supplier_branches"),
        sa.CheckConstraint("role IN ('consumer', 'staff', 'admin')", name=op.f("ck_users_user_role")),
        sa.CheckConstraint(
            "(role = 'consumer') = (consumer_id IS NOT NULL) AND (role <> 'staff' OR branch_id IS NOT NULL)",
            name=op.f("ck_users_role_scope"),
        ),
    )
    op.create_index("uq_users_login_key", "users", [sa.text("lower(login)")], unique=True)
    op.create_index("ix_users_consumer_id", "users", ["consumer_id"])

    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("issued_by", sa.Uuid),
        _created_at(),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("used_by", sa.Uuid),
        sa.PrimaryKeyConstraint("id", name="pk_activation_codes"),
        sa.UniqueConstraint("code_hash", name="uq_activation_codes_code_hash"),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumer_accounts.id"], name="fk_activation_codes_consumer_id_consumer_accounts"
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name="fk_activation_codes_issued_by_users"),
        sa.ForeignKeyConstraint(["used_by"], ["users.id"], name="fk_activation_codes_used_by_users"),
    )
    op.create_index("ix_activation_codes_consumer_id", "activation_codes", ["consumer_id"])

    op.create_table(
        "registration_links",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        _created_at(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_registration_links"),
        sa.UniqueConstraint("token_hash", name="uq_registration_links_token_hash"),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumer_accounts.id"], name="fk_registration_links_consumer_id_consumer_accounts"
        ),
    )
    op.create_index("ix_registration_links_consumer_id", "registration_links", ["consumer_id"])

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("client_address", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_sessions_token_hash"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])

    op.create_table(
        "email_changes",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("old_email", sa.Text, nullable=False),
        sa.Column("new_email", sa.Text, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _created_at(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_email_changes"),
        sa.UniqueConstraint("token_hash", name="uq_email_changes_token_hash"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_email_changes_user_id_users"),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'cancelled')", name=op.f("ck_email_changes_email_change_status")
        ),
    )
    op.create_index("ix_email_changes_user_id", "email_changes", ["user_id"])
    op.create_index(
        "uq_email_changes_pending_user", "email_changes", ["user_id"], unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "throttled_attempts",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_throttled_attempts"),
    )
    op.create_index("ix_throttled_attempts_subject", "throttled_attempts", ["rule", "subject", "occurred_at"])
    op.create_index("ix_throttled_attempts_occurred_at", "throttled_attempts", ["occurred_at"])


def downgrade() -> None:
    for table in (
        "throttled_attempts", "email_changes", "sessions", "registration_links", "activation_codes", "users",
        "consumer_accounts", "supplier_branches",
    ):
        op.drop_table(table)
