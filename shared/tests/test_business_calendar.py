"""The supplier's calendar: the business date in Kyiv, billing periods, the billing-day rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.business_calendar import Period, billing_period, business_today


def test_the_business_date_is_kyivs() -> None:
    # 22:30 UTC on 24 November is 00:30 on 25 November in Kyiv (winter, UTC+2): the billing day has come
    assert business_today(datetime(2026, 11, 24, 22, 30, tzinfo=UTC)) == date(2026, 11, 25)
    # in summer (UTC+3) 21:30 UTC is already the next day
    assert business_today(datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_periods() -> None:
    november = Period(2026, 11)
    assert Period.parse("2026-11") == november and str(november) == "2026-11" and str(Period(33, 1)) == "0033-01"
    assert Period(2026, 1).previous() == Period(2025, 12) and Period(2026, 12).next() == Period(2027, 1)
    assert Period.of(date(2026, 11, 30)) == november and november.day(25) == date(2026, 11, 25)
    assert Period(2025, 12) < november < Period(2027, 1)
    for text in ("2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", "0000-01", "２０２６-11", "٢٠٢٦-11", ""):
        assert Period.parse(text) is None, text


@pytest.mark.parametrize(("today", "billing_day", "period"), [
    (date(2013, 8, 24), 25, Period(2013, 7)),  # before the billing day: the month before
    (date(2013, 8, 25), 25, Period(2013, 8)),  # on it: this month
    (date(2013, 1, 3), 25, Period(2012, 12)),  # across the year
    (date(2026, 1, 31), 28, Period(2026, 1)),  # the last day of a long month, after the latest billing day
    (date(2026, 2, 28), 28, Period(2026, 2)),  # February's last day is the billing day
    (date(2026, 3, 1), 28, Period(2026, 2)),
    (date(2026, 3, 1), 1, Period(2026, 3)),  # billing day 1: the month's own from its first day
])
def test_the_period_of_the_billing_day_that_came_last(today: date, billing_day: int, period: Period) -> None:
    assert billing_period(today, billing_day) == period
