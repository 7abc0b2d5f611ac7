"""Tax invoices: the manual's rows to the kopeck, the completeness check field by field, the XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.calculation import Totals
from billing.domain.tax_invoices import (
    NON_PAYER_IPN,
    CorrectedTaxInvoice,
    InvoiceLine,
    IssuedInvoice,
    Seller,
    TaxInvoice,
    TaxParty,
    build_correction,
    build_tax_invoice,
    check_completeness,
    document_type,
    ipn_fits,
    numbering_period,
    products,
    render_data,
    to_xml,
    xml_file_name,
)

D = Decimal
SELLER = Seller(TaxParty("ПАТ «ДТЕК ПЕМ-Енерговугілля»", "37456124", "374561204653"),
                compiler_name="Ґалаґан Юлія Миколаївна", compiler_tax_number="2345678901", tax_office="0425")
BUYER = TaxParty("Кооператив «Автомобіліст-2»", "12345678", "123456704651")
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def invoice(number: str, formed_on: date, *lines: InvoiceLine) -> IssuedInvoice:
    totals = Totals.of(line.amount for line in lines)
    return IssuedInvoice(number, formed_on, totals.amount_excl_vat, totals.vat, totals.total, tuple(lines))


def august(**changes: Any) -> TaxInvoice:
    issued = invoice("0789/8/1", date(2013, 8, 25), InvoiceLine("active", D("1250"), D("0.277248"), D("346.56")))
    return replace(build_tax_invoice(issued, number=1480, seller=SELLER, buyer=BUYER), **changes)


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 - our own output


# The manual's «Налоговые накладные» page: number, date, amount excl. VAT, VAT, total
MANUAL = [
    ("1480", "0789/8/1", date(2013, 8, 25), "346.56", "69.31", "415.87"),
    ("1755", "0789/7/1", date(2013, 7, 25), "313.42", "62.68", "376.10"),
    ("1671", "0789/6/1", date(2013, 6, 25), "393.07", "78.61", "471.68"),
    ("1606", "0789/5/1", date(2013, 5, 25), "457.82", "91.56", "549.38"),
    # VAT rounded down: half-up would make it 97.37
    ("1711", "0789/4/1", date(2013, 4, 25), "486.83", "97.36", "584.19"),
]


@pytest.mark.parametrize(("number", "invoice_number", "day", "base", "vat", "total"), MANUAL,
                         ids=[row[0] for row in MANUAL])
def test_the_manuals_rows_come_out_to_the_kopeck(
    number: str, invoice_number: str, day: date, base: str, vat: str, total: str
) -> None:
    # two meters at the day price and a night zone: a row per price, amounts the invoice's own rounded lines
    day_price, night_price = D("0.25"), D("0.138624")
    second_meter = D(base) - D("110.00")
    lines = (InvoiceLine("active", D("400"), day_price, D("100.00")),
             InvoiceLine("active", second_meter / day_price, day_price, second_meter),
             InvoiceLine("active", D("72.137"), night_price, D("10.00")))  # 9.99998... rounded
    tax_invoice = build_tax_invoice(invoice(invoice_number, day, *lines), number=int(number), seller=SELLER,
                                    buyer=BUYER)
    assert (tax_invoice.amount_excl_vat, tax_invoice.vat, tax_invoice.total) == (D(base), D(vat), D(total))
    assert tax_invoice.issued_on == day and tax_invoice.number == number
    assert [(row.quantity, row.price, row.amount) for row in tax_invoice.rows] == [
        (D("400") + second_meter / day_price, day_price, D(base) - D("10.00")),
        (D("72.137"), night_price, D("10.00"))]
    assert check_completeness(tax_invoice) == ()
    body = parse(to_xml(tax_invoice)).find("DECLARBODY")
    assert body is not None
    assert (body.findtext("R01G7"), body.findtext("R03G11"), body.findtext("R04G11")) == (base, vat, total)
    assert body.findtext("HNUM") == number


def test_a_row_is_electricity_in_kwh_at_the_price_excl_vat() -> None:
    (row,) = august().rows
    assert (row.description, row.unit, row.unit_code, row.product_code) == ("Електрична енергія", "кВт·год", "0415",
                                                                            "2716000000")
    assert (row.quantity, row.price, row.amount, row.vat_rate, row.vat) == (D("1250"), D("0.277248"), D("346.56"),
                                                                            D("20"), D("69.312000"))


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"number": ""}, "number"),
        ({"number": "0148"}, "number"),
        ({"number": "14-80"}, "number"),
        ({"seller": replace(SELLER, party=replace(SELLER.party, name=" "))}, "seller.name"),
        ({"seller": replace(SELLER, party=replace(SELLER.party, tax_number="3745612"))}, "seller.tax_number"),
        ({"seller": replace(SELLER, party=replace(SELLER.party, ipn=None))}, "seller.ipn"),
        # a legal entity's ІПН starts with its ЄДРПОУ code's first seven digits
        ({"seller": replace(SELLER, party=replace(SELLER.party, ipn="999999904653"))}, "seller.ipn"),
        ({"seller": replace(SELLER, party=replace(SELLER.party, vat_payer=False))}, "seller.vat_payer"),
        ({"seller": replace(SELLER, compiler_name=None)}, "seller.compiler_name"),
        ({"seller": replace(SELLER, compiler_tax_number="12345")}, "seller.compiler_tax_number"),
        ({"seller": replace(SELLER, tax_office="425")}, "seller.tax_office"),
        ({"buyer": replace(BUYER, name="")}, "buyer.name"),
        ({"buyer": replace(BUYER, tax_number="")}, "buyer.tax_number"),
        ({"buyer": replace(BUYER, ipn=None)}, "buyer.ipn"),
        ({"buyer": replace(BUYER, ipn="1234567046")}, "buyer.ipn"),
        ({"rows": ()}, "rows"),
        ({"vat": D("69.32")}, "vat"),
        ({"total": D("415.88")}, "total"),
        ({"amount_excl_vat": D("346.57")}, "amount_excl_vat"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_completeness_check_names_each_missing_or_wrong_field(changes: dict[str, Any], missing: str) -> None:
    assert missing in check_completeness(august(**changes))


@pytest.mark.parametrize(
    ("row_changes", "missing"),
    [
        ({"description": ""}, "rows.1.description"),
        ({"product_code": "27"}, "rows.1.product_code"),
        ({"unit": ""}, "rows.1.unit"),
        ({"unit_code": ""}, "rows.1.unit_code"),
        ({"quantity": D(0)}, "rows.1.quantity"),
        ({"price": D(0)}, "rows.1.price"),
        ({"vat": D("69.31")}, "rows.1.vat"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_completeness_check_names_each_field_of_a_row(row_changes: dict[str, Any], missing: str) -> None:
    tax_invoice = august()
    assert check_completeness(replace(tax_invoice, rows=(replace(tax_invoice.rows[0], **row_changes),))) == (missing,)


def test_the_unit_code_of_reactive_energy_is_the_suppliers_to_give() -> None:
    issued = invoice("0789/8/1", date(2013, 8, 25), InvoiceLine("active", D("1250"), D("0.277248"), D("346.56")),
                     InvoiceLine("reactive", D("300"), D("0.05"), D("15.00")))
    # not given: the row of reactive energy names its unit code as missing, rather than carry a made-up one
    tax_invoice = build_tax_invoice(issued, number=1480, seller=SELLER, buyer=BUYER)
    assert [row.unit for row in tax_invoice.rows] == ["кВт·год", "квар·год"]
    assert check_completeness(tax_invoice) == ("rows.2.unit_code",)
    # given (the supplier's setting): complete, and the XML carries it
    tax_invoice = build_tax_invoice(issued, number=1480, seller=SELLER, buyer=BUYER, sold=products("0999"))
    assert [row.unit_code for row in tax_invoice.rows] == ["0415", "0999"]
    assert check_completeness(tax_invoice) == ()
    body = parse(to_xml(tax_invoice)).find("DECLARBODY")
    assert body is not None and [element.text for element in body.iter("RXXXXG105_2S")] == ["0415", "0999"]


def test_a_complete_tax_invoice_of_a_vat_payer_buyer() -> None:
    """Every mandatory field of the form is there: the buyer's name, ЄДРПОУ and ІПН written as they are."""
    tax_invoice = august()
    assert check_completeness(tax_invoice) == ()
    body = parse(to_xml(tax_invoice)).find("DECLARBODY")
    assert body is not None
    assert [body.findtext(tag) for tag in ("HNAMEBUY", "HKBUY", "HTINBUY")] == [BUYER.name, BUYER.ipn, "12345678"]
    assert body.find("HTYPR").get(XSI_NIL) == "true"  # type: ignore[union-attr]
    # the same buyer without its ІПН: the check names it
    assert check_completeness(august(buyer=replace(BUYER, ipn=None))) == ("buyer.ipn",)


