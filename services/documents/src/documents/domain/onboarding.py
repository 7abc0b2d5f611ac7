"""The e-signature onboarding form (manual «Оформление ЭЦП») and the documents.zip it produces."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import email_validator
from stdnum.exceptions import ValidationError
from stdnum.ua import edrpou

from documents.domain.render.onboarding import EdsOnboardingData
from shared.contracts.documents import Party

PACKAGE_FILE_NAME = "documents.zip"
PACKAGE_TITLE = "Пакет документів для отримання ЕЦП"
NAME_MAX_LENGTH = 300
# a person's name: letters (Ukrainian, Russian, Latin), apostrophes and hyphens; at least a surname and a name
_PERSON_NAME = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*(?: [^\W\d_]+(?:['’ʼ-][^\W\d_]+)*)+")
_PHONE = re.compile(r"\+?[\d ()-]{10,20}")


@dataclass(frozen=True)
class EdsForm:
    """What the consumer fills in: company details and the person who will sign."""

    company_name: str
    edrpou: str
    legal_address: str
    phone: str
    signer_name: str
    signer_position: str
    email: str


def _text(raw: str) -> str:
    return " ".join(raw.split())


def clean_form(form: EdsForm) -> tuple[EdsForm, dict[str, str]]:
    """The form with its values normalized, and reason codes by field for those that are wrong."""
    problems: dict[str, str] = {}
    cleaned = replace(
        form, company_name=_text(form.company_name), legal_address=_text(form.legal_address),
        phone=_text(form.phone), signer_name=_text(form.signer_name), signer_position=_text(form.signer_position),
        email=form.email.strip(),
    )
    for field in ("company_name", "legal_address", "signer_position"):
        value = getattr(cleaned, field)
        if not value:
            problems[field] = "required"
        elif len(value) > NAME_MAX_LENGTH:
            problems[field] = "too_long"
    if not cleaned.signer_name:
        problems["signer_name"] = "required"
    elif len(cleaned.signer_name) > NAME_MAX_LENGTH or not _PERSON_NAME.fullmatch(cleaned.signer_name):
        problems["signer_name"] = "person_name_invalid"
    try:
        cleaned = replace(cleaned, edrpou=str(edrpou.validate(form.edrpou)))
    except ValidationError:
        problems["edrpou"] = "edrpou_invalid"
    if cleaned.phone and not _PHONE.fullmatch(cleaned.phone):
        problems["phone"] = "phone_invalid"
    try:
        address = email_validator.validate_email(cleaned.email, check_deliverability=False)
        cleaned = replace(cleaned, email=address.normalized)
    except email_validator.EmailNotValidError:
        problems["email"] = "email_invalid"
    return cleaned, problems


def package_number(package_id: uuid.UUID, issued_on: date) -> str:
    """The number the package's contract, application, act and invoice share, e.g. `ЕЦП-20240501-3F2A9C`."""
    return f"ЕЦП-{issued_on:%Y%m%d}-{package_id.hex[:6].upper()}"


def onboarding_data(
    form: EdsForm, *, provider: Party, price: Decimal, vat_rate: Decimal, number: str, issued_on: date
) -> EdsOnboardingData:
    return EdsOnboardingData(
        number=number, issued_on=issued_on, provider=provider,
        customer=Party(name=form.company_name, edrpou=form.edrpou, address=form.legal_address,
                       phone=form.phone or None, email=form.email),
        signer_name=form.signer_name, signer_position=form.signer_position, email=form.email,
        price=price, vat_rate=vat_rate,
    )


def build_package(documents: Sequence[tuple[str, bytes]], issued_on: date) -> bytes:
    """documents.zip: the files numbered in the manual's order. Entries are dated with the issue date (not the
    clock), so the same documents give the same archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for position, (file_name, content) in enumerate(documents, start=1):
            entry = zipfile.ZipInfo(f"{position:02d} {file_name}", date_time=(*issued_on.timetuple()[:3], 12, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return buffer.getvalue()
