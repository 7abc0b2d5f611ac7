"""Tax invoices (manual «Налоговые накладные»): the tax invoice of an invoice and the correction calculation
(розрахунок коригування) of a correcting invoice, as billing issues them (`billing.domain.tax_invoices.render_data`
gives the data). The PDF is the consumer's readable copy; the registered document is the XML billing serves."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from documents.domain.render.furniture import amount_in_words, format_date, format_money
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.domain.render.registry import TEMPLATES
from shared.contracts.documents import NON_PAYER_IPN, TaxInvoiceCorrectionData, TaxInvoiceData

CORRECTION_REASONS = {"101": "зміна ціни", "102": "зміна кількості", "103": "повернення товару"}


def _quantity(value: Decimal) -> str:
    """`1 250`, `-120.5`: no trailing zeros, thousands apart."""
    return f"{value.normalize():,f}".replace(",", " ")


TAX_INVOICE_COLUMNS = [
    Column("№", "center"), Column("Опис товару"), Column("Код УКТ ЗЕД", "center"),
    Column("Од. виміру", "center"), Column("Код од.", "center"), Column("Кількість", "right"),
    Column("Ціна без ПДВ, грн", "right"), Column("Ставка ПДВ, %", "center"),
    Column("Обсяг без ПДВ, грн", "right"),
]
CORRECTION_COLUMNS = [
    Column("№", "center"), Column("Причина коригування"), Column("Опис товару"),
    Column("Код УКТ ЗЕД", "center"), Column("Од. виміру", "center"),
    Column("Зміна кількості", "right"), Column("Ціна без ПДВ, грн", "right"),
    Column("Зміна обсягу без ПДВ, грн", "right"), Column("Зміна ПДВ, грн", "right"),
]


def _notes(data: TaxInvoiceData) -> list[str]:
    notes = ["Складено в електронній формі; підлягає реєстрації в Єдиному реєстрі податкових накладних."]
    if data.buyer.ipn == NON_PAYER_IPN:
        notes.append("Не видається покупцю (тип причини 02): покупець не є платником ПДВ.")
    return notes


def _page(data: TaxInvoiceData, *, title: str, subtitle: str, columns: Sequence[Column],
          rows: Sequence[Sequence[str]], totals: Sequence[tuple[str, str]], amount: Decimal) -> bytes:
    return render_invoice_like(InvoiceLikePage(
        issuer=data.seller.name, reference=f"{title} від {format_date(data.issued_on)}", title=title,
        subtitle=subtitle, parties=[("Продавець", data.seller), ("Покупець", data.buyer)],
        columns=columns, rows=rows, totals=totals,
        # a correction that lowers the amount has no total to write in words
        amount_in_words=amount_in_words(amount) if amount >= 0 else "",
        notes=_notes(data),
        signatures=[Signature("Склав(ла)", data.compiler_name or "уповноважена особа продавця")],
    ))


@TEMPLATES.template(TaxInvoiceData.document_type, title="Податкова накладна", data=TaxInvoiceData)
def tax_invoice(data: TaxInvoiceData) -> bytes:
    rows = [[str(number), row.description, row.product_code, row.unit, row.unit_code, _quantity(row.quantity),
             _quantity(row.price), _quantity(row.vat_rate), format_money(row.amount)]
            for number, row in enumerate(data.rows, start=1)]
    return _page(
        data, title=f"Податкова накладна № {data.number}",
        subtitle=f"від {format_date(data.issued_on)} до рахунку № {data.invoice_number}",
        columns=TAX_INVOICE_COLUMNS, rows=rows, amount=data.total,
        totals=[("Усього без ПДВ", format_money(data.amount_excl_vat)),
                (f"ПДВ {_quantity(data.vat_rate)}%", format_money(data.vat)),
                ("Загальна сума з ПДВ", format_money(data.total))],
    )


@TEMPLATES.template(TaxInvoiceCorrectionData.document_type, title="Розрахунок коригування",
                    data=TaxInvoiceCorrectionData)
def tax_invoice_correction(data: TaxInvoiceCorrectionData) -> bytes:
    rows = [[str(number), _reason(row.reason), row.description, row.product_code, row.unit, _quantity(row.quantity),
             _quantity(row.price), format_money(row.amount), format_money(row.vat)]
            for number, row in enumerate(data.rows, start=1)]
    return _page(
        data, title=f"Розрахунок коригування № {data.number}",
        subtitle=(f"від {format_date(data.issued_on)} до податкової накладної № {data.corrects_number} від "
                  f"{format_date(data.corrects_issued_on)} (рахунок № {data.invoice_number})"),
        columns=CORRECTION_COLUMNS, rows=rows, amount=data.total,
        totals=[("Зміна обсягу без ПДВ", format_money(data.amount_excl_vat)),
                (f"Зміна ПДВ {_quantity(data.vat_rate)}%", format_money(data.vat)),
                ("Зміна загальної суми з ПДВ", format_money(data.total))],
    )


def _reason(code: str | None) -> str:
    if code is None:
        return "—"
    return f"{code} — {CORRECTION_REASONS[code]}" if code in CORRECTION_REASONS else code
