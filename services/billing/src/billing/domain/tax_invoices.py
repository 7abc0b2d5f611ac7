"""Tax invoices (податкові накладні) and their corrections (розрахунок коригування, додаток 2): pure rules, no I/O.

One tax invoice is issued for each invoice, on the invoice's formation date, for the same amounts; a correcting
invoice (`…/П<n>`) gets a correction calculation that refers to the tax invoice of the invoice it corrects.
The amounts are the invoice's own (`billing.domain.calculation`: amount excl. VAT = the sum of its lines, VAT =
20 % of it rounded down to kopecks, total = both): the tax invoice never rounds differently from the invoice.
`check_completeness` lists the mandatory fields that are missing or wrong, so a consumer can check a tax invoice
before the supplier registers it in the state register (ЄРПН).

Numbers are digits only and run **per seller per calendar month**, from 1, as the manual's numbers show (1711 in
April, 1606 in May, 1671 in June 2013): the caller keeps one counter per (seller's tax number, year, month) and
takes the next value in the transaction that issues the tax invoice; `numbering_period` gives the month.

The machine-readable XML is modelled on the DPS declaration formats J1201016 (tax invoice) and J1201216
(correction calculation): `DECLAR` with `DECLARHEAD` (who files what for which period) and `DECLARBODY` with the
form's fields (`HNUM` number, `HFILL` date `ddmmyyyy`, `HNAMESEL`/`HKSEL`/`HTINSEL` seller's name, VAT payer number
(ІПН) and tax number (ЄДРПОУ), the same `…BUY` for the buyer, `R…` totals, `RXXXXG…` table columns, one element per
row with `ROWNUM`, grouped by column as the format orders them; `HBOS`/`HKBOS` who compiled it). Empty fields are
written `xsi:nil="true"`. The encoding is windows-1251, the encoding of the DPS declaration formats; a character
outside it is written as a character reference, so the file stays well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from billing.domain.calculation import ACTIVE, CENT, REACTIVE
from shared.contracts import documents as rendered
from shared.contracts.documents import NON_PAYER_IPN
from shared.vat import VAT_RATE, vat_of

#: the rate as the tax invoice form writes it, in per cent
VAT_PERCENT = VAT_RATE * 100
#: the tax invoice form writes a row's VAT with six decimals; the total is rounded to kopecks
ROW_VAT_QUANTUM = Decimal("0.000001")
#: "the tax invoice is not given to the buyer", reason 02: the buyer is not a VAT payer
NOT_GIVEN_NON_PAYER = "02"
#: reasons of a correction row: a change of the price, of the quantity supplied
CORRECTION_PRICE_CHANGED = "101"
CORRECTION_QUANTITY_CHANGED = "102"
XML_ENCODING = "windows-1251"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

TaxInvoiceKind = Literal["tax_invoice", "correction"]


@dataclass(frozen=True, slots=True)
class Product:
    description: str
    #: the unit's name and its code in the classifier of units (ДК 011-96)
    unit: str
    unit_code: str
    #: УКТ ЗЕД code, 10 digits
    product_code: str


ELECTRICITY = Product("Електрична енергія", "кВт·год", "0415", "2716000000")
REACTIVE_ENERGY = Product("Перетікання реактивної електричної енергії", "квар·год", "", "2716000000")
_UNKNOWN_PRODUCT = Product("", "", "", "")


def products(reactive_unit_code: str | None) -> Mapping[str, Product]:
    """The product an invoice line's register bills. The classifier code of kvar·h is the supplier's to give (a
    setting, as its other tax details): it is not written here from memory, and until it is given the completeness
    check names it on the rows concerned rather than send the tax service a made-up code."""
    return {ACTIVE: ELECTRICITY, REACTIVE: replace(REACTIVE_ENERGY, unit_code=reactive_unit_code or "")}


#: the products of a supplier that has not given the code of kvar·h
PRODUCTS = products(None)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    #: the meter register: "active" or "reactive"
    register: str
    #: kWh (kvarh); for a correcting invoice the change, negative when it lowers
    volume: Decimal
    #: UAH per unit excl. VAT
    price: Decimal
    #: UAH excl. VAT, rounded to kopecks by the invoice
    amount: Decimal


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    number: str
    formed_on: date
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal
    lines: tuple[InvoiceLine, ...]


@dataclass(frozen=True, slots=True)
class TaxParty:
    name: str
    #: the payer's tax number: ЄДРПОУ code of a legal entity (РНОКПП of a natural person)
    tax_number: str
    #: the VAT payer's individual tax number (ІПН, 12 digits for a legal entity); None when not known
    ipn: str | None
    vat_payer: bool = True


@dataclass(frozen=True, slots=True)
class Seller:
    """The supplier as it issues tax invoices."""

    party: TaxParty
    #: the person who compiles (signs) tax invoices, and their РНОКПП
    compiler_name: str | None = None
    compiler_tax_number: str | None = None
    #: the code of the tax office the supplier files with (4 digits: region, district)
    tax_office: str | None = None


@dataclass(frozen=True, slots=True)
class CorrectedTaxInvoice:
    number: str
    issued_on: date


@dataclass(frozen=True, slots=True)
class TaxInvoiceRow:
    description: str
    product_code: str
    unit: str
    unit_code: str
    #: for a correction: the change of the quantity
    quantity: Decimal
    price: Decimal
    #: excl. VAT; for a correction: the change
    amount: Decimal
    vat_rate: Decimal
    #: the row's VAT with six decimals
    vat: Decimal
    #: for a correction: the reason code of the row
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TaxInvoice:
    kind: TaxInvoiceKind
    #: digits only, per seller per month
    number: str
    issued_on: date
    #: the invoice it is issued for
    invoice_number: str
    seller: Seller
    buyer: TaxParty
    rows: tuple[TaxInvoiceRow, ...]
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal
    #: per cent
    vat_rate: Decimal = VAT_PERCENT
    #: for a correction: the tax invoice it corrects
    corrects: CorrectedTaxInvoice | None = None


def numbering_period(issued_on: date) -> tuple[int, int]:
    """(year, month): the period whose counter gives a tax invoice issued on that day its number."""
    return issued_on.year, issued_on.month


def build_tax_invoice(invoice: IssuedInvoice, *, number: int, seller: Seller, buyer: TaxParty,
                      sold: Mapping[str, Product] = PRODUCTS) -> TaxInvoice:
    """The tax invoice of an invoice, dated as the invoice, with its amounts."""
    return TaxInvoice("tax_invoice", str(number), invoice.formed_on, invoice.number, seller, buyer,
                      _rows(invoice.lines, sold, correction=False), invoice.amount_excl_vat, invoice.vat,
                      invoice.total)


def build_correction(
    correcting_invoice: IssuedInvoice, *, number: int, seller: Seller, buyer: TaxParty,
    corrects: CorrectedTaxInvoice, sold: Mapping[str, Product] = PRODUCTS,
) -> TaxInvoice:
    """The correction calculation of a correcting invoice: its rows and totals are the changes (negative when
    the correction lowers the amount), referring to the tax invoice of the corrected invoice."""
    invoice = correcting_invoice
    return TaxInvoice("correction", str(number), invoice.formed_on, invoice.number, seller, buyer,
                      _rows(invoice.lines, sold, correction=True), invoice.amount_excl_vat,
                      invoice.vat, invoice.total, corrects=corrects)


#: a row's quantity and amount before its first line
_NONE_YET = (Decimal(0), Decimal(0))


def _rows(lines: Sequence[InvoiceLine], sold: Mapping[str, Product], *,
          correction: bool) -> tuple[TaxInvoiceRow, ...]:
    """One row per product and price (an invoice has a line per meter and zone): quantities and the invoice's
    rounded amounts are added up, so the rows add up to the invoice's amount exactly."""
    groups: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    for line in lines:
        key = (line.register, line.price)
        volume, amount = groups.get(key, _NONE_YET)
        groups[key] = (volume + line.volume, amount + line.amount)
    rows = []
    for (register, price), (quantity, amount) in groups.items():
        if quantity == 0 and amount == 0:
            continue  # a correction that leaves this product unchanged
        product = sold.get(register, _UNKNOWN_PRODUCT)
        reason = None
        if correction:
            # the same volume at another price (a tariff corrected) is a change of the price
            reason = CORRECTION_QUANTITY_CHANGED if quantity else CORRECTION_PRICE_CHANGED
        rows.append(TaxInvoiceRow(
            product.description, product.product_code, product.unit, product.unit_code, quantity, price, amount,
            VAT_PERCENT, _row_vat(amount, VAT_PERCENT), reason,
        ))
    return tuple(rows)


