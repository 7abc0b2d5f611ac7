"""How the cabinet's lists are laid out: newest first, grouped by year, as the manual's tables are."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from shared.business_calendar import BUSINESS_TIME_ZONE

T = TypeVar("T")


@dataclass(frozen=True)
class YearGroup(Generic[T]):
    year: int
    items: list[T] = field(default_factory=list)


def group_by_year(items: Iterable[T], moment: Callable[[T], datetime] | Callable[[T], date]) -> list[YearGroup[T]]:
    """Newest first, one group per year; the year of a moment is the one in Kyiv (a New Year's Eve document is
    dated there), a date's is its own. Items of one day keep their order."""
    groups: list[YearGroup[T]] = []
    for item in sorted(items, key=moment, reverse=True):
        when = moment(item)
        year = when.astimezone(BUSINESS_TIME_ZONE).year if isinstance(when, datetime) else when.year
        if not groups or groups[-1].year != year:
            groups.append(YearGroup(year))
        groups[-1].items.append(item)
    return groups
