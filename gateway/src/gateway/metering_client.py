"""Typed calls to the metering service (docs/api-metering.md): metering points, the readings window, readings
and acts of readings transfer.

Register values and ratios travel as decimal strings and are read here as `Decimal`. A consumer's principal sees
only their own consumer (another's answers 403 `other_consumer` or 404); refusals arrive as
`shared.errors.ServiceCallError` with the service's code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from shared.auth import Principal
from shared.http import ServiceClient

_API: Final = "/api/v1"


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


class PointLocation(StrEnum):
    CONSUMER_SITE = "consumer_site"
    RES_SUBSTATION = "res_substation"


#: the energy a meter's register counts: `active` or `reactive`
Energy = str


class InstallationReading(_Answer):
    """What the meter showed at a register and zone when it was installed: its first volume is counted from it."""

    energy: Energy
    zone: int
    value: Decimal


class Point(_Answer):
    id: UUID
    consumer_id: UUID
    meter_serial: str
    zones: int
    digits: int
    ct_ratio: Decimal
    vt_ratio: Decimal
    location: PointLocation
    consumer_reads: bool
    registers: list[str]
    tariff_class: str
    active: bool
    created_at: AwareDatetime
    #: one per register and zone, registers in their order, then zones
    installation_readings: list[InstallationReading]


class InstallationValue(BaseModel):
    """An installation reading as typed."""

    energy: Energy
    zone: int
    value: str


class PointFields(BaseModel):
    """A point as staff enter it (every field a string, as typed: the service judges them)."""

    meter_serial: str
    zones: str
    digits: str
    ct_ratio: str
    vt_ratio: str
    location: str
    consumer_reads: bool
    registers: list[str]
    tariff_class: str
    installation_readings: list[InstallationValue]

    def installed(self, energy: Energy, zone: int) -> str:
        """The installation reading typed for a register and zone; empty when there is none."""
        return next((line.value for line in self.installation_readings
                     if (line.energy, line.zone) == (energy, zone)), "")

    def body(self) -> dict[str, Any]:
        """The JSON the service takes: whole numbers as numbers when they are ones, else as typed."""
        body = self.model_dump()
        for name in ("zones", "digits"):
            text = body[name].strip()
            body[name] = int(text) if text.isdigit() else text
        for name in ("meter_serial", "ct_ratio", "vt_ratio", "tariff_class"):
            body[name] = body[name].strip()
        return body

    def changes(self, point: Point) -> dict[str, Any]:
        """Only what differs from the point: zones, digits, registers and installation readings of a point with
        readings may not change, so sending them unchanged must not look like a change."""
        current = point.model_dump(mode="json")
        return {name: value for name, value in self.body().items() if not _same(value, current[name])}


def _same(typed: object, current: object) -> bool:
    if isinstance(typed, list) and isinstance(current, list):
        return len(typed) == len(current) and all(map(_same, typed, current))
    if isinstance(typed, dict) and isinstance(current, dict):
        return typed.keys() == current.keys() and all(_same(typed[key], current[key]) for key in typed)
    if isinstance(typed, str) and isinstance(current, str):
        try:
            return Decimal(typed) == Decimal(current)
        except ArithmeticError:
            return typed == current
    return typed == current


class WindowState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Window(_Answer):
    period: str
    state: WindowState
    #: why it is closed: `before_billing_day` or `invoice_issued`
    reason: str | None = None
    opens_on: date | None = None
    billing_day: int

    @property
    def is_open(self) -> bool:
        return self.state == WindowState.OPEN


class LineState(StrEnum):
    """Where a register's reading of the period stands."""

    MISSING = "missing"
    #: in an act waiting for its PDF, the consumer's signature or its paper copy
    PENDING = "pending"
    #: in force for calculation
    ACCEPTED = "accepted"


class ReadingLine(_Answer):
    point_id: UUID
    meter_serial: str
    energy: Energy
    zone: int
    previous: Decimal
    previous_period: str | None = None
    current: Decimal | None = None
    rollover: bool = False
    volume: Decimal | None = None
    usual_volume: Decimal | None = None
    state: LineState = LineState.MISSING
    act_id: UUID | None = None


