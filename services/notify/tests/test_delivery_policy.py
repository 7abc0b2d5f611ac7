from datetime import timedelta

from notify.domain.delivery import retry_delay, should_give_up


def test_retry_delay_doubles_up_to_the_cap() -> None:
    delays = [retry_delay(n, base_seconds=5, max_seconds=300).total_seconds() for n in range(1, 10)]
    assert delays == [5, 10, 20, 40, 80, 160, 300, 300, 300]


def test_retry_delay_stays_capped_after_thousands_of_attempts() -> None:
    assert retry_delay(5000, base_seconds=5, max_seconds=300) == timedelta(minutes=5)


def test_letters_are_given_up_only_after_the_limit() -> None:
    three_days = 3 * 24 * 3600
    assert not should_give_up(timedelta(days=2, hours=23), give_up_after_seconds=three_days)
    assert should_give_up(timedelta(days=3), give_up_after_seconds=three_days)
