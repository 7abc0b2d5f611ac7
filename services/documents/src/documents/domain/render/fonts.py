"""DejaVu Sans for Cyrillic text, registered with reportlab once per process.

Every PDF embeds the subset of the font it uses. Subsetting and compressing a font program costs more than
drawing a whole page, and a billing day renders tens of thousands of pages that use the same letters, so:
every document starts its subset with the whole Ukrainian and Russian alphabet (then the subset is the same
for nearly all documents), and the compressed program of each subset is made once and reused.

reportlab keeps per-document state in its font objects and is not safe for rendering several documents at
once: the service renders on one thread (`documents.service.Runtime`).
"""

from __future__ import annotations

import functools
import threading
import zlib
from pathlib import Path
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace

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


class _CyrillicFont(TTFont):
    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.face.__class__ = _ReusedSubsetFace

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
