"""The electricity invoice template (`invoice`, asked for by billing): lines per meter, energy and zone, tariff,
totals with VAT, the total in words, the pay-by date, the supplier's IBAN and details, the consumer's details; a
correcting invoice names the invoice it corrects."""

from __future__ import annotations

import io
from typing import Any

import pydantic
import pytest
from pypdf import PdfReader

from documents.domain.render import TEMPLATES
from shared.contracts.documents import InvoiceData, InvoiceLine, Party


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def line(**changes: Any) -> InvoiceLine:
    return InvoiceLine(**{
        "meter_serial": "0123456", "energy": "active", "zones": 2, "zone": 1, "previous": "1000", "current": "1240",
        "rollover": False, "ct_ratio": "1", "vt_ratio": "1", "volume": "240", "tariff_price": "0.962667",
        "coefficient": "1.5", "price": "1.4440005", "amount": "346.56",
    } | changes)


def invoice_data(**changes: Any) -> InvoiceData:
    """The data of an invoice, as billing makes it (the contract's own class)."""
    return InvoiceData(**{
        "number": "0789/8/1", "kind": "regular", "corrects_number": None, "period": "2013-08",
        "formed_on": "2013-08-25", "pay_by": "2013-09-04", "account_number": "0789",
        "supplier": Party(name="ПАТ «ДТЕК ПЕМ-Енерговугілля»", edrpou="31793056",
                          iban="UA213052990000000026001234567", address="м. Київ, вул. Лейпцизька, 15",
                          phone="+380 44 000 00 00", email="pem@cabinet.local"),
        "consumer": Party(name='Кооператив "Автомобіліст-2"', edrpou="12345678"),
        "lines": [line(), line(zone=2, previous="500", current="520", volume="20", coefficient="0.4",
                           price="0.3850668", amount="7.70"),
                  line(energy="reactive", zone=1, previous="99990", current="10", rollover=True, volume="20",
                       tariff_price="0.150000", coefficient="1", price="0.15", amount="3.00")],
        "amount_excl_vat": "357.26", "vat": "71.45", "total": "428.71", "vat_rate": "0.20",
    } | changes)


def test_the_invoice_carries_lines_totals_words_pay_by_and_both_parties() -> None:
    pdf = TEMPLATES.get("invoice").render(invoice_data())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "Рахунок за електричну енергію № 0789/8/1", "від 25.08.2013 за серпень 2013", "особовий рахунок № 0789",
        # supplier with the IBAN to pay to, consumer
        "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "31793056", "UA213052990000000026001234567", "м. Київ, вул. Лейпцизька, 15",
        'Кооператив "Автомобіліст-2"', "12345678",
        # lines: meter, energy and zone, readings, volume with its unit, tariff × coefficient, amount
        "0123456", "Активна, день", "Активна, ніч", "Реактивна, день", "1 000", "1 240", "240 кВт·год",
        "0.962667 × 1.5", "346.56", "7.70", "20 квар·год", "99 990", "10 *",
        # totals, VAT, the total in words, pay-by
        "357.26", "ПДВ 20%", "71.45", "428.71", "Чотириста двадцять вісім гривень 71 копійка",
        "Сплатити до 04.09.2013", "рах. № 0789/8/1 від 25.08.2013, о/р 0789",
    ):
        assert expected in text, f"{expected!r} missing"


def test_a_correcting_invoice_names_the_invoice_it_corrects_and_a_credit() -> None:
    text = pdf_text(TEMPLATES.get("invoice").render(invoice_data(
        number="0789/8/1/П1", kind="correcting", corrects_number="0789/8/1",
        lines=[line(current="1230", volume="-10", amount="-14.44")],
        amount_excl_vat="-14.44", vat="-2.89", total="-17.33",
    )))
    assert "Коригувальний рахунок за електричну енергію № 0789/8/1/П1" in text
    assert "коригує рахунок № 0789/8/1" in text
    assert "-17.33" in text and "Мінус сімнадцять гривень 33 копійки" in text
    assert "Всього до зменшення" in text and "Сплатити до" not in text


def test_data_that_does_not_fit_the_invoice_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        # as JSON would carry it
        TEMPLATES.get("invoice").render(invoice_data().model_dump(mode="json") | {
            "lines": [line().model_dump(mode="json") | {"energy": "heat"}]})
    assert refused.value.errors()[0]["loc"] == ("lines", 0, "energy")