# Completeness

_NUMBER = re.compile(r"[1-9]\d{0,6}")
_EDRPOU = re.compile(r"\d{8}")
_RNOKPP = re.compile(r"\d{10}")
_LEGAL_ENTITY_IPN = re.compile(r"\d{12}")
_PRODUCT_CODE = re.compile(r"\d{4}(?:\d{2}){0,3}")
_UNIT_CODE = re.compile(r"\d{4}")
_TAX_OFFICE = re.compile(r"\d{4}")


def check_completeness(tax_invoice: TaxInvoice) -> tuple[str, ...]:
    """The mandatory fields that are missing or invalid (empty: complete), named like `seller.ipn`, `rows.2.unit_code`,
    `vat`. Amounts are checked against each other: the rows add up to the amount excl. VAT, the VAT is 20 % of
    it rounded as invoices round it, the total is both."""
    ti = tax_invoice
    correction = ti.kind == "correction"
    problems: list[str] = []
    if not _NUMBER.fullmatch(ti.number):
        problems.append("number")
    problems += _party_problems("seller", ti.seller.party)
    if not ti.seller.party.vat_payer:
        problems.append("seller.vat_payer")
    if not (ti.seller.compiler_name or "").strip():
        problems.append("seller.compiler_name")
    if not _RNOKPP.fullmatch(ti.seller.compiler_tax_number or ""):
        problems.append("seller.compiler_tax_number")
    if ti.seller.tax_office is not None and not _TAX_OFFICE.fullmatch(ti.seller.tax_office):
        problems.append("seller.tax_office")
    problems += _party_problems("buyer", ti.buyer)
    if not ti.rows:
        problems.append("rows")
    for index, row in enumerate(ti.rows, start=1):
        problems += [f"rows.{index}.{field}" for field in _row_problems(row, correction=correction)]
    if sum((row.amount for row in ti.rows), Decimal(0)) != ti.amount_excl_vat:
        problems.append("amount_excl_vat")
    # a correction's VAT is the difference of two rounded VATs: a kopeck off 20 % of the difference is right
    vat_tolerance = CENT if correction else 0
    if abs(ti.vat - vat_of(ti.amount_excl_vat)) > vat_tolerance:
        problems.append("vat")
    if ti.total != ti.amount_excl_vat + ti.vat:
        problems.append("total")
    if correction:
        if ti.corrects is None or not _NUMBER.fullmatch(ti.corrects.number):
            problems.append("corrects.number")
        if ti.corrects is None or ti.corrects.issued_on > ti.issued_on:
            problems.append("corrects.issued_on")
    elif ti.amount_excl_vat <= 0:
        problems.append("amount_excl_vat")
    return tuple(dict.fromkeys(problems))


