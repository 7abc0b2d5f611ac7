"""The reconciliation act (акт звірки взаєморозрахунків), as billing asks for it (`documents.render_requested.v1`,
source `billing.reconciliation/<id>`), in the form accountants exchange: the supplier's books on the left, debit and
credit; the consumer's columns on the right left blank for the consumer to fill from its own books; the opening
balance, every invoice, payment and return, the turnover and the closing balance; who owes whom how much, in words
too; both parties sign. Balances are positive when the consumer owes the supplier (the supplier's debit)."""

from __future__ import annotations

from decimal import Decimal

from reportlab.lib.units import mm

from documents.domain.render.furniture import amount_in_words, format_date, format_money
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.domain.render.registry import TEMPLATES
from shared.contracts.documents import ReconciliationActData, ReconciliationRow

DOCUMENTS = {
    "invoice": "Рахунок № {}",
    "correcting_invoice": "Коригувальний рахунок № {}",
    "payment": "Оплата, платіжна інструкція № {}",
    "return": "Повернення оплати, платіжна інструкція № {}",
}
#: the supplier's columns, then the consumer's: blank, as wide as a hand needs to write a date, a document and
#: amounts into them
COLUMNS = [Column("Дата", "center"), Column("Документ"), Column("Дебет, грн", "right"), Column("Кредит, грн", "right"),
           Column("Дата", "center", room=15 * mm), Column("Документ", room=22 * mm),
           Column("Дебет, грн", "right", room=16 * mm), Column("Кредит, грн", "right", room=16 * mm)]
#: the consumer's columns, blank
BLANK = ["", "", "", ""]


def _amount(value: Decimal) -> str:
    return format_money(value) if value else ""


def _balance(label: str, balance: Decimal) -> list[str]:
    """A balance in the debit column when the consumer owes, in the credit column when the supplier does."""
    return ["", label, _amount(max(balance, Decimal(0))), _amount(max(-balance, Decimal(0))), *BLANK]


def _row(row: ReconciliationRow) -> list[str]:
    return [format_date(row.on), DOCUMENTS[row.kind].format(row.document), _amount(row.debit), _amount(row.credit),
            *BLANK]


def debt_sentence(data: ReconciliationActData) -> str:
    """Who owes whom at the period's end, in figures and words."""
    closing = data.closing
    on = f"За даними Постачальника станом на {format_date(data.end)}"
    if closing == 0:
        return f"{on} взаємна заборгованість відсутня."
    debtor, creditor = ("Споживача", "Постачальником") if closing > 0 else ("Постачальника", "Споживачем")
    return (f"{on} заборгованість {debtor} перед {creditor} становить {format_money(abs(closing))} грн "
            f"({amount_in_words(abs(closing))}).")


@TEMPLATES.template(ReconciliationActData.document_type, title="Акт звірки взаєморозрахунків",
                    data=ReconciliationActData)
def reconciliation_act(data: ReconciliationActData) -> bytes:
    period = f"{format_date(data.start)} – {format_date(data.end)}"
    debit = sum((row.debit for row in data.rows), Decimal(0))
    credit = sum((row.credit for row in data.rows), Decimal(0))
    return render_invoice_like(InvoiceLikePage(
        issuer=data.supplier.name, reference=f"Акт звірки, о/р {data.account_number}, {period}",
        title="Акт звірки взаєморозрахунків",
        subtitle=f"за період {period}, особовий рахунок № {data.account_number}, складено {format_date(data.drawn_on)}",
        parties=[("Постачальник", data.supplier), ("Споживач", data.consumer)],
        preamble=[
            "Ми, що нижче підписалися, представники Постачальника та Споживача, склали цей акт про те, що стан "
            "взаємних розрахунків за електричну енергію за даними обліку такий.",
            "Колонки 1–4 — за даними Постачальника; колонки 5–8 — за даними Споживача (заповнює Споживач).",
        ],
        columns=COLUMNS,
        rows=[
            _balance(f"Сальдо на {format_date(data.start)}", data.opening),
            *(_row(row) for row in data.rows),
            ["", "Обороти за період", format_money(debit), format_money(credit), *BLANK],
            _balance(f"Сальдо на {format_date(data.end)}", data.closing),
        ],
        notes=[debt_sentence(data)],
        signatures=[Signature("Від Постачальника", data.supplier.name, "М. П."),
                    Signature("Від Споживача", data.consumer.name, "М. П.")],
    ))
