"""Breaking text into lines that fit a width, the way documents must print: at spaces, but never inside a number
written with its thousands apart (`16 067.16`), and a lone sign stays with its neighbour (`0.962667` / `× 1.5`,
`999 990 *`, `№ 3`). Only a piece wider than the whole line is broken between letters, so that nothing runs out of
its place.

Widths are measured once per piece at size 1 (a TrueType string's width grows linearly with the size), so a table
can try several type sizes without measuring again; the widths of pieces that recur (headers, units, zone names)
are kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from reportlab.pdfbase.pdfmetrics import stringWidth

#: a group of three digits after a digit: the thousands of a number (`067.16` of `16 067.16`, `000` of `1 000`)
_THOUSANDS = re.compile(r"\d{3}(?:[.,]\d+)?[%),.:;]?$")

#: a piece of text that is not broken, with its width at size 1
Piece = tuple[str, float]


@functools.lru_cache(maxsize=8192)
def width_at_one(text: str, font: str) -> float:
    """The width of `text` in `font` at size 1 (points)."""
    return float(stringWidth(text, font, 1))


#: lone signs that end what comes before them (a dash does not begin a line); other lone signs (`×`, `№`) begin
#: what comes after them
_CLOSING_SIGNS = frozenset("—–-*:;,.!?)»")


def _is_sign(word: str) -> bool:
    return len(word) == 1 and not word.isalnum()


def pieces(text: str) -> list[str]:
    """`text` cut where a line may break."""
    words = text.split()
    if len(words) < 2:
        return words
    result: list[str] = []
    for word in words:
        if result and (
            (_is_sign(result[-1]) and result[-1] not in _CLOSING_SIGNS)
            or (_is_sign(word) and word in _CLOSING_SIGNS)
            or (result[-1][-1].isdigit() and _THOUSANDS.match(word))
        ):
            result[-1] += " " + word
        else:
            result.append(word)
    if len(result) > 1 and _is_sign(result[-1]):
        result[-2:] = [f"{result[-2]} {result[-1]}"]
    return result


def measure(text: str, font: str) -> list[Piece]:
    return [(piece, width_at_one(piece, font)) for piece in pieces(text)]


def widest(measured: Sequence[Piece]) -> float:
    """The narrowest width (at size 1) the text can be set in without breaking a piece."""
    return max((width for _, width in measured), default=0.0)


def one_line(measured: Sequence[Piece], font: str) -> float:
    """The width (at size 1) of the text set on one line."""
    if not measured:
        return 0.0
    return sum(width for _, width in measured) + width_at_one(" ", font) * (len(measured) - 1)


def fit(measured: Sequence[Piece], font: str, size: float, width: float) -> list[str]:
    """Measured text broken into lines no wider than `width` at `size`; one empty line for no text."""
    space = width_at_one(" ", font) * size
    lines: list[str] = []
    line, used = "", 0.0
    for piece, piece_width in measured:
        piece_width *= size
        if line and used + space + piece_width <= width:
            line, used = f"{line} {piece}", used + space + piece_width
            continue
        if line:
            lines.append(line)
        if piece_width <= width:
            line, used = piece, piece_width
        else:
            *whole, line = _between_letters(piece, font, size, width)
            lines.extend(whole)
            used = stringWidth(line, font, size)
    lines.append(line)
    return lines


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    return fit(measure(text, font), font, size, width)


def _between_letters(piece: str, font: str, size: float, width: float) -> list[str]:
    """A piece wider than a line, broken between letters (at least one letter a line)."""
    lines, line = [], ""
    for letter in piece:
        if line and stringWidth(line + letter, font, size) > width:
            lines.append(line)
            line = ""
        line += letter
    lines.append(line)
    return lines
