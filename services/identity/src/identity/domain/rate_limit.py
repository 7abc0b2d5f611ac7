"""The rate of a program's calls of the public API, per personal access token: a bucket of `per_minute` calls at
once, refilled evenly over the minute (as a token bucket), kept as one moment: when the bucket is full again (the
generic cell rate algorithm). One column of the token's row, read and written under the row's lock, so that every
gateway replica counts against the same bucket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Take:
    #: the new moment the bucket is full again (unchanged when refused)
    refilled_at: datetime | None
    #: how long to wait before the call would be taken; zero when it was
    wait: timedelta

    @property
    def taken(self) -> bool:
        return not self.wait


def take_call(refilled_at: datetime | None, now: datetime, per_minute: int) -> Take:
    """One call out of the bucket that is full again at `refilled_at` (None, or a moment past: full now)."""
    if per_minute < 1:
        raise ValueError("a token may make at least one call a minute")
    after = max(refilled_at or now, now) + MINUTE / per_minute
    overdraft = after - now - MINUTE
    if overdraft > timedelta(0):
        return Take(refilled_at, overdraft)
    return Take(after, timedelta(0))
