"""Session lifetime: ends after a spell of inactivity, and in any case some time after sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)
    #: a resolved session's expiry is pushed forward at most this often: most resolutions write nothing
    refresh_every: timedelta = timedelta(minutes=5)

    def expiry(self, *, signed_in_at: datetime, now: datetime) -> datetime:
        return min(now + self.idle, signed_in_at + self.absolute)

    def needs_refresh(self, *, expires_at: datetime, signed_in_at: datetime, now: datetime) -> bool:
        return self.expiry(signed_in_at=signed_in_at, now=now) - expires_at >= self.refresh_every