def _party_problems(role: str, party: TaxParty) -> list[str]:
    problems = []
    if not party.name.strip():
        problems.append(f"{role}.name")
    if not party.vat_payer:
        return problems  # a non-payer buyer is written with the conventional number, nothing else to check
    if not (_EDRPOU.fullmatch(party.tax_number) or _RNOKPP.fullmatch(party.tax_number)):
        problems.append(f"{role}.tax_number")
    if not ipn_fits(party.ipn, party.tax_number):
        problems.append(f"{role}.ipn")
    return problems


def ipn_fits(ipn: str | None, tax_number: str) -> bool:
    """A legal entity's VAT number is 12 digits starting with the first seven of its ЄДРПОУ code (the eighth is
    the code's check digit); a natural person's is their 10-digit РНОКПП."""
    if ipn is None:
        return False
    if _EDRPOU.fullmatch(tax_number):
        return bool(_LEGAL_ENTITY_IPN.fullmatch(ipn)) and ipn[:7] == tax_number[:7]
    return bool(_RNOKPP.fullmatch(ipn)) and ipn == tax_number


def _row_problems(row: TaxInvoiceRow, *, correction: bool) -> list[str]:
    problems = []
    for field, value in (("description", row.description), ("unit", row.unit)):
        if not value.strip():
            problems.append(field)
    if not _PRODUCT_CODE.fullmatch(row.product_code):
        problems.append("product_code")
    if not _UNIT_CODE.fullmatch(row.unit_code):
        problems.append("unit_code")
    # a correction of the price leaves the quantity as it was
    if row.quantity == 0 and not (correction and row.amount):
        problems.append("quantity")
    if row.price <= 0:
        problems.append("price")
    if row.amount == 0:
        problems.append("amount")
    if row.vat != _row_vat(row.amount, row.vat_rate):
        problems.append("vat")
    if correction and row.reason not in (CORRECTION_PRICE_CHANGED, CORRECTION_QUANTITY_CHANGED):
        problems.append("reason")
    return problems


