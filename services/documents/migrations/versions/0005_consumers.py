"""Documents keeps each consumer's branch (from identity's events): a branch's staff see only their consumers'
documents. Consumers made before are learnt when identity announces them again
(`python -m identity.admin announce-consumers`); until then only administrators see their documents.

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
    op.create_table(
        "consumers",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consumers"),
    )
    op.create_index("ix_consumers_branch_id", "consumers", ["branch_id"])


def downgrade() -> None:
    op.drop_table("consumers")
