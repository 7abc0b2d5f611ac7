"""The meter difference, past a roll-over too, exact for the widest registers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.meters import ReadingBelowPrevious, meter_volume


def test_the_difference_of_two_readings() -> None:
    assert meter_volume(Decimal("100"), Decimal("130.25"), rollover=False, digits=5) == Decimal("30.25")
    assert meter_volume(Decimal("7"), Decimal("7"), rollover=False, digits=5) == 0


def test_past_a_roll_over_the_register_counted_to_its_maximum_and_on_from_zero() -> None:
    assert meter_volume(Decimal("99950"), Decimal("30"), rollover=True, digits=5) == Decimal(80)
    assert meter_volume(Decimal("9990.5"), Decimal("10.5"), rollover=True, digits=4) == Decimal(20)
    assert meter_volume(Decimal("99999.5"), Decimal("0.25"), rollover=True, digits=5) == Decimal("0.75")
    # twelve drums and four decimals: exact
    assert meter_volume(Decimal("999999999999.9999"), Decimal("0.0001"), rollover=True, digits=12) == Decimal(
        "0.0002")


def test_a_reading_below_the_previous_without_a_roll_over_is_refused() -> None:
    with pytest.raises(ReadingBelowPrevious, match="below the previous"):
        meter_volume(Decimal("1240"), Decimal("1000"), rollover=False, digits=6)
