"""What a meter's register counted between two readings: the one rule metering validates readings with and billing
bills them by."""

from __future__ import annotations

import decimal
from decimal import Decimal

# wide enough for any register (12 digits and four decimals): the volume is exact
_EXACT = decimal.Context(prec=100, traps=[decimal.InvalidOperation, decimal.Overflow, decimal.Inexact])


class ReadingBelowPrevious(ValueError):
    """A current reading below the previous one without a declared roll-over (metering refuses those)."""


def meter_volume(previous: Decimal, current: Decimal, *, rollover: bool, digits: int) -> Decimal:
    """The meter difference; past a roll-over the drums went through 10**digits back to zero and on."""
    if rollover:
        return _EXACT.add(_EXACT.subtract(_EXACT.power(10, digits), previous), current)
    if current < previous:
        raise ReadingBelowPrevious(f"current reading {current} is below the previous {previous} without a roll-over")
    return _EXACT.subtract(current, previous)
