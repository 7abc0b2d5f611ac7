"""Events published by the billing service: invoices, and the answers to RES systems about payments.

The payment answers are part of the public RES contract (docs/res-bus-contract.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from shared.contracts.base import Event, ResAnswer, event

#: UAH, sent as a string with both kopeck digits ("376.10", "-20.00"): a reader takes it as it is, no float
Money = Annotated[
    Decimal, Field(max_digits=14, decimal_places=2),
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]{1,12}\.[0-9]{2}$"}, mode="serialization"),
]
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
class PaymentAccepted(ResAnswer):
    event_name = "billing.payment_accepted"
    summary = "A RES payment was applied: to which invoices, and what stayed as the consumer's credit."
    type: Literal["billing.payment_accepted.v1"] = "billing.payment_accepted.v1"

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
class PaymentParked(ResAnswer):
    event_name = "billing.payment_parked"
    summary = (
        "A RES payment could not be matched to a consumer (e.g. unknown account); kept for staff to assign or return."
    )
    type: Literal["billing.payment_parked.v1"] = "billing.payment_parked.v1"

    res_payment_id: str
    payment_id: UUID
    account_number: str
    amount: Money
    #: `unknown_account`: no consumer has the account number
    reason: Literal["unknown_account"]


@event
class PaymentRefused(ResAnswer):
    event_name = "billing.payment_refused"
    summary = (
        "A RES payment message was invalid (or repeated an id with other data) and was not applied; `errors` say why."
    )
    type: Literal["billing.payment_refused.v1"] = "billing.payment_refused.v1"

    #: null when the message did not even carry a readable id
    res_payment_id: str | None
    #: the AMQP message id of the refused message
    message_id: str | None
    #: `invalid`: the message broke its contract; `conflict`: its `res_payment_id` was used before for another
    #: payment; `unknown_payment`: a return names no payment of this RES system
    reason: Literal["invalid", "conflict", "unknown_payment"]
    errors: tuple[str, ...] = ()


@event
class PaymentReversed(ResAnswer):
    event_name = "billing.payment_reversed"
    summary = "A returned payment's allocation was undone (RES `res.payment_returned`, or staff returned a parked one)."
    type: Literal["billing.payment_reversed.v1"] = "billing.payment_reversed.v1"

    res_payment_id: str
    payment_id: UUID
    consumer_id: UUID | None
    amount: Money
    reason: str
    saldo: Money | None
