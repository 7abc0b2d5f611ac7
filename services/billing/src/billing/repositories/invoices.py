"""Queries of invoices: issuing them and their lines, reading them back, their PDFs and signature status."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.calculation import Calculation, Line, Totals
from billing.models import Base, DocumentSignature, Invoice, InvoiceLine, Reading
from billing.repositories.bulk import any_of, insert_rows, set_documents

#: the kinds of invoice (`invoices.kind`)
REGULAR = "regular"
CORRECTING = "correcting"


async def regular_invoices(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[
        uuid.UUID, Invoice]:
    statement = sa.select(Invoice).where(
        any_of(Invoice.consumer_id, consumer_ids), Invoice.period == period, Invoice.kind == REGULAR
    )
    return {invoice.consumer_id: invoice for invoice in (await session.execute(statement)).scalars()}


async def consumer_ids_with_regular_invoice(session: AsyncSession, pairs: Iterable[tuple[uuid.UUID, str]]) -> set[
        tuple[uuid.UUID, str]]:
    """Which of the (consumer, period) pairs are invoiced."""
    wanted = set(pairs)
    if not wanted:
        return set()
    consumers = sorted({consumer_id for consumer_id, _ in wanted})
    periods = sorted({period for _, period in wanted})
    rows = await session.execute(sa.select(Invoice.consumer_id, Invoice.period).where(
        Invoice.consumer_id.in_(consumers), Invoice.period.in_(periods), Invoice.kind == REGULAR))
    return {(row.consumer_id, row.period) for row in rows} & wanted


async def oldest_uninvoiced_period(session: AsyncSession, consumer_id: uuid.UUID) -> str | None:
    """The oldest period the consumer has accepted readings for and no regular invoice."""
    invoiced = sa.select(Invoice.id).where(
        Invoice.consumer_id == consumer_id, Invoice.period == Reading.period, Invoice.kind == REGULAR
    ).exists()
    statement = sa.select(sa.func.min(Reading.period)).where(Reading.consumer_id == consumer_id, ~invoiced)
    period: str | None = (await session.execute(statement)).scalar_one()
    return period


async def insert_invoices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Writes the invoices; the ids of those written. A regular invoice for a period that has one already is
    left out (the unique index decides, whatever raced)."""
    if not rows:
        return set()
    result = await insert_rows(session, Base.metadata.tables["invoices"], rows, "ON CONFLICT DO NOTHING RETURNING id")
    return set(result.scalars())


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await insert_rows(session, Base.metadata.tables["invoice_lines"], rows)


async def invoices_of_period(session: AsyncSession, consumer_id: uuid.UUID, period: str) -> list[Invoice]:
    """The period's regular invoice and its corrections, oldest first."""
    statement = sa.select(Invoice).where(Invoice.consumer_id == consumer_id, Invoice.period == period).order_by(
        Invoice.correction_no.nulls_first())
    return list((await session.execute(statement)).scalars())


def _line(row: InvoiceLine) -> Line:
    return Line(
        point_id=row.point_id, meter_serial=row.meter_serial, tariff_class=row.tariff_class, energy=row.energy,
        zones=row.zones, zone=row.zone, previous=row.previous, current=row.current, rollover=row.rollover,
        ct_ratio=row.ct_ratio, vt_ratio=row.vt_ratio, volume=row.volume, tariff_price=row.tariff_price,
        coefficient=row.coefficient, price=row.price, amount=row.amount,
    )


async def lines_of(session: AsyncSession, invoice_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Line]]:
    statement = sa.select(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)).order_by(
        InvoiceLine.invoice_id, InvoiceLine.position)
    found: dict[uuid.UUID, list[Line]] = defaultdict(list)
    for row in (await session.execute(statement)).scalars():
        found[row.invoice_id].append(_line(row))
    return found


async def calculations_of(session: AsyncSession, invoices: Sequence[Invoice]) -> list[Calculation]:
    """What the invoices charged, as calculations (lines and totals)."""
    lines = await lines_of(session, [invoice.id for invoice in invoices])
    return [
        Calculation(tuple(lines.get(invoice.id, ())), Totals(invoice.amount_excl_vat, invoice.vat, invoice.total))
        for invoice in invoices
    ]


async def invoice(session: AsyncSession, invoice_id: uuid.UUID) -> Invoice | None:
    return await session.get(Invoice, invoice_id)


async def invoices_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Invoice]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    statement = sa.select(Invoice).where(Invoice.id.in_(wanted))
    return {found.id: found for found in (await session.execute(statement)).scalars()}


async def invoices_of(session: AsyncSession, consumer_id: uuid.UUID, year: int | None) -> list[Invoice]:
    """A consumer's invoices, newest first (a correction after the invoice it corrects)."""
    statement = sa.select(Invoice).where(Invoice.consumer_id == consumer_id)
    if year is not None:
        statement = statement.where(sa.extract("year", Invoice.formed_on) == year)
    statement = statement.order_by(Invoice.formed_on.desc(), Invoice.created_at.desc(), Invoice.number.desc())
    return list((await session.execute(statement)).scalars())


async def invoice_years(session: AsyncSession, consumer_id: uuid.UUID) -> list[int]:
    year = sa.extract("year", Invoice.formed_on)
    statement = sa.select(year).where(Invoice.consumer_id == consumer_id).distinct().order_by(year.desc())
    return [int(value) for value in (await session.execute(statement)).scalars()]


async def numbers_of(session: AsyncSession, invoice_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(invoice_ids))
    if not ids:
        return {}
    rows = await session.execute(sa.select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids)))
    return {row.id: row.number for row in rows}


async def attach_documents(session: AsyncSession, documents: dict[uuid.UUID, uuid.UUID]) -> set[uuid.UUID]:
    """Records invoices' PDFs (invoice id → document id); the invoices there were."""
    return await set_documents(session, Invoice.__tablename__, documents)


async def signature_statuses(session: AsyncSession, document_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(document_ids))
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(DocumentSignature.document_id, DocumentSignature.status).where(
            DocumentSignature.document_id.in_(ids)))
    return {row.document_id: row.status for row in rows}


async def keep_signature_status(session: AsyncSession, document_id: uuid.UUID, status: str,
                                changed_at: datetime) -> None:
    """The latest status by the time it changed (a late, older message does not undo a newer one)."""
    statement = pg_insert(DocumentSignature).values(document_id=document_id, status=status, changed_at=changed_at)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[DocumentSignature.document_id],
        set_={"status": statement.excluded.status, "changed_at": statement.excluded.changed_at},
        where=DocumentSignature.changed_at <= statement.excluded.changed_at,
    ))
