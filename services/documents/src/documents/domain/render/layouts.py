"""Page layouts document types are drawn with.

- `render_invoice_like`: the layout of invoices, acts and similar: parties, a table of lines, totals, the total
  in words, signatures. Drawn straight on the canvas (no layout engine), because billing renders it by the
  ten thousand; the table's columns are as wide as their content asks (`_table_layout`), its text broken by
  `lines` (never inside a number).
- `render_text_document`: running text (contracts, applications, instructions) laid out by platypus.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
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
    draw_running_text,
    party_lines,
)
from documents.domain.render.lines import Piece, fit, measure, one_line, widest, wrap
from shared.contracts.documents import Party

#: a table of lines is set at the largest of these type sizes at which its figures (the cells of the columns not
#: aligned left: numbers, amounts, codes) fit on one line and its text (left-aligned) can be broken into lines, or
#: at the next smaller one if all its cells fit on one line there...
TABLE_SIZES = (9.0, 8.5, 8.0, 7.5)
#: ...else at the largest of these at which each column is as wide as its widest number, word or header word
DENSE_TABLE_SIZES = (7.5, 7.0, 6.5, 6.0)
TABLE_LEADING = 1.25
#: lines a column's header is kept to where the room allows (about: the header's one line divided by them)
HEADER_LINES = 2
CELL_PADDING_Y = 1.2 * mm
CELL_PADDING_X = 1.0 * mm
#: the running-text tables' padding (platypus)
TEXT_CELL_PADDING = 1.5 * mm
PARTY_LABEL_WIDTH = 32 * mm
TOTALS_MIN_AMOUNT_WIDTH = 35 * mm
#: between two signatures' lines
SIGNATURE_GAP = 12 * mm
#: between the parties' details side by side
PARTIES_GAP = 5 * mm


@dataclass(frozen=True)
class Column:
    title: str
    #: left: text, broken into lines as the room asks; right, center: figures, kept on one line where it can be
    align: Literal["left", "right", "center"] = "left"
    #: at least this wide (points), whatever it holds: room for what is written in by hand
    room: float = 0.0


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
    #: paragraphs between the parties and the table (what the table's columns are)
    preamble: Sequence[str] = ()
    columns: Sequence[Column] = ()
    rows: Sequence[Sequence[str]] = ()
    #: label → amount, under the table
    totals: Sequence[tuple[str, str]] = ()
    amount_in_words: str = ""
    notes: Sequence[str] = ()
    signatures: Sequence[Signature] = ()


@dataclass(frozen=True)
class _TableLayout:
    size: float
    widths: list[float]

    @property
    def leading(self) -> float:
        return self.size * TABLE_LEADING


def _table_layout(columns: Sequence[Column], header: Sequence[Sequence[Piece]],
                  body: Sequence[Sequence[Sequence[Piece]]]) -> _TableLayout:
    """Column widths from the content, much as browsers lay out tables, in levels: each column at least as wide as
    its widest unbreakable piece (a number, a serial, a header word); then its figures on one line; then all its
    cells on one line; then its header in about two lines; then its header on one line too. The widths are those of
    the highest level that fits, and the room left goes towards the levels above."""
    indices = range(len(columns))
    least = [max([widest(title), *(widest(row[index]) for row in body)]) for index, title in enumerate(header)]
    natural = [max([least[index], *(one_line(row[index], REGULAR) for row in body)]) for index in indices]
    figures = [least[index] if column.align == "left" else natural[index] for index, column in enumerate(columns)]
    header_lines = [one_line(title, BOLD) for title in header]
    headers = [max(natural[index], header_lines[index] / HEADER_LINES) for index in indices]
    full = [max(headers[index], header_lines[index]) for index in indices]
    padding = 2 * CELL_PADDING_X

    def widths(level: Sequence[float], size: float) -> list[float]:
        return [max(width * size + padding, column.room) for width, column in zip(level, columns, strict=True)]

    size = next((size for size in TABLE_SIZES if sum(widths(figures, size)) <= CONTENT_WIDTH), None)
    if size is not None and size != TABLE_SIZES[-1] and sum(widths(natural, size)) > CONTENT_WIDTH:
        # half a point smaller is worth it when it sets every cell on one line
        smaller = TABLE_SIZES[TABLE_SIZES.index(size) + 1]
        size = smaller if sum(widths(natural, smaller)) <= CONTENT_WIDTH else size
    if size is None:
        size = next((size for size in DENSE_TABLE_SIZES if sum(widths(least, size)) <= CONTENT_WIDTH),
                    DENSE_TABLE_SIZES[-1])
    levels = [widths(level, size) for level in (least, figures, natural, headers, full)]
    if sum(levels[0]) > CONTENT_WIDTH:
        # not even the smallest size fits every piece: the widest are broken between letters
        return _TableLayout(size, [CONTENT_WIDTH * width / sum(levels[0]) for width in levels[0]])
    fitting = max(index for index, level in enumerate(levels) if sum(level) <= CONTENT_WIDTH)
    result = list(levels[fitting])
    room = CONTENT_WIDTH - sum(result)
    # level by level, whole columns brought up, those that lack least first (a column given part of what it lacks
    # may break into as many lines as before); a header on one line is not worth another column's lines, so the
    # last level gets only what is left
    lacking: list[float] = []
    for level in levels[fitting + 1:]:
        wants = [max(0.0, want - have) for want, have in zip(level, result, strict=True)]
        for index in sorted(indices, key=wants.__getitem__):
            if wants[index] > room or level is levels[-1]:
                break
            result[index] += wants[index]
            room -= wants[index]
            wants[index] = 0
        lacking = lacking if sum(lacking) else wants
    # what is left goes to the columns in proportion to what they lack of the first level not reached (past the
    # last level: to their widths)
    shares = lacking if sum(lacking) else result
    return _TableLayout(size, [width + room * share / sum(shares) for width, share in zip(result, shares, strict=True)])


class _TableRow:
    """One row of a table, its cells' text already broken into lines that fit the columns."""

    def __init__(self, columns: Sequence[Column], layout: _TableLayout, cells: Sequence[Sequence[Piece]], *,
                 header: bool) -> None:
        self.columns = columns
        self.layout = layout
        self.header = header
        self.font = BOLD if header else REGULAR
        self.lines = [fit(text, self.font, layout.size, width - 2 * CELL_PADDING_X)
                      for text, width in zip(cells, layout.widths, strict=True)]
        self.height = max(len(lines) for lines in self.lines) * layout.leading + 2 * CELL_PADDING_Y


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
        lines = wrap(text, font, size, width)
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
        lines = party_lines(party)
        value_width = CONTENT_WIDTH - PARTY_LABEL_WIDTH
        wrapped = [wrap(line, REGULAR if index else BOLD, BODY_SIZE, value_width) for index, line in
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
        titles = [measure(column.title, BOLD) for column in columns]
        cells = [[measure(text, REGULAR) for text in row] for row in rows]
        layout = _table_layout(columns, titles, cells)
        header = _TableRow(columns, layout, titles, header=True)
        self.make_room(header.height)
        self._draw(header)
        for row_cells in cells:
            row = _TableRow(columns, layout, row_cells, header=False)
            if self.make_room(row.height):
                # the table goes on on a new page: its header comes again first
                self._draw(header)
            self._draw(row)
        self.y -= 2 * mm

    def _draw(self, row: _TableRow) -> None:
        canvas = self.canvas
        size, leading = row.layout.size, row.layout.leading
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(RULE_COLOR)
        canvas.setFont(row.font, size)
        x = MARGIN_LEFT
        lines_in_row = max(len(lines) for lines in row.lines)
        for column, width, lines in zip(row.columns, row.layout.widths, row.lines, strict=True):
            canvas.rect(x, self.y - row.height, width, row.height)
            align = "center" if row.header else column.align
            # the body's cells start at the top; a header's shorter titles stand in the middle of the row
            shift = (lines_in_row - len(lines)) * leading / 2 if row.header else 0
            baseline = self.y - CELL_PADDING_Y - shift - leading + (leading - size) / 2 + size * 0.24
            for line in lines:
                if align == "right":
                    canvas.drawRightString(x + width - CELL_PADDING_X, baseline, line)
                elif align == "center":
                    canvas.drawCentredString(x + width / 2, baseline, line)
                else:
                    canvas.drawString(x + CELL_PADDING_X, baseline, line)
                baseline -= leading
            x += width
        self.y -= row.height

    def totals(self, totals: Sequence[tuple[str, str]]) -> None:
        right = PAGE_WIDTH - MARGIN_RIGHT
        amount_width = max([TOTALS_MIN_AMOUNT_WIDTH, *(stringWidth(amount, BOLD, BODY_SIZE) + 6 * mm
                                                       for _, amount in totals)])
        for label, amount in totals:
            self.make_room(BODY_LEADING)
            self.y -= BODY_LEADING
            self.canvas.setFont(BOLD, BODY_SIZE)
            self.canvas.drawRightString(right, self.y + BODY_SIZE * 0.25, amount)
            self.canvas.drawRightString(right - amount_width, self.y + BODY_SIZE * 0.25, f"{label}:")
        self.y -= 2 * mm

    def signatures(self, signatures: Sequence[Signature]) -> None:
        if not signatures:
            return
        # two columns at least, so that one signature does not get a line across the page
        width = CONTENT_WIDTH / max(2, len(signatures))
        text_width = width - SIGNATURE_GAP
        blocks = [(wrap(signature.role, BOLD, BODY_SIZE, text_width),
                   [line for text in (signature.name, signature.position) if text
                    for line in wrap(text, REGULAR, BODY_SIZE, text_width)]) for signature in signatures]
        # the role, 9 mm down to the line to sign on, the name and position under it
        height = 8 * mm + max((len(role) - 1) * BODY_LEADING + 13 * mm + len(names) * BODY_LEADING
                              for role, names in blocks)
        self.make_room(height)
        top = self.y - 8 * mm
        for index, (role, names) in enumerate(blocks):
            x = MARGIN_LEFT + index * width
            baseline = top
            self.canvas.setFont(BOLD, BODY_SIZE)
            for line in role:
                self.canvas.drawString(x, baseline, line)
                baseline -= BODY_LEADING
            rule = baseline + BODY_LEADING - 9 * mm
            self.canvas.line(x, rule, x + text_width, rule)
            baseline = rule - 4 * mm
            self.canvas.setFont(REGULAR, BODY_SIZE)
            for line in names:
                self.canvas.drawString(x, baseline, line)
                baseline -= BODY_LEADING
        self.y -= height


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
    for paragraph in page.preamble:
        pen.text(paragraph, gap_after=1 * mm)
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
        ("TOPPADDING", (0, 0), (-1, -1), TEXT_CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), TEXT_CELL_PADDING),
    ]))
    return table


def parties_table(parties: Sequence[tuple[str, Party]]) -> Table:
    """The parties' details side by side, as a contract ends."""
    cells = []
    for label, party in parties:
        name, *details = [escape(line) for line in party_lines(party)]
        text = f"<b>{escape(label)}</b><br/><b>{name}</b><br/>" + "<br/>".join(details)
        cells.append(Paragraph(text, STYLES["cell"]))
    table = Table([cells], colWidths=[CONTENT_WIDTH / len(parties)] * len(parties))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), PARTIES_GAP)]))
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
