"""When to try a letter again, and when to stop trying."""

from __future__ import annotations

from datetime import timedelta


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential back-off after the `attempts`-th failed attempt: base, 2·base, 4·base... up to the cap."""
    exponent = min(max(attempts - 1, 0), 32)  # bounded, so a letter failing for days cannot overflow
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))


def should_give_up(age: timedelta, *, give_up_after_seconds: float) -> bool:
    return age.total_seconds() >= give_up_after_seconds
