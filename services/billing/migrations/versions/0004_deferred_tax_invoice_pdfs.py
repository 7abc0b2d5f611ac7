"""A tax invoice's PDF is asked of documents once its invoice's PDF is stored: the request waits in the row.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tax_invoices", sa.Column("render_request", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("tax_invoices", "render_request")
