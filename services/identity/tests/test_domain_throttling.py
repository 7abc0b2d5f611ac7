"""The arithmetic of throttling rules, and whom an address stands for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from identity.domain.sessions import SessionLifetime
from identity.domain.throttling import (
    LONGEST_WINDOW,
    RULES,
    SIGN_IN_PER_LOGIN,
    SIGN_IN_PER_LOGIN_AND_NETWORK,
    Backoff,
    Limit,
    network_of,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RULE = Limit("test", limit=3, window=timedelta(minutes=10))
BACKOFF = Backoff("test", free=3, first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=15),
                  window=timedelta(hours=1))


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_below_the_limit_nothing_waits() -> None:
    assert RULE.retry_after([], NOW) is None
    assert RULE.retry_after(minutes_ago(1, 2), NOW) is None


def test_at_the_limit_the_wait_ends_when_the_oldest_counted_attempt_leaves_the_window() -> None:
    assert RULE.retry_after(minutes_ago(1, 2, 4), NOW) == 6 * 60
    assert RULE.retry_after(minutes_ago(4, 1, 2), NOW) == 6 * 60  # in any order


def test_attempts_outside_the_window_do_not_count() -> None:
    assert RULE.retry_after(minutes_ago(1, 2, 10), NOW) is None
    assert RULE.retry_after(minutes_ago(1, 2, 11, 12, 30), NOW) is None


def test_more_attempts_than_the_limit_wait_for_the_limit_th_newest() -> None:
    # five in the window (a race let two more in): held until only two are left
    assert RULE.retry_after(minutes_ago(1, 2, 3, 8, 9), NOW) == 7 * 60


def test_the_wait_is_at_least_a_second_and_rounded_up() -> None:
    almost_out = NOW - RULE.window + timedelta(milliseconds=200)
    assert RULE.retry_after([NOW, NOW, almost_out], NOW) == 1
    assert RULE.retry_after([NOW, NOW, NOW - timedelta(seconds=30.5)], NOW) == 570


def test_the_window_slides() -> None:
    attempts = minutes_ago(1, 2, 4)
    later = NOW + timedelta(minutes=6)
    assert RULE.retry_after(attempts, later - timedelta(seconds=1)) == 1
    assert RULE.retry_after(attempts, later) is None


def test_backoff_lets_the_free_attempts_go_then_doubles_the_wait_up_to_the_longest() -> None:
    waits = [BACKOFF.wait_after(attempts) for attempts in range(10)]
    assert waits[:3] == [None, None, None]
    assert [wait.total_seconds() for wait in waits[3:] if wait] == [30, 60, 120, 240, 480, 900, 900]


def test_backoff_waits_from_the_newest_attempt() -> None:
    assert BACKOFF.retry_after(minutes_ago(0, 5), NOW) is None
    assert BACKOFF.retry_after(minutes_ago(0, 5, 6), NOW) == 30
    assert BACKOFF.retry_after(minutes_ago(1, 5, 6), NOW) is None  # the half minute is over
    # the fourth waits a minute after the newest
    assert BACKOFF.retry_after(minutes_ago(0.5, 5, 6, 7), NOW) == 30
    assert BACKOFF.retry_after(minutes_ago(1, 5, 6, 7), NOW) is None
    assert BACKOFF.retry_after(minutes_ago(*range(0, 20, 2)), NOW) == 15 * 60


def test_backoff_forgets_attempts_outside_its_window() -> None:
    assert BACKOFF.retry_after(minutes_ago(0, 61, 62, 63), NOW) is None
    assert BACKOFF.retry_after(minutes_ago(0, 1, 62, 63), NOW) is None


@pytest.mark.parametrize("rule", [BACKOFF, *(rule for rule in RULES if isinstance(rule, Backoff))])
def test_backoff_needs_no_more_attempts_than_it_counts(rule: Backoff) -> None:
    longest = rule.wait_after(rule.counted)
    assert longest == rule.longest_wait
    assert rule.wait_after(rule.counted - 1) != rule.longest_wait
    # what the repository loads is enough to tell the wait
    many = [NOW - timedelta(seconds=n) for n in range(rule.counted * 3)]
    assert rule.retry_after(many[: rule.counted], NOW) == rule.retry_after(many, NOW)


def test_a_person_s_typos_go_free_and_a_login_takes_a_hundred_failures_an_hour_from_everywhere() -> None:
    assert SIGN_IN_PER_LOGIN_AND_NETWORK.free == 5
    assert SIGN_IN_PER_LOGIN_AND_NETWORK.longest_wait == timedelta(minutes=15)
    assert (SIGN_IN_PER_LOGIN.limit, SIGN_IN_PER_LOGIN.window) == (100, timedelta(hours=1))
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert all(len(rule.name) <= 40 for rule in RULES)  # the column's width
    assert max(rule.window for rule in RULES) == LONGEST_WINDOW


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", "unknown"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_slash_64(address: str, network: str) -> None:
    assert network_of(address) == network


def test_sessions_end_after_idleness_or_at_the_absolute_limit() -> None:
    lifetime = SessionLifetime(idle=timedelta(hours=12), absolute=timedelta(days=7))
    assert lifetime.expiry(signed_in_at=NOW, now=NOW) == NOW + timedelta(hours=12)
    six_days_later = NOW + timedelta(days=6, hours=20)
    assert lifetime.expiry(signed_in_at=NOW, now=six_days_later) == NOW + timedelta(days=7)
    expires = NOW + timedelta(hours=12)
    assert not lifetime.needs_refresh(expires_at=expires, signed_in_at=NOW, now=NOW + timedelta(minutes=4))
    assert lifetime.needs_refresh(expires_at=expires, signed_in_at=NOW, now=NOW + timedelta(minutes=5))
