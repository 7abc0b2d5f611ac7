"""The readings window, in the supplier's calendar (`shared.business_calendar`: periods, the billing-day rule).

The window rule (docs/api-metering.md): with the consumer's billing day `D` and today `t` in Kyiv, the window is for
period `P` = the month of `t` when `t.day ≥ D`, else the month before. An invoiced `P` closes it: until `D` of the
next month when `t.day ≥ D` (`invoice_issued`), until `D` of this month otherwise (`before_billing_day`). A period
not invoiced stays open past its month, so late readings are still taken.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.business_calendar import Period, billing_period


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
    period = billing_period(today, billing_day)
    # an invoiced period closes until the next one opens, on the billing day of the month after it
    reason = ClosedReason.INVOICE_ISSUED if period == Period.of(today) else ClosedReason.BEFORE_BILLING_DAY
    if period in invoiced:
        return Window(period, WindowState.CLOSED, reason, period.next().day(billing_day), billing_day)
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
