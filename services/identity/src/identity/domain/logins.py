"""Login rules: what the manual asks (at least 6 characters), in characters that read the same everywhere."""

from __future__ import annotations

import re
from enum import StrEnum

MIN_LENGTH = 6
MAX_LENGTH = 64
# Latin letters only: Cyrillic and Latin look-alikes ("а"/"a") would let two logins read the same
_ALLOWED = re.compile(r"[A-Za-z0-9._-]+")


class LoginProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_CHARACTERS = "invalid_characters"
    TAKEN = "taken"
    SAME_AS_CURRENT = "same_as_current"


def clean_login(raw: str) -> str:
    """Surrounding blanks are typing slips, not part of the login."""
    return raw.strip()


def login_problem(login: str) -> LoginProblem | None:
    """What is wrong with the form of `login` (whether it is free is the repository's question)."""
    if not login:
        return LoginProblem.TOO_SHORT
    if not _ALLOWED.fullmatch(login):
        return LoginProblem.INVALID_CHARACTERS
    if len(login) < MIN_LENGTH:
        return LoginProblem.TOO_SHORT
    if len(login) > MAX_LENGTH:
        return LoginProblem.TOO_LONG
    return None


def login_key(login: str) -> str:
    """Logins are unique regardless of case: "Manager" and "manager" are one login."""
    return login.lower()
