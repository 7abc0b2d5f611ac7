"""Typed calls to the billing service (docs/api-billing.md): tariffs, calculation and invoices, billing runs,
payments and saldo, the reconciliation act, tax invoices.

Money travels as decimal strings and is read here as `Decimal`, never float. A consumer's principal sees only
their own consumer (another's answers 403 `other_consumer`, another's invoice 404); refusals arrive as
`shared.errors.ServiceCallError` with the service's code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from starlette.responses import StreamingResponse

from gateway.downloads import stream_to_browser
from gateway.signing import SignatureStatus
from shared.auth import Principal
from shared.http import ServiceClient

_API: Final = "/api/v1"


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


#: active or reactive energy: billing answers `energy` (docs/api-billing.md still says `register`, read too)
Energy = Annotated[str, Field(validation_alias=AliasChoices("energy", "register"))]


# tariffs
class Tariff(_Answer):
    id: UUID
    tariff_class: str
    energy: Energy
    price: Decimal
    effective_from: date
    title: str
    created_at: AwareDatetime


class ZoneCoefficient(_Answer):
    id: UUID
    zones: int
    zone: int
    coefficient: Decimal
    effective_from: date


class TariffClass(_Answer):
    tariff_class: str
    title: str
    history: list[Tariff]
    zone_coefficients: list[ZoneCoefficient] = []


class Tariffs(_Answer):
    classes: list[TariffClass]


# calculation and invoices
class InvoiceLine(_Answer):
    point_id: UUID
    meter_serial: str
    energy: Energy
    #: the meter's zone scheme (1, 2 or 3), which names its zones
    zones: int | None = None
    zone: int
    previous: Decimal
    current: Decimal
    rollover: bool = False
    ct_ratio: Decimal
    vt_ratio: Decimal
    volume: Decimal
    price: Decimal
    amount: Decimal


class Invoice(_Answer):
    id: UUID
    consumer_id: UUID
    account_number: str
    number: str
    kind: str
    corrects_invoice_id: UUID | None = None
    corrects_number: str | None = None
    period: str
    formed_on: date
    pay_by: date
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal
    paid: Decimal
    balance: Decimal
    document_id: UUID | None = None
    signature_status: SignatureStatus | None = None
    lines: list[InvoiceLine] = []


class Invoices(_Answer):
    years: list[int]
    items: list[Invoice]


class MissingReadings(_Answer):
    point_id: UUID
    meter_serial: str
    #: `no_readings` or `not_accepted`
    reason: str


class Calculation(_Answer):
    period: str
    self_calculation: bool
    ready: bool
    missing: list[MissingReadings]
    invoice: Invoice | None = None


class Skipped(_Answer):
    consumer_id: UUID
    account_number: str
    reason: str


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"


class BillingRun(_Answer):
    id: UUID
    period: str
    state: RunState
    total: int
    issued: int
    skipped: list[Skipped]
    started_at: AwareDatetime
    finished_at: AwareDatetime | None = None


class RunDocuments(_Answer):
    """How far the documents of a run's invoices got."""

    invoices: int
    pdfs: int
    sealed: int
    tax_invoices: int


class Due(_Answer):
    consumer_id: UUID
    account_number: str
    name: str
    billing_day: int
    ready: bool
    missing: list[MissingReadings]
    invoice_number: str | None = None


# payments and saldo
class Allocation(_Answer):
    invoice_id: UUID
    invoice_number: str
    amount: Decimal


class PaymentState(StrEnum):
    APPLIED = "applied"
    PARKED = "parked"
    RETURNED = "returned"


class Payment(_Answer):
    id: UUID
    res_payment_id: str
    consumer_id: UUID | None = None
    account_number: str
    paid_on: date
    document_number: str
    amount: Decimal
    payer_iban: str
    bank: str
    mfo: str
    purpose: str
    state: PaymentState
    allocations: list[Allocation] = []
    credit: Decimal
    received_at: AwareDatetime


class Saldo(_Answer):
    #: positive: the consumer owes; negative: they have paid in advance
    saldo: Decimal
    debt: Decimal
    overpayment: Decimal
    open_invoices: int
    next_pay_by: date | None = None
    next_pay_by_amount: Decimal | None = None


class Payments(_Answer):
    #: read in the same snapshot as the payments: a payment just applied is in both or in neither
    saldo: Saldo
    items: list[Payment]