def _row_vat(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(ROW_VAT_QUANTUM, rounding=ROUND_HALF_UP)


# XML

def xml_file_name(tax_invoice: TaxInvoice) -> str:
    """Numbers repeat every month: the date keeps files of different months apart."""
    prefix = "tax-invoice" if tax_invoice.kind == "tax_invoice" else "tax-invoice-correction"
    return f"{prefix}-{tax_invoice.number}-{tax_invoice.issued_on.isoformat()}.xml"


def to_xml(tax_invoice: TaxInvoice, *, software: str = "cabinet") -> bytes:
    """The tax invoice (J1201016) or correction calculation (J1201216) as XML in windows-1251."""
    ti = tax_invoice
    correction = ti.kind == "correction"
    form = "J1201216" if correction else "J1201016"
    root = ET.Element("DECLAR", {f"{{{_XSI}}}noNamespaceSchemaLocation": f"{form}.xsd"})
    office = ti.seller.tax_office
    _fields(ET.SubElement(root, "DECLARHEAD"), [
        ("TIN", ti.seller.party.tax_number),
        ("C_DOC", form[:3]),
        ("C_DOC_SUB", form[3:6]),
        ("C_DOC_VER", str(int(form[6:]))),
        ("C_DOC_TYPE", "0"),
        ("C_DOC_CNT", ti.number),
        ("C_REG", office[:2] if office else None),
        ("C_RAJ", office[2:] if office else None),
        ("PERIOD_MONTH", str(ti.issued_on.month)),
        ("PERIOD_TYPE", "1"),
        ("PERIOD_YEAR", str(ti.issued_on.year)),
        ("C_STI_ORIG", office),
        ("C_DOC_STAN", "1"),
        ("LINKED_DOCS", None),
        ("D_FILL", _xml_date(ti.issued_on)),
        ("SOFTWARE", software),
    ])
    body = ET.SubElement(root, "DECLARBODY")
    seller, buyer = ti.seller.party, ti.buyer
    header: list[tuple[str, str | None]] = [
        ("HORIG1", None if buyer.vat_payer else "1"),
        ("HTYPR", None if buyer.vat_payer else NOT_GIVEN_NON_PAYER),
        ("HFILL", _xml_date(ti.issued_on)),
        ("HNUM", ti.number),
        ("HNUM1", None),
    ]
    if correction:
        corrects = ti.corrects
        header += [
            ("HPODFILL", _xml_date(corrects.issued_on) if corrects else None),
            ("HPODNUM", corrects.number if corrects else None),
            ("HPODNUM1", None),
            ("HPODNUM2", None),
        ]
    header += [
        ("HNAMESEL", seller.name),
        ("HNAMEBUY", buyer.name if buyer.vat_payer else "Неплатник"),
        ("HKSEL", seller.ipn),
        ("HNUM2", None),
        ("HTINSEL", seller.tax_number),
        ("HKBUY", buyer.ipn if buyer.vat_payer else NON_PAYER_IPN),
        ("HFBUY", None),
        ("HTINBUY", buyer.tax_number if buyer.vat_payer else None),
    ]
    if correction:
        # R001G03: the change of the tax liability; R01G9/R01G111: the changes of the supply and of its VAT
        # at the basic rate
        header += [("R001G03", _money(ti.vat)), ("R01G9", _money(ti.amount_excl_vat)), ("R01G111", _money(ti.vat))]
    else:
        # R04G11: the total with VAT; R03G11: VAT; R03G7 / R01G7: VAT and supply at the basic rate (20 %)
        header += [("R04G11", _money(ti.total)), ("R03G11", _money(ti.vat)), ("R03G7", _money(ti.vat)),
                   ("R01G7", _money(ti.amount_excl_vat))]
    _fields(body, header)
    columns: list[tuple[str, Any]] = []
    if correction:
        columns += [("RXXXXG001", lambda number, row: str(number)), ("RXXXXG21", lambda number, row: row.reason),
                    ("RXXXXG22", lambda number, row: "1")]
    columns += [
        ("RXXXXG3S", lambda number, row: row.description),
        ("RXXXXG4", lambda number, row: row.product_code),
        ("RXXXXG4S", lambda number, row: row.unit),
        ("RXXXXG105_2S", lambda number, row: row.unit_code),
        ("RXXXXG5", lambda number, row: _plain(row.quantity)),
        ("RXXXXG6", lambda number, row: _plain(row.price)),
        ("RXXXXG008", lambda number, row: _plain(row.vat_rate)),
        ("RXXXXG010", lambda number, row: _money(row.amount)),
        ("RXXXXG11_10", lambda number, row: f"{row.vat:f}"),
    ]
    for tag, value_of in columns:
        for number, row in enumerate(ti.rows, start=1):
            _field(body, tag, value_of(number, row), {"ROWNUM": str(number)})
    _fields(body, [("HBOS", ti.seller.compiler_name), ("HKBOS", ti.seller.compiler_tax_number)])
    return ET.tostring(root, encoding=XML_ENCODING, xml_declaration=True)


def _fields(parent: ET.Element, fields: Sequence[tuple[str, str | None]]) -> None:
    for tag, value in fields:
        _field(parent, tag, value)


def _field(parent: ET.Element, tag: str, value: str | None, attributes: Mapping[str, str] | None = None) -> None:
    element = ET.SubElement(parent, tag, dict(attributes or {}))
    if value:
        element.text = value
    else:
        element.set(f"{{{_XSI}}}nil", "true")


def _xml_date(day: date) -> str:
    return day.strftime("%d%m%Y")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):f}"


