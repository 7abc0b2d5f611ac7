"""The act of readings transfer: metering's data drawn as a PDF with every meter's readings, volumes and totals."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from pypdf import PdfReader

from documents.domain.render import TEMPLATES
from shared.contracts.documents import ActLine, Party, ReadingsActData


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def line(**changes: Any) -> ActLine:
    return ActLine(**{
        "meter_serial": "0123456", "energy": "active", "zone": 1, "zones": 2, "previous": Decimal("12000.5"),
        "current": Decimal("12345.6"), "rollover": False, "volume": Decimal("345.1"), "ct_ratio": Decimal(40),
        "vt_ratio": Decimal(1),
    } | changes)


def act_data(**changes: Any) -> ReadingsActData:
    """The data of a readings act, as metering makes it (the contract's own class)."""
    return ReadingsActData(**{
        "period": "2026-11", "submitted_on": date(2026, 11, 25), "supplier": "ПАТ «ДТЕК ПЕМ-Енерговугілля»",
        "consumer": Party(name="Кооператив «Автомобіліст-2» <&>", edrpou="12345678"), "account_number": "0789",
        "source": "consumer", "correction_reason": None,
        "lines": [
            line(),
            line(zone=2, previous=Decimal(99990), current=Decimal(10), rollover=True, volume=Decimal(20)),
            line(energy="reactive", previous=Decimal(0), current=Decimal("1234.5"), volume=Decimal("1234.5")),
        ],
    } | changes)


def as_sent(data: pydantic.BaseModel, **changes: Any) -> dict[str, Any]:
    """The data as JSON carries it, changed (to what the template refuses)."""
    return data.model_dump(mode="json") | changes


def test_the_act_carries_the_consumer_the_period_and_every_reading() -> None:
    template = TEMPLATES.get("readings_act")
    text = pdf_text(template.render(act_data()))
    for expected in (
        "Акт приймання-передачі показань", "за листопад 2026 року", "особовий рахунок № 0789", "від 25.11.2026",
        "Кооператив «Автомобіліст-2» <&>", "12345678", "ПАТ «ДТЕК ПЕМ-Енерговугілля»",
        "0123456", "12 000.5", "12 345.6", "345.1", "13 804 кВт·год",  # 345.1 × 40
        "99 990", "20 *", "перейшов через нуль", "день", "ніч", "реактивна", "49 380 квар·год",
        "Разом активна енергія, кВт·год", "14 604",  # (345.1 + 20) × 40
        "Показання передано Споживачем",
    ):
        assert expected in text, f"{expected!r} missing"


def test_a_correction_says_why() -> None:
    text = pdf_text(TEMPLATES.get("readings_act").render(act_data(source="staff", correction_reason="помилка в цифрі")))
    assert "Причина: помилка в цифрі" in text and "менеджером з розрахунків" in text


def test_the_consumers_act_has_both_signature_lines_and_the_suppliers_own_record_none() -> None:
    consumers = pdf_text(TEMPLATES.get("readings_act").render(act_data()))
    assert "Від Споживача" in consumers and "Від Постачальника" in consumers
    for source in ("staff", "res"):
        record = pdf_text(TEMPLATES.get("readings_act").render(act_data(source=source)))
        assert "Від Споживача" not in record and "підпис сторін не потрібен" in record, source


def test_the_same_data_renders_the_same_bytes() -> None:
    template = TEMPLATES.get("readings_act")
    assert template.render(act_data()) == template.render(act_data())


@pytest.mark.parametrize(("changes", "location"), [
    ({"lines": []}, ("lines",)),
    ({"period": "2026-13"}, ("period",)),
    ({"lines": [as_sent(line(), energy="apparent")]}, ("lines", 0, "energy")),
    ({"lines": [as_sent(line(), current="-1")]}, ("lines", 0, "current")),
    ({"lines": [as_sent(line(), ct_ratio="0")]}, ("lines", 0, "ct_ratio")),
    ({"consumer": {"name": "X", "edrpou": "1"}}, ("consumer", "edrpou")),
])
def test_data_that_does_not_fit_is_refused(changes: dict[str, Any], location: tuple[Any, ...]) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        TEMPLATES.get("readings_act").render(as_sent(act_data(), **changes))
    assert refused.value.errors()[0]["loc"] == location
