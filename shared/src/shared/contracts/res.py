"""The public contract with RES systems (see docs/res-bus-contract.md): what RES systems publish to us.

RES systems publish to the `<ns>.events` exchange with these routing keys; what we answer is in
`shared.contracts.billing` (payment accepted / parked / refused / reversed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event, event
from shared.contracts.metering import Energy, RegisterValue

#: an amount of money in UAH: positive, kopecks at most
PaymentAmount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]


@event
class PaymentReceived(Event):
    event_name = "res.payment_received"
    summary = "A RES system received a payment to the supplier's account (one bank-statement line)."

    #: the RES system's own id of the payment: the same id delivered again is the same payment
    res_payment_id: Annotated[str, Field(min_length=1, max_length=64)]
    #: the consumer's personal account number in the cabinet, e.g. `0789`
    account_number: Annotated[str, Field(min_length=1, max_length=32)]
    amount: PaymentAmount
    paid_on: date
    payer_iban: Annotated[str, Field(min_length=15, max_length=34)]
    bank: Annotated[str, Field(min_length=1, max_length=200)]
    mfo: Annotated[str, Field(pattern=r"^\d{6}$")]
    purpose: Annotated[str, Field(min_length=1, max_length=420)]
    document_number: Annotated[str, Field(min_length=1, max_length=32)]


@event
class PaymentReturned(Event):
    event_name = "res.payment_returned"
    summary = "A payment reported before was returned to the payer (a reversal): its allocation is undone."

    res_payment_id: Annotated[str, Field(min_length=1, max_length=64)]
    returned_on: date
    reason: Annotated[str, Field(min_length=1, max_length=420)]


class MeterReading(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    meter_serial: Annotated[str, Field(min_length=1, max_length=32)]
    energy: Energy
    zone: Annotated[int, Field(ge=1, le=3)]
    value: RegisterValue
    #: the meter went past its maximum and started from zero again since the previous reading
    rollover: bool = False


@event
class ReadingsSubmitted(Event):
    event_name = "res.readings_submitted"
    summary = "A RES system read substation meters of a consumer for a period (validated as typed readings)."

    #: the RES system's id of this submission: delivered again, it changes nothing
    submission_id: Annotated[str, Field(min_length=1, max_length=64)]
    account_number: Annotated[str, Field(min_length=1, max_length=32)]
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    readings: Annotated[tuple[MeterReading, ...], Field(min_length=1)]
