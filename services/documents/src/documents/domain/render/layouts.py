"""Page layouts document types are drawn with.

- `render_invoice_like`: the layout of invoices, acts and similar: parties, a table of lines, totals, the total
  in words, signatures. Drawn straight on the canvas (no layout engine), because billing renders it by the
  ten thousand.
- `render_text_document`: running text (contracts, applications, instructions) laid out by platypus.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import BaseDocTemplate

from documents.domain.render.fonts import BOLD, REGULAR
from documents.domain.render.furniture import (
    BODY_LEADING,
    BODY_SIZE,
    CONTENT_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE_COLOR,
    STYLES,
    Party,
    draw_running_text,
)

CELL_PADDING = 1.5 * mm
PARTY_LABEL_WIDTH = 32 * mm


@dataclass(frozen=True)
class Column:
    title: str
    #: share of the table's width
    weight: float
    align: Literal["left", "right", "center"] = "left"


@dataclass(frozen=True)
class Signature:
    #: e.g. "Від Постачальника"
    role: str
    name: str
    position: str = ""


@dataclass(frozen=True)
class InvoiceLikePage:
    #: the header line: who issues the document
    issuer: str
    #: the footer's reference, e.g. the document's number
    reference: str
    title: str
    subtitle: str = ""
    parties: Sequence[tuple[str, Party]] = ()
    columns: Sequence[Column] = ()
    rows: Sequence[Sequence[str]] = ()
    #: label → amount, under the table
    totals: Sequence[tuple[str, str]] = ()
    amount_in_words: str = ""
    notes: Sequence[str] = ()
    signatures: Sequence[Signature] = ()


class _TableRow:
    """One row of a table, its cells' text already broken into lines that fit the columns."""

    def __init__(self, columns: Sequence[Column], widths: Sequence[float], cells: Sequence[str], *,
                 header: bool) -> None:
        self.columns = columns
        self.widths = widths
        self.header = header
        self.font = BOLD if header else REGULAR
        self.lines = [simpleSplit(text, self.font, BODY_SIZE, width - 2 * CELL_PADDING) or [""]
                      for text, width in zip(cells, widths, strict=True)]
        self.height = max(len(lines) for lines in self.lines) * BODY_LEADING + 2 * CELL_PADDING


class _Pen:
    """Draws top to bottom, starting a new page (with the running text) when the next block does not fit."""

    def __init__(self, canvas: Canvas, issuer: str, reference: str) -> None:
        self.canvas = canvas
        self.issuer = issuer
        self.reference = reference
        self.y = PAGE_HEIGHT - MARGIN_TOP
        draw_running_text(canvas, issuer, reference)

    def make_room(self, height: float) -> bool:
        """True when a new page had to be started."""
        if self.y - height >= MARGIN_BOTTOM:
            return False
        self.canvas.showPage()
        draw_running_text(self.canvas, self.issuer, self.reference)
        self.y = PAGE_HEIGHT - MARGIN_TOP
        return True

    def text(self, text: str, *, font: str = REGULAR, size: float = BODY_SIZE, align: str = "left",
             gap_after: float = 0) -> None:
        x, width = MARGIN_LEFT, CONTENT_WIDTH
        lines = simpleSplit(text, font, size, width) or [""]
        leading = size * 1.3
        self.make_room(leading * len(lines))
        self.canvas.setFont(font, size)
        for line in lines:
            self.y -= leading
            if align == "center":
                self.canvas.drawCentredString(x + width / 2, self.y + size * 0.25, line)
            elif align == "right":
                self.canvas.drawRightString(x + width, self.y + size * 0.25, line)
            else:
                self.canvas.drawString(x, self.y + size * 0.25, line)
        self.y -= gap_after

    def party(self, label: str, party: Party) -> None:
        lines = party.lines()
        value_width = CONTENT_WIDTH - PARTY_LABEL_WIDTH
        wrapped = [simpleSplit(line, REGULAR if index else BOLD, BODY_SIZE, value_width) for index, line in
                   enumerate(lines)]
        self.make_room(BODY_LEADING * sum(len(chunk) for chunk in wrapped))
        self.canvas.setFont(BOLD, BODY_SIZE)
        self.canvas.drawString(MARGIN_LEFT, self.y - BODY_LEADING + BODY_SIZE * 0.25, f"{label}:")
        for index, chunk in enumerate(wrapped):
            self.canvas.setFont(BOLD if index == 0 else REGULAR, BODY_SIZE)
            for line in chunk:
                self.y -= BODY_LEADING
                self.canvas.drawString(MARGIN_LEFT + PARTY_LABEL_WIDTH, self.y + BODY_SIZE * 0.25, line)
        self.y -= 2 * mm

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
        total_weight = sum(column.weight for column in columns)
        widths = [CONTENT_WIDTH * column.weight / total_weight for column in columns]
        header = _TableRow(columns, widths, [column.title for column in columns], header=True)
        self.make_room(header.height)
        self._draw(header)
        for cells in rows:
            row = _TableRow(columns, widths, cells, header=False)
            if self.make_room(row.height):
                # the table goes on on a new page: its header comes again first
                self._draw(header)
            self._draw(row)
        self.y -= 2 * mm

    def _draw(self, row: _TableRow) -> None:
        canvas = self.canvas
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(RULE_COLOR)
        canvas.setFont(row.font, BODY_SIZE)
        x = MARGIN_LEFT
        for column, width, lines in zip(row.columns, row.widths, row.lines, strict=True):
            canvas.rect(x, self.y - row.height, width, row.height)
            align = "center" if row.header else column.align
            baseline = self.y - CELL_PADDING - BODY_LEADING + BODY_SIZE * 0.3
            for line in lines:
                if align == "right":
                    canvas.drawRightString(x + width - CELL_PADDING, baseline, line)
                elif align == "center":
                    canvas.drawCentredString(x + width / 2, baseline, line)
                else:
                    canvas.drawString(x + CELL_PADDING, baseline, line)
                baseline -= BODY_LEADING
            x += width
        self.y -= row.height

    def totals(self, totals: Sequence[tuple[str, str]]) -> None:
        for label, amount in totals:
            self.make_room(BODY_LEADING)
            self.y -= BODY_LEADING
            self.canvas.setFont(BOLD, BODY_SIZE)
            right = PAGE_WIDTH - MARGIN_RIGHT
            self.canvas.drawRightString(right, self.y + BODY_SIZE * 0.25, amount)
            self.canvas.drawRightString(right - 35 * mm, self.y + BODY_SIZE * 0.25, f"{label}:")
        self.y -= 2 * mm

    def signatures(self, signatures: Sequence[Signature]) -> None:
        if not signatures:
            return
        self.make_room(24 * mm)
        self.y -= 8 * mm
        # two columns at most wide, so that one signature does not get a line across the page
        width = CONTENT_WIDTH / max(2, len(signatures))
        for index, signature in enumerate(signatures):
            x = MARGIN_LEFT + index * width
            self.canvas.setFont(BOLD, BODY_SIZE)
            self.canvas.drawString(x, self.y, signature.role)
            self.canvas.setFont(REGULAR, BODY_SIZE)
            self.canvas.line(x, self.y - 9 * mm, x + width - 12 * mm, self.y - 9 * mm)
            self.canvas.drawString(x, self.y - 13 * mm, signature.name)
            if signature.position:
                self.canvas.drawString(x, self.y - 17 * mm, signature.position)
        self.y -= 20 * mm