def test_a_buyer_who_is_no_vat_payer_is_written_the_conventional_way() -> None:
    tax_invoice = august(buyer=TaxParty("ФОП Петренко", "", None, vat_payer=False))
    assert check_completeness(tax_invoice) == ()
    body = parse(to_xml(tax_invoice)).find("DECLARBODY")
    assert body is not None
    assert (body.findtext("HKBUY"), body.findtext("HNAMEBUY"), body.findtext("HTYPR"), body.findtext("HORIG1")) == (
        NON_PAYER_IPN, "Неплатник", "02", "1")
    assert body.find("HTINBUY").get(XSI_NIL) == "true"  # type: ignore[union-attr]


def test_the_xml_is_a_j1201016_declaration_in_windows_1251() -> None:
    # an apostrophe outside windows-1251 (U+02BC) stays intact as a character reference
    buyer = replace(BUYER, name="Кооператив «Об\u02bcєднання»")
    xml = to_xml(august(buyer=buyer))
    assert xml.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    assert "Кооператив".encode("cp1251") in xml and b"&#700;" in xml
    root = parse(xml)
    assert root.tag == "DECLAR"
    head, body = root.find("DECLARHEAD"), root.find("DECLARBODY")
    assert head is not None and body is not None
    assert {child.tag: child.text for child in head} | {"LINKED_DOCS": None} == {
        "TIN": "37456124", "C_DOC": "J12", "C_DOC_SUB": "010", "C_DOC_VER": "16", "C_DOC_TYPE": "0",
        "C_DOC_CNT": "1480", "C_REG": "04", "C_RAJ": "25", "PERIOD_MONTH": "8", "PERIOD_TYPE": "1",
        "PERIOD_YEAR": "2013", "C_STI_ORIG": "0425", "C_DOC_STAN": "1", "LINKED_DOCS": None, "D_FILL": "25082013",
        "SOFTWARE": "cabinet",
    }
    assert head.find("LINKED_DOCS").get(XSI_NIL) == "true"  # type: ignore[union-attr]
    expected = {
        "HFILL": "25082013", "HNUM": "1480", "HNAMESEL": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "HKSEL": "374561204653",
        "HTINSEL": "37456124", "HNAMEBUY": "Кооператив «Об\u02bcєднання»", "HKBUY": "123456704651",
        "HTINBUY": "12345678", "R04G11": "415.87", "R03G11": "69.31", "R03G7": "69.31", "R01G7": "346.56",
        "RXXXXG3S": "Електрична енергія", "RXXXXG4": "2716000000", "RXXXXG4S": "кВт·год", "RXXXXG105_2S": "0415",
        "RXXXXG5": "1250", "RXXXXG6": "0.277248", "RXXXXG008": "20", "RXXXXG010": "346.56",
        "RXXXXG11_10": "69.312000", "HBOS": "Ґалаґан Юлія Миколаївна", "HKBOS": "2345678901",
    }
    assert {tag: body.findtext(tag) for tag in expected} == expected
    assert all(element.get("ROWNUM") == "1" for element in body if element.tag.startswith("RXXXX"))
    assert body.find("HORIG1").get(XSI_NIL) == "true"  # type: ignore[union-attr]


