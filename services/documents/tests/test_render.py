"""Rendering: every template draws its data as a real PDF with Cyrillic text that can be extracted again."""

from __future__ import annotations

import io
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from pypdf import PdfReader

from documents.domain.render import TEMPLATES
from documents.domain.render.fonts import DEFAULT_FONT_DIR
from documents.domain.render.furniture import Party, amount_in_words, format_money
from documents.domain.render.layouts import Column, InvoiceLikePage, render_invoice_like
from documents.domain.render.onboarding import ONBOARDING_DOCUMENTS
from documents.renderer import Renderer


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def onboarding_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": "ЕЦП-20240501-3F2A9C", "issued_on": "2024-05-01",
        "provider": {"name": "ТОВ «Мега-Білінг»", "edrpou": "37456124", "iban": "UA213223130000026007233566001",
                     "bank": "АТ «Тестбанк»", "address": "м. Київ", "phone": "+380 44 000 00 00",
                     "email": "eds@mega-billing.local"},
        "customer": {"name": "Кооператив «Автомобіліст-2» <&>", "edrpou": "12345678",
                     "address": "м. Дніпро, вул. Січеславська, 5"},
        "signer_name": "Ґалаґан Юлія Миколаївна", "signer_position": "Голова правління",
        "email": "buh@avto2.example", "price": "300.00", "vat_rate": "0.20",
    }
    data.update(changes)
    return data


def test_the_six_onboarding_documents_are_registered_in_the_manuals_order() -> None:
    assert [template.document_type for template in ONBOARDING_DOCUMENTS] == [
        "eds_public_contract", "eds_registration_application", "eds_act_of_services", "eds_invoice",
        "eds_passphrase_form", "eds_instructions",
    ]
    assert all(TEMPLATES.get(template.document_type) is template for template in ONBOARDING_DOCUMENTS)


@pytest.mark.parametrize("template", ONBOARDING_DOCUMENTS, ids=lambda template: template.document_type)
def test_each_onboarding_document_carries_the_form_data(template: Any) -> None:
    pdf = template.render(onboarding_data())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    # markup characters in the company's name are text, not markup
    for expected in ("12345678", "Ґалаґан Юлія Миколаївна", "Кооператив «Автомобіліст-2» <&>"):
        assert expected in text, f"{expected!r} missing from {template.document_type}"


def test_the_invoice_adds_vat_and_writes_the_total_in_words() -> None:
    text = pdf_text(TEMPLATES.get("eds_invoice").render(onboarding_data(price="1032.40")))
    assert "1 032.40" in text and "206.48" in text and "1 238.88" in text
    assert "Одна тисяча двісті тридцять вісім гривень 88 копійок" in text


def test_the_same_data_renders_the_same_bytes() -> None:
    template = TEMPLATES.get("eds_public_contract")
    assert template.render(onboarding_data()) == template.render(onboarding_data())
    assert template.render(onboarding_data()) != template.render(onboarding_data(signer_name="Інша Особа"))


def test_data_that_does_not_fit_the_template_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        TEMPLATES.get("eds_invoice").render(onboarding_data(customer={"name": "X", "edrpou": "12"}))
    assert refused.value.errors()[0]["loc"] == ("customer", "edrpou")


def test_a_long_invoice_like_table_goes_on_to_more_pages_with_its_header_again() -> None:
    party = Party(name="ТОВ «Енергозбут»", edrpou="37456124")
    page = InvoiceLikePage(
        issuer="ТОВ «Енергозбут»", reference="Рахунок № 1", title="Рахунок № 1",
        parties=[("Постачальник", party)],
        columns=[Column("Найменування"), Column("Сума, грн", "right")],
        rows=[[f"Рядок {number}", format_money(Decimal(number))] for number in range(1, 121)],
    )
    reader = PdfReader(io.BytesIO(render_invoice_like(page)))
    assert len(reader.pages) >= 3
    assert all("Найменування" in reader_page.extract_text() for reader_page in reader.pages)
    assert "Рядок 120" in reader.pages[-1].extract_text()


def test_money_is_written_the_cabinets_way() -> None:
    assert format_money(Decimal("1238.875")) == "1 238.88"
    assert format_money(Decimal("0")) == "0.00"
    assert amount_in_words(Decimal("21.05")) == "Двадцять одна гривня 05 копійок"


def test_issued_on_is_a_date() -> None:
    # dates come in JSON as ISO strings and are written dd.mm.yyyy
    text = pdf_text(TEMPLATES.get("eds_invoice").render(onboarding_data(issued_on=date(2024, 12, 31))))
    assert "від 31.12.2024" in text


async def test_rendering_goes_on_after_a_render_worker_dies() -> None:
    renderer = Renderer(processes=1, font_dir=DEFAULT_FONT_DIR)
    try:
        template, data = renderer.prepare("eds_invoice", onboarding_data())
        assert (await renderer.render(template, data)).startswith(b"%PDF-")
        for worker in list(renderer._pool._processes.values()):  # the executor's own record of its workers
            worker.kill()
        with pytest.raises(BrokenProcessPool):
            await renderer.render(template, data)
        assert pdf_text(await renderer.render(template, data)).count("12345678") >= 1
    finally:
        renderer.close()
