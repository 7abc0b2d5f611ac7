"""E-mail addresses: the syntax rule of the event contracts (pydantic's EmailStr), without DNS look-ups."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

# the contracts' rule, which admits `.local` addresses (local runs, the demo), is in force once they are imported
import shared.contracts  # noqa: F401


def normalize_email(raw: str) -> str | None:
    """The address in normal form (domain in lower case), or None when it is not an address."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def same_mailbox(a: str, b: str) -> bool:
    """Mail systems treat local parts case-insensitively in practice; so do we when matching addresses."""
    return a.casefold() == b.casefold()
