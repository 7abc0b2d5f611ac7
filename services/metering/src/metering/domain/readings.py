"""Readings: register values, their validation against the meter and the previous reading, volumes, warnings.

The same rules serve every way readings come in: typed in the cabinet, imported from a file, entered by staff, or
pushed by a RES system. Problems come back per line and field with stable codes (docs/api-metering.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from shared.meters import meter_volume

#: digits after the decimal point a register value may have
MAX_FRACTION_DIGITS = 4
#: accepted periods the usual volume is the mean of
USUAL_VOLUME_PERIODS = 12
_QUANTUM = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
# digits, optionally a fraction after a point or a comma (a decimal comma is what Ukrainian spreadsheets write)
_VALUE = re.compile(r"(-?)(\d+)(?:[.,](\d+))?", re.ASCII)

#: a reading's place: metering point, register (the energy it counts), zone
LineKey = tuple[uuid.UUID, str, int]
#: a reading's place on its meter: register, zone
RegisterZone = tuple[str, int]


class Energy(StrEnum):
    """What a meter's register counts."""

    ACTIVE = "active"
    REACTIVE = "reactive"


class Problem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_MANY_DIGITS = "too_many_digits"
    BELOW_PREVIOUS = "below_previous"
    ROLLOVER_NOT_POSSIBLE = "rollover_not_possible"
    POINT_NOT_FOUND = "point_not_found"
    NOT_CONSUMER_READ = "not_consumer_read"
    POINT_RETIRED = "point_retired"
    ZONE_INVALID = "zone_invalid"
    ENERGY_INVALID = "energy_invalid"
    LINE_REPEATED = "line_repeated"
    LINES_MISSING = "lines_missing"
    EMPTY = "empty"


@dataclass(frozen=True)
class PointRules:
    """What validating a reading needs to know of its metering point."""

    point_id: uuid.UUID
    zones: int
    digits: int
    registers: tuple[str, ...]
    active: bool
    consumer_reads: bool
    #: what the meter showed when installed at the point, per register and zone: its first volume starts there
    installation: Mapping[RegisterZone, Decimal]

    def line_keys(self) -> set[LineKey]:
        """Every register and zone the point is read at."""
        return {(self.point_id, register, zone) for register in self.registers for zone in range(1, self.zones + 1)}


@dataclass(frozen=True)
class SubmittedLine:
    point_id: uuid.UUID
    energy: str
    zone: int
    value: str
    rollover: bool = False


@dataclass(frozen=True)
class LineProblem:
    #: the line's position in the submission; None for the submission as a whole
    index: int | None
    #: `point_id`, `energy`, `zone`, `value`, or `readings` for what concerns the submission as a whole
    field: str
    code: Problem


@dataclass(frozen=True)
class Reading:
    """A validated reading: the meter's value now, the last accepted one before it, and the difference."""

    point_id: uuid.UUID
    energy: str
    zone: int
    previous: Decimal
    current: Decimal
    rollover: bool
    volume: Decimal

    @property
    def key(self) -> LineKey:
        return (self.point_id, self.energy, self.zone)


@dataclass(frozen=True)
class VolumeWarning:
    point_id: uuid.UUID
    energy: str
    zone: int
    volume: Decimal
    usual_volume: Decimal
    code: str = "volume_high"


def parse_value(raw: str, digits: int) -> Decimal | Problem:
    """A register value as the meter shows it: at most `digits` before the point, four after, not negative."""
    match = _VALUE.fullmatch(raw.strip())
    if match is None:
        return Problem.NOT_A_NUMBER
    sign, whole, fraction = match[1], match[2], match[3] or ""
    value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    if sign and value != 0:
        return Problem.NEGATIVE
    # leading zeros are the meter's empty drums, not digits
    if value >= Decimal(10) ** digits or len(fraction) > MAX_FRACTION_DIGITS:
        return Problem.TOO_MANY_DIGITS
    return value


