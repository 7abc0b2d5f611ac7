"""Activation codes: handed over on paper with the supplementary agreement, so they must survive being read
aloud and retyped.

Crockford's Base32 alphabet leaves out I, L, O and U; when typed anyway, I and L read as 1 and O as 0. Twelve
symbols carry 60 bits, shown as `XXXX-XXXX-XXXX`. Case, blanks and dashes in the input do not matter.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP_LENGTH = 4
GROUPS = 3
LENGTH = GROUP_LENGTH * GROUPS
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " \t\r\n-‐‑–—")


def new_activation_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_activation_code(symbols)


def format_activation_code(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP_LENGTH] for i in range(0, LENGTH, GROUP_LENGTH))


def normalize_activation_code(raw: str) -> str | None:
    """The code's twelve symbols as issued, or None when `raw` cannot be a code."""
    symbols = raw.translate(_SEPARATORS).upper().translate(_READ_AS)
    if len(symbols) != LENGTH or any(symbol not in ALPHABET for symbol in symbols):
        return None
    return symbols


def activation_code_hash(symbols: str) -> bytes:
    """What is stored: the code itself is shown once, to the staff member who issued it."""
    return hashlib.sha256(symbols.encode("ascii")).digest()
