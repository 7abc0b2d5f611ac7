"""A payment keeps the RES system that sent it: its answers go to that system alone.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("res_system", sa.String(63), nullable=True))


def downgrade() -> None:
    op.drop_column("payments", "res_system")
