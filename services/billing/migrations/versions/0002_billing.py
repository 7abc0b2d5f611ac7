"""Billing: copies of consumers, metering points and accepted readings; tariffs and zone coefficients; invoices and
their lines; signature statuses of invoice PDFs; billing runs. Seeds the zone coefficients.

Revision ID: 0002
Revises: 0001
"""
import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PERIOD_CHECK = "period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'"
ENERGY_CHECK = "energy IN ('active', 'reactive')"

# Demo values modelled on the regulator's zone coefficients for non-household consumers (zone 1 of two is the day,
# 2 the night; of three: 1 peak, 2 half-peak, 3 night). Staff keep them up to date with `POST /zone-coefficients`.
ZONE_COEFFICIENTS = [
    (1, 1, Decimal("1.0")),
    (2, 1, Decimal("1.5")), (2, 2, Decimal("0.4")),
    (3, 1, Decimal("1.68")), (3, 2, Decimal("1.02")), (3, 3, Decimal("0.35")),
]
COEFFICIENTS_FROM = date(2000, 1, 1)


def _timestamp(name: str, *, default: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.func.now() if default else None)


def upgrade() -> None:
    op.create_table(
        "consumers",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("edrpou", sa.String(8), nullable=False),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_name", sa.Text, nullable=False),
        sa.Column("billing_day", sa.SmallInteger, nullable=False),
        sa.Column("self_calculation", sa.Boolean, nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_consumers"),
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name=op.f("ck_consumers_billing_day")),
    )
    op.create_index("ix_consumers_account_number", "consumers", ["account_number"])

    op.create_table(
        "metering_points",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("meter_serial", sa.String(32), nullable=False),
        sa.Column("zones", sa.SmallInteger, nullable=False),
        sa.Column("digits", sa.SmallInteger, nullable=False),
        sa.Column("ct_ratio", sa.Numeric(12, 4), nullable=False),
        sa.Column("vt_ratio", sa.Numeric(12, 4), nullable=False),
        sa.Column("registers", ARRAY(sa.String(16)), nullable=False),
        sa.Column("tariff_class", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_metering_points"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3", name=op.f("ck_metering_points_zones")),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name=op.f("ck_metering_points_digits")),
    )
    op.create_index("ix_metering_points_consumer_id", "metering_points", ["consumer_id"])

    op.create_table(
        "readings",
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("point_id", sa.Uuid, nullable=False),
        sa.Column("energy", sa.String(16), nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        sa.Column("previous", sa.Numeric(16, 4), nullable=False),
        sa.Column("current", sa.Numeric(16, 4), nullable=False),
        sa.Column("rollover", sa.Boolean, nullable=False),
        sa.Column("act_id", sa.Uuid, nullable=False),
        _timestamp("accepted_at"),
        sa.PrimaryKeyConstraint("consumer_id", "period", "point_id", "energy", "zone", name="pk_readings"),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f("ck_readings_period")),
        sa.CheckConstraint(ENERGY_CHECK, name=op.f("ck_readings_energy")),
        sa.CheckConstraint("zone BETWEEN 1 AND 3", name=op.f("ck_readings_zone")),
    )

    op.create_table(
        "tariffs",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("tariff_class", sa.String(40), nullable=False),
        sa.Column("energy", sa.String(16), nullable=False),
        sa.Column("price", sa.Numeric(12, 6), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_by", sa.Uuid, nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_tariffs"),
        sa.UniqueConstraint("tariff_class", "energy", "effective_from", name="uq_tariffs_class_energy_date"),
        sa.CheckConstraint(ENERGY_CHECK, name=op.f("ck_tariffs_energy")),
        sa.CheckConstraint("price > 0", name=op.f("ck_tariffs_price")),
    )

    zone_coefficients = op.create_table(
        "zone_coefficients",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("zones", sa.SmallInteger, nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        sa.Column("coefficient", sa.Numeric(6, 4), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_zone_coefficients"),
        sa.UniqueConstraint("zones", "zone", "effective_from", name="uq_zone_coefficients_zone_date"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3 AND zone BETWEEN 1 AND zones",
                           name=op.f("ck_zone_coefficients_zone")),
        sa.CheckConstraint("coefficient > 0", name=op.f("ck_zone_coefficients_coefficient")),
    )
    op.bulk_insert(zone_coefficients, [
        {"id": uuid.uuid4(), "zones": zones, "zone": zone, "coefficient": coefficient,
         "effective_from": COEFFICIENTS_FROM}
        for zones, zone, coefficient in ZONE_COEFFICIENTS
    ])

    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("corrects_invoice_id", sa.Uuid, nullable=True),
        sa.Column("correction_no", sa.SmallInteger, nullable=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("formed_on", sa.Date, nullable=False),
        sa.Column("pay_by", sa.Date, nullable=False),
        sa.Column("amount_excl_vat", sa.Numeric(14, 2), nullable=False),
        sa.Column("vat", sa.Numeric(14, 2), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.Column("paid", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("document_id", sa.Uuid, nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.ForeignKeyConstraint(["corrects_invoice_id"], ["invoices.id"],
                                name="fk_invoices_corrects_invoice_id_invoices"),
        sa.UniqueConstraint("corrects_invoice_id", "correction_no", name="uq_invoices_correction_no"),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f("ck_invoices_period")),
        sa.CheckConstraint("kind IN ('regular', 'correcting')", name=op.f("ck_invoices_kind")),
        sa.CheckConstraint("(kind = 'regular') = (corrects_invoice_id IS NULL AND correction_no IS NULL)",
                           name=op.f("ck_invoices_correction")),
        sa.CheckConstraint("total = amount_excl_vat + vat", name=op.f("ck_invoices_total")),
    )
    # the one regular invoice of a consumer's period, however many requests try to issue it
    op.create_index("uq_invoices_regular_period", "invoices", ["consumer_id", "period"], unique=True,
                    postgresql_where=sa.text("kind = 'regular'"))
    op.create_index("ix_invoices_consumer_listing", "invoices", ["consumer_id", "formed_on"])

    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("point_id", sa.Uuid, nullable=False),
        sa.Column("meter_serial", sa.String(32), nullable=False),
        sa.Column("tariff_class", sa.String(40), nullable=False),
        sa.Column("energy", sa.String(16), nullable=False),
        sa.Column("zones", sa.SmallInteger, nullable=False),
        sa.Column("zone", sa.SmallInteger, nullable=False),
        sa.Column("previous", sa.Numeric(16, 4), nullable=False),
        sa.Column("current", sa.Numeric(16, 4), nullable=False),
        sa.Column("rollover", sa.Boolean, nullable=False),
        sa.Column("ct_ratio", sa.Numeric(12, 4), nullable=False),
        sa.Column("vt_ratio", sa.Numeric(12, 4), nullable=False),
        sa.Column("volume", sa.Numeric(40, 12), nullable=False),
        sa.Column("tariff_price", sa.Numeric(12, 6), nullable=False),
        sa.Column("coefficient", sa.Numeric(6, 4), nullable=False),
        sa.Column("price", sa.Numeric(20, 10), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "position", name="pk_invoice_lines"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="fk_invoice_lines_invoice_id_invoices",
                                ondelete="CASCADE"),
        sa.CheckConstraint(ENERGY_CHECK, name=op.f("ck_invoice_lines_energy")),
    )

    op.create_table(
        "document_signatures",
        sa.Column("document_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("document_id", name="pk_document_signatures"),
    )

    op.create_table(
        "billing_runs",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("consumer_ids", ARRAY(sa.Uuid), nullable=False),
        sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("issued", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("requested_by", sa.Uuid, nullable=True),
        _timestamp("started_at", default=False),
        _timestamp("heartbeat_at", default=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_billing_runs"),
        sa.CheckConstraint(PERIOD_CHECK, name=op.f("ck_billing_runs_period")),
        sa.CheckConstraint("state IN ('running', 'done')", name=op.f("ck_billing_runs_state")),
    )


def downgrade() -> None:
    for table in ("billing_runs", "document_signatures", "invoice_lines", "invoices", "zone_coefficients",
                  "tariffs", "readings", "metering_points", "consumers"):
        op.drop_table(table)
