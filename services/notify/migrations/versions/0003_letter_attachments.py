"""Letter attachments: a reference to a document of the documents service, fetched when the letter is sent.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outgoing_letters", sa.Column("attachment_document_id", UUID(as_uuid=True)))
    op.add_column("outgoing_letters", sa.Column("attachment_file_name", sa.Text))
    op.add_column("outgoing_letters", sa.Column("attachment_content_type", sa.Text))
    op.create_check_constraint(
        "ck_outgoing_letters_attachment_complete", "outgoing_letters",
        "(attachment_document_id IS NULL AND attachment_file_name IS NULL AND attachment_content_type IS NULL)"
        " OR (attachment_document_id IS NOT NULL AND attachment_file_name IS NOT NULL"
        " AND attachment_content_type IS NOT NULL)",
    )


def downgrade() -> None:
    op.drop_constraint("ck_outgoing_letters_attachment_complete", "outgoing_letters", type_="check")
    op.drop_column("outgoing_letters", "attachment_content_type")
    op.drop_column("outgoing_letters", "attachment_file_name")
    op.drop_column("outgoing_letters", "attachment_document_id")
