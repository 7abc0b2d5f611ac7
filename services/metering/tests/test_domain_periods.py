"""The readings window around the billing day, month and year ends; the periods readings can be entered for."""

from __future__ import annotations

from datetime import date

import pytest

from metering.domain.periods import ClosedReason, WindowState, month_label, period_problem, readings_window
from shared.business_calendar import Period

NOV, OCT = Period(2026, 11), Period(2026, 10)


def test_on_the_billing_day_the_month_opens() -> None:
    window = readings_window(date(2026, 11, 25), 25, invoiced={OCT})
    assert (window.period, window.state, window.reason, window.opens_on) == (NOV, WindowState.OPEN, None, None)


def test_before_the_billing_day_the_previous_month_is_still_open_until_invoiced() -> None:
    late = readings_window(date(2026, 11, 24), 25, invoiced=set())
    assert (late.period, late.state) == (OCT, WindowState.OPEN)
    closed = readings_window(date(2026, 11, 24), 25, invoiced={OCT})
    assert (closed.period, closed.state, closed.reason, closed.opens_on) == (
        OCT, WindowState.CLOSED, ClosedReason.BEFORE_BILLING_DAY, date(2026, 11, 25))


def test_an_invoiced_month_closes_until_the_billing_day_of_the_next() -> None:
    window = readings_window(date(2026, 11, 26), 25, invoiced={NOV})
    assert (window.period, window.state, window.reason, window.opens_on) == (
        NOV, WindowState.CLOSED, ClosedReason.INVOICE_ISSUED, date(2026, 12, 25))


def test_the_window_goes_across_the_year() -> None:
    december = readings_window(date(2026, 12, 31), 28, invoiced={Period(2026, 12)})
    assert december.opens_on == date(2027, 1, 28)
    january = readings_window(date(2027, 1, 3), 5, invoiced=set())
    assert january.period == Period(2026, 12)
    closed = readings_window(date(2027, 1, 3), 5, invoiced={Period(2026, 12)})
    assert (closed.reason, closed.opens_on) == (ClosedReason.BEFORE_BILLING_DAY, date(2027, 1, 5))


@pytest.mark.parametrize(("today", "billing_day", "period"), [
    (date(2026, 1, 31), 28, Period(2026, 1)),  # the last day of a long month, after the latest billing day
    (date(2026, 2, 28), 28, Period(2026, 2)),  # February's last day is the billing day
    (date(2026, 3, 1), 28, Period(2026, 2)),  # the day after: February's readings are still taken
    (date(2026, 3, 1), 1, Period(2026, 3)),  # billing day 1: the month opens on its first day
    (date(2026, 2, 28), 1, Period(2026, 2)),
])
def test_month_ends(today: date, billing_day: int, period: Period) -> None:
    assert readings_window(today, billing_day, invoiced=set()).period == period


def test_periods_readings_can_be_entered_for() -> None:
    assert period_problem("2026-12", date(2026, 11, 30)) == "period_invalid"  # not yet
    assert period_problem("2026-13", date(2026, 11, 30)) == "period_invalid"
    assert period_problem("2026-11", date(2026, 11, 1)) is None
    assert period_problem("2020-01", date(2026, 11, 1)) is None


def test_a_month_is_written_in_titles_as_people_write_it() -> None:
    assert month_label("2026-09") == "09.2026"
