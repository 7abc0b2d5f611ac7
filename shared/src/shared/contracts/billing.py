"""Events published by the billing service: invoices, and the answers to RES systems about payments.

The payment answers are part of the public RES contract (docs/res-bus-contract.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event, event

Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
InvoiceKind = Literal["regular", "correcting"]


@event
class InvoiceIssued(Event):
    event_name = "billing.invoice_issued"
    summary = (
        "An invoice (or a correcting invoice) was issued for a consumer's period; the period's readings window "
        "closes. Its PDF is requested from documents separately."
    )

    invoice_id: UUID
    consumer_id: UUID
    account_number: str
    #: `<account>/<month>/<seq>`, a correcting one `…/П<n>`
    number: str
    kind: InvoiceKind
    corrects_invoice_id: UUID | None
    period: str
    formed_on: date
    pay_by: date
    amount_excl_vat: Money
    vat: Money
    total: Money


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_id: UUID
    invoice_number: str
    amount: Money


@event
class PaymentAccepted(Event):
    event_name = "billing.payment_accepted"
    summary = "A RES payment was applied: to which invoices, and what stayed as the consumer's credit."

    res_payment_id: str
    payment_id: UUID
    consumer_id: UUID
    account_number: str
    amount: Money
    allocations: tuple[Allocation, ...]
    credit: Money
    #: the consumer's saldo after the payment: positive is debt, negative is overpayment
    saldo: Money


@event
class PaymentParked(Event):
    event_name = "billing.payment_parked"
    summary = (
        "A RES payment could not be matched to a consumer (e.g. unknown account); kept for staff to assign or return."
    )

    res_payment_id: str
    payment_id: UUID
    account_number: str
    amount: Money
    reason: str


@event
class PaymentRefused(Event):
    event_name = "billing.payment_refused"
    summary = (
        "A RES payment message was invalid (or repeated an id with other data) and was not applied; `errors` say why."
    )

    #: null when the message did not even carry a readable id
    res_payment_id: str | None
    #: the AMQP message id of the refused message
    message_id: str | None
    reason: str
    errors: tuple[str, ...] = ()


@event
class PaymentReversed(Event):
    event_name = "billing.payment_reversed"
    summary = "A returned payment's allocation was undone (RES `res.payment_returned`, or staff returned a parked one)."

    res_payment_id: str
    payment_id: UUID
    consumer_id: UUID | None
    amount: Money
    reason: str
    saldo: Money | None