def test_rows_are_grouped_by_column_as_the_format_orders_them() -> None:
    issued = invoice("0789/8/1", date(2013, 8, 25), InvoiceLine("active", D("100"), D("0.3"), D("30.00")),
                     InvoiceLine("active", D("50"), D("0.15"), D("7.50")))
    body = parse(to_xml(build_tax_invoice(issued, number=7, seller=SELLER, buyer=BUYER))).find("DECLARBODY")
    assert body is not None
    table = [(element.tag, element.get("ROWNUM")) for element in body if element.tag.startswith("RXXXX")]
    assert table[:4] == [("RXXXXG3S", "1"), ("RXXXXG3S", "2"), ("RXXXXG4", "1"), ("RXXXXG4", "2")]


def lowering_correction() -> TaxInvoice:
    # the August invoice re-calculated with 100 kWh less: the difference of the totals, as billing corrects
    before = Totals.of([D("346.56")])
    after = Totals.of([D("318.84")])
    change = after - before
    correcting = IssuedInvoice("0789/8/1/П1", date(2013, 9, 5), change.amount_excl_vat, change.vat, change.total,
                               (InvoiceLine("active", D("-100"), D("0.277248"), D("-27.72")),))
    return build_correction(correcting, number=12, seller=SELLER, buyer=BUYER,
                            corrects=CorrectedTaxInvoice("1480", date(2013, 8, 25)))


