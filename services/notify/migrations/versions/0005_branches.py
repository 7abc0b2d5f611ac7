"""Branches: each known consumer's (whose staff alone read its letters) and each message to the developers' sender's.
Consumers kept before have none until identity announces them again (`python -m identity.admin announce-consumers`),
and messages sent before have none at all: until then only administrators read them.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("known_consumers", sa.Column("branch_id", UUID(as_uuid=True)))
    op.create_index("ix_known_consumers_branch_id", "known_consumers", ["branch_id"])
    op.add_column("feedback_messages", sa.Column("branch_id", UUID(as_uuid=True)))
    op.create_index("ix_feedback_messages_branch", "feedback_messages", ["branch_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_messages_branch", table_name="feedback_messages")
    op.drop_column("feedback_messages", "branch_id")
    op.drop_index("ix_known_consumers_branch_id", table_name="known_consumers")
    op.drop_column("known_consumers", "branch_id")