def render_invoice_like(page: InvoiceLikePage) -> bytes:
    buffer = io.BytesIO()
    # invariant: the same content gives the same bytes (no timestamps, no random ids), so the store keeps it once
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1)
    canvas.setTitle(page.title)
    canvas.setAuthor(page.issuer)
    canvas.setSubject(page.reference)
    pen = _Pen(canvas, page.issuer, page.reference)
    pen.text(page.title, font=BOLD, size=13, align="center", gap_after=1 * mm)
    if page.subtitle:
        pen.text(page.subtitle, align="center", gap_after=3 * mm)
    for label, party in page.parties:
        pen.party(label, party)
    if page.columns:
        pen.y -= 2 * mm
        pen.table(page.columns, page.rows)
    pen.totals(page.totals)
    if page.amount_in_words:
        pen.text(f"Всього на суму: {page.amount_in_words}", font=BOLD, gap_after=2 * mm)
    for note in page.notes:
        pen.text(note, gap_after=1 * mm)
    pen.signatures(page.signatures)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# running text
# Paragraph text is markup: the helpers below take plain text and escape it.
def details_table(rows: Sequence[tuple[str, str]], label_width: float = 60 * mm) -> Table:
    """Label → value rows in a ruled table (form fields as the consumer filled them in)."""
    data = [[Paragraph(escape(label), STYLES["cell_label"]), Paragraph(escape(value), STYLES["cell"])]
            for label, value in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, RULE_COLOR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]))
    return table


def parties_table(parties: Sequence[tuple[str, Party]]) -> Table:
    """The parties' details side by side, as a contract ends."""
    cells = []
    for label, party in parties:
        name, *details = [escape(line) for line in party.lines()]
        text = f"<b>{escape(label)}</b><br/><b>{name}</b><br/>" + "<br/>".join(details)
        cells.append(Paragraph(text, STYLES["cell"]))
    table = Table([cells], colWidths=[CONTENT_WIDTH / len(parties)] * len(parties))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def signatures_table(signatures: Sequence[Signature]) -> Table:
    cells = [
        Paragraph(f"<b>{escape(signature.role)}</b><br/><br/><br/>____________________<br/>{escape(signature.name)}"
                  + (f"<br/>{escape(signature.position)}" if signature.position else ""), STYLES["cell"])
        for signature in signatures
    ]
    table = Table([cells], colWidths=[CONTENT_WIDTH / max(2, len(signatures))] * len(signatures))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 6 * mm)]))
    return table


def render_text_document(*, issuer: str, reference: str, title: str, subtitle: str, body: Sequence[Flowable]) -> bytes:
    buffer = io.BytesIO()

    def furniture(canvas: Canvas, _: BaseDocTemplate) -> None:
        draw_running_text(canvas, issuer, reference)

    # one frame exactly the content width (platypus pads its default frame), so text and tables line up
    frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    document = BaseDocTemplate(
        buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), title=title, author=issuer, subject=reference,
        invariant=True, pageCompression=1, pageTemplates=[PageTemplate(frames=[frame], onPage=furniture)],
    )
    story: list[Flowable] = [Paragraph(escape(title), STYLES["title"])]
    if subtitle:
        story.append(Paragraph(escape(subtitle), STYLES["subtitle"]))
    story.extend(body)
    story.append(Spacer(1, 2 * mm))
    document.build(story)
    return buffer.getvalue()
