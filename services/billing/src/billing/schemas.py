"""Bodies of the billing HTTP API (docs/api-billing.md).

Money travels as strings with two decimals; prices, ratios, readings and volumes as exact decimal strings
(nothing is rounded but a line's amount). Requests bound only what arrives; the rules are the service's, so that
each refusal carries its reason code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

from billing.domain.calculation import Line, Meter
from billing.invoices import NO_READINGS, CalculationState, DueConsumer, InvoiceDetails
from billing.models import BillingRun, Tariff, ZoneCoefficient
from billing.payments import PaymentDetails, Saldo
from billing.reconciliation import Act
from billing.tariffs import TariffClass
from billing.tax import Registration, TaxInvoiceDetails
from shared.inputs import IsoDate


def _exact(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _price(value: Decimal) -> str:
    """At least the six places tariffs are set in (`4.321650`), more when a coefficient makes them."""
    exponent = value.normalize().as_tuple().exponent
    return _exact(value) if isinstance(exponent, int) and exponent < -6 else f"{value:.6f}"


Money = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str)]
Exact = Annotated[Decimal, PlainSerializer(_exact, return_type=str)]
Price = Annotated[Decimal, PlainSerializer(_price, return_type=str)]
Period = Annotated[str, StringConstraints(max_length=7)]
Energy = Literal["active", "reactive"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# tariffs
class TariffOut(BaseModel):
    id: uuid.UUID
    tariff_class: str
    energy: str
    price: Price
    effective_from: date
    title: str
    created_at: datetime

    @classmethod
    def of(cls, tariff: Tariff) -> TariffOut:
        return cls(id=tariff.id, tariff_class=tariff.tariff_class, energy=tariff.energy, price=tariff.price,
                   effective_from=tariff.effective_from, title=tariff.title, created_at=tariff.created_at)


class ZoneCoefficientOut(BaseModel):
    id: uuid.UUID
    zones: int
    zone: int
    coefficient: Exact
    effective_from: date

    @classmethod
    def of(cls, coefficient: ZoneCoefficient) -> ZoneCoefficientOut:
        return cls(id=coefficient.id, zones=coefficient.zones, zone=coefficient.zone,
                   coefficient=coefficient.coefficient, effective_from=coefficient.effective_from)


class TariffClassOut(BaseModel):
    tariff_class: str
    title: str
    history: list[TariffOut]
    zone_coefficients: list[ZoneCoefficientOut]

    @classmethod
    def of(cls, found: TariffClass) -> TariffClassOut:
        return cls(tariff_class=found.tariff_class, title=found.title,
                   history=[TariffOut.of(tariff) for tariff in found.history],
                   zone_coefficients=[ZoneCoefficientOut.of(item) for item in found.zone_coefficients])


class TariffsOut(BaseModel):
    classes: list[TariffClassOut]


class NewTariff(Request):
    tariff_class: Annotated[str, StringConstraints(max_length=64)]
    energy: Energy
    price: Annotated[Decimal, Field(allow_inf_nan=False)]
    effective_from: date
    title: Annotated[str, StringConstraints(max_length=400)]


class NewZoneCoefficient(Request):
    zones: int
    zone: int
    coefficient: Annotated[Decimal, Field(allow_inf_nan=False)]
    effective_from: date


# calculation and invoices
class LineOut(BaseModel):
    point_id: uuid.UUID
    meter_serial: str
    tariff_class: str
    energy: str
    zones: int
    zone: int
    previous: Exact
    current: Exact
    rollover: bool
    ct_ratio: Exact
    vt_ratio: Exact
    volume: Exact
    tariff_price: Price
    coefficient: Exact
    price: Price
    amount: Money

    @classmethod
    def of(cls, line: Line) -> LineOut:
        return cls(
            point_id=line.point_id, meter_serial=line.meter_serial, tariff_class=line.tariff_class,
            energy=line.energy, zones=line.zones, zone=line.zone, previous=line.previous, current=line.current,
            rollover=line.rollover, ct_ratio=line.ct_ratio, vt_ratio=line.vt_ratio, volume=line.volume,
            tariff_price=line.tariff_price, coefficient=line.coefficient, price=line.price, amount=line.amount,
        )


class InvoiceOut(BaseModel):
    id: uuid.UUID
    consumer_id: uuid.UUID
    account_number: str
    number: str
    kind: str
    corrects_invoice_id: uuid.UUID | None
    corrects_number: str | None
    period: str
    formed_on: date
    pay_by: date
    amount_excl_vat: Money
    vat: Money
    total: Money
    paid: Money
    balance: Money
    document_id: uuid.UUID | None
    signature_status: str | None
    lines: list[LineOut]

    @classmethod
    def of(cls, details: InvoiceDetails) -> InvoiceOut:
        invoice = details.invoice
        return cls(
            id=invoice.id, consumer_id=invoice.consumer_id, account_number=invoice.account_number,
            number=invoice.number, kind=invoice.kind, corrects_invoice_id=invoice.corrects_invoice_id,
            corrects_number=details.corrects_number, period=invoice.period, formed_on=invoice.formed_on,
            pay_by=invoice.pay_by, amount_excl_vat=invoice.amount_excl_vat, vat=invoice.vat, total=invoice.total,
            paid=invoice.paid, balance=invoice.total - invoice.paid, document_id=invoice.document_id,
            signature_status=details.signature_status, lines=[LineOut.of(line) for line in details.lines],
        )


class MissingOut(BaseModel):
    point_id: uuid.UUID
    meter_serial: str
    reason: str

    @classmethod
    def of(cls, meter: Meter) -> MissingOut:
        return cls(point_id=meter.point_id, meter_serial=meter.meter_serial, reason=NO_READINGS)


class CalculationOut(BaseModel):
    period: str
    self_calculation: bool
    ready: bool
    missing: list[MissingOut]
    invoice: InvoiceOut | None

    @classmethod
    def of(cls, state: CalculationState) -> CalculationOut:
        return cls(period=state.period, self_calculation=state.self_calculation, ready=state.ready,
                   missing=[MissingOut.of(meter) for meter in state.missing],
                   invoice=InvoiceOut.of(state.invoice) if state.invoice else None)


class IssueInvoice(Request):
    period: Period


class InvoicesOut(BaseModel):
    years: list[int]
    items: list[InvoiceOut]


class DueOut(BaseModel):
    consumer_id: uuid.UUID
    account_number: str
    name: str
    billing_day: int
    ready: bool
    missing: list[MissingOut]
    invoice_number: str | None

    @classmethod
    def of(cls, due: DueConsumer) -> DueOut:
        consumer = due.consumer
        return cls(consumer_id=consumer.id, account_number=consumer.account_number, name=consumer.name,
                   billing_day=consumer.billing_day, ready=due.ready,
                   missing=[MissingOut.of(meter) for meter in due.missing], invoice_number=due.invoice_number)


# billing runs
class StartRun(Request):
    period: Period | None = None
    consumer_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100_000)] | None = None


class RunOut(BaseModel):
    id: uuid.UUID
    period: str
    state: str
    total: int
    processed: int
    issued: int
    skipped: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, run: BillingRun) -> RunOut:
        return cls(id=run.id, period=run.period, state=run.state, total=run.total,
                   processed=run.processed, issued=run.issued, skipped=run.skipped, started_at=run.started_at,
                   finished_at=run.finished_at)


class RunDocumentsOut(BaseModel):
    #: the regular invoices of the run's consumers processed so far, for its period
    invoices: int
    #: of them, with their PDF stored
    pdfs: int
    #: of those, signed by the supplier's seal
    sealed: int
    #: their tax invoices: each an XML at once, its PDF drawn when first asked for
    tax_invoices: int


# payments and saldo
class AllocationOut(BaseModel):
    invoice_id: uuid.UUID
    invoice_number: str
    amount: Money


class PaymentOut(BaseModel):
    id: uuid.UUID
    res_payment_id: str
    consumer_id: uuid.UUID | None
    account_number: str
    paid_on: date
    document_number: str
    amount: Money
    payer_iban: str
    bank: str
    mfo: str
    purpose: str
    state: str
    allocations: list[AllocationOut]
    credit: Money
    received_at: datetime
    returned_on: date | None
    return_reason: str | None

    @classmethod
    def of(cls, details: PaymentDetails) -> PaymentOut:
        payment = details.payment
        return cls(
            id=payment.id, res_payment_id=payment.res_payment_id, consumer_id=payment.consumer_id,
            account_number=payment.account_number, paid_on=payment.paid_on, document_number=payment.document_number,
            amount=payment.amount, payer_iban=payment.payer_iban, bank=payment.bank, mfo=payment.mfo,
            purpose=payment.purpose, state=payment.state,
            allocations=[AllocationOut(invoice_id=allocation.invoice_id, invoice_number=allocation.invoice_number,
                                       amount=allocation.amount) for allocation in details.allocations],
            credit=payment.credit, received_at=payment.received_at, returned_on=payment.returned_on,
            return_reason=payment.return_reason,
        )


class SaldoOut(BaseModel):
    saldo: Money
    debt: Money
    overpayment: Money
    open_invoices: int
    next_pay_by: date | None
    next_pay_by_amount: Money | None

    @classmethod
    def of(cls, saldo: Saldo) -> SaldoOut:
        zero = Decimal("0.00")
        return cls(saldo=saldo.saldo, debt=max(saldo.saldo, zero), overpayment=max(-saldo.saldo, zero),
                   open_invoices=saldo.open_invoices, next_pay_by=saldo.next_pay_by,
                   next_pay_by_amount=saldo.next_pay_by_amount)


class PaymentsOut(BaseModel):
    saldo: SaldoOut
    items: list[PaymentOut]


class AssignPayment(Request):
    consumer_id: uuid.UUID


class ReturnPayment(Request):
    reason: Annotated[str, StringConstraints(max_length=2000)]


# tax invoices
class CompletenessOut(BaseModel):
    complete: bool
    missing: list[str]


class TaxInvoiceOut(BaseModel):
    id: uuid.UUID
    consumer_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    kind: str
    number: str
    corrects_tax_invoice_id: uuid.UUID | None
    corrects_number: str | None
    issued_on: date
    amount_excl_vat: Money
    vat: Money
    total: Money
    registration: str
    registration_note: str | None
    document_id: uuid.UUID | None
    #: whether it has a PDF to draw (`POST /tax-invoices/{id}/pdf`); a correction that changes no amount has none
    has_pdf: bool
    completeness: CompletenessOut

    @classmethod
    def of(cls, details: TaxInvoiceDetails) -> TaxInvoiceOut:
        row = details.row
        return cls(
            id=row.id, consumer_id=row.consumer_id, invoice_id=row.invoice_id, invoice_number=details.invoice_number,
            kind=row.kind, number=row.number, corrects_tax_invoice_id=row.corrects_tax_invoice_id,
            corrects_number=details.corrects_number, issued_on=row.issued_on, amount_excl_vat=row.amount_excl_vat,
            vat=row.vat, total=row.total, registration=row.registration, registration_note=row.registration_note,
            document_id=row.document_id, has_pdf=bool(details.document.rows),
            completeness=CompletenessOut(complete=not details.missing, missing=list(details.missing)),
        )


class TaxInvoicesOut(BaseModel):
    years: list[int]
    items: list[TaxInvoiceOut]


class RegisterTaxInvoice(Request):
    registration: Registration
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None



# the reconciliation act
class ReconciliationOperationOut(BaseModel):
    on: date
    kind: str
    document: str
    debit: Money
    credit: Money


class AgeingOut(BaseModel):
    """The debt at the period's end by days past due."""

    not_due: Money
    days_0_30: Money
    days_31_60: Money
    days_61_90: Money
    over_90: Money


