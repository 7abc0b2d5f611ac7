"""Password policy and storage.

The policy follows NIST SP 800-63B rather than composition rules: long passphrases are welcome, and what is
refused is what is short or easy to guess (zxcvbn's estimate, which knows common and breached-looking
passwords, keyboard patterns, dates and the user's own details).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256
#: zxcvbn scores 0..4; 3 means "safely unguessable: moderate protection from offline slow-hash scenario"
MIN_SCORE = 3
#: zxcvbn refuses longer input (its matching grows fast with length); a longer password is judged by its start
_ZXCVBN_MAX_LENGTH = 72
# zxcvbn keeps the user's details of the call in a module-level dictionary: calls from threads take turns
_ZXCVBN_LOCK = threading.Lock()


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_WEAK = "too_weak"
    CONTAINS_LOGIN = "contains_login"
    #: the confirmation differs from the password
    MISMATCH = "mismatch"
    #: the current password, asked before a change in Settings, is not the user's
    WRONG = "wrong_password"


def normalize_password(password: str) -> str:
    """NFKC, so the same passphrase typed on another keyboard or device gives the same bytes."""
    return unicodedata.normalize("NFKC", password)


def password_problem(password: str, *, login: str, personal: Sequence[str] = ()) -> PasswordProblem | None:
    """Why `password` may not be used by the user `login`, or None when it may.

    `personal` are the user's other details (e-mail, consumer name...) a guesser would try first.
    """
    password = normalize_password(password)
    if len(password) < MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    if login and login.casefold() in password.casefold():
        return PasswordProblem.CONTAINS_LOGIN
    hints = [hint for hint in (login, *personal) if hint]
    with _ZXCVBN_LOCK:
        score = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=hints)["score"]
    if score < MIN_SCORE:
        return PasswordProblem.TOO_WEAK
    return None


@dataclass(frozen=True)
class HashingParameters:
    """argon2id cost; the defaults are RFC 9106's second recommended option (64 MiB, 3 passes)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


class PasswordHashing:
    """argon2id hashes; a stored hash made with other parameters is reported for re-hashing."""

    def __init__(self, parameters: HashingParameters | None = None) -> None:
        parameters = parameters or HashingParameters()
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost, memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
        )
        # verifying against this costs as much as against a real hash: an unknown login answers as slowly
        self._decoy = self._hasher.hash("decoy password for unknown logins")

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize_password(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with no stored hash, spends the same time and says no."""
        try:
            return self._hasher.verify(stored_hash or self._decoy, normalize_password(password)) and (
                stored_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
