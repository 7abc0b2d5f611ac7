"""Print quality: every template, with ordinary and with dense data, read back from the rendered PDF (pdfplumber's
word boxes and ruled cells) — no word out of its cell or off the printable area, no two words on top of each other,
no number, amount or header word broken across lines.

`layout_problems` is the checker; the first tests show it catches each kind of fault on pages drawn wrong on
purpose, the rest run it over every registered template."""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pdfplumber
import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from documents.domain.render import (
    TEMPLATES,
    Template,
    fonts,
    invoices,
    onboarding,
    readings_act,
    reconciliation_act,
    tax_invoices,
)
from documents.domain.render.furniture import MARGIN_LEFT, MARGIN_RIGHT, PAGE_HEIGHT, PAGE_WIDTH, format_money
from documents.domain.render.layouts import Column
from documents.domain.render.onboarding import ONBOARDING_DOCUMENTS

# Checker

#: how far from the sheet's top and bottom edges text may go (the running header and footer are in there)
PRINTABLE_EDGE = 6 * mm
#: slack for rounding in the PDF's coordinates, in points
SLACK = 0.6
#: a number as the documents write it (`-12 345.67`): a line of a cell that ends in one and the next line starting
#: with digits is a number broken in two
NUMBER_END = re.compile(r"-?\d[\d.,]*$")
NUMBER_START = re.compile(r"^\d")

Box = tuple[float, float, float, float]  # x0, top, x1, bottom; from the page's top-left corner


@dataclass(frozen=True)
class _Word:
    text: str
    box: Box
    #: the ruled cell the word is drawn in, or None for text outside tables
    cell: Box | None


def _overlap(a: Box, b: Box) -> float:
    """How far two boxes overlap, the lesser of the two directions (0 when they do not)."""
    return max(0.0, min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])))


def _inside(inner: Box, outer: Box) -> bool:
    return (inner[0] >= outer[0] - SLACK and inner[1] >= outer[1] - SLACK and inner[2] <= outer[2] + SLACK
            and inner[3] <= outer[3] + SLACK)


def _lines(words: Sequence[_Word]) -> list[str]:
    """The words of one cell (or of the text outside cells) as lines, top to bottom."""
    rows: list[list[_Word]] = []
    for word in sorted(words, key=lambda word: (word.box[1], word.box[0])):
        if rows and abs(rows[-1][0].box[1] - word.box[1]) < 2:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [" ".join(word.text for word in sorted(row, key=lambda word: word.box[0])) for row in rows]


def _page_problems(page: Any, number: int) -> tuple[list[str], list[str]]:
    """The faults of one page, and its text lines (each cell's lines apart)."""
    problems: list[str] = []
    cells: list[Box] = [cell for table in page.find_tables({"vertical_strategy": "lines",
                                                            "horizontal_strategy": "lines"})
                        for cell in table.cells]
    printable: Box = (MARGIN_LEFT, PRINTABLE_EDGE, PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - PRINTABLE_EDGE)
    words: list[_Word] = []
    # in the order the text was drawn: two strings drawn over each other stay two words (whose boxes overlap)
    for raw in page.extract_words(use_text_flow=True, x_tolerance=1.5):
        box: Box = (raw["x0"], raw["top"], raw["x1"], raw["bottom"])
        where = f"page {number}: «{raw['text']}»"
        if not _inside(box, printable):
            problems.append(f"{where} is off the printable area at {_rounded(box)}")
        touched = [cell for cell in cells if _overlap(box, cell) > SLACK]
        home = next((cell for cell in touched if _inside(box, cell)), None)
        if touched and home is None:
            problems.append(f"{where} runs out of its cell at {_rounded(box)}")
        words.append(_Word(raw["text"], box, home or (touched[0] if touched else None)))
    for index, word in enumerate(words):
        for other in words[index + 1:]:
            if _overlap(word.box, other.box) > SLACK:
                problems.append(f"page {number}: «{word.text}» and «{other.text}» overlap")
    lines: list[str] = []
    for cell in {word.cell for word in words}:
        cell_lines = _lines([word for word in words if word.cell == cell])
        lines.extend(cell_lines)
        if cell is None:
            continue
        for above, below in itertools.pairwise(cell_lines):
            if NUMBER_END.search(above) and NUMBER_START.search(below):
                problems.append(f"page {number}: a number is broken over two lines: «{above}» / «{below}»")
    return problems, lines


