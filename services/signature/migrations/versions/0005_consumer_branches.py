"""Each consumer's branch, whose staff alone see the consumer's documents and signatures. Consumers kept before have
none until identity announces them again (`python -m identity.admin announce-consumers`); until then only
administrators see them.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consumers", sa.Column("branch_id", sa.Uuid, nullable=True))
    op.create_index("ix_consumers_branch_id", "consumers", ["branch_id"])


def downgrade() -> None:
    op.drop_index("ix_consumers_branch_id", table_name="consumers")
    op.drop_column("consumers", "branch_id")
