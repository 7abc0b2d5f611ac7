"""The reconciliation act: billing's data drawn as the form accountants exchange, the supplier's debit and credit
beside the consumer's blank columns, the balances and who owes whom in figures and words."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from documents.domain.render import TEMPLATES
from shared.contracts.documents import Party, ReconciliationActData, ReconciliationRow


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def act(**changes: Any) -> ReconciliationActData:
    """The manual's July and August: June's invoice owed at the start, a payment, a returned one, two invoices."""
    rows = [ReconciliationRow(on=date(2013, 7, 10), kind="payment", document="@2PL998327", debit=Decimal("0.00"),
                              credit=Decimal("200.00")),
            ReconciliationRow(on=date(2013, 7, 26), kind="invoice", document="0789/7/1", debit=Decimal("259.92"),
                              credit=Decimal("0.00")),
            ReconciliationRow(on=date(2013, 8, 20), kind="return", document="@2PL998328", debit=Decimal("100.00"),
                              credit=Decimal("0.00"))]
    return ReconciliationActData(**{
        "drawn_on": date(2013, 8, 26), "start": date(2013, 7, 1), "end": date(2013, 8, 26), "account_number": "0789",
        "supplier": Party(name="ПАТ «ДТЕК ПЕМ-Енерговугілля»", edrpou="31793056"),
        "consumer": Party(name='Кооператив "Автомобіліст-2"', edrpou="12345678"), "opening": Decimal("173.28"),
        "rows": rows, "closing": Decimal("333.20"),
    } | changes)


def test_the_act_shows_both_parties_every_operation_and_the_balances() -> None:
    text = pdf_text(TEMPLATES.get("reconciliation_act").render(act()))
    for expected in ("Акт звірки взаєморозрахунків", "за період 01.07.2013 – 26.08.2013",
                     "код ЄДРПОУ 31793056", "код ЄДРПОУ 12345678", "за даними Споживача (заповнює Споживач)",
                     "Сальдо на 01.07.2013 173.28", "Оплата, платіжна інструкція № @2PL998327 200.00",
                     "Рахунок № 0789/7/1 259.92", "Повернення оплати, платіжна інструкція № @2PL998328 100.00",
                     "Обороти за період 359.92 200.00", "Сальдо на 26.08.2013 333.20",
                     "заборгованість Споживача перед Постачальником становить 333.20 грн (Триста тридцять три "
                     "гривні 20 копійок)", "Від Постачальника", "Від Споживача"):
        assert expected in text, expected


@pytest.mark.parametrize(("closing", "sentence"), [
    ("-50.00", "заборгованість Постачальника перед Споживачем становить 50.00 грн"),
    ("0.00", "взаємна заборгованість відсутня"),
])
def test_the_act_says_who_owes_whom(closing: str, sentence: str) -> None:
    data = act(rows=[], opening=Decimal(closing), closing=Decimal(closing))
    assert sentence in pdf_text(TEMPLATES.get("reconciliation_act").render(data))
