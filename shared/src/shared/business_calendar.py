"""The supplier's calendar: business dates (billing days, periods, issue and pay-by dates) are Kyiv dates.

The one definition of the business time zone; every service takes it from here.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TIME_ZONE = ZoneInfo("Europe/Kyiv")


def business_today(now: datetime) -> date:
    """The supplier's date at `now` (an aware datetime): a reading typed at 00:30 in Kyiv counts for that day."""
    return now.astimezone(BUSINESS_TIME_ZONE).date()
