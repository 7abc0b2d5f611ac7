"""A billing run's size kept beside its work list, which is then read in slices only.

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
    op.add_column("billing_runs", sa.Column("total", sa.Integer, nullable=True))
    op.execute("UPDATE billing_runs SET total = cardinality(consumer_ids)")
    op.alter_column("billing_runs", "total", nullable=False)


def downgrade() -> None:
    op.drop_column("billing_runs", "total")
