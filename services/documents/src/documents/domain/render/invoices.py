"""The invoice for electricity (manual «Счета»), rendered for billing's `documents.render_requested.v1`: a line per
meter, energy and zone with its readings, transformer ratios, volume, tariff, zone coefficient and amount; the
totals with VAT and the total in words; the pay-by date; the supplier's details with the IBAN to pay to, and the
consumer's. A correcting invoice carries differences and names the invoice it corrects; a negative total is a
credit to the consumer."""

from __future__ import annotations

from decimal import Decimal

from documents.domain.render.furniture import amount_in_words, format_date, format_money
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.domain.render.registry import TEMPLATES
from shared.contracts.documents import InvoiceData, InvoiceLine

MONTHS = ("січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
          "жовтень", "листопад", "грудень")
#: zone names by the meter's zone scheme (1: all day; 2: day/night; 3: peak/half-peak/night)
ZONE_NAMES = {1: ("цілодобово",), 2: ("день", "ніч"), 3: ("пік", "напівпік", "ніч")}
ENERGY_NAMES = {"active": ("Активна", "кВт·год"), "reactive": ("Реактивна", "квар·год")}


def _title(data: InvoiceData) -> str:
    name = "Коригувальний рахунок" if data.kind == "correcting" else "Рахунок"
    return f"{name} за електричну енергію № {data.number}"


def _reference(data: InvoiceData) -> str:
    return f"Рахунок № {data.number} від {format_date(data.formed_on)}"


def _period_name(data: InvoiceData) -> str:
    year, month = data.period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _number(value: Decimal) -> str:
    """Readings, ratios, volumes as they are: exact, without trailing zeros, thousands apart."""
    return f"{value.normalize():,f}".replace(",", " ")


def _zone(line: InvoiceLine) -> str:
    names = ZONE_NAMES[line.zones]
    return names[line.zone - 1] if line.zone <= len(names) else str(line.zone)


def _row(position: int, line: InvoiceLine) -> list[str]:
    energy, unit = ENERGY_NAMES[line.energy]
    coefficient = "" if line.energy == "reactive" and line.coefficient == 1 else f" × {_number(line.coefficient)}"
    return [
        str(position),
        line.meter_serial,
        f"{energy}, {_zone(line)}",
        _number(line.previous),
        _number(line.current) + (" *" if line.rollover else ""),
        _number(line.ct_ratio * line.vt_ratio),
        f"{_number(line.volume)} {unit}",
        f"{_number(line.tariff_price)}{coefficient}",
        _number(line.price),
        format_money(line.amount),
    ]


COLUMNS = [
    Column("№", "center"), Column("Лічильник"), Column("Енергія, зона"),
    Column("Попередні показання", "right"), Column("Поточні показання", "right"),
    Column("Коеф. трансф.", "right"), Column("Обсяг", "right"),
    Column("Тариф без ПДВ, грн × коеф. зони", "right"), Column("Ціна без ПДВ, грн", "right"),
    Column("Сума без ПДВ, грн", "right"),
]


def _notes(data: InvoiceData) -> list[str]:
    notes = []
    if data.kind == "correcting":
        notes.append(f"Рахунок коригує рахунок № {data.corrects_number} за {_period_name(data)}: обсяги та суми — "
                     "різниця до нарахованого раніше." if data.corrects_number else
                     "Обсяги та суми — різниця до нарахованого раніше.")
        if data.total < 0:
            notes.append("Від'ємна сума зменшує нарахування: її зараховано як переплату споживача.")
    if any(line.rollover for line in data.lines):
        notes.append("* Лічильник перейшов через нуль: обсяг = 10^розрядність − попередні + поточні показання.")
    if data.total > 0:
        notes.append(
            f"Сплатити до {format_date(data.pay_by)} на IBAN {data.supplier.iban or '—'} ({data.supplier.name}, "
            f"код ЄДРПОУ {data.supplier.edrpou}). У призначенні платежу вкажіть: «оплата за електроенергію, "
            f"рах. № {data.number} від {format_date(data.formed_on)}, о/р {data.account_number}»."
        )
    return notes


@TEMPLATES.template(InvoiceData.document_type, title="Рахунок за електричну енергію", data=InvoiceData)
def invoice(data: InvoiceData) -> bytes:
    vat_percent = f"{(data.vat_rate * 100).normalize():f}%"
    return render_invoice_like(InvoiceLikePage(
        issuer=data.supplier.name, reference=_reference(data), title=_title(data),
        subtitle=f"від {format_date(data.formed_on)} за {_period_name(data)}, особовий рахунок № {data.account_number}",
        parties=[("Постачальник", data.supplier), ("Споживач", data.consumer)],
        columns=COLUMNS,
        rows=[_row(position, line) for position, line in enumerate(data.lines, start=1)],
        totals=[("Разом без ПДВ", format_money(data.amount_excl_vat)), (f"ПДВ {vat_percent}", format_money(data.vat)),
                ("Всього до сплати" if data.total >= 0 else "Всього до зменшення", format_money(data.total))],
        amount_in_words=amount_in_words(data.total),
        notes=_notes(data),
        signatures=[Signature("Від Постачальника", "уповноважена особа"), Signature("Від Споживача", "")],
    ))