# the reconciliation act
class ReconciliationKind(StrEnum):
    INVOICE = "invoice"
    CORRECTING_INVOICE = "correcting_invoice"
    PAYMENT = "payment"
    RETURN = "return"


class ReconciliationOperation(_Answer):
    on: date
    kind: ReconciliationKind
    #: the invoice's number, the payment's document number
    document: str
    debit: Decimal
    credit: Decimal


class Ageing(_Answer):
    """The debt at the period's end by days past due."""

    not_due: Decimal
    days_0_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal


class Reconciliation(_Answer):
    start: date
    end: date
    #: positive: the consumer owes the supplier; negative: the supplier owes the consumer
    opening: Decimal
    operations: list[ReconciliationOperation]
    debit_turnover: Decimal
    credit_turnover: Decimal
    closing: Decimal
    #: `consumer`, `supplier` or `nobody`
    debtor: str
    ageing: Ageing


class ReconciliationAct(_Answer):
    source_event: str
    title: str


# tax invoices
class Completeness(_Answer):
    complete: bool
    missing: list[str] = []


class Registration(StrEnum):
    NOT_REGISTERED = "not_registered"
    REGISTERED = "registered"
    REFUSED = "refused"


class TaxInvoice(_Answer):
    id: UUID
    consumer_id: UUID
    invoice_id: UUID
    invoice_number: str
    kind: str
    number: str
    corrects_tax_invoice_id: UUID | None = None
    corrects_number: str | None = None
    issued_on: date
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal
    registration: Registration
    registration_note: str | None = None
    document_id: UUID | None = None
    #: a PDF to draw when first asked for (`tax_invoice_pdf`); a correction that changes no amount has none
    has_pdf: bool = True
    completeness: Completeness


class TaxInvoices(_Answer):
    years: list[int]
    items: list[TaxInvoice]


class NewTariff(BaseModel):
    """A tariff as staff type it: the service judges the price and the date."""

    tariff_class: str
    energy: str
    price: str
    effective_from: str
    title: str


class NewZoneCoefficient(BaseModel):
    zones: int
    zone: int
    coefficient: str
    effective_from: str


_ZONE_COEFFICIENTS = TypeAdapter(list[ZoneCoefficient])
_DUE = TypeAdapter(list[Due])
_PAYMENTS = TypeAdapter(list[Payment])
MISSING_READINGS = TypeAdapter(list[MissingReadings])


def _year(year: int | None) -> dict[str, Any] | None:
    return {"year": year} if year is not None else None


class BillingClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    # tariffs
    async def tariffs(self, principal: Principal, consumer_id: UUID | None = None) -> Tariffs:
        params = {"consumer_id": str(consumer_id)} if consumer_id else None
        return Tariffs.model_validate(await self._client.get(f"{_API}/tariffs", principal, params=params))

    async def add_tariff(self, principal: Principal, tariff: NewTariff) -> Tariff:
        answer = await self._client.post(f"{_API}/tariffs", principal, json=tariff.model_dump())
        return Tariff.model_validate(answer)

    async def zone_coefficients(self, principal: Principal) -> list[ZoneCoefficient]:
        return _ZONE_COEFFICIENTS.validate_python(await self._client.get(f"{_API}/zone-coefficients", principal))

    async def add_zone_coefficient(self, principal: Principal, coefficient: NewZoneCoefficient) -> ZoneCoefficient:
        answer = await self._client.post(f"{_API}/zone-coefficients", principal, json=coefficient.model_dump())
        return ZoneCoefficient.model_validate(answer)

    # calculation and invoices
    async def calculation(self, principal: Principal, consumer_id: UUID, period: str | None = None) -> Calculation:
        params = {"period": period} if period else None
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/calculation", principal, params=params)
        return Calculation.model_validate(answer)

    async def form_invoice(self, principal: Principal, consumer_id: UUID, period: str) -> Invoice:
        """The period's invoice; the one already formed when the period is invoiced (a second click is harmless)."""
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/invoices", principal, json={"period": period})
        return Invoice.model_validate(answer)

    async def invoices(self, principal: Principal, consumer_id: UUID, year: int | None = None) -> Invoices:
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/invoices", principal, params=_year(year))
        return Invoices.model_validate(answer)

    async def invoice(self, principal: Principal, invoice_id: UUID) -> Invoice:
        return Invoice.model_validate(await self._client.get(f"{_API}/invoices/{invoice_id}", principal))

    async def start_run(
        self, principal: Principal, *, period: str | None = None, consumer_ids: list[UUID] | None = None
    ) -> BillingRun:
        body: dict[str, Any] = {}
        if period:
            body["period"] = period
        if consumer_ids:
            body["consumer_ids"] = [str(consumer_id) for consumer_id in consumer_ids]
        return BillingRun.model_validate(await self._client.post(f"{_API}/billing-runs", principal, json=body))

    async def run(self, principal: Principal, run_id: UUID) -> BillingRun:
        return BillingRun.model_validate(await self._client.get(f"{_API}/billing-runs/{run_id}", principal))

    async def run_documents(self, principal: Principal, run_id: UUID) -> RunDocuments:
        answer = await self._client.get(f"{_API}/billing-runs/{run_id}/documents", principal)
        return RunDocuments.model_validate(answer)

    async def due(self, principal: Principal, period: str | None = None) -> list[Due]:
        params = {"period": period} if period else None
        return _DUE.validate_python(await self._client.get(f"{_API}/due", principal, params=params))

    # payments and saldo
    async def payments(self, principal: Principal, consumer_id: UUID, start: date, end: date) -> Payments:
        params = {"from": start.isoformat(), "to": end.isoformat()}
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/payments", principal, params=params)
        return Payments.model_validate(answer)

    async def saldo(self, principal: Principal, consumer_id: UUID) -> Saldo:
        return Saldo.model_validate(await self._client.get(f"{_API}/consumers/{consumer_id}/saldo", principal))

    async def parked_payments(self, principal: Principal) -> list[Payment]:
        return _PAYMENTS.validate_python(await self._client.get(f"{_API}/payments/parked", principal))

    async def assign_payment(self, principal: Principal, payment_id: UUID, consumer_id: UUID) -> Payment:
        answer = await self._client.post(
            f"{_API}/payments/{payment_id}/assignment", principal, json={"consumer_id": str(consumer_id)}
        )
        return Payment.model_validate(answer)

    async def return_payment(self, principal: Principal, payment_id: UUID, reason: str) -> Payment:
        answer = await self._client.post(f"{_API}/payments/{payment_id}/return", principal, json={"reason": reason})
        return Payment.model_validate(answer)

    # the reconciliation act
    async def reconciliation(self, principal: Principal, consumer_id: UUID, start: date | None,
                             end: date | None) -> Reconciliation:
        params = {name: day.isoformat() for name, day in (("from", start), ("to", end)) if day}
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/reconciliation", principal, params=params)
        return Reconciliation.model_validate(answer)

    async def issue_reconciliation_act(self, principal: Principal, consumer_id: UUID, start: date | None,
                                       end: date | None) -> ReconciliationAct:
        body = {name: day.isoformat() for name, day in (("from", start), ("to", end)) if day}
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/reconciliation/acts", principal, json=body)
        return ReconciliationAct.model_validate(answer)

    # tax invoices
    async def tax_invoices(self, principal: Principal, consumer_id: UUID, year: int | None = None) -> TaxInvoices:
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/tax-invoices", principal, params=_year(year))
        return TaxInvoices.model_validate(answer)

    async def tax_invoice_xml(self, principal: Principal, tax_invoice_id: UUID) -> StreamingResponse:
        return await stream_to_browser(self._client, f"{_API}/tax-invoices/{tax_invoice_id}/xml", principal)

    async def tax_invoice_pdf(self, principal: Principal, tax_invoice_id: UUID) -> TaxInvoice:
        """The tax invoice with its PDF's document: documents draws it now if nobody asked for it before."""
        answer = await self._client.post(f"{_API}/tax-invoices/{tax_invoice_id}/pdf", principal)
        return TaxInvoice.model_validate(answer)

    async def register_tax_invoice(
        self, principal: Principal, tax_invoice_id: UUID, registration: str, note: str
    ) -> TaxInvoice:
        answer = await self._client.post(
            f"{_API}/tax-invoices/{tax_invoice_id}/registration", principal,
            json={"registration": registration, "note": note or None},
        )
        return TaxInvoice.model_validate(answer)
