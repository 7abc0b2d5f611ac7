"""Issuing invoices, for one consumer or a billing run's batch alike: set-based, one statement per table.

In one transaction: the invoices and their lines, `billing.invoice_issued.v1` and `documents.render_requested.v1`
(the PDF; `documents.document_stored.v1` answers with the same `source_event`), their tax invoices (`billing.tax`),
and the consumers' credit applied to them (`billing.ledger`). The consumers are locked by the caller
(`repositories.consumers.lock_consumers`), and the unique index of a period's regular invoice makes sure that
however many requests, retries or runs race, a period is invoiced once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing import metrics
from billing.clients import Branch
from billing.domain import numbering
from billing.domain.calculation import (
    Calculation,
    Meter,
    PriceMissing,
    calculate,
    correction,
    missing_meters,
)
from billing.domain.periods import day_written, first_day
from billing.ledger import Ledger
from billing.models import Consumer, Invoice
from billing.repositories import consumers as consumer_repository
from billing.repositories import invoices as invoice_repository
from billing.repositories import tariffs as tariff_repository
from billing.repositories.invoices import CORRECTING, REGULAR
from billing.runtime import Runtime
from billing.tax import Issued, TaxInvoicing
from shared.bus import outbox
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import InvoiceData, InvoiceLine, Party, RenderRequested
from shared.vat import VAT_RATE

INVOICE_DOCUMENT_TYPE = "invoice"
SOURCE_EVENT_PREFIX = "billing.invoice/"


def source_event(invoice_id: uuid.UUID) -> str:
    """The reference documents returns with the stored PDF: which invoice it is for."""
    return f"{SOURCE_EVENT_PREFIX}{invoice_id}"


def invoice_of_source_event(reference: str | None) -> uuid.UUID | None:
    if reference is None or not reference.startswith(SOURCE_EVENT_PREFIX):
        return None
    try:
        return uuid.UUID(reference.removeprefix(SOURCE_EVENT_PREFIX))
    except ValueError:
        return None


class CorrectionRaced(Exception):
    """Two corrections of one invoice at once; the message of the later one is tried again."""


@dataclass(frozen=True)
class Refusal:
    """Why a consumer's period cannot be invoiced (yet)."""

    consumer: Consumer
    #: `readings_missing`, `tariff_missing`, `no_metering_points`
    reason: str
    missing: tuple[Meter, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    #: consumer id → the invoice issued now
    issued: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    #: consumer id → the regular invoice the period had already
    existing: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class _Draft:
    consumer: Consumer
    row: dict[str, Any]
    calculation: Calculation
    corrects_number: str | None = None


def supplier_data(branch: Branch) -> Party:
    """The supplier branch as its documents name it."""
    return Party(name=branch.name, edrpou=branch.edrpou, iban=branch.iban, address=branch.address,
                 phone=branch.phone, email=branch.email)


def render_data(draft: _Draft, supplier: Party) -> InvoiceData:
    """What the documents service's `invoice` template draws; the supplier is `supplier_data` (one for all of a
    branch's invoices)."""
    row, consumer = draft.row, draft.consumer
    return InvoiceData(
        number=row["number"], kind=row["kind"], corrects_number=draft.corrects_number, period=row["period"],
        formed_on=row["formed_on"], pay_by=row["pay_by"], account_number=consumer.account_number, supplier=supplier,
        consumer=Party(name=consumer.name, edrpou=consumer.edrpou),
        lines=[
            InvoiceLine(
                meter_serial=line.meter_serial, energy=line.energy, zones=line.zones, zone=line.zone,
                previous=line.previous, current=line.current, rollover=line.rollover, ct_ratio=line.ct_ratio,
                vt_ratio=line.vt_ratio, volume=line.volume, tariff_price=line.tariff_price,
                coefficient=line.coefficient, price=line.price, amount=line.amount,
            )
            for line in draft.calculation.lines
        ],
        amount_excl_vat=row["amount_excl_vat"], vat=row["vat"], total=row["total"], vat_rate=VAT_RATE,
    )


class Issuer:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    def _dates(self) -> tuple[date, date]:
        formed_on = self.runtime.today()
        return formed_on, formed_on + timedelta(days=self.runtime.settings.pay_by_days)

    async def issue_regular(self, consumers: Sequence[Consumer], period: str) -> Outcome:
        """Regular invoices of the period for the (locked) consumers whose readings are complete."""
        period_start = first_day(period)
        assert period_start is not None, period
        ids = [consumer.id for consumer in consumers]
        outcome = Outcome()
        existing = await invoice_repository.regular_invoices(self.session, ids, period)
        outcome.existing = {consumer_id: invoice.id for consumer_id, invoice in existing.items()}
        pending = [consumer for consumer in consumers if consumer.id not in existing]
        if not pending:
            return outcome
        pending_ids = [consumer.id for consumer in pending]
        meters = await consumer_repository.meters_of(self.session, pending_ids, period)
        readings = await consumer_repository.readings_of(self.session, pending_ids, period)
        prices = await tariff_repository.price_list(self.session)
        formed_on, pay_by = self._dates()
        drafts: list[_Draft] = []
        for consumer in pending:
            consumer_meters = meters.get(consumer.id, [])
            consumer_readings = readings.get(consumer.id, [])
            missing = missing_meters(consumer_meters, consumer_readings)
            if missing:
                outcome.refused.append(Refusal(consumer, "readings_missing", tuple(missing)))
                continue
            try:
                calculation = calculate(consumer_meters, consumer_readings, prices, period_start)
            except PriceMissing as exc:
                outcome.refused.append(Refusal(consumer, "tariff_missing", fields={exc.field: exc.value}))
                continue
            if not calculation.lines:
                outcome.refused.append(Refusal(consumer, "no_metering_points"))
                continue
            drafts.append(_Draft(consumer, _row(
                consumer, number=numbering.regular_number(consumer.account_number, period), kind=REGULAR,
                period=period, formed_on=formed_on, pay_by=pay_by, calculation=calculation,
            ), calculation))
        written = await self._write(drafts)
        for draft in drafts:
            if draft.row["id"] in written:
                outcome.issued[draft.consumer.id] = draft.row["id"]
        raced = [draft.consumer.id for draft in drafts if draft.row["id"] not in written]
        if raced:  # issued by someone who did not take the lock: the unique index kept it to one
            found = await invoice_repository.regular_invoices(self.session, raced, period)
            outcome.existing.update({consumer_id: invoice.id for consumer_id, invoice in found.items()})
        return outcome

    async def correct(self, consumer: Consumer, period: str) -> uuid.UUID | None:
        """A correcting invoice when the (locked) consumer's invoiced period now comes to another amount: the
        accepted readings changed (a staff correction) or a retroactive tariff did. None when nothing changed
        or the period is not invoiced (its regular invoice will take the readings as they are)."""
        invoiced = await invoice_repository.invoices_of_period(self.session, consumer.id, period)
        if not invoiced:
            return None
        period_start = first_day(period)
        assert period_start is not None, period
        meters = await consumer_repository.meters_of(self.session, [consumer.id], period)
        readings = await consumer_repository.readings_of(self.session, [consumer.id], period)
        current = calculate(meters.get(consumer.id, []), readings.get(consumer.id, []),
                            await tariff_repository.price_list(self.session), period_start)
        difference = correction(current, await invoice_repository.calculations_of(self.session, invoiced))
        if difference is None:
            return None
        regular = invoiced[0]
        correction_no = len(invoiced)
        formed_on, pay_by = self._dates()
        draft = _Draft(consumer, _row(
            consumer, number=numbering.correcting_number(regular.number, correction_no), kind=CORRECTING,
            period=period, formed_on=formed_on, pay_by=pay_by, calculation=difference,
            corrects=regular, correction_no=correction_no,
        ), difference, corrects_number=regular.number)
        # a concurrent correction of the same invoice takes the same number: the unique constraint refuses the
        # second, whose message is retried and then sees the first
        await self._write([draft])
        invoice_id: uuid.UUID = draft.row["id"]
        return invoice_id

    async def _write(self, drafts: Sequence[_Draft]) -> set[uuid.UUID]:
        if not drafts:
            return set()
        branches = await self.runtime.branches.of({draft.consumer.branch_id for draft in drafts})
        written = await invoice_repository.insert_invoices(self.session, [draft.row for draft in drafts])
        if len(written) != len(drafts) and any(draft.row["kind"] == CORRECTING for draft in drafts):
            raise CorrectionRaced("another correction of the invoice took its number first")
        issued = [draft for draft in drafts if draft.row["id"] in written]
        suppliers = {branch_id: supplier_data(branch) for branch_id, branch in branches.items()}
        lines: list[dict[str, Any]] = []
        events: list[InvoiceIssued | RenderRequested] = []
        for draft in issued:
            row = draft.row
            lines.extend(_line_rows(row["id"], draft.calculation))
            events.append(InvoiceIssued(
                invoice_id=row["id"], consumer_id=row["consumer_id"], account_number=row["account_number"],
                number=row["number"], kind=row["kind"], corrects_invoice_id=row["corrects_invoice_id"],
                period=row["period"], formed_on=row["formed_on"], pay_by=row["pay_by"],
                amount_excl_vat=row["amount_excl_vat"], vat=row["vat"], total=row["total"],
            ))
            events.append(RenderRequested(
                consumer_id=row["consumer_id"], document_type=INVOICE_DOCUMENT_TYPE, period=row["period"],
                title=invoice_title(row["number"], row["formed_on"], row["kind"]),
                file_name=invoice_file_name(row["number"]),
                data=render_data(draft, suppliers[draft.consumer.branch_id]), source_event=source_event(row["id"]),
                # both parties sign an invoice: that is how the calculation is agreed (manual «Подписываем документы»)
                issued_on=row["formed_on"], signers=("consumer", "supplier"),
            ))
        await invoice_repository.insert_lines(self.session, lines)
        await outbox.add(self.session, *events)
        await TaxInvoicing(self.session, self.runtime).issue([
            Issued(draft.consumer, draft.row, draft.calculation.lines, branches[draft.consumer.branch_id])
            for draft in issued])
        # credit the consumers have pays the new invoices; a new invoice that lowers the amount is credit itself
        ledger = Ledger(self.session)
        await ledger.load({draft.consumer.id for draft in issued}, credited_only=True)
        for consumer_id in ledger.books:
            ledger.settle(consumer_id)
        await ledger.flush()
        metrics.invoices_issued(self.session, [draft.row["total"] for draft in issued])
        return written


def invoice_title(number: str, formed_on: date, kind: str) -> str:
    name = "Коригувальний рахунок" if kind == CORRECTING else "Рахунок"
    return f"{name} № {number} від {day_written(formed_on)}"


def invoice_file_name(number: str) -> str:
    return f"Рахунок {number.replace('/', '-')}.pdf"


def _row(consumer: Consumer, *, number: str, kind: str, period: str, formed_on: date, pay_by: date,
         calculation: Calculation, corrects: Invoice | None = None, correction_no: int | None = None
         ) -> dict[str, Any]:
    totals = calculation.totals
    return {
        "id": uuid.uuid4(), "consumer_id": consumer.id, "account_number": consumer.account_number, "number": number,
        "kind": kind, "corrects_invoice_id": corrects.id if corrects else None, "correction_no": correction_no,
        "period": period, "formed_on": formed_on, "pay_by": pay_by, "amount_excl_vat": totals.amount_excl_vat,
        "vat": totals.vat, "total": totals.total, "paid": Decimal("0.00"), "document_id": None,
    }


def _line_rows(invoice_id: uuid.UUID, calculation: Calculation) -> list[dict[str, Any]]:
    return [
        {"invoice_id": invoice_id, "position": position, "point_id": line.point_id,
         "meter_serial": line.meter_serial, "tariff_class": line.tariff_class, "energy": line.energy,
         "zones": line.zones, "zone": line.zone, "previous": line.previous, "current": line.current,
         "rollover": line.rollover, "ct_ratio": line.ct_ratio, "vt_ratio": line.vt_ratio, "volume": line.volume,
         "tariff_price": line.tariff_price, "coefficient": line.coefficient, "price": line.price,
         "amount": line.amount}
        for position, line in enumerate(calculation.lines, start=1)
    ]
