"""Readings rules: numbers within the meter's digits, not below the previous one (the installation reading for a
new meter) unless a roll-over is declared, one value per zone and register, the volume across a roll-over, the
high-volume warning."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from metering.domain.readings import (
    LineProblem,
    PointRules,
    Problem,
    SubmittedLine,
    parse_value,
    plain,
    usual_volume,
    validate_readings,
    volume_warnings,
)

P1, P2, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def installed(registers: tuple[str, ...], zones: int, value: str = "0") -> dict[tuple[str, int], Decimal]:
    return {(register, zone): Decimal(value) for register in registers for zone in range(1, zones + 1)}


POINTS = {
    # two zones, active and reactive, five digits, read by the consumer; installed new (at 0)
    P1: PointRules(P1, zones=2, digits=5, registers=("active", "reactive"), active=True, consumer_reads=True,
                   installation=installed(("active", "reactive"), 2)),
    # one zone at the substation, read by staff
    P2: PointRules(P2, zones=1, digits=6, registers=("active",), active=True, consumer_reads=False,
                   installation=installed(("active",), 1)),
}


def full(value: str = "100") -> list[SubmittedLine]:
    """A value for each register and zone of P1."""
    return [SubmittedLine(P1, energy, zone, value) for energy in ("active", "reactive") for zone in (1, 2)]


@pytest.mark.parametrize(("raw", "expected"), [
    ("12345.6", Decimal("12345.6")), ("00042", Decimal(42)), ("99999,9999", Decimal("99999.9999")),
    (" 7 ", Decimal(7)), ("-0", Decimal(0)),
    ("", Problem.NOT_A_NUMBER), ("12a", Problem.NOT_A_NUMBER), ("1e3", Problem.NOT_A_NUMBER),
    ("1 000", Problem.NOT_A_NUMBER), ("٣", Problem.NOT_A_NUMBER), ("1.", Problem.NOT_A_NUMBER),
    ("-5", Problem.NEGATIVE),
    ("100000", Problem.TOO_MANY_DIGITS), ("1.12345", Problem.TOO_MANY_DIGITS),
])
def test_values_within_the_meters_digits(raw: str, expected: object) -> None:
    assert parse_value(raw, digits=5) == expected


def test_a_full_submission_is_validated_with_volumes() -> None:
    previous = {(P1, "active", 1): Decimal(40), (P1, "active", 2): Decimal("99990")}
    lines = full(value="100")
    lines[1] = SubmittedLine(P1, "active", 2, "10", rollover=True)
    readings, problems = validate_readings(lines, POINTS, previous, by_consumer=True)
    assert problems == []
    volumes = {(reading.energy, reading.zone): reading.volume for reading in readings}
    # active zone 2 went through 99999 to 10: 100000 − 99990 + 10; a register without history starts at its
    # installation reading, 0 here
    assert volumes == {("active", 1): 60, ("active", 2): 20, ("reactive", 1): 100, ("reactive", 2): 100}


def test_the_first_reading_counts_from_the_installation_reading() -> None:
    # installed showing 45231 and 1200 (day, night), 20 and 7 kvarh; nothing accepted yet
    installation = {("active", 1): Decimal(45231), ("active", 2): Decimal("1200.5"), ("reactive", 1): Decimal(20),
                    ("reactive", 2): Decimal(7)}
    points = {P1: replace(POINTS[P1], installation=installation)}
    lines = [SubmittedLine(P1, "active", 1, "45300"), SubmittedLine(P1, "active", 2, "1250"),
             SubmittedLine(P1, "reactive", 1, "20"), SubmittedLine(P1, "reactive", 2, "9")]
    readings, problems = validate_readings(lines, points, {}, by_consumer=True)
    assert problems == []
    assert [(reading.previous, reading.volume) for reading in readings] == [
        (Decimal(45231), Decimal(69)), (Decimal("1200.5"), Decimal("49.5")), (Decimal(20), Decimal(0)),
        (Decimal(7), Decimal(2))]
    # once a reading is accepted, the next counts from it, whatever the meter showed at installation
    later, _ = validate_readings([SubmittedLine(P1, "active", 1, "45400"), *lines[1:]], points,
                                 {(P1, "active", 1): Decimal(45300)}, by_consumer=True)
    assert (later[0].previous, later[0].volume) == (Decimal(45300), Decimal(100))


def test_a_first_reading_below_the_installation_reading_is_a_roll_over_or_refused() -> None:
    # installed showing 99990 of five digits: the first reading went through 99999 to 10
    points = {P2: replace(POINTS[P2], digits=5, installation={("active", 1): Decimal(99990)})}
    [reading], problems = validate_readings([SubmittedLine(P2, "active", 1, "10", rollover=True)], points, {},
                                            by_consumer=False)
    assert problems == []
    assert (reading.previous, reading.current, reading.volume) == (Decimal(99990), Decimal(10), Decimal(20))
    for value, rollover, problem in (("10", False, Problem.BELOW_PREVIOUS),
                                     ("99995", True, Problem.ROLLOVER_NOT_POSSIBLE)):
        assert validate_readings([SubmittedLine(P2, "active", 1, value, rollover)], points, {}, by_consumer=False
                                 ) == ([], [LineProblem(0, "value", problem)])


def test_below_previous_unless_rolled_over_and_a_roll_over_only_when_below() -> None:
    previous = {(P1, "active", 1): Decimal(500), (P1, "active", 2): Decimal(500)}
    lines = full(value="600")
    lines[0] = SubmittedLine(P1, "active", 1, "499")
    lines[1] = SubmittedLine(P1, "active", 2, "600", rollover=True)
    readings, problems = validate_readings(lines, POINTS, previous, by_consumer=True)
    assert readings == []
    assert problems == [LineProblem(0, "value", Problem.BELOW_PREVIOUS),
                        LineProblem(1, "value", Problem.ROLLOVER_NOT_POSSIBLE)]


def test_every_line_is_checked_and_each_problem_named() -> None:
    lines = [
        SubmittedLine(P1, "active", 1, "abc"),
        SubmittedLine(P1, "active", 1, "5"),  # the same zone and register again
        SubmittedLine(P1, "active", 3, "5"),  # two zones only
        SubmittedLine(P1, "apparent", 1, "5"),
        SubmittedLine(OTHER, "active", 1, "5"),  # not this consumer's
        SubmittedLine(P2, "active", 1, "5"),  # staff read it
    ]
    _, problems = validate_readings(lines, POINTS, {}, by_consumer=True)
    assert problems == [
        LineProblem(0, "value", Problem.NOT_A_NUMBER),
        LineProblem(1, "readings", Problem.LINE_REPEATED),
        LineProblem(2, "zone", Problem.ZONE_INVALID),
        LineProblem(3, "energy", Problem.ENERGY_INVALID),
        LineProblem(4, "point_id", Problem.POINT_NOT_FOUND),
        LineProblem(5, "point_id", Problem.NOT_CONSUMER_READ),
    ]


def test_staff_enter_any_point_but_never_a_retired_one() -> None:
    assert validate_readings([SubmittedLine(P2, "active", 1, "5")], POINTS, {}, by_consumer=False)[1] == []
    retired = {P2: replace(POINTS[P2], active=False)}
    assert validate_readings([SubmittedLine(P2, "active", 1, "5")], retired, {}, by_consumer=False)[1] == [
        LineProblem(0, "point_id", Problem.POINT_RETIRED)]


def test_every_zone_and_register_of_a_point_sent_is_needed() -> None:
    _, problems = validate_readings(full()[:3], POINTS, {}, by_consumer=True)
    assert problems == [LineProblem(0, "readings", Problem.LINES_MISSING)]
    assert validate_readings([], POINTS, {}, by_consumer=True)[1] == [LineProblem(None, "readings", Problem.EMPTY)]


def test_the_usual_volume_is_the_mean_of_the_last_twelve_periods() -> None:
    assert usual_volume([]) is None
    assert usual_volume([Decimal(10), Decimal(20)]) == Decimal(15)
    assert usual_volume([Decimal(1)] * 12 + [Decimal(1000)]) == Decimal(1)  # the 13th back does not count
    assert usual_volume([Decimal(1), Decimal(1), Decimal(2)]) == Decimal("1.3333")


def test_a_volume_far_above_the_usual_is_warned_about_but_not_without_history() -> None:
    readings, _ = validate_readings(full(value="400"), POINTS, {}, by_consumer=True)
    usual = {(P1, "active", 1): Decimal(100), (P1, "active", 2): Decimal(200)}
    [warning] = volume_warnings(readings, usual, Decimal(3))
    assert (warning.energy, warning.zone, warning.volume, warning.usual_volume, warning.code) == (
        "active", 1, Decimal(400), Decimal(100), "volume_high")


def test_plain_decimals() -> None:
    assert [plain(Decimal(text)) for text in ("12345.6000", "100", "0.0000", "1E+2", "0.0001")] == [
        "12345.6", "100", "0", "100", "0.0001"]
