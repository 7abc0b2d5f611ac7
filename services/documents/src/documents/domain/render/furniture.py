"""What every rendered document shares: page geometry, type styles, the running header and footer, and the
way dates, money and parties are written."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from documents.domain.render.fonts import BOLD, REGULAR
from documents.domain.render.lines import wrap
from shared.contracts.documents import Party, TaxParty

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 20 * mm
MARGIN_RIGHT = 15 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

BODY_SIZE = 9.5
BODY_LEADING = 12.5
RULE_COLOR = colors.HexColor("#4d4d4d")
MUTED_COLOR = colors.HexColor("#666666")
CENT = Decimal("0.01")

STYLES = {
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=16, alignment=TA_CENTER, spaceAfter=2 * mm),
    "subtitle": ParagraphStyle("subtitle", fontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_LEADING,
                               alignment=TA_CENTER, spaceAfter=4 * mm),
    "heading": ParagraphStyle("heading", fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=3 * mm,
                              spaceAfter=1.5 * mm),
    "body": ParagraphStyle("body", fontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_LEADING, spaceAfter=1.5 * mm),
    "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=BODY_SIZE, leading=BODY_LEADING),
    "cell_label": ParagraphStyle("cell_label", fontName=BOLD, fontSize=BODY_SIZE, leading=BODY_LEADING),
}


def party_lines(party: Party) -> list[str]:
    """The party's details as a block of lines under its name (a tax invoice's parties with their ІПН)."""
    lines = [party.name, f"код ЄДРПОУ {party.edrpou}"]
    if isinstance(party, TaxParty) and party.ipn:
        lines.append(f"ІПН {party.ipn}")
    if party.iban:
        lines.append(f"IBAN {party.iban}" + (f" в {party.bank}" if party.bank else ""))
    if party.address:
        lines.append(party.address)
    contacts = ", ".join(part for part in (f"тел. {party.phone}" if party.phone else "",
                                            f"e-mail {party.email}" if party.email else "") if part)
    if contacts:
        lines.append(contacts)
    return lines


def format_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def format_money(amount: Decimal) -> str:
    """`1 238.88`: hryvnias with kopecks, thousands apart."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}".replace(",", " ")


def amount_in_words(amount: Decimal) -> str:
    """`Одна тисяча двісті тридцять вісім гривень 88 копійок`, as invoices and acts write the total."""
    words = num2words(amount.quantize(CENT, rounding=ROUND_HALF_UP), lang="uk", to="currency", currency="UAH",
                      cents=False, separator="")
    return words[:1].upper() + words[1:]


#: the running header's and footer's type size, and the least it is made to fit a long name
RUNNING_SIZE = 7.5
RUNNING_MIN_SIZE = 5.5


@functools.lru_cache(maxsize=256)  # an issuer's name heads thousands of pages
def _fitted(text: str, size: float, width: float, max_lines: int) -> tuple[float, tuple[str, ...]]:
    """`text` in lines of `width`: at `size`, or smaller (half a point a step) until it takes `max_lines` at most."""
    lines = wrap(text, REGULAR, size, width)
    while len(lines) > max_lines and size > RUNNING_MIN_SIZE:
        size -= 0.5
        lines = wrap(text, REGULAR, size, width)
    return size, tuple(lines)


def _draw_upwards(canvas: Canvas, lines: Sequence[str], size: float, baseline: float, x: float) -> None:
    """Lines whose last stands on `baseline`, the others above it."""
    canvas.setFont(REGULAR, size)
    for index, line in enumerate(lines):
        canvas.drawString(x, baseline + (len(lines) - 1 - index) * size * 1.2, line)


def draw_running_text(canvas: Canvas, issuer: str, reference: str) -> None:
    """The header (who issues the document) and footer (its reference, the page) of every page."""
    canvas.saveState()
    canvas.setFillColor(MUTED_COLOR)
    canvas.setStrokeColor(RULE_COLOR)
    top = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
    size, lines = _fitted(issuer, RUNNING_SIZE, CONTENT_WIDTH, 2)
    _draw_upwards(canvas, lines, size, top, MARGIN_LEFT)
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN_LEFT, top - 1.5 * mm, PAGE_WIDTH - MARGIN_RIGHT, top - 1.5 * mm)
    bottom = MARGIN_BOTTOM - 8 * mm
    page = f"Сторінка {canvas.getPageNumber()}"
    canvas.setFont(REGULAR, RUNNING_SIZE)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, bottom, page)
    room = CONTENT_WIDTH - stringWidth(page, REGULAR, RUNNING_SIZE) - 5 * mm
    size, lines = _fitted(reference, RUNNING_SIZE, room, 1)
    _draw_upwards(canvas, lines, size, bottom, MARGIN_LEFT)
    canvas.restoreState()
