"""Each consumer's branch, whose staff alone see the consumer. Consumers kept before have none until identity
announces them again (`python -m identity.admin announce-consumers`); until then only administrators see them.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consumers", sa.Column("branch_id", sa.Uuid, nullable=True))
    op.create_index(op.f("ix_consumers_branch_id"), "consumers", ["branch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_consumers_branch_id"), table_name="consumers")
    op.drop_column("consumers", "branch_id")
