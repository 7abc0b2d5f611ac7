"""Checks of a consumer account's and a supplier branch's details."""

from __future__ import annotations

import re

from stdnum import iban
from stdnum.exceptions import ValidationError
from stdnum.ua import edrpou

MIN_BILLING_DAY = 1
#: the last day every month has
MAX_BILLING_DAY = 28
NAME_MAX_LENGTH = 300
# Account numbers are the supplier's: digits mostly (№ 0789 keeps its leading zero), sometimes with letters
_ACCOUNT_NUMBER = re.compile(r"[0-9A-Za-zА-ЯҐЄІЇа-яґєії/-]{1,20}")


def clean_edrpou(raw: str) -> str | None:
    """The 8-digit EDRPOU code if its check digit is right, else None."""
    try:
        return str(edrpou.validate(raw))
    except ValidationError:
        return None


def clean_iban(raw: str) -> str | None:
    """A Ukrainian IBAN in compact form if valid, else None."""
    try:
        number = str(iban.validate(raw))
    except ValidationError:
        return None
    return number if number.startswith("UA") else None


def clean_account_number(raw: str) -> str | None:
    number = raw.strip()
    return number if _ACCOUNT_NUMBER.fullmatch(number) else None


def clean_name(raw: str) -> str | None:
    name = " ".join(raw.split())
    return name if 0 < len(name) <= NAME_MAX_LENGTH else None


def billing_day_in_range(day: int) -> bool:
    return MIN_BILLING_DAY <= day <= MAX_BILLING_DAY