def test_a_correction_refers_to_the_corrected_tax_invoice_with_the_changes() -> None:
    correction = lowering_correction()
    assert (correction.kind, correction.amount_excl_vat, correction.vat, correction.total) == (
        "correction", D("-27.72"), D("-5.55"), D("-33.27"))  # the change of two VATs each rounded down
    assert check_completeness(correction) == ()
    root = parse(to_xml(correction))
    assert root.findtext("DECLARHEAD/C_DOC_SUB") == "012"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation") == "J1201216.xsd"
    body = root.find("DECLARBODY")
    assert body is not None
    expected = {"HNUM": "12", "HFILL": "05092013", "HPODNUM": "1480", "HPODFILL": "25082013", "R001G03": "-5.55",
                "R01G9": "-27.72", "RXXXXG21": "102", "RXXXXG5": "-100", "RXXXXG010": "-27.72",
                "RXXXXG11_10": "-5.544000"}
    assert {tag: body.findtext(tag) for tag in expected} == expected


def test_a_corrections_vat_may_be_a_kopeck_off_twenty_per_cent_of_the_change() -> None:
    # 1.04 → VAT 0.20; 1.05 → VAT 0.21: the change 0.01 carries VAT 0.01, though 20 % of 0.01 rounds to 0.00
    change = Totals.of([D("1.05")]) - Totals.of([D("1.04")])
    correcting = IssuedInvoice("0789/8/1/П1", date(2013, 9, 5), change.amount_excl_vat, change.vat, change.total,
                               (InvoiceLine("active", D("0.01"), D("1"), D("0.01")),))
    correction = build_correction(correcting, number=13, seller=SELLER, buyer=BUYER,
                                  corrects=CorrectedTaxInvoice("1480", date(2013, 8, 25)))
    assert correction.vat == D("0.01")
    assert check_completeness(correction) == ()
    assert check_completeness(replace(correction, vat=D("0.03"), total=D("0.04"))) == ("vat",)


def test_a_correction_without_the_corrected_tax_invoice_is_incomplete() -> None:
    correction = lowering_correction()
    assert check_completeness(replace(correction, corrects=None)) == ("corrects.number", "corrects.issued_on")
    later = CorrectedTaxInvoice("1480", date(2013, 10, 1))
    assert check_completeness(replace(correction, corrects=later)) == ("corrects.issued_on",)


def test_a_correction_of_the_price_alone_keeps_the_quantity() -> None:
    correcting = IssuedInvoice("0789/8/1/П2", date(2013, 9, 6), D("5.00"), D("1.00"), D("6.00"),
                               (InvoiceLine("active", D("0"), D("0.281248"), D("5.00")),))
    correction = build_correction(correcting, number=14, seller=SELLER, buyer=BUYER,
                                  corrects=CorrectedTaxInvoice("1480", date(2013, 8, 25)))
    assert correction.rows[0].reason == "101"
    assert check_completeness(correction) == ()


def test_numbers_run_per_month_and_files_are_told_apart_by_date() -> None:
    assert numbering_period(date(2013, 8, 25)) == (2013, 8)
    assert xml_file_name(august()) == "tax-invoice-1480-2013-08-25.xml"
    assert xml_file_name(lowering_correction()) == "tax-invoice-correction-12-2013-09-05.xml"
    assert (document_type(august()), document_type(lowering_correction())) == ("tax_invoice",
                                                                               "tax_invoice_correction")


def test_ipn_of_a_legal_entity_and_of_a_natural_person() -> None:
    assert ipn_fits("123456704651", "12345678")
    assert not ipn_fits("123456804651", "12345678")
    assert ipn_fits("2345678901", "2345678901")
    assert not ipn_fits(None, "12345678")


@pytest.mark.parametrize("make", [august, lowering_correction], ids=["tax_invoice", "correction"])
def test_the_render_data_is_the_data_of_its_document_type(make: Any) -> None:
    tax_invoice = make()
    data = render_data(tax_invoice)
    assert data.document_type == document_type(tax_invoice)
    assert (data.number, data.total, data.buyer.edrpou) == (tax_invoice.number, tax_invoice.total,
                                                            tax_invoice.buyer.tax_number)