def validate_readings(
    lines: Sequence[SubmittedLine], points: Mapping[uuid.UUID, PointRules], previous: Mapping[LineKey, Decimal],
    *, by_consumer: bool,
) -> tuple[list[Reading], list[LineProblem]]:
    """Readings of one consumer's period checked line by line; the readings only when no line has a problem.

    `points` are the consumer's own (another consumer's point is `point_not_found`), `previous` the last accepted
    values (a register/zone without one is a new meter, read from its installation reading). A consumer may send
    only the points they read; each point sent needs a value for every register and zone it has.
    """
    if not lines:
        return [], [LineProblem(None, "readings", Problem.EMPTY)]
    problems: list[LineProblem] = []
    readings: list[Reading] = []
    sent: dict[uuid.UUID, set[LineKey]] = {}
    first_line: dict[uuid.UUID, int] = {}
    #: points whose lines name a wrong register or zone: whether lines are missing cannot be told
    unclear: set[uuid.UUID] = set()
    for index, line in enumerate(lines):
        point = points.get(line.point_id)
        problem = _point_problem(point, by_consumer=by_consumer)
        if problem is not None:
            problems.append(LineProblem(index, "point_id", problem))
            continue
        assert point is not None
        first_line.setdefault(point.point_id, index)
        keys = sent.setdefault(point.point_id, set())
        placed = True
        if line.energy not in point.registers:
            problems.append(LineProblem(index, "energy", Problem.ENERGY_INVALID))
            placed = False
        if not 1 <= line.zone <= point.zones:
            problems.append(LineProblem(index, "zone", Problem.ZONE_INVALID))
            placed = False
        value = parse_value(line.value, point.digits)
        if isinstance(value, Problem):
            problems.append(LineProblem(index, "value", value))
        if not placed:
            unclear.add(point.point_id)
            continue
        key = (point.point_id, line.energy, line.zone)
        if key in keys:
            problems.append(LineProblem(index, "readings", Problem.LINE_REPEATED))
            continue
        keys.add(key)
        if isinstance(value, Problem):
            continue
        before = previous[key] if key in previous else point.installation[line.energy, line.zone]
        if line.rollover and value >= before:
            problems.append(LineProblem(index, "value", Problem.ROLLOVER_NOT_POSSIBLE))
        elif not line.rollover and value < before:
            problems.append(LineProblem(index, "value", Problem.BELOW_PREVIOUS))
        else:
            volume = meter_volume(before, value, rollover=line.rollover, digits=point.digits)
            readings.append(Reading(point.point_id, line.energy, line.zone, before, value, line.rollover, volume))
    for point_id, keys in sent.items():
        if point_id not in unclear and keys != points[point_id].line_keys():
            problems.append(LineProblem(first_line[point_id], "readings", Problem.LINES_MISSING))
    problems.sort(key=lambda problem: problem.index or 0)
    return (readings if not problems else []), problems


def _point_problem(point: PointRules | None, *, by_consumer: bool) -> Problem | None:
    if point is None:
        return Problem.POINT_NOT_FOUND
    if not point.active:
        return Problem.POINT_RETIRED
    if by_consumer and not point.consumer_reads:
        return Problem.NOT_CONSUMER_READ
    return None


def usual_volume(history: Sequence[Decimal]) -> Decimal | None:
    """The mean volume of the last accepted periods (newest first); None without history."""
    recent = history[:USUAL_VOLUME_PERIODS]
    if not recent:
        return None
    return (sum(recent, Decimal(0)) / len(recent)).quantize(_QUANTUM)


def volume_warnings(
    readings: Sequence[Reading], usual: Mapping[LineKey, Decimal], factor: Decimal
) -> list[VolumeWarning]:
    """Readings whose volume is far above the usual one: likely a typo, so the sender confirms them."""
    warnings = []
    for reading in readings:
        normal = usual.get(reading.key)
        if normal is not None and reading.volume > factor * normal:
            warnings.append(VolumeWarning(reading.point_id, reading.energy, reading.zone, reading.volume, normal))
    return warnings


def plain(value: Decimal) -> str:
    """`12345.6`: a decimal without trailing zeros nor exponent, as the API and documents write values."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
