"""The act of readings transfer (manual «Как получить счет?»: «Акты предоставления показаний»): the readings of a
consumer's meters for a period, as metering asks for it (`documents.render_requested.v1`, source
`metering.act/<id>`). The consumer signs it (electronically or on paper); only then the readings count."""

from __future__ import annotations

from decimal import Decimal

from documents.domain.render.furniture import format_date
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.domain.render.registry import TEMPLATES
from shared.contracts.documents import ActLine, ReadingsActData

MONTHS = ("січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
          "жовтень", "листопад", "грудень")
ZONE_NAMES = {1: {1: "цілодобово"}, 2: {1: "день", 2: "ніч"}, 3: {1: "пік", 2: "напівпік", 3: "ніч"}}
ENERGY = {"active": ("активна", "кВт·год"), "reactive": ("реактивна", "квар·год")}
SOURCES = {
    "consumer": "Показання передано Споживачем в особистому кабінеті.",
    "staff": "Показання внесено менеджером з розрахунків Постачальника; підпис сторін не потрібен.",
    "res": "Показання надано системою РЕС (прилади обліку на підстанції); підпис сторін не потрібен.",
}


def _consumption(line: ActLine) -> Decimal:
    return line.volume * line.ct_ratio * line.vt_ratio


def _period_in_words(data: ReadingsActData) -> str:
    year, month = data.period.split("-")
    return f"{MONTHS[int(month) - 1]} {year} року"


def value(number: Decimal) -> str:
    """`12 345.6`: a reading or volume without trailing zeros, thousands apart."""
    text = f"{number:,f}".replace(",", " ")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _row(line: ActLine) -> list[str]:
    energy, unit = ENERGY[line.energy]
    ratio = line.ct_ratio * line.vt_ratio
    return [
        line.meter_serial, energy, ZONE_NAMES[line.zones].get(line.zone, str(line.zone)), value(line.previous),
        value(line.current), value(line.volume) + (" *" if line.rollover else ""), value(ratio),
        f"{value(_consumption(line))} {unit}",
    ]


COLUMNS = [
    Column("Лічильник №"), Column("Енергія"), Column("Зона"),
    Column("Попередні", "right"), Column("Поточні", "right"), Column("Різниця", "right"),
    Column("Коеф.", "right"), Column("Обсяг", "right"),
]


@TEMPLATES.template(ReadingsActData.document_type, title="Акт приймання-передачі показань", data=ReadingsActData)
def readings_act(data: ReadingsActData) -> bytes:
    totals = []
    for kind, (energy, unit) in ENERGY.items():
        lines = [line for line in data.lines if line.energy == kind]
        if lines:
            total = sum((_consumption(line) for line in lines), Decimal(0))
            totals.append((f"Разом {energy} енергія, {unit}", value(total)))
    notes = [SOURCES[data.source]]
    if any(line.rollover for line in data.lines):
        notes.append("* Лічильник перейшов через нуль: різниця враховує перехід.")
    if data.correction_reason:
        notes.append(f"Коригування раніше прийнятих показань. Причина: {data.correction_reason}")
    notes.append("Обсяг = різниця показань × коефіцієнт трансформації (ТС × ТН).")
    return render_invoice_like(InvoiceLikePage(
        issuer=data.supplier, reference=f"Акт показань, о/р {data.account_number}, {data.period}",
        title="Акт приймання-передачі показань засобів обліку електричної енергії",
        subtitle=f"за {_period_in_words(data)}, особовий рахунок № {data.account_number}, від "
                 f"{format_date(data.submitted_on)}",
        parties=[("Споживач", data.consumer)],
        columns=COLUMNS,
        rows=[_row(line) for line in data.lines],
        totals=totals,
        notes=[f"Постачальник: {data.supplier}", *notes],
        # the consumer's act is signed by both parties; readings the supplier entered or received are its own
        # record, which nobody signs (the signature service's status says so too)
        signatures=[Signature("Від Споживача", data.consumer.name), Signature("Від Постачальника", data.supplier)]
        if data.source == "consumer" else [],
    ))
