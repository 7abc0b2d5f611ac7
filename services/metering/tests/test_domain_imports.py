"""Reading import files: CSV and XML as the help page describes them, every bad line with its number and reason,
a file that cannot be read refused whole, and XML that tries to expand or fetch anything refused."""

from __future__ import annotations

import pytest

from metering.domain.imports import (
    MAX_IMPORT_BYTES,
    ImportedLine,
    ImportProblem,
    ImportRefused,
    parse_import,
)

GOOD_CSV = "meter_serial;energy;zone;value;rollover\nA-1;active;1;12345,6;\nA-1;R;2;10;1\n"


def test_csv_with_semicolons_decimal_commas_and_register_letters() -> None:
    parsed = parse_import("readings.CSV", ("\ufeff" + GOOD_CSV).encode(), "2026-11")
    assert parsed.problems == []
    assert parsed.lines == [
        ImportedLine(2, "A-1", "active", 1, "12345,6", False),
        ImportedLine(3, "A-1", "reactive", 2, "10", True),
    ]


def test_csv_with_commas_any_column_order_and_no_rollover_column() -> None:
    text = "Zone,Value,Meter_Serial,Energy\n1,5.5,A-1,a\n\n2,7,A-1,active\n"
    parsed = parse_import("r.csv", text.encode(), "2026-11")
    # the blank line 3 is skipped but counted
    assert [(line.line, line.zone, line.value) for line in parsed.lines] == [(2, 1, "5.5"), (4, 2, "7")]


def test_every_bad_csv_line_is_reported_with_its_number() -> None:
    text = ("meter_serial;energy;zone;value;rollover\n"
            "A-1;active;1;5;\n"
            ";active;1;5;\n"
            "A-1;apparent;x;5;yes\n"
            "A-1;active;1\n")
    parsed = parse_import("r.csv", text.encode(), "2026-11")
    assert [line.line for line in parsed.lines] == [2]
    assert parsed.problems == [
        ImportProblem(3, "meter_serial", "required"),
        ImportProblem(4, "energy", "energy_invalid", "A-1"),
        ImportProblem(4, "zone", "zone_invalid", "A-1"),
        ImportProblem(4, "rollover", "rollover_invalid", "A-1"),
        ImportProblem(5, "line", "columns_invalid"),
    ]


@pytest.mark.parametrize(("name", "content", "code", "line"), [
    ("r.txt", GOOD_CSV.encode(), "file_type_invalid", None),
    ("readings", GOOD_CSV.encode(), "file_type_invalid", None),
    ("r.csv", b"", "file_empty", None),
    ("r.csv", b"meter_serial;energy;zone;value\n", "file_empty", None),
    ("r.csv", b"serial;energy;zone;value\nA;active;1;5\n", "header_invalid", 1),
    ("r.csv", b"meter_serial;energy;zone;value;value\n", "header_invalid", 1),
    ("r.csv", "meter_serial;energy;zone;value\nЛ;active;1;5\n".encode("cp1251"), "encoding_invalid", None),
    ("r.csv", b"x" * (MAX_IMPORT_BYTES + 1), "file_too_large", None),
    # a field over the csv module's limit (128 KiB)
    ("r.csv", b"meter_serial;energy;zone;value\nA;active;1;" + b"9" * 200_000 + b"\n", "csv_invalid", 2),
    ("r.xml", b"<readings><meter serial='A'><value", "xml_invalid", 1),
    ("r.xml", b"<readings period='2026-11'></readings>", "file_empty", None),
])
def test_files_that_cannot_be_read_are_refused_whole(name: str, content: bytes, code: str, line: int | None) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_import(name, content, "2026-11")
    assert (refused.value.code, refused.value.line) == (code, line)


def test_xml_readings_at_the_line_of_their_element() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<readings period="2026-11">
  <meter serial="A-1">
    <value energy="active" zone="1" rollover="false">12345.6</value>
    <value energy="reactive" zone="1" rollover="true">
      17
    </value>
  </meter>
  <meter serial="B-2"><value energy="A" zone="1">5</value></meter>
</readings>
"""
    parsed = parse_import("r.xml", xml.encode(), "2026-11")
    assert parsed.problems == []
    assert [(line.line, line.meter_serial, line.energy, line.value.strip(), line.rollover)
            for line in parsed.lines] == [
        (4, "A-1", "active", "12345.6", False), (5, "A-1", "reactive", "17", True), (9, "B-2", "active", "5", False),
    ]


def test_bad_xml_lines_are_reported() -> None:
    xml = """<readings period="2026-10">
<meter serial="A-1">
<value energy="active" zone="one">5</value>
<reading energy="active" zone="1">5</reading>
</meter>
<meter><value energy="active" zone="1" rollover="maybe">5</value></meter>
</readings>"""
    parsed = parse_import("r.xml", xml.encode(), "2026-11")
    assert parsed.lines == []
    assert parsed.problems == [
        ImportProblem(1, "period", "period_mismatch"),
        ImportProblem(3, "zone", "zone_invalid", "A-1"),
        ImportProblem(4, "element", "element_unexpected"),
        ImportProblem(6, "meter_serial", "required"),
        ImportProblem(6, "rollover", "rollover_invalid"),
    ]


@pytest.mark.parametrize("xml", [
    # the billion laughs: entities expanding into gigabytes
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    b"<readings><meter serial='&b;'/></readings>",
    # an external entity reading a local file
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><readings>&x;</readings>',
])
def test_xml_that_declares_anything_is_refused(xml: bytes) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_import("r.xml", xml, "2026-11")
    assert refused.value.code == "xml_forbidden"