def _rounded(box: Box) -> tuple[float, ...]:
    return tuple(round(value, 1) for value in box)


def layout_problems(pdf: bytes, unbroken: Iterable[str] = ()) -> list[str]:
    """What is wrong with how `pdf` is laid out; `unbroken` are texts (numbers, amounts, serials, header words)
    that must each be found whole on one line, as often as they are listed."""
    problems: list[str] = []
    lines: list[str] = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            page_problems, page_lines = _page_problems(page, number)
            problems += page_problems
            lines += page_lines
    for text, wanted in Counter(unbroken).items():
        found = sum(line.count(text) for line in lines)
        if found < wanted:
            problems.append(f"«{text}» is not whole on a line ({found} of {wanted} times)")
    return problems


# The checker catches what it is for

def _drawn(draw: Any) -> bytes:
    fonts.register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    canvas.setFont(fonts.REGULAR, 9)
    draw(canvas)
    canvas.save()
    return buffer.getvalue()


def _cells(canvas: Canvas, *widths: float) -> None:
    """A row of ruled cells (a table has two at least) 30 mm high, from the left margin, 200 mm below the top."""
    x = MARGIN_LEFT
    for width in widths:
        canvas.rect(x, PAGE_HEIGHT - 200 * mm, width, 30 * mm)
        x += width


def test_the_checker_passes_a_page_laid_out_well() -> None:
    def draw(canvas: Canvas) -> None:
        _cells(canvas, 30 * mm, 30 * mm)
        canvas.drawString(MARGIN_LEFT + 2 * mm, PAGE_HEIGHT - 180 * mm, "Попередні")
        canvas.drawString(MARGIN_LEFT + 2 * mm, PAGE_HEIGHT - 185 * mm, "показання")
        canvas.drawRightString(MARGIN_LEFT + 58 * mm, PAGE_HEIGHT - 180 * mm, "16 067.16")
        canvas.drawString(MARGIN_LEFT, PAGE_HEIGHT - 100 * mm, "Разом без ПДВ: 16 067.16")

    assert layout_problems(_drawn(draw), unbroken=["16 067.16", "16 067.16", "показання"]) == []


def test_the_checker_catches_a_word_running_into_the_next_cell() -> None:
    def draw(canvas: Canvas) -> None:
        _cells(canvas, 15 * mm, 30 * mm)
        canvas.drawString(MARGIN_LEFT + 2 * mm, PAGE_HEIGHT - 180 * mm, "Попередні показання")

    assert any("runs out of its cell" in problem for problem in layout_problems(_drawn(draw)))


def test_the_checker_catches_words_drawn_over_each_other() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.drawString(MARGIN_LEFT, PAGE_HEIGHT - 100 * mm, "Попередні")
        canvas.drawString(MARGIN_LEFT + 8 * mm, PAGE_HEIGHT - 100.5 * mm, "Поточні")

    assert any("overlap" in problem for problem in layout_problems(_drawn(draw)))


def test_the_checker_catches_text_off_the_printable_area() -> None:
    def draw(canvas: Canvas) -> None:
        canvas.drawRightString(PAGE_WIDTH - 5 * mm, PAGE_HEIGHT - 100 * mm, "UA213223130000026007233566001")
        canvas.drawString(MARGIN_LEFT, 3 * mm, "Сторінка 1")

    problems = layout_problems(_drawn(draw))
    assert any("«UA213223130000026007233566001» is off the printable area" in problem for problem in problems)
    assert any("«Сторінка» is off the printable area" in problem for problem in problems)


