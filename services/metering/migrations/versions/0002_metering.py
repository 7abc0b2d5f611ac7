"""Metering: consumers (identity's copy), metering points, acts of readings transfer and their lines, the accepted
readings in force, invoiced periods, RES submissions.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VALUE = sa.Numeric(16, 4)
VOLUME = sa.Numeric(17, 4)
RATIO = sa.Numeric(12, 4)
PERIOD = sa.String(7)
ENERGIES = "energy IN ('active', 'reactive')"


def _reading_columns() -> list[sa.Column]:
    return [
        sa.Column("previous", VALUE, nullable=False),
        sa.Column("previous_period", PERIOD),
        sa.Column("current", VALUE, nullable=False),
        sa.Column("rollover", sa.Boolean, nullable=False),
        sa.Column("volume", VOLUME, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "consumers",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("edrpou", sa.String(8), nullable=False),
        sa.Column("branch_name", sa.Text, nullable=False),
        sa.Column("billing_day", sa.SmallInteger, nullable=False),
        sa.Column("e_signature", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consumers"),
        sa.UniqueConstraint("account_number", name="uq_consumers_account_number"),
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name=op.f("ck_consumers_billing_day")),
    )

    op.create_table(
        "metering_points",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("meter_serial", sa.String(32), nullable=False),
        sa.Column("zones", sa.SmallInteger, nullable=False),
        sa.Column("digits", sa.SmallInteger, nullable=False),
        sa.Column("ct_ratio", RATIO, nullable=False),
        sa.Column("vt_ratio", RATIO, nullable=False),
        sa.Column("location", sa.String(20), nullable=False),
        sa.Column("consumer_reads", sa.Boolean, nullable=False),
        sa.Column("reactive", sa.Boolean, nullable=False),
        sa.Column("tariff_class", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_metering_points"),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumers.id"], name="fk_metering_points_consumer_id_consumers"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3", name=op.f("ck_metering_points_zones")),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name=op.f("ck_metering_points_digits")),
        sa.CheckConstraint("ct_ratio > 0 AND vt_ratio > 0", name=op.f("ck_metering_points_ratios")),
        sa.CheckConstraint("location IN ('consumer_site', 'res_substation')", name=op.f("ck_metering_points_location")),
    )
    op.create_index("ix_metering_points_consumer_id", "metering_points", ["consumer_id"])
    op.create_index("uq_metering_points_active_serial", "metering_points", ["meter_serial"], unique=True,
                    postgresql_where=sa.text("active"))

    op.create_table(
        "acts",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("ordinal", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("document_id", sa.Uuid),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.Column("accepted_by", sa.String(20)),
        sa.Column("correction_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_acts"),
        sa.UniqueConstraint("ordinal", name="uq_acts_ordinal"),
        sa.UniqueConstraint("document_id", name="uq_acts_document_id"),
        sa.ForeignKeyConstraint(["consumer_id"], ["consumers.id"], name="fk_acts_consumer_id_consumers"),
        sa.CheckConstraint(
            "state IN ('preparing', 'awaiting_signature', 'awaiting_paper', 'accepted', 'superseded')",
            name=op.f("ck_acts_act_state"),
        ),
        sa.CheckConstraint("source IN ('consumer', 'staff', 'res')", name=op.f("ck_acts_act_source")),
        sa.CheckConstraint("accepted_by IN ('signature', 'paper', 'staff', 'res')", name=op.f("ck_acts_accepted_by")),
        sa.CheckConstraint("(state = 'accepted') = (accepted_at IS NOT NULL AND accepted_by IS NOT NULL)",
                           name=op.f("ck_acts_acceptance")),
    )
    op.create_index("ix_acts_consumer_period", "acts", ["consumer_id", "period"])
    op.create_index("uq_acts_pending", "acts", ["consumer_id", "period"], unique=True,
                    postgresql_where=sa.text("state IN ('preparing', 'awaiting_signature', 'awaiting_paper')"))

    op.create_table(
        "act_lines",
        sa.Column("act_id", sa.Uuid, nullable=False),
        sa.Column("point_id", sa.Uuid, nullable=False),
        sa.Column("energy", sa.String(20), nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        *_reading_columns(),
        sa.PrimaryKeyConstraint("act_id", "point_id", "energy", "zone", name="pk_act_lines"),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name="fk_act_lines_act_id_acts"),
        sa.ForeignKeyConstraint(["point_id"], ["metering_points.id"], name="fk_act_lines_point_id_metering_points"),
        sa.CheckConstraint(ENERGIES, name=op.f("ck_act_lines_energy")),
    )
    op.create_index("ix_act_lines_point_id", "act_lines", ["point_id"])

    op.create_table(
        "accepted_readings",
        sa.Column("point_id", sa.Uuid, nullable=False),
        sa.Column("energy", sa.String(20), nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("act_id", sa.Uuid, nullable=False),
        *_reading_columns(),
        sa.PrimaryKeyConstraint("point_id", "energy", "zone", "period", name="pk_accepted_readings"),
        sa.ForeignKeyConstraint(["point_id"], ["metering_points.id"],
                                name="fk_accepted_readings_point_id_metering_points"),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name="fk_accepted_readings_act_id_acts"),
        sa.CheckConstraint(ENERGIES, name=op.f("ck_accepted_readings_energy")),
    )
    op.create_index("ix_accepted_readings_act_id", "accepted_readings", ["act_id"])

    op.create_table(
        "invoiced_periods",
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("consumer_id", "period", name="pk_invoiced_periods"),
    )

    op.create_table(
        "res_submissions",
        sa.Column("submission_id", sa.String(64), nullable=False),
        sa.Column("act_id", sa.Uuid, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("submission_id", name="pk_res_submissions"),
        sa.ForeignKeyConstraint(["act_id"], ["acts.id"], name="fk_res_submissions_act_id_acts"),
    )


def downgrade() -> None:
    for table in (
        "res_submissions", "invoiced_periods", "accepted_readings", "act_lines", "acts", "metering_points",
        "consumers",
    ):
        op.drop_table(table)
