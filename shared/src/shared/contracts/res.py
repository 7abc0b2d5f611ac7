"""The public contract with RES systems (see docs/res-bus-contract.md): what RES systems publish to us.

RES systems publish to the `<ns>.events` exchange with routing keys `<message type>.<RES system>`; what we answer
(`shared.contracts.base.ResAnswer`) is in `shared.contracts.billing` (payment accepted / parked / refused /
reversed) and `shared.contracts.metering` (readings taken / refused), each answer routed to the RES system it
answers alone.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from shared.contracts.base import Event, event
from shared.contracts.metering import Energy, RegisterValue

#: an amount written as text: digits, then at most two after a point; not zero
AMOUNT_TEXT = r"^(?!0+(\.0{1,2})?$)[0-9]{1,12}(\.[0-9]{1,2})?$"
#: a register's value written as text: digits, then at most four after a point
REGISTER_TEXT = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"


def _written(pattern: str, what: str) -> BeforeValidator:
    """A number given as a string must be written as the contract writes it (`-5.00`, `1e3`, `5,00` are not)."""

    def check(value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            raise ValueError(what)
        return value

    return BeforeValidator(check)


#: an amount of money in UAH: positive, kopecks at most; best written as a string (a JSON number is taken too,
#: but binary floating point cannot always carry kopecks exactly)
PaymentAmount = Annotated[
    Decimal, _written(AMOUNT_TEXT, 'an amount in UAH is digits with at most two decimals after a point, above '
                                   'zero: "376.10"'),
    Field(gt=0, max_digits=14, decimal_places=2),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": AMOUNT_TEXT},
                              {"type": "number", "exclusiveMinimum": 0, "maximum": 999999999999.99}]}),
]
#: a meter register's value, as `PaymentAmount` is written: zero or more, at most four decimals
ReadingValue = Annotated[
    RegisterValue, _written(REGISTER_TEXT, 'a register value is digits with at most four decimals after a point: '
                                           '"15320.5"'),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": REGISTER_TEXT},
                              {"type": "number", "minimum": 0, "maximum": 999999999999.9999}]}),
]


class ResMessage(Event):
    """What a RES system sends: its routing key is `<message type>.<RES system>`, which names the sender (the
    broker lets each RES system's user publish its own keys only)."""

    routed_per_partner = True


@event
class PaymentReceived(ResMessage):
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
class PaymentReturned(ResMessage):
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
    value: ReadingValue
    #: the meter went past its maximum and started from zero again since the previous reading
    rollover: bool = False


@event
class ReadingsSubmitted(ResMessage):
    event_name = "res.readings_submitted"
    summary = "A RES system read substation meters of a consumer for a period (validated as typed readings)."

    #: the RES system's id of this submission: delivered again, it changes nothing
    submission_id: Annotated[str, Field(min_length=1, max_length=64)]
    account_number: Annotated[str, Field(min_length=1, max_length=32)]
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    readings: Annotated[tuple[MeterReading, ...], Field(min_length=1)]
