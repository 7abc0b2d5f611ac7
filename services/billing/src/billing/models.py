"""The billing service's tables (its own database; the bus tables come with the metadata).

Consumers, metering points and accepted readings are billing's own copies, kept from identity's and metering's
events: billing calculates without calling other services. Money is `numeric` with kopecks; prices and volumes
are kept exact (a line's amount is the only thing rounded).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import service_metadata

PERIOD_CHECK = "period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'"
ENERGY_CHECK = "energy IN ('active', 'reactive')"
#: paid between nothing and the total: for a negative correcting invoice, between its total and nothing
PAID_CHECK = "(total >= 0 AND paid BETWEEN 0 AND total) OR (total < 0 AND paid BETWEEN total AND 0)"
MONEY = sa.Numeric(14, 2)
#: register values: 12 digits before the point, 4 after (metering's contract)
REGISTER_VALUE = sa.Numeric(16, 4)
RATIO = sa.Numeric(12, 4)
#: meter difference × CT × VT, exact
VOLUME = sa.Numeric(40, 12)
#: tariff × zone coefficient, exact
ZONE_PRICE = sa.Numeric(20, 10)


class Base(DeclarativeBase):
    metadata = service_metadata()


class Consumer(Base):
    """A consumer account as identity announced it (`identity.consumer_account_created/updated`)."""

    __tablename__ = "consumers"
    __table_args__ = (sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name="billing_day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    edrpou: Mapped[str] = mapped_column(sa.String(8))
    branch_id: Mapped[uuid.UUID]
    branch_name: Mapped[str] = mapped_column(sa.Text)
    billing_day: Mapped[int] = mapped_column(sa.SmallInteger)
    self_calculation: Mapped[bool]
    #: the buyer on tax invoices: a VAT payer and its ІПН (None until staff enter it in identity), or not a payer
    ipn: Mapped[str | None] = mapped_column(sa.String(12))
    vat_payer: Mapped[bool] = mapped_column(server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class MeteringPoint(Base):
    """A metering point as metering announced it (`metering.metering_point_changed`): the whole last state."""

    __tablename__ = "metering_points"
    __table_args__ = (
        sa.CheckConstraint("zones BETWEEN 1 AND 3", name="zones"),
        sa.CheckConstraint("digits BETWEEN 1 AND 12", name="digits"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    consumer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    meter_serial: Mapped[str] = mapped_column(sa.String(32))
    zones: Mapped[int] = mapped_column(sa.SmallInteger)
    digits: Mapped[int] = mapped_column(sa.SmallInteger)
    ct_ratio: Mapped[Decimal] = mapped_column(RATIO)
    vt_ratio: Mapped[Decimal] = mapped_column(RATIO)
    registers: Mapped[list[str]] = mapped_column(ARRAY(sa.String(16)))
    tariff_class: Mapped[str] = mapped_column(sa.String(40))
    active: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class Reading(Base):
    """The accepted reading of one register and zone of a point for a period; a later act (a staff correction)
    replaces it."""

    __tablename__ = "readings"
    __table_args__ = (
        sa.CheckConstraint(PERIOD_CHECK, name="period"),
        sa.CheckConstraint(ENERGY_CHECK, name="energy"),
        sa.CheckConstraint("zone BETWEEN 1 AND 3", name="zone"),
    )

    consumer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    point_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    energy: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    zone: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    previous: Mapped[Decimal] = mapped_column(REGISTER_VALUE)
    current: Mapped[Decimal] = mapped_column(REGISTER_VALUE)
    rollover: Mapped[bool]
    #: the act of readings transfer they were accepted with
    act_id: Mapped[uuid.UUID]
    accepted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class Tariff(Base):
    """The price (UAH per kWh or kvarh, without VAT) of a tariff class's register from a date on."""

    __tablename__ = "tariffs"
    __table_args__ = (
        sa.UniqueConstraint("tariff_class", "energy", "effective_from", name="uq_tariffs_class_energy_date"),
        sa.CheckConstraint(ENERGY_CHECK, name="energy"),
        sa.CheckConstraint("price > 0", name="price"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tariff_class: Mapped[str] = mapped_column(sa.String(40))
    energy: Mapped[str] = mapped_column(sa.String(16))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 6))
    effective_from: Mapped[date]
    title: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ZoneCoefficient(Base):
    """The multiplier of the tariff for one zone of a zone scheme (1, 2 or 3 zones) from a date on."""

    __tablename__ = "zone_coefficients"
    __table_args__ = (
        sa.UniqueConstraint("zones", "zone", "effective_from", name="uq_zone_coefficients_zone_date"),
        sa.CheckConstraint("zones BETWEEN 1 AND 3 AND zone BETWEEN 1 AND zones", name="zone"),
        sa.CheckConstraint("coefficient > 0", name="coefficient"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    zones: Mapped[int] = mapped_column(sa.SmallInteger)
    zone: Mapped[int] = mapped_column(sa.SmallInteger)
    coefficient: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    effective_from: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class Invoice(Base):
    """An invoice for a consumer's period, or a correcting invoice (the difference) for an invoiced one.

    One regular invoice per consumer and period, whatever the number of requests: the partial unique index
    `uq_invoices_regular_period` holds it. `paid` is what allocations paid on it (the sum of the `allocations`
    naming it); the balance is total − paid. A correcting invoice with a negative total is the consumer's credit:
    as it pays other invoices its `paid` goes down towards its total (`ck_invoices_paid` bounds both kinds), so an
    invoice is settled exactly when `paid = total` (`ix_invoices_unsettled` finds the others).
    """

    __tablename__ = "invoices"
    __table_args__ = (
        sa.Index("uq_invoices_regular_period", "consumer_id", "period", unique=True,
                 postgresql_where=sa.text("kind = 'regular'")),
        sa.UniqueConstraint("corrects_invoice_id", "correction_no", name="uq_invoices_correction_no"),
        sa.Index("ix_invoices_consumer_listing", "consumer_id", "formed_on"),
        sa.CheckConstraint(PERIOD_CHECK, name="period"),
        sa.CheckConstraint("kind IN ('regular', 'correcting')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'regular') = (corrects_invoice_id IS NULL AND correction_no IS NULL)", name="correction"
        ),
        sa.CheckConstraint("total = amount_excl_vat + vat", name="total"),
        sa.CheckConstraint(PAID_CHECK, name="paid"),
        sa.Index("ix_invoices_unsettled", "consumer_id", postgresql_where=sa.text("paid <> total")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID]
    account_number: Mapped[str] = mapped_column(sa.String(20))
    number: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(16))
    corrects_invoice_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("invoices.id"))
    #: `n` of a correcting invoice's `/П<n>`
    correction_no: Mapped[int | None] = mapped_column(sa.SmallInteger)
    period: Mapped[str] = mapped_column(sa.String(7))
    formed_on: Mapped[date]
    pay_by: Mapped[date]
    amount_excl_vat: Mapped[Decimal] = mapped_column(MONEY)
    vat: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    paid: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    #: the PDF, once documents has stored it (`documents.document_stored`)
    document_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class InvoiceLine(Base):
    """One register and zone of one point on an invoice (on a correcting invoice: the difference)."""

    __tablename__ = "invoice_lines"
    __table_args__ = (sa.CheckConstraint(ENERGY_CHECK, name="energy"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    point_id: Mapped[uuid.UUID]
    meter_serial: Mapped[str] = mapped_column(sa.String(32))
    tariff_class: Mapped[str] = mapped_column(sa.String(40))
    energy: Mapped[str] = mapped_column(sa.String(16))
    zones: Mapped[int] = mapped_column(sa.SmallInteger)
    zone: Mapped[int] = mapped_column(sa.SmallInteger)
    previous: Mapped[Decimal] = mapped_column(REGISTER_VALUE)
    current: Mapped[Decimal] = mapped_column(REGISTER_VALUE)
    rollover: Mapped[bool]
    ct_ratio: Mapped[Decimal] = mapped_column(RATIO)
    vt_ratio: Mapped[Decimal] = mapped_column(RATIO)
    volume: Mapped[Decimal] = mapped_column(VOLUME)
    tariff_price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 6))
    coefficient: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    price: Mapped[Decimal] = mapped_column(ZONE_PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class DocumentSignature(Base):
    """The signature status of an invoice's PDF (`signature.document_status_changed`), by document."""

    __tablename__ = "document_signatures"

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class BillingRun(Base):
    """Staff forming the invoices of many consumers at once, in the background, batch by batch.

    `consumer_ids` is the run's work list, fixed when it starts, and `total` its length; `processed` how far it
    got, so that another worker can go on from there when the one running it stops reporting (`heartbeat_at`).
    The list is never loaded with the run, only read in slices (`repositories.runs.run_batch`): with every consumer of a
    large supplier in it, reading it whole on each batch and each progress poll would cost more than the batch.
    """

    __tablename__ = "billing_runs"
    __table_args__ = (
        sa.CheckConstraint(PERIOD_CHECK, name="period"),
        sa.CheckConstraint("state IN ('running', 'done')", name="state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    period: Mapped[str] = mapped_column(sa.String(7))
    state: Mapped[str] = mapped_column(sa.String(16))
    consumer_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), deferred=True)
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(server_default="0")
    issued: Mapped[int] = mapped_column(server_default="0")
    #: [{consumer_id, account_number, reason}]
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=sa.text("'[]'::jsonb"))
    requested_by: Mapped[uuid.UUID | None]
    #: the branch whose consumers the run works on and whose staff follow it; None: every branch (an administrator's)
    branch_id: Mapped[uuid.UUID | None]
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Payment(Base):
    """A payment a RES system reported (`res.payment_received.v1`), one per `res_payment_id` whatever the deliveries.

    `applied`: the consumer's; its amount = its allocations + `credit` (what is not allocated yet, used by the
    consumer's next invoices). `parked`: no consumer has the account number; it waits for staff (no consumer,
    no allocations, no credit). `returned`: the bank returned it (or staff returned a parked one); nothing of it
    stays allocated.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("res_payment_id", name="uq_payments_res_payment_id"),
        sa.CheckConstraint("state IN ('applied', 'parked', 'returned')", name="state"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("credit >= 0 AND credit <= amount AND (state = 'applied' OR credit = 0)", name="credit"),
        sa.CheckConstraint("state <> 'applied' OR consumer_id IS NOT NULL", name="applied_consumer"),
        sa.CheckConstraint("state <> 'parked' OR consumer_id IS NULL", name="parked_consumer"),
        sa.Index("ix_payments_consumer_paid_on", "consumer_id", "paid_on"),
        sa.Index("ix_payments_credit", "consumer_id", postgresql_where=sa.text("credit > 0")),
        sa.Index("ix_payments_parked", "received_at", postgresql_where=sa.text("state = 'parked'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    res_payment_id: Mapped[str] = mapped_column(sa.String(64))
    #: the RES system that sent it (its messages' routing keys name it): the one its answers go to, the one that
    #: may send it again or return it; null for a payment received before RES systems were told apart
    res_system: Mapped[str | None] = mapped_column(sa.String(63))
    consumer_id: Mapped[uuid.UUID | None]
    account_number: Mapped[str] = mapped_column(sa.String(32))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    payer_iban: Mapped[str] = mapped_column(sa.String(34))
    bank: Mapped[str] = mapped_column(sa.String(200))
    mfo: Mapped[str] = mapped_column(sa.String(6))
    purpose: Mapped[str] = mapped_column(sa.String(420))
    document_number: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16))
    credit: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    returned_on: Mapped[date | None]
    return_reason: Mapped[str | None] = mapped_column(sa.String(420))


class Allocation(Base):
    """Part of a payment (or of a negative correcting invoice's credit, `credit_invoice_id`) paying an invoice.
    A payment's reversal deletes its allocations."""

    __tablename__ = "allocations"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("(payment_id IS NULL) <> (credit_invoice_id IS NULL)", name="source"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    credit_invoice_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("invoices.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class TaxInvoice(Base):
    """The tax invoice of an invoice, or the correction calculation of a correcting invoice (`kind`).

    Its rows are the invoice's lines (`billing.domain.tax_invoices` groups them); the seller and the buyer are
    kept as they were when it was issued, the buyer brought up to date by staff's tax details until the tax
    invoice is registered. `number` runs per seller and month (`tax_invoice_counters`).
    """

    __tablename__ = "tax_invoices"
    __table_args__ = (
        sa.UniqueConstraint("invoice_id", name="uq_tax_invoices_invoice_id"),
        sa.Index("ix_tax_invoices_consumer_issued_on", "consumer_id", "issued_on"),
        sa.CheckConstraint("kind IN ('tax_invoice', 'correction')", name="kind"),
        sa.CheckConstraint("registration IN ('not_registered', 'registered', 'refused')", name="registration"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID]
    invoice_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    number: Mapped[str] = mapped_column(sa.String(7))
    issued_on: Mapped[date]
    amount_excl_vat: Mapped[Decimal] = mapped_column(MONEY)
    vat: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    corrects_tax_invoice_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tax_invoices.id"))
    #: {name, tax_number, ipn, vat_payer, compiler_name, compiler_tax_number, tax_office}
    seller: Mapped[dict[str, Any]] = mapped_column(JSONB)
    #: {name, tax_number, ipn, vat_payer}
    buyer: Mapped[dict[str, Any]] = mapped_column(JSONB)
    registration: Mapped[str] = mapped_column(sa.String(16), server_default="not_registered")
    registration_note: Mapped[str | None] = mapped_column(sa.String(500))
    registration_changed_by: Mapped[uuid.UUID | None]
    registration_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: the PDF, once documents has stored it: drawn when it is first asked for (`tax.TaxInvoicing.pdf`)
    document_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class TaxInvoiceCounter(Base):
    """The last tax invoice number a seller (its tax number) took in a month."""

    __tablename__ = "tax_invoice_counters"

    seller_tax_number: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    month: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    last: Mapped[int]