def test_the_checker_catches_a_number_broken_over_two_lines() -> None:
    def draw(canvas: Canvas) -> None:
        _cells(canvas, 30 * mm, 30 * mm)
        canvas.drawRightString(MARGIN_LEFT + 28 * mm, PAGE_HEIGHT - 180 * mm, "16")
        canvas.drawRightString(MARGIN_LEFT + 28 * mm, PAGE_HEIGHT - 185 * mm, "067.16")

    problems = layout_problems(_drawn(draw), unbroken=["16 067.16"])
    assert any("broken over two lines" in problem for problem in problems)
    assert "«16 067.16» is not whole on a line (0 of 1 times)" in problems


def test_the_checker_catches_a_header_word_broken_inside() -> None:
    def draw(canvas: Canvas) -> None:
        _cells(canvas, 30 * mm, 30 * mm)
        canvas.drawString(MARGIN_LEFT + 2 * mm, PAGE_HEIGHT - 180 * mm, "цілодо")
        canvas.drawString(MARGIN_LEFT + 2 * mm, PAGE_HEIGHT - 185 * mm, "бово")

    assert layout_problems(_drawn(draw), unbroken=["цілодобово"]) == [
        "«цілодобово» is not whole on a line (0 of 1 times)"]


# Every template, ordinary and dense

SUPPLIER = {"name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "edrpou": "31793056", "iban": "UA213052990000000026001234567",
            "address": "м. Київ, вул. Лейпцизька, 15", "phone": "+380 44 000 00 00", "email": "pem@cabinet.local"}
CONSUMER = {"name": 'Кооператив "Автомобіліст-2"', "edrpou": "12345678"}
LONG_SUPPLIER = {
    "name": "Товариство з обмеженою відповідальністю «Дніпровська енергопостачальна компанія» (Криворізька філія)",
    "edrpou": "42082379", "iban": "UA833052990000026008046800583", "bank": "АТ КБ «ПриватБанк»",
    "address": "50000, Дніпропетровська обл., м. Кривий Ріг, просп. Металургів, буд. 28, офіс 1205",
    "phone": "+380 56 404 00 00, +380 67 000 00 00", "email": "kryvyi-rih.billing@energy-supplier.example.com"}
LONG_CONSUMER = {
    "name": "Приватне акціонерне товариство «Криворізький завод залізобетонних виробів і конструкцій № 3»",
    "edrpou": "05393056", "address": "50069, Дніпропетровська обл., м. Кривий Ріг, вул. Електрозаводська, 1-А"}
#: the longest name the data model takes
LONGEST_NAME = ("Товариство з обмеженою відповідальністю «Дніпровська енергопостачальна компанія» — відокремлений "
                "підрозділ «Криворізька філія з обслуговування юридичних споживачів Центрально-Міського, "
                "Металургійного, Довгинцівського, Покровського, Тернівського, Саксаганського та Інгулецького "
                "районів міста Кривого Рогу»")[:300]
LONGEST_SERIAL = "ЛЕ221.1-R1.0-2024-00000000123456"


@dataclass(frozen=True)
class Case:
    document_type: str
    data: dict[str, Any]
    #: numbers, amounts, serials and header words the page must carry whole
    unbroken: list[str]


def spaced(value: Decimal | str) -> str:
    """A reading, ratio or volume as the documents write it: `123 456.78`."""
    return f"{Decimal(value).normalize():,f}".replace(",", " ")


def money(value: Decimal | str) -> str:
    return format_money(Decimal(value))


def header_words(columns: Sequence[Column]) -> list[str]:
    return [word for column in columns for word in column.title.split()]


def totals(data: dict[str, Any]) -> list[str]:
    return [money(data[key]) for key in ("amount_excl_vat", "vat", "total")]


