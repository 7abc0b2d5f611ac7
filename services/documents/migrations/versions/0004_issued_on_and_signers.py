"""A document's own date (`issued_on`, what lists show and sort by) and who must sign it (`signers`).

Documents stored before take the Kyiv date they were stored on; their signers stay unsaid (None), so the signature
service's rule for their type applies as before.

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
    op.add_column("documents", sa.Column("issued_on", sa.Date))
    op.execute("UPDATE documents SET issued_on = (created_at AT TIME ZONE 'Europe/Kyiv')::date")
    op.alter_column("documents", "issued_on", nullable=False)
    op.add_column("documents", sa.Column("signers", sa.ARRAY(sa.String(16))))
    op.drop_index("ix_documents_consumer_listing", "documents")
    op.create_index("ix_documents_consumer_listing", "documents", ["consumer_id", "issued_on", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_documents_consumer_listing", "documents")
    op.create_index("ix_documents_consumer_listing", "documents", ["consumer_id", "created_at"])
    op.drop_column("documents", "signers")
    op.drop_column("documents", "issued_on")
