"""The act of readings transfer (manual «Как получить счет?»: «Акты предоставления показаний»): the readings of a
consumer's meters for a period, as metering asks for it (`documents.render_requested.v1`, source
`metering.act/<id>`). The consumer signs it (electronically or on paper); only then the readings count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from documents.domain.render.furniture import Party, format_date
from documents.domain.render.layouts import Column, InvoiceLikePage, Signature, render_invoice_like
from documents.domain.render.registry import TEMPLATES

#: a meter's register value or a volume (past a roll-over up to 10**12): exact, four digits after the point at most
Value = Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=4)]
Ratio = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]
MONTHS = ("січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
          "жовтень", "листопад", "грудень")
ZONE_NAMES = {1: {1: "цілодобово"}, 2: {1: "день", 2: "ніч"}, 3: {1: "пік", 2: "напівпік", 3: "ніч"}}
ENERGY = {"active": ("активна", "кВт·год"), "reactive": ("реактивна", "квар·год")}
SOURCES = {
    "consumer": "Показання передано Споживачем в особистому кабінеті.",
    "staff": "Показання внесено менеджером з розрахунків Постачальника; підпис сторін не потрібен.",
    "res": "Показання надано системою РЕС (прилади обліку на підстанції); підпис сторін не потрібен.",
}


class ActLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_serial: str = Field(min_length=1, max_length=32)
    #: what the meter's register counts
    energy: Literal["active", "reactive"]
    zone: int = Field(ge=1, le=3)
    #: the meter's zones (1, 2 or 3), which name the zone
    zones: int = Field(ge=1, le=3)
    previous: Value
    current: Value
    rollover: bool
    #: the meter difference, roll-over aware, before the transformer ratios
    volume: Value
    ct_ratio: Ratio
    vt_ratio: Ratio

    @property
    def consumption(self) -> Decimal:
        return self.volume * self.ct_ratio * self.vt_ratio


class ReadingsActData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    submitted_on: date
    #: the supplier branch serving the consumer
    supplier: str = Field(min_length=1, max_length=300)
    consumer: Party
    account_number: str = Field(min_length=1, max_length=32)
    source: Literal["consumer", "staff", "res"]
    correction_reason: str | None = Field(default=None, max_length=1000)
    lines: list[ActLine] = Field(min_length=1)

    @property
    def period_in_words(self) -> str:
        year, month = self.period.split("-")
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
        f"{value(line.consumption)} {unit}",
    ]


COLUMNS = [
    Column("Лічильник №"), Column("Енергія"), Column("Зона"),
    Column("Попередні", "right"), Column("Поточні", "right"), Column("Різниця", "right"),
    Column("Коеф.", "right"), Column("Обсяг", "right"),
]


@TEMPLATES.template("readings_act", title="Акт приймання-передачі показань", data=ReadingsActData)
def readings_act(data: ReadingsActData) -> bytes:
    totals = []
    for kind, (energy, unit) in ENERGY.items():
        lines = [line for line in data.lines if line.energy == kind]
        if lines:
            total = sum((line.consumption for line in lines), Decimal(0))
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
        subtitle=f"за {data.period_in_words}, особовий рахунок № {data.account_number}, від "
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
