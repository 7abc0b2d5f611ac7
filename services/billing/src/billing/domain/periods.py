"""Billing periods (`YYYY-MM`, a calendar month) and the consumer's billing day, in Kyiv's calendar."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@functools.lru_cache(maxsize=256)  # a billing run asks for each of its thousands of consumers
def first_day(period: str) -> date | None:
    """The period's first day; None when `period` is not `YYYY-MM`."""
    match = _PERIOD.fullmatch(period)
    if match is None or int(match[1]) < 1900:
        return None
    return date(int(match[1]), int(match[2]), 1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_number(period: str) -> int:
    """`2013-08` → 8, as invoice numbers write it."""
    return int(period[5:7])


def billing_date(period: str, billing_day: int) -> date:
    """The day the period's readings are taken and its invoice is due: the billing day of the period's month."""
    start = first_day(period)
    assert start is not None, period
    return start.replace(day=billing_day)


def current_period(today: date, billing_day: int) -> str:
    """The period whose billing day came last: this month once the billing day has come, else the month before."""
    if today.day >= billing_day:
        return period_of(today)
    return period_of(today.replace(day=1) - timedelta(days=1))


def is_due(period: str, billing_day: int, today: date) -> bool:
    return today >= billing_date(period, billing_day)


@functools.lru_cache(maxsize=64)
def day_written(day: date, separator: str = ".") -> str:
    """`26.08.2013` as documents write a day (`26-08-2013` in file names); kept, as the thousands of documents of
    a billing run share their day."""
    return day.strftime(f"%d{separator}%m{separator}%Y")
