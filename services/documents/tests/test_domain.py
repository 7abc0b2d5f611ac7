"""Pure rules: metadata, file names, the onboarding form and package."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest

from documents.domain.documents import (
    Metadata,
    clean_metadata,
    content_disposition,
    content_problems,
    file_name_from_title,
    object_key,
    sha256_hex,
)
from documents.domain.onboarding import EdsForm, build_package, clean_form, onboarding_data, package_number
from shared.contracts.documents import Party


def metadata(**changes: object) -> Metadata:
    values: dict[str, object] = {
        "document_type": "invoice", "period": "2024-05", "title": "Рахунок за травень 2024",
        "file_name": "Рахунок 2024-05.pdf", "content_type": "application/pdf",
    }
    values.update(changes)
    return Metadata(**values)  # type: ignore[arg-type]


def form(**changes: str) -> EdsForm:
    values = {
        "company_name": "  Кооператив   «Автомобіліст-2» ", "edrpou": "12345678",
        "legal_address": "м. Дніпро, вул. Січеславська, 5", "phone": "+380 56 123 45 67",
        "signer_name": "Іваненко  Іван Іванович", "signer_position": "Голова правління",
        "email": "Buh@Avto2.Example.com",
    }
    values.update(changes)
    return EdsForm(**values)


def test_objects_are_named_by_their_sha256() -> None:
    digest = sha256_hex(b"%PDF-1.4 test")
    assert object_key(digest) == f"sha256/{digest}"
    with pytest.raises(ValueError):
        object_key("../../etc/passwd")


def test_good_metadata_has_no_problems_and_is_normalized() -> None:
    cleaned, problems = clean_metadata(metadata(title="  Рахунок \n за травень ", period=None))
    assert problems == {}
    assert cleaned.title == "Рахунок за травень" and cleaned.period is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"document_type": "Invoice!"}, "type", "document_type_invalid"),
        ({"period": "2024-13"}, "period", "period_invalid"),
        ({"period": "05.2024"}, "period", "period_invalid"),
        ({"title": "   "}, "title", "title_invalid"),
        ({"file_name": "../secret.pdf"}, "file_name", "file_name_invalid"),
        ({"file_name": 'a"b.pdf'}, "file_name", "file_name_invalid"),
        ({"file_name": "a\nb.pdf"}, "file_name", "file_name_invalid"),
        ({"content_type": "text/html"}, "content_type", "content_type_not_allowed"),
    ],
)
def test_bad_metadata_is_named_by_field(changes: dict[str, object], field: str, code: str) -> None:
    assert clean_metadata(metadata(**changes))[1] == {field: code}


def test_content_must_be_what_its_type_says() -> None:
    assert content_problems(b"%PDF-1.7\n...", "application/pdf") == {}
    assert content_problems(b"<html>", "application/pdf") == {"content": "content_does_not_match_type"}
    assert content_problems(b"", "application/pdf") == {"content": "content_empty"}
    assert content_problems(b"anything", "text/plain") == {}


def test_content_disposition_carries_cyrillic_names_as_rfc_6266_asks() -> None:
    header = content_disposition("Рахунок за травень 2024.pdf")
    assert header.startswith('attachment; filename="document.pdf"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert " " not in encoded and unquote(encoded) == "Рахунок за травень 2024.pdf"
    assert content_disposition("documents.zip") == (
        "attachment; filename=\"documents.zip\"; filename*=UTF-8''documents.zip"
    )


def test_file_name_from_a_title_has_no_slashes() -> None:
    assert file_name_from_title("Рахунок № 12/2024", "pdf") == "Рахунок № 12-2024.pdf"


def test_the_form_is_normalized() -> None:
    cleaned, problems = clean_form(form())
    assert problems == {}
    assert cleaned.company_name == "Кооператив «Автомобіліст-2»"
    assert cleaned.signer_name == "Іваненко Іван Іванович"
    assert cleaned.email == "Buh@avto2.example.com"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"edrpou": "12345679"}, "edrpou", "edrpou_invalid"),
        ({"edrpou": "1234"}, "edrpou", "edrpou_invalid"),
        ({"email": "not-an-address"}, "email", "email_invalid"),
        ({"signer_name": "Іваненко"}, "signer_name", "person_name_invalid"),
        ({"signer_name": "Іван 3"}, "signer_name", "person_name_invalid"),
        ({"signer_name": " "}, "signer_name", "required"),
        ({"company_name": ""}, "company_name", "required"),
        ({"signer_position": "x" * 301}, "signer_position", "too_long"),
        ({"phone": "call me"}, "phone", "phone_invalid"),
    ],
)
def test_form_mistakes_are_named_by_field(changes: dict[str, str], field: str, code: str) -> None:
    _, problems = clean_form(form(**changes))
    assert problems == {field: code}


def test_names_with_apostrophes_and_hyphens_are_names() -> None:
    _, problems = clean_form(form(signer_name="Мар'яна Петренко-Ковальчук"))
    assert problems == {}


def test_the_package_is_numbered_and_the_same_documents_give_the_same_archive() -> None:
    package_id = uuid.UUID("3f2a9c10-0000-4000-8000-000000000000")
    assert package_number(package_id, date(2024, 5, 1)) == "ЕЦП-20240501-3F2A9C"
    files = [("Публічний договір.pdf", b"%PDF-1"), ("Інструкція.pdf", b"%PDF-2")]
    archive = build_package(files, date(2024, 5, 1))
    assert archive == build_package(files, date(2024, 5, 1))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.namelist() == ["01 Публічний договір.pdf", "02 Інструкція.pdf"]
        assert opened.read("02 Інструкція.pdf") == b"%PDF-2"


def test_the_packages_vat_is_rounded_as_on_every_document() -> None:
    provider = Party(name="ТОВ «Центр сертифікації»", edrpou="37456124")
    data = onboarding_data(form(), provider=provider, price=Decimal("250.03"), vat_rate=Decimal("0.20"),
                           number="ЕЦП-20240501-3F2A9C", issued_on=date(2024, 5, 1))
    # 50.006 is rounded down, as billing rounds VAT (shared.vat)
    assert (data.vat, data.total) == (Decimal("50.00"), Decimal("300.03"))
