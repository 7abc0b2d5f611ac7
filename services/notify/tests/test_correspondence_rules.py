"""The rules of letters to the supplier and messages to the developers, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notify.domain import correspondence as rules
from notify.domain.correspondence import LetterState


def test_a_crlf_is_one_character_as_the_counter_shows_it() -> None:
    text = rules.normalised_text("рядок\r\nдругий\rтретій\n")
    assert text == "рядок\nдругий\nтретій"
    assert len(text) == 19


def test_code_points_are_counted_not_bytes_nor_utf16_units() -> None:
    assert rules.text_problem("ї" * 999 + "🙂", rules.LETTER_TEXT_MAX) is None  # 1000 code points
    assert rules.text_problem("ї" * 1000 + "🙂", rules.LETTER_TEXT_MAX) == "too_long"


@pytest.mark.parametrize("text", ["", "   ", "\r\n\r\n", "\t"])
def test_a_blank_text_is_required(text: str) -> None:
    assert rules.text_problem(rules.normalised_text(text), rules.LETTER_TEXT_MAX) == "required"


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b"])
def test_control_characters_a_text_area_never_sends_are_refused(text: str) -> None:
    assert rules.text_problem(text, rules.LETTER_TEXT_MAX) == "invalid_characters"


def test_tabs_and_line_breaks_are_text() -> None:
    assert rules.text_problem("a\tb\nc", rules.LETTER_TEXT_MAX) is None


def test_a_subject_is_one_line_of_at_most_200() -> None:
    assert rules.line_problem("С" * 200, rules.SUBJECT_MAX) is None
    assert rules.line_problem("С" * 201, rules.SUBJECT_MAX) == "too_long"
    assert rules.line_problem("два\nрядки", rules.SUBJECT_MAX) == "invalid_characters"
    assert rules.line_problem("", rules.SUBJECT_MAX) == "required"


@pytest.mark.parametrize("url", ["/readings?period=2024-05", "/", "https://cabinet.example.ua/money/invoices",
                                 "http://127.0.0.1:8000/letters/new"])
def test_page_urls_of_the_cabinet_are_taken(url: str) -> None:
    assert rules.page_url_problem(url) is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "readings", "https://", "/a b",
                                 "/a\nb", "ftp://example.com/"])
def test_other_page_urls_are_refused(url: str) -> None:
    assert rules.page_url_problem(url) == "url_invalid"


def test_page_url_limits() -> None:
    assert rules.page_url_problem("") == "required"
    assert rules.page_url_problem("/" + "a" * 2000) == "too_long"


def test_a_reply_answers_a_letter_but_a_handled_letter_stays_handled() -> None:
    assert rules.state_after_reply(LetterState.NEW) == LetterState.ANSWERED
    assert rules.state_after_reply(LetterState.ANSWERED) == LetterState.ANSWERED
    assert rules.state_after_reply(LetterState.HANDLED) == LetterState.HANDLED


def test_the_throttle_waits_until_the_oldest_counted_leaves_the_window() -> None:
    now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    window = timedelta(days=1)
    recent = [now - timedelta(hours=20), now - timedelta(hours=2), now - timedelta(minutes=1)]
    assert rules.retry_after(recent[1:], limit=3, window=window, now=now) is None
    assert rules.retry_after(recent, limit=3, window=window, now=now) == 4 * 3600
    # with fewer allowed, the wait is for enough of them to leave
    assert rules.retry_after(recent, limit=2, window=window, now=now) == 22 * 3600