def invoice_line(serial: str, energy: str, zones: int, zone: int, previous: str, current: str, *, ratio: str = "1",
                 tariff: str = "4.31700", coefficient: str = "1", rollover: bool = False, digits: int = 6,
                 sign: int = 1) -> dict[str, Any]:
    """A line as billing calculates it: volume from the readings and the ratio, the price, the amount; a
    correcting invoice's line (`sign` -1) carries the difference to what was invoiced."""
    difference = Decimal(current) - Decimal(previous) + (10 ** digits if rollover else 0)
    volume = sign * difference * Decimal(ratio)
    price = Decimal(tariff) * Decimal(coefficient)
    amount = (volume * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"meter_serial": serial, "energy": energy, "zones": zones, "zone": zone, "previous": previous,
            "current": current, "rollover": rollover, "ct_ratio": ratio, "vt_ratio": "1", "volume": f"{volume:f}",
            "tariff_price": tariff, "coefficient": coefficient, "price": f"{price:f}", "amount": f"{amount:f}"}


def invoice_case(lines: list[dict[str, Any]], **changes: Any) -> Case:
    """An invoice as billing sends it (billing.issuing.render_data)."""
    net = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    vat = (net * Decimal("0.2")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    data = {"number": "0789/8/1", "kind": "regular", "corrects_number": None, "period": "2013-08",
            "formed_on": "2013-08-25", "pay_by": "2013-09-04", "account_number": "0789", "supplier": SUPPLIER,
            "consumer": CONSUMER, "lines": lines, "amount_excl_vat": f"{net:f}", "vat": f"{vat:f}",
            "total": f"{net + vat:f}", "vat_rate": "0.20"} | changes
    figures = [text for line in lines for text in (
        line["meter_serial"], spaced(line["previous"]), spaced(line["current"]), spaced(line["volume"]),
        spaced(line["price"]), money(line["amount"]))]
    return Case("invoice", data, figures + totals(data) + header_words(invoices.COLUMNS))


#: a consumer with several meters behind current transformers: three zones, six-figure readings and amounts,
#: reactive energy, roll-overs, long serials, names and addresses
DENSE_LINES = [
    invoice_line("009217054001234", "active", 3, 1, "654321.25", "657889.5", ratio="40", coefficient="1.5"),
    invoice_line("009217054001234", "active", 3, 2, "412907.75", "415377", ratio="40", coefficient="1.02"),
    invoice_line("009217054001234", "active", 3, 3, "998765.5", "2345.25", ratio="40", coefficient="0.4",
                 rollover=True),
    invoice_line("009217054001234", "reactive", 3, 1, "123456.78", "125678.9", ratio="40", tariff="0.2158"),
    invoice_line("NIK2303-00123456", "active", 1, 1, "87654.3", "99876.5", ratio="30"),
    invoice_line("NIK2303-00123456", "reactive", 1, 1, "45678.9", "51234.5", ratio="30", tariff="0.2158"),
    invoice_line("01234567", "active", 2, 1, "999990", "250", coefficient="1.5", rollover=True),
    invoice_line("01234567", "active", 2, 2, "345678", "348901", coefficient="0.4"),
]
DENSE_PARTIES = {"supplier": LONG_SUPPLIER, "consumer": LONG_CONSUMER, "account_number": "01234567890123456789"}
INVOICES = {
    "ordinary": invoice_case([
        invoice_line("0123456", "active", 2, 1, "1000", "1240", tariff="0.962667", coefficient="1.5"),
        invoice_line("0123456", "active", 2, 2, "500", "520", tariff="0.962667", coefficient="0.4"),
        invoice_line("0123456", "reactive", 2, 1, "99990", "10", tariff="0.15", rollover=True, digits=5),
    ]),
    "dense": invoice_case(DENSE_LINES, number="0123456789/2024/08/ДНІПРО/000123", **DENSE_PARTIES),
    "dense-correcting": invoice_case(
        [invoice_line(line["meter_serial"], line["energy"], line["zones"], line["zone"], line["previous"],
                      line["current"], ratio=line["ct_ratio"], tariff=line["tariff_price"],
                      coefficient=line["coefficient"], rollover=line["rollover"], sign=-1) for line in DENSE_LINES],
        number="0123456789/2024/08/ДНІПРО/000123/П1", kind="correcting",
        corrects_number="0123456789/2024/08/ДНІПРО/000123", **DENSE_PARTIES),
    # a table over several pages, its header again on each
    "many-meters": invoice_case(DENSE_LINES * 6, number="0123456789/2024/08/ДНІПРО/000124", **DENSE_PARTIES),
    # every text as long as the data model takes it
    "longest": invoice_case(
        [invoice_line(LONGEST_SERIAL, "active", 3, 2, "9876543.21", "9999999.99", ratio="4000", coefficient="1.02"),
         invoice_line(LONGEST_SERIAL, "reactive", 3, 1, "999999.99", "1234.56", ratio="4000", tariff="0.2158",
                      rollover=True)],
        number="Р" * 60, **DENSE_PARTIES | {"supplier": LONG_SUPPLIER | {"name": LONGEST_NAME},
                                            "consumer": LONG_CONSUMER | {"name": LONGEST_NAME}}),
}


def act_case(lines: list[tuple[str, str, int, int, str, str, str, bool]], **changes: Any) -> Case:
    """An act of readings as metering sends it (metering.acts: _render_request), from lines of (serial, energy,
    zones, zone, previous, current, current transformer ratio, roll-over)."""
    data_lines: list[dict[str, Any]] = []
    for serial, energy, zones, zone, previous, current, ratio, rollover in lines:
        difference = Decimal(current) - Decimal(previous) + (10 ** 6 if rollover else 0)
        data_lines.append({"meter_serial": serial, "energy": energy, "zone": zone, "zones": zones,
                           "previous": previous, "current": current, "rollover": rollover,
                           "volume": f"{difference:f}", "ct_ratio": ratio, "vt_ratio": "1"})
    data = {"period": "2026-11", "submitted_on": "2026-11-25", "supplier": SUPPLIER["name"], "consumer": CONSUMER,
            "account_number": "0789", "source": "consumer", "correction_reason": None, "lines": data_lines} | changes
    figures = [text for line in data_lines for text in (
        line["meter_serial"], spaced(line["previous"]), spaced(line["current"]), spaced(line["volume"]),
        spaced(Decimal(line["volume"]) * Decimal(line["ct_ratio"])))]
    return Case("readings_act", data, figures + header_words(readings_act.COLUMNS))


ACTS = {
    "ordinary": act_case([("0123456", "active", 2, 1, "12000.5", "12345.6", "40", False),
                          ("0123456", "active", 2, 2, "999990", "10", "40", True),
                          ("0123456", "reactive", 1, 1, "0", "1234.5", "40", False)]),
    "dense": act_case(
        [(line["meter_serial"], line["energy"], line["zones"], line["zone"], line["previous"], line["current"],
          line["ct_ratio"], line["rollover"]) for line in DENSE_LINES],
        supplier=LONG_SUPPLIER["name"], consumer=LONG_CONSUMER, account_number="01234567890123456789",
        source="staff",
        correction_reason="Показання лічильника 009217054001234 за зоною «пік» внесено з помилкою в розряді: "
                          "замість 657 889.5 було внесено 65 788.95; виправлено за актом огляду від 24.11.2026 № 18."),
}

ACTIVE = ("Електрична енергія", "кВт·год", "0415")
REACTIVE = ("Перетікання реактивної електричної енергії", "квар·год", "")


def tax_row(product: tuple[str, str, str], quantity: str, price: str, reason: str | None = None) -> dict[str, Any]:
    description, unit, unit_code = product
    amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"description": description, "product_code": "2716000000", "unit": unit, "unit_code": unit_code,
            "quantity": quantity, "price": price, "vat_rate": "20", "amount": f"{amount:f}",
            "vat": f"{amount * Decimal('0.2'):f}", "reason": reason}


