"""Events published by the metering service (metering points, accepted readings) and its answers to RES systems'
readings."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Actor, Event, ResAnswer, event

#: the energy a meter register counts: active (kWh) or reactive (kvarh)
Energy = Literal["active", "reactive"]
#: where a meter is: at the consumer's site or at the RES substation
Location = Literal["consumer_site", "res_substation"]
#: who entered readings: the consumer in the cabinet (typed or a file), supplier staff, a RES system over the bus
ReadingsSource = Literal["consumer", "staff", "res"]
#: a meter's register value: non-negative, at most 12 digits before and 4 after the point
RegisterValue = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]
#: transformer ratio (current or voltage): positive
Ratio = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@event
class MeteringPointChanged(Event):
    event_name = "metering.metering_point_changed"
    summary = (
        "A metering point was created, changed or retired; the payload is its whole state (billing keeps a copy "
        "to know which points a period needs and how to calculate them)."
    )

    point_id: UUID
    consumer_id: UUID
    meter_serial: str
    #: 1, 2 or 3 time zones (1: all day; 2: day/night; 3: peak/half-peak/night)
    zones: Annotated[int, Field(ge=1, le=3)]
    #: digits of the meter's register before the decimal point (a roll-over goes past 10**digits)
    digits: Annotated[int, Field(ge=1, le=12)]
    ct_ratio: Ratio
    vt_ratio: Ratio
    location: Location
    consumer_reads: bool
    registers: tuple[Energy, ...]
    #: the billing tariff class of the point (voltage class / consumer group), e.g. `class2_general`
    tariff_class: str
    #: false once retired: no longer read nor billed
    active: bool


class ReadingLine(_Part):
    point_id: UUID
    energy: Energy
    zone: Annotated[int, Field(ge=1, le=3)]
    previous: RegisterValue
    current: RegisterValue
    #: the meter went past its maximum and started from zero again
    rollover: bool = False


class EnteredReading(ReadingLine):
    #: the meter's serial number, as the person who entered the reading saw it
    meter_serial: str


@event
class ReadingsAccepted(Event):
    event_name = "metering.readings_accepted"
    summary = (
        "Readings of a period were accepted for calculation: the consumer's signature on the act arrived, staff "
        "marked the paper act received, or staff/RES entered them. A non-null `correction_reason` means staff "
        "corrected readings already accepted (billing issues a correcting invoice when the period is invoiced)."
    )

    act_id: UUID
    consumer_id: UUID
    #: the billing period `YYYY-MM`
    period: str
    source: ReadingsSource
    readings: tuple[ReadingLine, ...]
    correction_reason: str | None = None
    #: who accepted them: the staff member who entered them or marked the paper act received, the person whose
    #: signature on the act accepted them; null for a RES system's
    actor: Actor | None = None


@event
class ReadingsEntered(Event):
    event_name = "metering.readings_entered"
    summary = (
        "Readings of a period were entered and drawn up as an act: typed or imported by the consumer's user (the "
        "act then waits for their signature), entered or corrected by staff, or sent by a RES system (accepted at "
        "once, `metering.readings_accepted.v1` follows). Identity keeps it in the consumer's audit trail."
    )

    act_id: UUID
    consumer_id: UUID
    #: the billing period `YYYY-MM`
    period: str
    source: ReadingsSource
    readings: tuple[EnteredReading, ...]
    correction_reason: str | None = None
    #: who entered them; null for a RES system's
    actor: Actor | None = None


@event
class ReadingsTaken(ResAnswer):
    event_name = "metering.readings_taken"
    summary = (
        "A RES system's readings were taken in: accepted for calculation at once, as an act of the consumer's "
        "(answered again, with the same act, when the same submission comes again)."
    )
    type: Literal["metering.readings_taken.v1"] = "metering.readings_taken.v1"

    submission_id: str
    account_number: str
    #: the billing period `YYYY-MM`
    period: str
    act_id: UUID
    #: how many readings the act holds
    readings: int


@event
class ReadingsRefused(ResAnswer):
    event_name = "metering.readings_refused"
    summary = "A RES system's readings were not taken, none of them; `errors` say why."
    type: Literal["metering.readings_refused.v1"] = "metering.readings_refused.v1"

    #: null when the message did not even carry a readable id
    submission_id: str | None
    #: the AMQP message id of the refused message
    message_id: str | None
    #: `invalid`: the message broke its contract; `refused`: the readings break the rules of the consumer's
    #: meters or period (an unknown account or meter, a window that is closed, a value below the previous one…)
    reason: Literal["invalid", "refused"]
    errors: tuple[str, ...] = ()
