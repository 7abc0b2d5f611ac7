"""DejaVu Sans for Cyrillic text, registered with reportlab once per process.

Every PDF embeds the subset of the font it uses. Subsetting and compressing a font program costs more than
drawing a whole page, and a billing day renders tens of thousands of pages that use the same letters, so:
every document starts its subset with the whole Ukrainian and Russian alphabet (then the subset is the same
for nearly all documents), and the compressed program of each subset is made once and reused; so are the
subset's widths and its ToUnicode map, written out once as PDF (formatting them number by number took a
quarter of a page's time).

reportlab keeps per-document state in its font objects and is not safe for rendering several documents at
once: the service renders on one thread (`documents.service.Runtime`).
"""

from __future__ import annotations

import functools
import threading
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, TTFontFace, makeToUnicodeCMap

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

#: letters every document's font subset begins with, beside ASCII (which reportlab always puts first)
COMMON_CHARACTERS = (
    "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
    "ЁЪЫЭёъыэ№«»–—’‘“”„…·×°₴"
)

_lock = threading.Lock()
_registered = False


class _ReusedSubsetFace(TTFontFace):
    """A font face that compresses each distinct subset's program once (reportlab does it per document)."""

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the faces live as long as the process
    def _program(self, subset: tuple[int, ...]) -> tuple[bytes, bytes]:
        program = self.makeSubset(list(subset))
        return program, zlib.compress(program)

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        # as reportlab's TTFontFace.addSubsetObjects, with the font program taken from the cache
        program, compressed = self._program(tuple(subset))
        font_file = pdfdoc.PDFStream()
        font_file.dictionary["Length1"] = len(program)
        if doc.compression:
            font_file.content = compressed
            # a stream that names its filter is written as it is (reportlab compresses only unfiltered ones)
            font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        else:
            font_file.content = program
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor",
            "Ascent": self.ascent,
            "CapHeight": self.capHeight,
            "Descent": self.descent,
            "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(self.bbox),
            "FontName": pdfdoc.PDFName(fontname),
            "ItalicAngle": self.italicAngle,
            "StemV": self.stemV,
            "FontFile2": font_file_ref,
            "MissingWidth": self.defaultWidth,
        })
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


class _Formatted(pdfdoc.PDFObject):
    """A PDF object written out once: its bytes, put into each document that uses it (a document numbers its own
    objects, so each gets an object of its own)."""

    def __init__(self, formatted: bytes) -> None:
        self.formatted = formatted

    def format(self, document: Any) -> bytes:
        return self.formatted


class _FormattedStream(_Formatted):
    __RefOnly__ = 1  # a stream is an object of its own, referred to


#: what formatting a stream asks of its document, when the document encrypts nothing
_UNENCRYPTED = SimpleNamespace(encrypt=pdfdoc.NoEncryption(), defaultStreamFilters=None)


class _CyrillicFont(TTFont):
    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.face.__class__ = _ReusedSubsetFace

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the fonts live as long as the process
    def _subset_objects(self, subset: tuple[int, ...], base_font_name: str, compression: bool) -> tuple[bytes, bytes]:
        """The subset's widths and ToUnicode stream, as PDF."""
        widths = pdfdoc.PDFArray([self.face.getCharWidth(code) for code in subset])
        to_unicode = pdfdoc.PDFStream(content=makeToUnicodeCMap(base_font_name, list(subset)),
                                      filters=[pdfdoc.PDFZCompress] if compression else None)
        return pdfdoc.format(widths, None), to_unicode.format(_UNENCRYPTED)

    def addObjects(self, doc: Any) -> None:
        # as reportlab's TTFont.addObjects, with the widths and the ToUnicode map of each subset taken from the cache
        state = self.state.get(doc) or self.state.setdefault(doc, TTFont.State(self._asciiReadable))
        state.frozen = 1
        for number, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(number, doc)[1:]
            base_font_name = b"".join((SUBSETN(number), b"+", self.face.name, self.face.subfontNameX)).decode("pdfdoc")
            widths, to_unicode = self._subset_objects(tuple(subset), base_font_name, bool(doc.compression))
            font = pdfdoc.PDFTrueTypeFont()
            font.Name = internal_name
            font.BaseFont = base_font_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = _Formatted(widths)
            font.ToUnicode = doc.Reference(_FormattedStream(to_unicode), "toUnicodeCMap:" + base_font_name)
            font.FontDescriptor = self.face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = font
        del self.state[doc]

    def splitString(self, text: str, doc: Any, encoding: str = "utf-8") -> Any:
        if doc not in self.state:
            # a new document: lay down the common letters first, in a fixed order, so the subset comes out the same
            super().splitString(COMMON_CHARACTERS, doc, encoding)
        return super().splitString(text, doc, encoding)


def register(font_dir: Path = DEFAULT_FONT_DIR) -> None:
    """Register the fonts (once; later calls do nothing). Fails at once when the font files are missing."""
    global _registered
    with _lock:
        if _registered:
            return
        for name, file_name in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
            path = font_dir / file_name
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: install fonts-dejavu-core or set CABINET_FONT_DIR")
            pdfmetrics.registerFont(_CyrillicFont(name, path))
        # <b> in paragraphs picks the bold face
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _registered = True
