"""Reading files the consumer imports (the formats of docs/api-metering.md, also on the cabinet's help page).

CSV (UTF-8, `;` or `,` separated, a header line): `meter_serial;energy;zone;value;rollover`. XML:
`<readings period="2026-11"><meter serial="..."><value energy="active" zone="1" rollover="false">12345.6</value>
</meter></readings>`. Lines are numbered from 1, the CSV header included; an XML reading is at the line of its
`<value>` element. Parsing only reads the file: which meter a serial is, and whether a value fits it, is for the
readings rules. A file the parser cannot read at all is refused as a whole (`ImportRefused`); otherwise every bad
line is reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from metering.domain.readings import Energy

MAX_IMPORT_BYTES = 1024 * 1024
CSV_COLUMNS = ("meter_serial", "energy", "zone", "value", "rollover")
_REQUIRED_COLUMNS = frozenset(CSV_COLUMNS) - {"rollover"}
_ENERGIES = {"active": Energy.ACTIVE, "a": Energy.ACTIVE, "reactive": Energy.REACTIVE, "r": Energy.REACTIVE}
_CSV_ROLLOVER = {"": False, "0": False, "1": True}
_XML_ROLLOVER = {"": False, "0": False, "false": False, "1": True, "true": True}


@dataclass(frozen=True)
class ImportedLine:
    line: int
    meter_serial: str
    energy: str
    zone: int
    value: str
    rollover: bool


@dataclass(frozen=True)
class ImportProblem:
    line: int
    field: str
    code: str
    #: the serial the bad line names, if it could be read
    meter_serial: str = ""


class ImportRefused(ValueError):
    """The file as a whole cannot be read: `code` says why, `line` where, when known."""

    def __init__(self, code: str, line: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.line = line


@dataclass
class ParsedImport:
    lines: list[ImportedLine] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    def add(self, line: int, meter_serial: str, energy: str, zone: str, value: str, rollover: str,
            rollovers: dict[str, bool]) -> None:
        """One reading as the file wrote it: each field checked for what a file alone can tell."""
        serial = meter_serial.strip()
        problems = []
        if not serial:
            problems.append(ImportProblem(line, "meter_serial", "required"))
        known_energy = _ENERGIES.get(energy.strip().lower())
        if known_energy is None:
            problems.append(ImportProblem(line, "energy", "energy_invalid", serial))
        zone_number = zone.strip()
        if not (zone_number.isascii() and zone_number.isdigit()):
            problems.append(ImportProblem(line, "zone", "zone_invalid", serial))
        declared = rollovers.get(rollover.strip().lower())
        if declared is None:
            problems.append(ImportProblem(line, "rollover", "rollover_invalid", serial))
        self.problems.extend(problems)
        if not problems:
            assert known_energy is not None and declared is not None
            self.lines.append(ImportedLine(line, serial, known_energy, int(zone_number), value, declared))


def parse_import(file_name: str, content: bytes, period: str) -> ParsedImport:
    """The readings of a `.csv` or `.xml` file; `period` is the one the file is imported for."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused("file_too_large")
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension == "csv":
        parsed = _parse_csv(_text(content))
    elif extension == "xml":
        parsed = _parse_xml(content, period)
    else:
        raise ImportRefused("file_type_invalid")
    if not parsed.lines and not parsed.problems:
        raise ImportRefused("file_empty")
    return parsed


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("encoding_invalid") from None


def _parse_csv(text: str) -> ParsedImport:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ImportRefused("file_empty")
    delimiter = ";" if ";" in lines[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parsed = ParsedImport()
    try:
        header = [name.strip().lower() for name in next(reader)]
        if len(header) != len(set(header)) or not _REQUIRED_COLUMNS <= set(header) <= set(CSV_COLUMNS):
            raise ImportRefused("header_invalid", line=1)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                parsed.problems.append(ImportProblem(line, "line", "columns_invalid"))
                continue
            cells = dict(zip(header, row, strict=True))
            parsed.add(line, cells["meter_serial"], cells["energy"], cells["zone"], cells["value"],
                       cells.get("rollover", ""), _CSV_ROLLOVER)
    except csv.Error:
        raise ImportRefused("csv_invalid", line=reader.line_num) from None
    return parsed


class _ReadingsHandler(ContentHandler):
    """`<readings>` → `<meter serial>` → `<value energy zone rollover>text</value>`; anything else is a bad line."""

    def __init__(self, period: str) -> None:
        super().__init__()
        self.period = period
        self.parsed = ParsedImport()
        self._locator: Locator | None = None
        self._path: list[str] = []
        self._serial = ""
        self._value: dict[str, Any] | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self._locator = locator

    def _line(self) -> int:
        return (self._locator.getLineNumber() or 0) if self._locator else 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = self._line()
        expected = {0: "readings", 1: "meter", 2: "value"}.get(len(self._path))
        self._path.append(name)
        if name != expected:
            self.parsed.problems.append(ImportProblem(line, "element", "element_unexpected"))
            return
        if name == "readings":
            declared = attrs.get("period")
            if declared is not None and declared.strip() != self.period:
                self.parsed.problems.append(ImportProblem(line, "period", "period_mismatch"))
        elif name == "meter":
            self._serial = attrs.get("serial", "")
        else:
            self._value = {"line": line, "energy": attrs.get("energy", ""), "zone": attrs.get("zone", ""),
                           "rollover": attrs.get("rollover", ""), "text": []}

    def characters(self, content: str) -> None:
        if self._value is not None and self._path[-1] == "value":
            self._value["text"].append(content)

    def endElement(self, name: str) -> None:
        if name == "value" and self._value is not None and len(self._path) == 3:
            value = self._value
            self.parsed.add(value["line"], self._serial, value["energy"], value["zone"], "".join(value["text"]),
                            value["rollover"], _XML_ROLLOVER)
            self._value = None
        self._path.pop()


def _parse_xml(content: bytes, period: str) -> ParsedImport:
    handler = _ReadingsHandler(period)
    try:
        # no DTDs, entities nor external references: a file from outside must not expand or fetch anything
        defusedxml.sax.parseString(content, handler, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ImportRefused("xml_forbidden") from None
    except SAXException as exc:
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        raise ImportRefused("xml_invalid", line=line) from None
    return handler.parsed
