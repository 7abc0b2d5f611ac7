"""A tax invoice's PDF is drawn when it is first asked for: no request waits in the row any more.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("tax_invoices", "render_request")


def downgrade() -> None:
    op.add_column("tax_invoices", sa.Column("render_request", JSONB, nullable=True))
