"""Password policy and argon2id storage."""

from __future__ import annotations

import pytest

from identity.domain.passwords import HashingParameters, PasswordHashing, PasswordProblem, password_problem

CHEAP = HashingParameters(time_cost=1, memory_kib=8 * 1024, parallelism=1)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-1", PasswordProblem.TOO_SHORT),
        ("eleven char", PasswordProblem.TOO_SHORT),
        ("x" * 257, PasswordProblem.TOO_LONG),
        ("password1234", PasswordProblem.TOO_WEAK),
        ("qwertyuiop123", PasswordProblem.TOO_WEAK),
        ("111111111111", PasswordProblem.TOO_WEAK),
        ("Password2024!", PasswordProblem.TOO_WEAK),
        ("a" * 100, PasswordProblem.TOO_WEAK),
        ("my-login-ivanenko-and-more", PasswordProblem.CONTAINS_LOGIN),
        ("MY-LOGIN-IVANENKO-and-more", PasswordProblem.CONTAINS_LOGIN),
    ],
)
def test_refused_passwords(password: str, problem: str) -> None:
    assert password_problem(password, login="my-login-ivanenko") == problem


@pytest.mark.parametrize(
    "password",
    [
        "vesela-kvitka-na-dnipri-42",
        "correct horse battery staple",
        "Т8в#кР2!мЖ9q",  # twelve characters, not words
        "сонце світить над полем пшениці",  # a Ukrainian passphrase
        "x7Gq2LmP9vRt" + "a" * 200,  # long passwords are welcome; zxcvbn judges the first 72 characters
    ],
)
def test_accepted_passwords(password: str) -> None:
    assert password_problem(password, login="avtomobilist") is None


def test_exactly_the_length_limits() -> None:
    twelve = "Zq8#Lw2!Rt5v"
    assert password_problem(twelve, login="someone") is None
    assert password_problem(twelve[:11], login="someone") == PasswordProblem.TOO_SHORT
    long_enough = "Zq8#Lw2!Rt5v-" + "k" * 243
    assert len(long_enough) == 256
    assert password_problem(long_enough, login="someone") is None
    assert password_problem(long_enough + "k", login="someone") == PasswordProblem.TOO_LONG


def test_the_users_own_details_make_a_password_weak() -> None:
    password = "avtomobilist-0789"
    assert password_problem(password, login="someone") is None
    assert password_problem(password, login="someone", personal=["Автомобіліст", "avtomobilist", "0789"]) == (
        PasswordProblem.TOO_WEAK
    )


def test_hashes_are_argon2id_salted_and_verify() -> None:
    hashing = PasswordHashing(CHEAP)
    first, second = hashing.hash("vesela-kvitka-na-dnipri-42"), hashing.hash("vesela-kvitka-na-dnipri-42")
    assert first.startswith("$argon2id$") and first != second
    assert hashing.verify(first, "vesela-kvitka-na-dnipri-42")
    assert not hashing.verify(first, "vesela-kvitka-na-dnipri-43")
    assert not hashing.verify("not a hash", "vesela-kvitka-na-dnipri-42")
    assert not hashing.verify(None, "decoy password for unknown logins")


def test_passwords_are_compared_in_unicode_normal_form() -> None:
    hashing = PasswordHashing(CHEAP)
    composed = "ї-ґанок-і-сад-над-рікою"  # "ї" as one code point
    decomposed = composed.replace("ї", "і\u0308")  # "і" + combining diaeresis, as some keyboards send it
    assert composed != decomposed
    assert hashing.verify(hashing.hash(composed), decomposed)


def test_changed_parameters_ask_for_a_rehash() -> None:
    stored = PasswordHashing(CHEAP).hash("vesela-kvitka-na-dnipri-42")
    assert not PasswordHashing(CHEAP).needs_rehash(stored)
    stronger = PasswordHashing(HashingParameters(time_cost=2, memory_kib=16 * 1024, parallelism=1))
    assert stronger.needs_rehash(stored)
    assert stronger.verify(stored, "vesela-kvitka-na-dnipri-42")
