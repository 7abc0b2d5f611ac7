"""Billing periods (`YYYY-MM`) and the readings window, in the supplier's time (Europe/Kyiv).

The window rule (docs/api-metering.md): with the consumer's billing day `D` and today `t` in Kyiv, the window is for
period `P` = the month of `t` when `t.day ≥ D`, else the month before. An invoiced `P` closes it: until `D` of the
next month when `t.day ≥ D` (`invoice_issued`), until `D` of this month otherwise (`before_billing_day`). A period
not invoiced stays open past its month, so late readings are still taken.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

BUSINESS_TIME_ZONE = ZoneInfo("Europe/Kyiv")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


def business_today(now: datetime) -> date:
    """The supplier's date at `now` (an aware datetime): a reading typed at 00:30 in Kyiv counts for that day."""
    return now.astimezone(BUSINESS_TIME_ZONE).date()


@dataclass(frozen=True, order=True)
class Period:
    """A billing month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period | None:
        match = _PERIOD.fullmatch(text)
        return cls(int(match[1]), int(match[2])) if match and int(match[1]) > 0 else None

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def day(self, number: int) -> date:
        """A day of the month; billing days are 1–28, so every month has theirs."""
        return date(self.year, self.month, number)


class WindowState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ClosedReason(StrEnum):
    BEFORE_BILLING_DAY = "before_billing_day"
    INVOICE_ISSUED = "invoice_issued"


@dataclass(frozen=True)
class Window:
    #: the period the readings form is for (read-only while closed)
    period: Period
    state: WindowState
    reason: ClosedReason | None
    #: when the next period opens, while closed
    opens_on: date | None
    billing_day: int

    @property
    def is_open(self) -> bool:
        return self.state == WindowState.OPEN


def readings_window(today: date, billing_day: int, invoiced: Collection[Period]) -> Window:
    """The consumer's readings window on `today` (a Kyiv date), given the periods already invoiced."""
    this_month = Period.of(today)
    if today.day >= billing_day:
        period, reason, opens_on = this_month, ClosedReason.INVOICE_ISSUED, this_month.next().day(billing_day)
    else:
        period, reason, opens_on = this_month.previous(), ClosedReason.BEFORE_BILLING_DAY, this_month.day(billing_day)
    if period in invoiced:
        return Window(period, WindowState.CLOSED, reason, opens_on, billing_day)
    return Window(period, WindowState.OPEN, None, None, billing_day)


def period_problem(text: str, today: date) -> str | None:
    """Why `text` is no period readings can be entered for: malformed, or a month still to come."""
    period = Period.parse(text)
    if period is None or period > Period.of(today):
        return "period_invalid"
    return None


def month_label(period: str) -> str:
    """`2026-09` as people write a month in a document's title: `09.2026`."""
    year, month = period.split("-")
    return f"{month}.{year}"
