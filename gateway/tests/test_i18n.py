"""The cabinet's formats (manual: dates 25.08.2013, money 1 238.88) and the language choice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from starlette.requests import Request

from gateway.i18n import (
    LANGUAGES,
    format_date,
    format_datetime,
    format_iban,
    format_money,
    language_of,
    load_catalogues,
)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1238.88"), "1 238.88"),
        (Decimal("415.87"), "415.87"),
        (Decimal("0"), "0.00"),
        (Decimal("376.1"), "376.10"),
        (Decimal("1234567.89"), "1 234 567.89"),
        (Decimal("-1238.88"), "-1 238.88"),
        (Decimal("0.005"), "0.01"),  # kopecks round half up, as accounting does
        (Decimal("2.675"), "2.68"),
        (1000, "1 000.00"),
    ],
)
def test_money_is_shown_as_in_the_manual(amount: Decimal | int, shown: str) -> None:
    assert format_money(amount) == shown


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_money(1238.88)  # type: ignore[arg-type]


def test_an_iban_is_printed_in_groups_of_four() -> None:
    assert format_iban("UA213223130000026007233566001") == "UA21 3223 1300 0002 6007 2335 6600 1"
    assert format_iban(" UA21 3223130000026007233566001") == "UA21 3223 1300 0002 6007 2335 6600 1"


def test_dates_are_day_month_year_with_dots() -> None:
    assert format_date(date(2013, 8, 25)) == "25.08.2013"
    assert format_date(date(2014, 1, 5)) == "05.01.2014"


def test_a_moment_is_dated_in_kyiv() -> None:
    # 22:30 UTC on 24 August is 01:30 on 25 August in Kyiv (summer time, UTC+3)
    late_evening_utc = datetime(2013, 8, 24, 22, 30, tzinfo=UTC)
    assert format_date(late_evening_utc) == "25.08.2013"
    assert format_datetime(late_evening_utc) == "25.08.2013 01:30"
    # winter time is UTC+2
    assert format_datetime(datetime(2014, 1, 15, 10, 0, tzinfo=UTC)) == "15.01.2014 12:00"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        format_datetime(datetime(2013, 8, 25, 12, 0))


def _request_with_cookie(cookie: str) -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


@pytest.mark.parametrize(
    ("cookie", "language"),
    [("", "uk"), ("lang=ru", "ru"), ("lang=en", "en"), ("lang=uk", "uk"), ("lang=de", "uk"), ("lang=", "uk")],
)
def test_ukrainian_unless_another_language_was_chosen(cookie: str, language: str) -> None:
    assert language_of(_request_with_cookie(cookie)) == language


def test_catalogues_load_from_po_files_with_their_plural_rules() -> None:
    catalogues = load_catalogues()
    assert set(catalogues) == set(LANGUAGES)
    assert catalogues["uk"].gettext("Register") == "Зареєструватися"
    assert catalogues["ru"].gettext("Register") == "Зарегистрироваться"
    assert catalogues["en"].gettext("Register") == "Register"
    singular = "Too many attempts. Please wait %(num)d minute and try again."
    plural = "Too many attempts. Please wait %(num)d minutes and try again."
    ukrainian = [catalogues["uk"].ngettext(singular, plural, n) % {"num": n} for n in (1, 3, 5, 11, 21, 22)]
    assert ukrainian == [
        "Забагато спроб. Зачекайте 1 хвилину і спробуйте знову.",
        "Забагато спроб. Зачекайте 3 хвилини і спробуйте знову.",
        "Забагато спроб. Зачекайте 5 хвилин і спробуйте знову.",
        "Забагато спроб. Зачекайте 11 хвилин і спробуйте знову.",
        "Забагато спроб. Зачекайте 21 хвилину і спробуйте знову.",
        "Забагато спроб. Зачекайте 22 хвилини і спробуйте знову.",
    ]