class ActState(StrEnum):
    PREPARING = "preparing"
    AWAITING_SIGNATURE = "awaiting_signature"
    AWAITING_PAPER = "awaiting_paper"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class Act(_Answer):
    id: UUID
    consumer_id: UUID
    period: str
    state: ActState
    source: str
    document_id: UUID | None = None
    submitted_at: AwareDatetime
    accepted_at: AwareDatetime | None = None
    accepted_by: str | None = None
    correction_reason: str | None = None
    #: the meters the act carries readings of (in a readings form's answer)
    meter_serials: list[str] = []


class PointReadings(_Answer):
    point: Point
    lines: list[ReadingLine]

    @property
    def state(self) -> LineState:
        """A meter's readings go together: accepted when all are, pending while any waits for its act."""
        states = {line.state for line in self.lines}
        if states == {LineState.ACCEPTED}:
            return LineState.ACCEPTED
        return LineState.PENDING if LineState.PENDING in states else LineState.MISSING


class Readings(_Answer):
    period: str
    window: Window
    points: list[PointReadings]
    #: the period's acts that count: the one waiting, and those whose readings are in force; newest first
    acts: list[Act] = []


class VolumeWarning(_Answer):
    point_id: UUID
    energy: Energy
    zone: int
    code: str
    volume: Decimal
    usual_volume: Decimal


class Submitted(_Answer):
    act: Act
    warnings: list[VolumeWarning] = []


class ImportProblem(_Answer):
    line: int
    field: str
    code: str


class Reading(BaseModel):
    """One value as the consumer typed it: the service checks it is a number within the meter's digits."""

    model_config = ConfigDict(populate_by_name=True)

    point_id: UUID
    energy: Energy
    zone: int
    value: str
    rollover: bool = False


_POINTS = TypeAdapter(list[Point])
WARNINGS = TypeAdapter(list[VolumeWarning])
IMPORT_PROBLEMS = TypeAdapter(list[ImportProblem])


def _readings_body(readings: list[Reading]) -> list[dict[str, Any]]:
    return [reading.model_dump(mode="json", by_alias=True) for reading in readings]


class MeteringClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    # metering points
    async def points(self, principal: Principal, consumer_id: UUID, *, include_retired: bool = False) -> list[Point]:
        answer = await self._client.get(
            f"{_API}/consumers/{consumer_id}/points", principal,
            params={"include_retired": "true" if include_retired else "false"},
        )
        return _POINTS.validate_python(answer)

    async def add_point(self, principal: Principal, consumer_id: UUID, fields: PointFields) -> Point:
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/points", principal, json=fields.body())
        return Point.model_validate(answer)

    async def change_point(self, principal: Principal, point: Point, fields: PointFields) -> Point:
        response = await self._client.request("PATCH", f"{_API}/points/{point.id}", principal,
                                              json=fields.changes(point))
        return Point.model_validate(response.json())

    async def retire_point(self, principal: Principal, point_id: UUID) -> Point:
        response = await self._client.request("DELETE", f"{_API}/points/{point_id}", principal)
        return Point.model_validate(response.json())

    # the window and readings
    async def window(self, principal: Principal, consumer_id: UUID) -> Window:
        return Window.model_validate(await self._client.get(f"{_API}/consumers/{consumer_id}/window", principal))

    async def readings(self, principal: Principal, consumer_id: UUID, period: str | None = None) -> Readings:
        params = {"period": period} if period else None
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/readings", principal, params=params)
        return Readings.model_validate(answer)

    async def submit(
        self, principal: Principal, consumer_id: UUID, period: str, readings: list[Reading], *, confirm: bool
    ) -> Submitted:
        body = {"period": period, "readings": _readings_body(readings), "confirm": confirm}
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/readings", principal, json=body)
        return Submitted.model_validate(answer)

    async def import_file(
        self, principal: Principal, consumer_id: UUID, period: str, file_name: str, content: bytes, *, confirm: bool
    ) -> Submitted:
        answer = await self._client.post(
            f"{_API}/consumers/{consumer_id}/readings/import", principal,
            data={"period": period, "confirm": "true" if confirm else "false"},
            files={"file": (file_name, content)},
        )
        return Submitted.model_validate(answer)

    async def correct(
        self, principal: Principal, consumer_id: UUID, period: str, reason: str, readings: list[Reading]
    ) -> Submitted:
        body = {"period": period, "reason": reason, "readings": _readings_body(readings)}
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/readings/corrections", principal, json=body)
        return Submitted.model_validate(answer)

    # acts
    async def paper_received(self, principal: Principal, act_id: UUID) -> Act:
        return Act.model_validate(await self._client.post(f"{_API}/acts/{act_id}/paper-received", principal))
