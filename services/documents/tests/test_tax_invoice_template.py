"""The tax invoice and correction calculation templates: registered, filled with billing's data, strict about it."""

from __future__ import annotations

import io
from typing import Any

import pydantic
import pytest
from pypdf import PdfReader

from documents.domain.render import TEMPLATES
from shared.contracts.documents import TaxInvoiceCorrectionData, TaxInvoiceData


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def tax_invoice_fields(**changes: Any) -> dict[str, Any]:
    """The data of the manual's August 2013 tax invoice, as JSON carries it."""
    data: dict[str, Any] = {
        "number": "1480", "issued_on": "2013-08-25", "invoice_number": "0789/8/1",
        "seller": {"name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "edrpou": "37456124", "ipn": "374561204653"},
        "buyer": {"name": "Кооператив «Автомобіліст-2» <&>", "edrpou": "12345678", "ipn": "123456704651"},
        "rows": [{"description": "Електрична енергія", "product_code": "2716000000", "unit": "кВт·год",
                  "unit_code": "0415", "quantity": "1250", "price": "0.277248", "vat_rate": "20",
                  "amount": "346.56", "vat": "69.312000", "reason": None}],
        "amount_excl_vat": "346.56", "vat": "69.31", "total": "415.87", "vat_rate": "20",
        "compiler_name": "Ґалаґан Юлія Миколаївна",
    }
    data.update(changes)
    return data


def correction_fields(**changes: Any) -> dict[str, Any]:
    data = tax_invoice_fields(
        number="12", issued_on="2013-09-05", invoice_number="0789/8/1/П1",
        rows=[{"description": "Електрична енергія", "product_code": "2716000000", "unit": "кВт·год",
               "unit_code": "0415", "quantity": "-100", "price": "0.277248", "vat_rate": "20", "amount": "-27.72",
               "vat": "-5.544000", "reason": "102"}],
        amount_excl_vat="-27.72", vat="-5.54", total="-33.26",
        corrects_number="1480", corrects_issued_on="2013-08-25",
    )
    data.update(changes)
    return data


def tax_invoice_data(**changes: Any) -> TaxInvoiceData:
    """As billing makes it (billing.domain.tax_invoices.render_data): the contract's own class."""
    return TaxInvoiceData.model_validate(tax_invoice_fields(**changes))


def correction_data(**changes: Any) -> TaxInvoiceCorrectionData:
    return TaxInvoiceCorrectionData.model_validate(correction_fields(**changes))


def test_both_types_are_registered() -> None:
    assert {"tax_invoice", "tax_invoice_correction"} <= set(TEMPLATES.types())
    assert TEMPLATES.get("tax_invoice").title == "Податкова накладна"
    assert TEMPLATES.get("tax_invoice_correction").title == "Розрахунок коригування"


def test_the_tax_invoice_carries_the_parties_the_row_and_the_manuals_amounts() -> None:
    text = pdf_text(TEMPLATES.get("tax_invoice").render(tax_invoice_data()))
    for expected in ("Податкова накладна № 1480", "від 25.08.2013", "0789/8/1", "ІПН 374561204653",
                     "ІПН 123456704651", "код ЄДРПОУ 12345678", "Кооператив «Автомобіліст-2» <&>",
                     "Електрична енергія", "2716000000", "кВт·год", "0415", "1 250", "0.277248", "346.56", "69.31",
                     "415.87", "Чотириста п'ятнадцять гривень 87 копійок", "Ґалаґан Юлія Миколаївна"):
        assert expected in text, expected
    assert "Не видається покупцю" not in text


def test_a_tax_invoice_for_a_non_payer_says_it_is_not_given_to_the_buyer() -> None:
    buyer = {"name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678", "ipn": "100000000000"}
    text = pdf_text(TEMPLATES.get("tax_invoice").render(tax_invoice_data(buyer=buyer)))
    assert "Не видається покупцю (тип причини 02)" in text


def test_the_correction_refers_to_the_corrected_tax_invoice_and_shows_the_changes() -> None:
    text = pdf_text(TEMPLATES.get("tax_invoice_correction").render(correction_data()))
    for expected in ("Розрахунок коригування № 12", "від 05.09.2013", "до податкової накладної № 1480 від 25.08.2013",
                     "0789/8/1/П1", "зміна кількості", "-100", "-27.72", "-5.54", "-33.26"):
        assert expected in text, expected
    # a lowering correction has no total in words
    assert "Всього на суму" not in text


def test_the_same_data_renders_the_same_bytes() -> None:
    template = TEMPLATES.get("tax_invoice")
    assert template.render(tax_invoice_data()) == template.render(tax_invoice_data())


@pytest.mark.parametrize(
    ("document_type", "data", "location"),
    [
        ("tax_invoice", tax_invoice_fields(number="14-80"), ("number",)),
        ("tax_invoice", tax_invoice_fields(rows=[]), ("rows",)),
        ("tax_invoice", tax_invoice_fields(buyer={"name": "X", "edrpou": "12345678", "ipn": "12"}), ("buyer", "ipn")),
        ("tax_invoice", tax_invoice_fields(corrects_number="1480"), ("corrects_number",)),
        ("tax_invoice_correction", tax_invoice_fields(), ("corrects_number",)),
    ],
    ids=["number-not-digits", "no-rows", "bad-ipn", "tax-invoice-with-corrects", "correction-without-corrects"],
)
def test_data_that_does_not_fit_is_refused(document_type: str, data: dict[str, Any], location: tuple[str, ...]) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        TEMPLATES.get(document_type).render(data)
    assert refused.value.errors()[0]["loc"] == location
