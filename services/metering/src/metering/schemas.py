"""Bodies of the metering HTTP API (docs/api-metering.md).

Requests bound only the shape and size of what arrives; the rules of points and readings are the domain's, so that
each refusal comes back with the domain's reason code. Register values and ratios travel as decimal strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from metering.domain.periods import Window
from metering.domain.readings import VolumeWarning, plain
from metering.models import Act, MeteringPoint

Short = Annotated[str, StringConstraints(max_length=200)]
#: longer than any value a meter shows, so that an overlong one is refused with the domain's reason
ValueText = Annotated[str, StringConstraints(max_length=64)]
#: a submission's lines: a consumer has a handful of points, a RES substation a few dozen
MAX_LINES = 1000


def optional_plain(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# answers
class InstallationReadingOut(BaseModel):
    #: the register: `active` or `reactive` energy
    energy: str
    zone: int
    value: str


class PointOut(BaseModel):
    id: uuid.UUID
    consumer_id: uuid.UUID
    meter_serial: str
    zones: int
    digits: int
    ct_ratio: str
    vt_ratio: str
    location: str
    consumer_reads: bool
    registers: list[str]
    tariff_class: str
    active: bool
    created_at: datetime
    #: what the meter showed when installed, per register and zone (registers in their order, then zones)
    installation_readings: list[InstallationReadingOut]

    @classmethod
    def of(cls, point: MeteringPoint) -> PointOut:
        return cls(
            id=point.id, consumer_id=point.consumer_id, meter_serial=point.meter_serial, zones=point.zones,
            digits=point.digits, ct_ratio=plain(point.ct_ratio), vt_ratio=plain(point.vt_ratio),
            location=point.location, consumer_reads=point.consumer_reads, registers=list(point.registers),
            tariff_class=point.tariff_class, active=point.active, created_at=point.created_at,
            installation_readings=[InstallationReadingOut(energy=row.energy, zone=row.zone, value=plain(row.value))
                                   for row in point.installation_readings],
        )


class WindowOut(BaseModel):
    period: str
    state: str
    reason: str | None
    opens_on: date | None
    billing_day: int

    @classmethod
    def of(cls, window: Window) -> WindowOut:
        return cls(period=str(window.period), state=window.state, reason=window.reason, opens_on=window.opens_on,
                   billing_day=window.billing_day)


class ActOut(BaseModel):
    id: uuid.UUID
    consumer_id: uuid.UUID
    period: str
    state: str
    source: str
    document_id: uuid.UUID | None
    submitted_at: datetime
    accepted_at: datetime | None
    accepted_by: str | None
    correction_reason: str | None
    #: the meters the act carries readings of (in a readings form's answer; empty elsewhere)
    meter_serials: list[str] = []

    @classmethod
    def of(cls, act: Act, meter_serials: Sequence[str] = ()) -> ActOut:
        return cls(
            id=act.id, consumer_id=act.consumer_id, period=act.period, state=act.state, source=act.source,
            document_id=act.document_id, submitted_at=act.submitted_at, accepted_at=act.accepted_at,
            accepted_by=act.accepted_by, correction_reason=act.correction_reason, meter_serials=list(meter_serials),
        )


class ReadingLineOut(BaseModel):
    point_id: uuid.UUID
    meter_serial: str
    #: the register: `active` or `reactive` energy
    energy: str
    zone: int
    previous: str
    previous_period: str | None
    current: str | None
    rollover: bool
    volume: str | None
    usual_volume: str | None
    #: `missing` (not entered), `pending` (in an act waiting for the consumer's signature or its paper copy) or
    #: `accepted` (in force for calculation)
    state: str
    #: the act the reading is in
    act_id: uuid.UUID | None


class PointReadingsOut(BaseModel):
    point: PointOut
    lines: list[ReadingLineOut]


class ReadingsOut(BaseModel):
    period: str
    window: WindowOut
    points: list[PointReadingsOut]
    #: the period's acts that count: the one waiting, and those whose readings are in force; newest first
    acts: list[ActOut]


class WarningOut(BaseModel):
    point_id: uuid.UUID
    #: the register: `active` or `reactive` energy
    energy: str
    zone: int
    code: str
    volume: str
    usual_volume: str

    @classmethod
    def of(cls, warning: VolumeWarning) -> WarningOut:
        return cls(point_id=warning.point_id, energy=warning.energy, zone=warning.zone, code=warning.code,
                   volume=plain(warning.volume), usual_volume=plain(warning.usual_volume))


def warnings_json(warnings: list[VolumeWarning]) -> list[dict[str, Any]]:
    return [WarningOut.of(warning).model_dump(mode="json", by_alias=True) for warning in warnings]


def window_json(window: Window) -> dict[str, Any]:
    return WindowOut.of(window).model_dump(mode="json")


class SubmittedOut(BaseModel):
    act: ActOut
    warnings: list[WarningOut]


# requests
class InstallationReadingIn(Request):
    energy: Short
    zone: int
    value: ValueText


#: a meter has at most two registers of three zones; a few more lines let the domain name a repeated one
InstallationReadings = Annotated[list[InstallationReadingIn], Field(max_length=12)]


class NewPoint(Request):
    meter_serial: Short
    #: a whole number, or its text as typed (anything else is `zones_invalid` / `digits_invalid`)
    zones: int | Short
    digits: int | Short
    ct_ratio: Short
    vt_ratio: Short
    location: Short
    consumer_reads: bool
    registers: Annotated[list[Short], Field(max_length=4)]
    tariff_class: Short
    #: required: left out, it is refused as `installation_readings: required` beside the other fields' codes
    installation_readings: InstallationReadings | None = None


class PointChanges(Request):
    """Any of a point's fields; those left out keep their value."""

    meter_serial: Short | None = None
    zones: int | Short | None = None
    digits: int | Short | None = None
    ct_ratio: Short | None = None
    vt_ratio: Short | None = None
    location: Short | None = None
    consumer_reads: bool | None = None
    registers: Annotated[list[Short], Field(max_length=4)] | None = None
    tariff_class: Short | None = None
    installation_readings: InstallationReadings | None = None


class ReadingIn(Request):
    point_id: uuid.UUID
    energy: Short
    zone: int
    value: ValueText
    rollover: bool = False


class ReadingsIn(Request):
    period: Short
    readings: Annotated[list[ReadingIn], Field(max_length=MAX_LINES)]
    confirm: bool = False


class CorrectionIn(Request):
    period: Short
    reason: Annotated[str, StringConstraints(max_length=4000)]
    readings: Annotated[list[ReadingIn], Field(max_length=MAX_LINES)]
