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
#: a legal entity's VAT payer number (ІПН): 12 digits
_IPN = re.compile(r"\d{12}")
#: the ІПН of a legal entity starts with the first seven digits of its EDRPOU code (the eighth is a check digit)
IPN_EDRPOU_PREFIX = 7


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


def normalize_ipn(raw: str | None) -> str | None:
    """The ІПН as typed, without spaces; None when nothing is typed."""
    if raw is None:
        return None
    return "".join(raw.split()) or None


def ipn_refusal(ipn: str | None, *, vat_payer: bool, edrpou: str | None) -> str | None:
    """Why a consumer's ІПН is refused (a reason code), None when it fits: only a VAT payer has one, 12 digits
    starting with the first seven of the EDRPOU code (not compared while the EDRPOU code is itself refused). A VAT
    payer whose ІПН is not known yet is accepted: its tax invoices name the ІПН as missing until it is entered."""
    if ipn is None:
        return None
    if not vat_payer:
        return "not_vat_payer"
    if not _IPN.fullmatch(ipn):
        return "invalid"
    if edrpou is not None and ipn[:IPN_EDRPOU_PREFIX] != edrpou[:IPN_EDRPOU_PREFIX]:
        return "edrpou_mismatch"
    return None


def billing_day_in_range(day: int) -> bool:
    return MIN_BILLING_DAY <= day <= MAX_BILLING_DAY
