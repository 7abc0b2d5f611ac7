"""Login rules, activation codes, tokens, consumer details, e-mail addresses."""

from __future__ import annotations

import re

import pytest

from identity.domain.activation_codes import (
    ALPHABET,
    activation_code_hash,
    new_activation_code,
    normalize_activation_code,
)
from identity.domain.consumers import billing_day_in_range, clean_account_number, clean_edrpou, clean_iban
from identity.domain.emails import normalize_email, same_mailbox
from identity.domain.logins import LoginProblem, clean_login, login_key, login_problem
from identity.domain.tokens import new_token, token_hash


@pytest.mark.parametrize(
    ("login", "problem"),
    [
        ("", LoginProblem.TOO_SHORT),
        ("abcde", LoginProblem.TOO_SHORT),
        ("abcdef", None),
        ("ivan.petrenko_2-k", None),
        ("a" * 64, None),
        ("a" * 65, LoginProblem.TOO_LONG),
        ("ivan petrenko", LoginProblem.INVALID_CHARACTERS),
        ("автомобіліст", LoginProblem.INVALID_CHARACTERS),
        ("ivan@petrenko", LoginProblem.INVALID_CHARACTERS),
        ("аbcdef", LoginProblem.INVALID_CHARACTERS),  # the first letter is Cyrillic
    ],
)
def test_login_rules(login: str, problem: LoginProblem | None) -> None:
    assert login_problem(login) == problem


def test_logins_are_trimmed_and_compared_without_case() -> None:
    assert clean_login("  manager \t") == "manager"
    assert login_key("Manager") == login_key("MANAGER") == "manager"


def test_activation_codes_look_as_promised_and_differ() -> None:
    codes = {new_activation_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)  # 12 symbols x 5 bits = 60 bits
    used = {symbol for code in codes for symbol in code.replace("-", "")}
    assert used == set(ALPHABET)


@pytest.mark.parametrize(
    "typed", ["7K3M-9QXD-2HBW", "7k3m9qxd2hbw", " 7K3M 9QXD 2HBW ", "7k3m–9qxd—2hbw", "7K3M-9QXD-2HBW\n"]
)
def test_activation_codes_are_read_regardless_of_case_blanks_and_dashes(typed: str) -> None:
    assert normalize_activation_code(typed) == "7K3M9QXD2HBW"


def test_look_alike_letters_read_as_digits() -> None:
    assert normalize_activation_code("IL0O-1111-0000") == "110011110000"
    assert normalize_activation_code("ilo0-1111-0000") == normalize_activation_code("1100-1111-0000")


@pytest.mark.parametrize("typed", ["", "7K3M-9QXD-2HB", "7K3M-9QXD-2HBWX", "7K3M-9QXD-2HBU", "7K3M+9QXD+2HBW"])
def test_what_cannot_be_a_code(typed: str) -> None:
    assert normalize_activation_code(typed) is None


def test_codes_and_tokens_are_stored_as_sha256() -> None:
    assert len(activation_code_hash("7K3M9QXD2HBW")) == 32
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    assert token_hash(token) == token_hash(token) and len(token_hash(token)) == 32


def test_edrpou_checked_by_its_check_digit() -> None:
    assert clean_edrpou("12345678") == "12345678"
    assert clean_edrpou(" 12345678 ") == "12345678"
    assert clean_edrpou("12345679") is None
    assert clean_edrpou("1234567") is None
    assert clean_edrpou("abcdefgh") is None


def test_ukrainian_iban() -> None:
    assert clean_iban("UA21 3052 9900 0000 0026 0012 3456 7") == "UA213052990000000026001234567"
    assert clean_iban("UA213052990000000026001234568") is None
    assert clean_iban("DE89370400440532013000") is None  # valid, but not Ukrainian


def test_account_numbers_and_billing_days() -> None:
    assert clean_account_number(" 0789 ") == "0789"
    assert clean_account_number("") is None
    assert clean_account_number("0789; DROP") is None
    assert [day for day in range(0, 32) if billing_day_in_range(day)] == list(range(1, 29))


def test_email_addresses() -> None:
    assert normalize_email(" Demo@Cabinet.LOCAL ") == "Demo@cabinet.local"
    assert normalize_email("ivan@example.com") == "ivan@example.com"
    assert normalize_email("not an address") is None
    assert normalize_email("ivan@") is None
    assert same_mailbox("Demo@cabinet.local", "demo@CABINET.local")
    assert not same_mailbox("demo@cabinet.local", "demo2@cabinet.local")
