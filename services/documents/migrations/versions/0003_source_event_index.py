"""Index documents by the requester's reference (`source_event`): render requests are answered once per reference.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_documents_source_event", "documents", ["source_event"],
        postgresql_where=sa.text("source_event IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_source_event", "documents")
