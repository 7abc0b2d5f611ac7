"""The branch a billing run works on (staff run their own branch's consumers); runs started before worked on every
branch, as an administrator's do.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("billing_runs", sa.Column("branch_id", sa.Uuid, nullable=True))


def downgrade() -> None:
    op.drop_column("billing_runs", "branch_id")