class ReconciliationOut(BaseModel):
    consumer_id: uuid.UUID
    account_number: str
    consumer_name: str
    edrpou: str
    branch_name: str
    start: date
    end: date
    #: positive: the consumer owes the supplier; negative: the supplier owes the consumer
    opening: Money
    operations: list[ReconciliationOperationOut]
    debit_turnover: Money
    credit_turnover: Money
    closing: Money
    #: who owes whom at the period's end: `consumer`, `supplier` or `nobody`
    debtor: Literal["consumer", "supplier", "nobody"]
    ageing: AgeingOut

    @classmethod
    def of(cls, act: Act) -> ReconciliationOut:
        found, consumer, ageing = act.reconciliation, act.consumer, act.reconciliation.ageing
        return cls(
            consumer_id=consumer.id, account_number=consumer.account_number, consumer_name=consumer.name,
            edrpou=consumer.edrpou, branch_name=consumer.branch_name, start=found.start, end=found.end,
            opening=found.opening,
            operations=[ReconciliationOperationOut(on=operation.on, kind=operation.kind.value,
                                                   document=operation.document, debit=operation.debit,
                                                   credit=operation.credit) for operation in found.operations],
            debit_turnover=found.debit_turnover, credit_turnover=found.credit_turnover, closing=found.closing,
            debtor="consumer" if found.closing > 0 else "supplier" if found.closing < 0 else "nobody",
            ageing=AgeingOut(not_due=ageing.not_due, days_0_30=ageing.up_to_30, days_31_60=ageing.up_to_60,
                             days_61_90=ageing.up_to_90, over_90=ageing.over_90),
        )


class ReconciliationPeriod(Request):
    start: IsoDate | None = Field(default=None, alias="from")
    end: IsoDate | None = Field(default=None, alias="to")


class ReconciliationActOut(BaseModel):
    """The act asked of documents: it enters the consumer's documents under this reference."""

    source_event: str
    title: str
