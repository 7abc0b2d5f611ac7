"""The outbox and inbox tables, created in each service's own database by its first migration."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.sql.schema import SchemaItem


def _outbox_columns() -> list[SchemaItem]:
    return [
        sa.Column("id", sa.BigInteger, sa.Identity()),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("message_type", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    ]


def _inbox_columns() -> list[SchemaItem]:
    return [
        # text, not UUID: RES systems name their messages their own way
        sa.Column("message_id", sa.Text),
        sa.Column("message_type", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("message_id", name="pk_inbox"),
    ]


OUTBOX_PENDING_INDEX = "ix_outbox_pending"


def add_bus_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    outbox = sa.Table("outbox", metadata, *_outbox_columns())
    sa.Index(OUTBOX_PENDING_INDEX, outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))
    inbox = sa.Table("inbox", metadata, *_inbox_columns())
    return outbox, inbox


def create_bus_tables(op: object) -> None:
    """For a service's first Alembic revision: `create_bus_tables(op)`."""
    from alembic import op as alembic_op

    assert op is alembic_op
    alembic_op.create_table("outbox", *_outbox_columns())
    alembic_op.create_index(
        OUTBOX_PENDING_INDEX, "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    alembic_op.create_table("inbox", *_inbox_columns())


def drop_bus_tables(op: object) -> None:
    from alembic import op as alembic_op

    assert op is alembic_op
    alembic_op.drop_table("inbox")
    alembic_op.drop_table("outbox")


# Table objects for the bus's own queries, independent of any service's metadata.
_metadata = sa.MetaData()
OUTBOX, INBOX = add_bus_tables(_metadata)
