"""Invoices, payments and the reconciliation act as files to download: CSV and Excel (XLSX, written with openpyxl).

Pure logic, no calls. Headers are in the visitor's language. In XLSX money is a number with two decimals and
dates are dates (shown dd.mm.yyyy), so a spreadsheet sums and sorts them; in CSV (UTF-8 with a byte order mark,
which Excel needs to read Cyrillic) money is `1238.88` and dates dd.mm.yyyy. Text that a spreadsheet would take
for a formula (a payment purpose beginning with `=`) stays text in both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from babel.support import Translations
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from gateway.billing_client import Invoice, Payment, Reconciliation
from gateway.billing_view import PAYMENT_STATE_LABELS, RECONCILIATION_DOCUMENTS, invoice_status
from gateway.i18n import N_, format_date
from gateway.signing import STATUS_LABELS

_KOPECK: Final = Decimal("0.01")
#: what spreadsheets read as the start of a formula (OWASP: CSV injection)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE: Final = "text/csv; charset=utf-8"
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS: Final = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}

Cell = str | Decimal | date | int | None


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    #: an English message id, translated into the visitor's language
    header: str
    kind: Kind
    #: characters, for the spreadsheet's column
    width: int = 14


@dataclass(frozen=True)
class Table:
    #: the sheet's name, a message id
    title: str
    columns: Sequence[Column]
    rows: list[list[Cell]]


INVOICE_COLUMNS: Final = (
    Column(N_("Invoice number"), Kind.TEXT, 16),
    Column(N_("Billing month"), Kind.TEXT, 10),
    Column(N_("Formation date"), Kind.DATE, 12),
    Column(N_("Pay by"), Kind.DATE, 12),
    Column(N_("Amount excl. VAT, UAH"), Kind.MONEY),
    Column(N_("VAT, UAH"), Kind.MONEY),
    Column(N_("Accrued, UAH"), Kind.MONEY),
    Column(N_("Paid, UAH"), Kind.MONEY),
    Column(N_("Balance, UAH"), Kind.MONEY),
    Column(N_("Electronic signature"), Kind.TEXT, 24),
)

PAYMENT_COLUMNS: Final = (
    Column(N_("Payment date"), Kind.DATE, 12),
    Column(N_("Payment document"), Kind.TEXT, 16),
    Column(N_("Amount, UAH"), Kind.MONEY),
    Column(N_("Account (IBAN)"), Kind.TEXT, 32),
    Column(N_("Bank"), Kind.TEXT, 40),
    Column(N_("MFO"), Kind.TEXT, 8),
    Column(N_("Purpose of payment"), Kind.TEXT, 60),
    Column(N_("State"), Kind.TEXT, 16),
    Column(N_("Applied to"), Kind.TEXT, 30),
)


RECONCILIATION_COLUMNS: Final = (
    Column(N_("Date"), Kind.DATE, 12),
    Column(N_("Document"), Kind.TEXT, 48),
    Column(N_("Debit, UAH"), Kind.MONEY),
    Column(N_("Credit, UAH"), Kind.MONEY),
)


def reconciliation_table(act: Reconciliation, translations: Translations) -> Table:
    """The act as the page shows it: the opening balance, the operations, the turnover, the closing balance (a
    balance in the debit column when the consumer owes, in the credit column when the supplier does)."""
    def balance(day: date, label: str, amount: Decimal) -> list[Cell]:
        return [day, translations.gettext(label), amount if amount > 0 else None, -amount if amount < 0 else None]

    operations: list[list[Cell]] = [
        [operation.on, translations.gettext(RECONCILIATION_DOCUMENTS[operation.kind]) % {"number": operation.document},
         operation.debit or None, operation.credit or None]
        for operation in act.operations
    ]
    rows: list[list[Cell]] = [
        balance(act.start, N_("Opening balance"), act.opening),
        *operations,
        [None, translations.gettext(N_("Turnover for the period")), act.debit_turnover, act.credit_turnover],
        balance(act.end, N_("Closing balance"), act.closing),
    ]
    return Table(N_("Reconciliation act"), RECONCILIATION_COLUMNS, rows)


def invoices_table(invoices: Sequence[Invoice], translations: Translations) -> Table:
    def status(invoice: Invoice) -> str:
        current = invoice_status(invoice)
        return translations.gettext(STATUS_LABELS[current]) if current else ""

    rows: list[list[Cell]] = [
        [invoice.number, invoice.period, invoice.formed_on, invoice.pay_by, invoice.amount_excl_vat, invoice.vat,
         invoice.total, invoice.paid, invoice.balance, status(invoice)]
        for invoice in invoices
    ]
    return Table(N_("Invoices"), INVOICE_COLUMNS, rows)


def payments_table(payments: Sequence[Payment], translations: Translations) -> Table:
    def applied_to(payment: Payment) -> str:
        parts = [f"{allocation.invoice_number}: {_money(allocation.amount)}" for allocation in payment.allocations]
        if payment.credit:
            parts.append(translations.gettext("in advance: %(amount)s") % {"amount": _money(payment.credit)})
        return "; ".join(parts)

    rows: list[list[Cell]] = [
        [payment.paid_on, payment.document_number, payment.amount, payment.payer_iban, payment.bank, payment.mfo,
         payment.purpose, translations.gettext(PAYMENT_STATE_LABELS[payment.state]), applied_to(payment)]
        for payment in payments
    ]
    return Table(N_("Payments"), PAYMENT_COLUMNS, rows)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_KOPECK))


def _safe_text(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_cell(value: Cell, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == Kind.MONEY and isinstance(value, Decimal):
        return _money(value)
    if kind == Kind.DATE and isinstance(value, date):
        return format_date(value)
    return _safe_text(str(value)) if kind == Kind.TEXT else str(value)


def to_csv(table: Table, translations: Translations) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translations.gettext(column.header) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_NUMBER_FORMATS: Final[dict[Kind, str]] = {Kind.MONEY: "#,##0.00", Kind.DATE: "DD.MM.YYYY"}


def to_xlsx(table: Table, translations: Translations) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet
    # sheet names are at most 31 characters
    sheet.title = translations.gettext(table.title)[:31]
    sheet.append([translations.gettext(column.header) for column in table.columns])
    for row in table.rows:
        cells = [value.quantize(_KOPECK) if column.kind == Kind.MONEY and isinstance(value, Decimal) else value
                 for value, column in zip(row, table.columns, strict=True)]
        sheet.append(cells)
    for position, column in enumerate(table.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = column.width
        for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
            if column.kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[column.kind]
            elif column.kind == Kind.TEXT and cell.value is not None:
                # never a formula, whatever the text begins with
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


WRITERS: Final[dict[str, Callable[[Table, Translations], bytes]]] = {"csv": to_csv, "xlsx": to_xlsx}