def tax_case(document_type: str, rows: list[dict[str, Any]], **changes: Any) -> Case:
    """A tax invoice or correction as billing.domain.tax_invoices.render_data writes it."""
    net = sum((Decimal(row["amount"]) for row in rows), Decimal(0))
    vat = (net * Decimal("0.2")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    data = {"number": "1480", "issued_on": "2013-08-25", "invoice_number": "0789/8/1",
            "seller": SUPPLIER | {"ipn": "317930526530"}, "buyer": CONSUMER | {"ipn": "123456704651"}, "rows": rows,
            "amount_excl_vat": f"{net:f}", "vat": f"{vat:f}", "total": f"{net + vat:f}", "vat_rate": "20",
            "compiler_name": "Ґалаґан Юлія Миколаївна"} | changes
    columns = tax_invoices.TAX_INVOICE_COLUMNS if document_type == "tax_invoice" else tax_invoices.CORRECTION_COLUMNS
    figures = [text for row in rows for text in (
        row["product_code"], spaced(row["quantity"]), spaced(row["price"]), money(row["amount"]))]
    return Case(document_type, data, figures + totals(data) + header_words(columns))


DENSE_SELLER = {"seller": LONG_SUPPLIER | {"ipn": "420823704651"}}
CORRECTS = {"issued_on": "2013-09-05", "corrects_issued_on": "2013-08-25"}
TAX_INVOICES = {
    "ordinary": tax_case("tax_invoice", [tax_row(ACTIVE, "1250", "0.277248")]),
    "dense": tax_case(
        "tax_invoice",
        [tax_row(ACTIVE, "142713", "6.47550"), tax_row(ACTIVE, "98773", "4.403340"),
         tax_row(ACTIVE, "137189.8", "1.7268"), tax_row(REACTIVE, "255533.6", "0.2158")],
        number="1234567", invoice_number="0123456789/2024/08/ДНІПРО/000123", **DENSE_SELLER,
        buyer=LONG_CONSUMER | {"ipn": "100000000000"}),
}
CORRECTIONS = {
    "ordinary": tax_case("tax_invoice_correction", [tax_row(ACTIVE, "-100", "0.277248", "102")], number="12",
                         corrects_number="1480", invoice_number="0789/8/1/П1", **CORRECTS),
    "dense": tax_case(
        "tax_invoice_correction",
        [tax_row(ACTIVE, "-142713", "6.47550", "102"), tax_row(ACTIVE, "0", "4.403340", "101"),
         tax_row(REACTIVE, "-255533.6", "0.2158", "102")],
        number="1234567", corrects_number="7654321", invoice_number="0123456789/2024/08/ДНІПРО/000123/П1",
        **DENSE_SELLER, buyer=LONG_CONSUMER | {"ipn": "050930560465"}, **CORRECTS),
}


def reconciliation_case(rows: list[tuple[str, str, str, str, str]], opening: str, **changes: Any) -> Case:
    """A reconciliation act as billing sends it (billing.reconciliation.render_data), from rows of (day, kind,
    document, debit, credit)."""
    data_rows = [{"on": on, "kind": kind, "document": document, "debit": debit, "credit": credit}
                 for on, kind, document, debit, credit in rows]
    closing = Decimal(opening) + sum((Decimal(row["debit"]) - Decimal(row["credit"]) for row in data_rows),
                                     Decimal(0))
    data = {"drawn_on": "2013-08-26", "start": "2013-01-01", "end": "2013-08-26", "account_number": "0789",
            "supplier": SUPPLIER, "consumer": CONSUMER, "opening": opening, "rows": data_rows,
            "closing": f"{closing:f}"} | changes
    figures = [money(row[key]) for row in data_rows for key in ("debit", "credit") if Decimal(row[key])]
    return Case("reconciliation_act", data, [*figures, *(row["document"] for row in data_rows), money(abs(closing)),
                                             *header_words(reconciliation_act.COLUMNS)])


RECONCILIATION_ROWS = [
    ("2013-07-10", "payment", "@2PL998327", "0.00", "200.00"),
    ("2013-07-26", "invoice", "0789/7/1", "259.92", "0.00"),
    ("2013-08-01", "payment", "@2PL998328", "0.00", "100.00"),
    ("2013-08-20", "return", "@2PL998328", "100.00", "0.00"),
    ("2013-08-26", "invoice", "0789/8/1", "415.87", "0.00"),
]
DENSE_RECONCILIATION_ROWS = [
    row for month in range(1, 13) for row in (
        (f"2024-{month:02d}-25", "invoice", f"0123456789/2024/{month:02d}/ДНІПРО/000123", "987654.32", "0.00"),
        (f"2024-{month:02d}-26", "correcting_invoice", f"0123456789/2024/{month:02d}/ДНІПРО/000123/П1", "0.00",
         "12345.67"),
        (f"2024-{month:02d}-28", "payment", "ПЛ-00000000000000000000000000123", "0.00", "975308.65"),
        (f"2024-{month:02d}-28", "return", "ПЛ-00000000000000000000000000124", "1000.00", "0.00"),
    )]
RECONCILIATIONS = {
    "ordinary": reconciliation_case(RECONCILIATION_ROWS, "173.28"),
    # a year of a large consumer over pages, the supplier owing at the start
    "dense": reconciliation_case(DENSE_RECONCILIATION_ROWS, "-1234567.89", start="2024-01-01", end="2024-12-31",
                                 drawn_on="2025-01-10", **DENSE_PARTIES),
}


def onboarding_cases(template: Template[Any]) -> dict[str, Case]:
    """The e-signature package's form, as the onboarding endpoint takes it."""
    ordinary = {
        "number": "ЕЦП-20240501-3F2A9C", "issued_on": "2024-05-01",
        "provider": {"name": "ТОВ «Мега-Білінг»", "edrpou": "37456124", "iban": "UA213223130000026007233566001",
                     "bank": "АТ «Тестбанк»", "address": "м. Київ", "phone": "+380 44 000 00 00",
                     "email": "eds@mega-billing.local"},
        "customer": {"name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678",
                     "address": "м. Дніпро, вул. Січеславська, 5"},
        "signer_name": "Ґалаґан Юлія Миколаївна", "signer_position": "Голова правління",
        "email": "buh@avto2.example", "price": "300.00", "vat_rate": "0.20"}
    dense = ordinary | {
        "number": "ЕЦП-20240501-3F2A9C-0123456789", "provider": LONG_SUPPLIER, "customer": LONG_CONSUMER,
        "signer_name": "Костянтиненко-Голубовська Олександра-Єлизавета Святославівна",
        "signer_position": "Заступник генерального директора з економічних питань та фінансового контролю",
        "email": "oleksandra-yelyzaveta.kostiantynenko-holubovska@kryvyi-rih-zbv-3.example.com",
        "price": "987654.32"}
    def unbroken(data: dict[str, Any]) -> list[str]:
        price = Decimal(data["price"])
        vat = (price * Decimal(data["vat_rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if template.document_type in ("eds_act_of_services", "eds_invoice"):
            return [money(price), money(vat), money(price + vat), *header_words(onboarding.SERVICE_COLUMNS)]
        if template.document_type in ("eds_public_contract", "eds_instructions"):
            return [money(vat), money(price + vat)]
        return []

    return {label: Case(template.document_type, data, unbroken(data))
            for label, data in (("ordinary", ordinary), ("dense", dense))}


CASES = {f"{case.document_type}-{label}": case for cases in (
    INVOICES, ACTS, TAX_INVOICES, CORRECTIONS, RECONCILIATIONS,
    *(onboarding_cases(template) for template in ONBOARDING_DOCUMENTS),
) for label, case in cases.items()}


def test_every_template_is_checked_with_ordinary_and_dense_data() -> None:
    checked = Counter(case.document_type for case in CASES.values())
    assert set(checked) == set(TEMPLATES.types()) and min(checked.values()) >= 2


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_the_pages_are_laid_out_for_print(case: Case) -> None:
    pdf = TEMPLATES.get(case.document_type).render(case.data)
    assert layout_problems(pdf, case.unbroken) == []
