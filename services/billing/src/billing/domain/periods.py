"""Billing periods as billing writes them (`YYYY-MM` text) and the consumer's billing day, in the supplier's calendar
(`shared.business_calendar`: the period and the billing-day rule)."""

from __future__ import annotations

import functools
from datetime import date

from shared.business_calendar import Period, billing_period


@functools.lru_cache(maxsize=256)  # a billing run asks for each of its thousands of consumers
def first_day(period: str) -> date | None:
    """The period's first day; None when `period` is not `YYYY-MM` of a year from 1900 on."""
    parsed = Period.parse(period)
    if parsed is None or parsed.year < 1900:
        return None
    return parsed.day(1)


def period_of(day: date) -> str:
    return str(Period.of(day))


def month_number(period: str) -> int:
    """`2013-08` → 8, as invoice numbers write it."""
    return int(period[5:7])


def billing_date(period: str, billing_day: int) -> date:
    """The day the period's readings are taken and its invoice is due: the billing day of the period's month."""
    start = first_day(period)
    assert start is not None, period
    return start.replace(day=billing_day)


def current_period(today: date, billing_day: int) -> str:
    """The period whose billing day came last (`shared.business_calendar.billing_period`)."""
    return str(billing_period(today, billing_day))


def is_due(period: str, billing_day: int, today: date) -> bool:
    return today >= billing_date(period, billing_day)


@functools.lru_cache(maxsize=64)
def day_written(day: date, separator: str = ".") -> str:
    """`26.08.2013` as documents write a day (`26-08-2013` in file names); kept, as the thousands of documents of
    a billing run share their day."""
    return day.strftime(f"%d{separator}%m{separator}%Y")