def _plain(value: Decimal) -> str:
    """Without an exponent or trailing zeros: 1250, 0.277248."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Rendering: the data of the documents service's `tax_invoice` / `tax_invoice_correction` templates

def document_type(tax_invoice: TaxInvoice) -> str:
    return "tax_invoice" if tax_invoice.kind == "tax_invoice" else "tax_invoice_correction"


def render_data(tax_invoice: TaxInvoice) -> rendered.TaxInvoiceData:
    """What the documents service's `tax_invoice` / `tax_invoice_correction` template draws."""
    ti = tax_invoice

    def party(party: TaxParty) -> rendered.TaxParty:
        return rendered.TaxParty(name=party.name, edrpou=party.tax_number,
                                 ipn=party.ipn if party.vat_payer else NON_PAYER_IPN)

    data = rendered.TaxInvoiceData(
        number=ti.number, issued_on=ti.issued_on, invoice_number=ti.invoice_number, seller=party(ti.seller.party),
        buyer=party(ti.buyer),
        rows=[rendered.TaxInvoiceRow(description=row.description, product_code=row.product_code, unit=row.unit,
                                     unit_code=row.unit_code, quantity=row.quantity, price=row.price,
                                     vat_rate=row.vat_rate, amount=row.amount, vat=row.vat, reason=row.reason)
              for row in ti.rows],
        amount_excl_vat=ti.amount_excl_vat, vat=ti.vat, total=ti.total, vat_rate=ti.vat_rate,
        compiler_name=ti.seller.compiler_name,
    )
    if ti.corrects is None:
        return data
    return rendered.TaxInvoiceCorrectionData(**dict(data), corrects_number=ti.corrects.number,
                                             corrects_issued_on=ti.corrects.issued_on)
