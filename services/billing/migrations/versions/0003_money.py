"""Money: payments and their allocations to invoices (and a negative correcting invoice's credit), the invoice's
paid amount bounded by its total; tax invoices, their numbering per seller and month, and the buyer's VAT details.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PAID_CHECK = "(total >= 0 AND paid BETWEEN 0 AND total) OR (total < 0 AND paid BETWEEN total AND 0)"


def upgrade() -> None:
    op.add_column("consumers", sa.Column("ipn", sa.String(12), nullable=True))
    op.add_column("consumers", sa.Column("vat_payer", sa.Boolean, nullable=False, server_default=sa.true()))

    op.create_check_constraint(op.f("ck_invoices_paid"), "invoices", PAID_CHECK)
    op.create_index("ix_invoices_unsettled", "invoices", ["consumer_id"], postgresql_where=sa.text("paid <> total"))

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("res_payment_id", sa.String(64), nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=True),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("payer_iban", sa.String(34), nullable=False),
        sa.Column("bank", sa.String(200), nullable=False),
        sa.Column("mfo", sa.String(6), nullable=False),
        sa.Column("purpose", sa.String(420), nullable=False),
        sa.Column("document_number", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("credit", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_on", sa.Date, nullable=True),
        sa.Column("return_reason", sa.String(420), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("res_payment_id", name="uq_payments_res_payment_id"),
        sa.CheckConstraint("state IN ('applied', 'parked', 'returned')", name=op.f("ck_payments_state")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount")),
        sa.CheckConstraint("credit >= 0 AND credit <= amount AND (state = 'applied' OR credit = 0)",
                           name=op.f("ck_payments_credit")),
        sa.CheckConstraint("state <> 'applied' OR consumer_id IS NOT NULL", name=op.f("ck_payments_applied_consumer")),
        sa.CheckConstraint("state <> 'parked' OR consumer_id IS NULL", name=op.f("ck_payments_parked_consumer")),
    )
    op.create_index("ix_payments_consumer_paid_on", "payments", ["consumer_id", "paid_on"])
    # the consumer's credit, read whenever an invoice is issued: only payments that still have some
    op.create_index("ix_payments_credit", "payments", ["consumer_id"], postgresql_where=sa.text("credit > 0"))
    op.create_index("ix_payments_parked", "payments", ["received_at"], postgresql_where=sa.text("state = 'parked'"))

    op.create_table(
        "allocations",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("payment_id", sa.Uuid, nullable=True),
        sa.Column("credit_invoice_id", sa.Uuid, nullable=True),
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_allocations"),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name="fk_allocations_payment_id_payments"),
        sa.ForeignKeyConstraint(["credit_invoice_id"], ["invoices.id"],
                                name="fk_allocations_credit_invoice_id_invoices"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="fk_allocations_invoice_id_invoices"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_allocations_amount")),
        sa.CheckConstraint("(payment_id IS NULL) <> (credit_invoice_id IS NULL)", name=op.f("ck_allocations_source")),
    )
    op.create_index("ix_allocations_payment_id", "allocations", ["payment_id"])
    op.create_index("ix_allocations_invoice_id", "allocations", ["invoice_id"])

    op.create_table(
        "tax_invoices",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("consumer_id", sa.Uuid, nullable=False),
        sa.Column("invoice_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.String(7), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("amount_excl_vat", sa.Numeric(14, 2), nullable=False),
        sa.Column("vat", sa.Numeric(14, 2), nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=False),
        sa.Column("corrects_tax_invoice_id", sa.Uuid, nullable=True),
        sa.Column("seller", JSONB, nullable=False),
        sa.Column("buyer", JSONB, nullable=False),
        sa.Column("registration", sa.String(16), nullable=False, server_default="not_registered"),
        sa.Column("registration_note", sa.String(500), nullable=True),
        sa.Column("registration_changed_by", sa.Uuid, nullable=True),
        sa.Column("registration_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.Uuid, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_tax_invoices"),
        sa.UniqueConstraint("invoice_id", name="uq_tax_invoices_invoice_id"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="fk_tax_invoices_invoice_id_invoices"),
        sa.ForeignKeyConstraint(["corrects_tax_invoice_id"], ["tax_invoices.id"],
                                name="fk_tax_invoices_corrects_tax_invoice_id_tax_invoices"),
        sa.CheckConstraint("kind IN ('tax_invoice', 'correction')", name=op.f("ck_tax_invoices_kind")),
        sa.CheckConstraint("registration IN ('not_registered', 'registered', 'refused')",
                           name=op.f("ck_tax_invoices_registration")),
    )
    op.create_index("ix_tax_invoices_consumer_issued_on", "tax_invoices", ["consumer_id", "issued_on"])

    op.create_table(
        "tax_invoice_counters",
        sa.Column("seller_tax_number", sa.String(10), nullable=False),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("month", sa.SmallInteger, nullable=False),
        sa.Column("last", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("seller_tax_number", "year", "month", name="pk_tax_invoice_counters"),
    )


def downgrade() -> None:
    for table in ("tax_invoice_counters", "tax_invoices", "allocations", "payments"):
        op.drop_table(table)
    op.drop_index("ix_invoices_unsettled", "invoices")
    op.drop_constraint(op.f("ck_invoices_paid"), "invoices", type_="check")
    op.drop_column("consumers", "vat_payer")
    op.drop_column("consumers", "ipn")
