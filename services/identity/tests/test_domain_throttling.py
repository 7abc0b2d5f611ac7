"""The sliding window of throttling rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from identity.domain.sessions import SessionLifetime
from identity.domain.throttling import LOGIN_PER_ACCOUNT, LONGEST_WINDOW, RULES, ThrottleRule, retry_after

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RULE = ThrottleRule("test", limit=3, window=timedelta(minutes=10))


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_below_the_limit_nothing_waits() -> None:
    assert retry_after(RULE, [], NOW) is None
    assert retry_after(RULE, minutes_ago(1, 2), NOW) is None


def test_at_the_limit_the_wait_ends_when_the_oldest_counted_attempt_leaves_the_window() -> None:
    assert retry_after(RULE, minutes_ago(1, 2, 4), NOW) == 6 * 60
    assert retry_after(RULE, minutes_ago(4, 1, 2), NOW) == 6 * 60  # in any order


def test_attempts_outside_the_window_do_not_count() -> None:
    assert retry_after(RULE, minutes_ago(1, 2, 10), NOW) is None
    assert retry_after(RULE, minutes_ago(1, 2, 11, 12, 30), NOW) is None


def test_more_attempts_than_the_limit_wait_for_the_limit_th_newest() -> None:
    # five in the window (a race let two more in): held until only two are left
    assert retry_after(RULE, minutes_ago(1, 2, 3, 8, 9), NOW) == 7 * 60


def test_the_wait_is_at_least_a_second_and_rounded_up() -> None:
    almost_out = NOW - RULE.window + timedelta(milliseconds=200)
    assert retry_after(RULE, [NOW, NOW, almost_out], NOW) == 1
    assert retry_after(RULE, [NOW, NOW, NOW - timedelta(seconds=30.5)], NOW) == 570


def test_the_window_slides() -> None:
    attempts = minutes_ago(1, 2, 4)
    later = NOW + timedelta(minutes=6)
    assert retry_after(RULE, attempts, later - timedelta(seconds=1)) == 1
    assert retry_after(RULE, attempts, later) is None


def test_login_rule_and_rule_names() -> None:
    assert (LOGIN_PER_ACCOUNT.limit, LOGIN_PER_ACCOUNT.window) == (5, timedelta(minutes=15))
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert max(rule.window for rule in RULES) == LONGEST_WINDOW


def test_sessions_end_after_idleness_or_at_the_absolute_limit() -> None:
    lifetime = SessionLifetime(idle=timedelta(hours=12), absolute=timedelta(days=7))
    assert lifetime.expiry(signed_in_at=NOW, now=NOW) == NOW + timedelta(hours=12)
    six_days_later = NOW + timedelta(days=6, hours=20)
    assert lifetime.expiry(signed_in_at=NOW, now=six_days_later) == NOW + timedelta(days=7)
    expires = NOW + timedelta(hours=12)
    assert not lifetime.needs_refresh(expires_at=expires, signed_in_at=NOW, now=NOW + timedelta(minutes=4))
    assert lifetime.needs_refresh(expires_at=expires, signed_in_at=NOW, now=NOW + timedelta(minutes=5))
