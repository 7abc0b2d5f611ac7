"""The supplier's calendar: business dates (billing days, periods, issue and pay-by dates) are Kyiv dates.

The one definition of the business time zone, of a billing period and of the billing-day rule; every service takes
them from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TIME_ZONE = ZoneInfo("Europe/Kyiv")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


def business_today(now: datetime) -> date:
    """The supplier's date at `now` (an aware datetime): a reading typed at 00:30 in Kyiv counts for that day."""
    return now.astimezone(BUSINESS_TIME_ZONE).date()


@dataclass(frozen=True, order=True)
class Period:
    """A billing period: a calendar month, written `YYYY-MM`."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period | None:
        """The period `text` writes; None when it is not `YYYY-MM` of a month that can be (there is no year 0)."""
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


def billing_period(today: date, billing_day: int) -> Period:
    """The period whose billing day came last (`today` a Kyiv date): this month once its billing day has come, else
    the month before. It is the period readings are taken for and the one a consumer's invoice is for by default."""
    this_month = Period.of(today)
    return this_month if today.day >= billing_day else this_month.previous()
