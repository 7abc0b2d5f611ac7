"""Queries of the billing service; each takes the caller's session and never commits.

The paths a billing run takes (consumers, meters, readings, invoices of many consumers) are set-based: one
statement per table for a whole batch.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from billing.domain.calculation import (
    Calculation,
    Coefficient,
    Line,
    Meter,
    MeterReading,
    PriceList,
    TariffPrice,
    Totals,
)
from billing.models import (
    Base,
    BillingRun,
    Consumer,
    DocumentSignature,
    Invoice,
    InvoiceLine,
    MeteringPoint,
    Payment,
    Reading,
    Tariff,
    TaxInvoice,
    TaxInvoiceCounter,
    ZoneCoefficient,
)

REGULAR = "regular"
CORRECTING = "correcting"
_DIALECT = postgresql.dialect()

_Row = TypeVar("_Row", bound=tuple[Any, ...])


def any_of(column: InstrumentedAttribute[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column = ANY(:values)`, the values one array: `IN` would take a placeholder for each, compiled afresh for
    every batch of a thousand."""
    return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(column.type)))


# copies of other contexts' data
async def upsert_consumer(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = pg_insert(Consumer).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Consumer.id],
        set_={**{key: statement.excluded[key] for key in values if key != "id"}, "updated_at": sa.func.now()},
    ))


async def upsert_point(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = pg_insert(MeteringPoint).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[MeteringPoint.id],
        set_={**{key: statement.excluded[key] for key in values if key != "id"}, "updated_at": sa.func.now()},
    ))


async def upsert_readings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of `readings`; a later one of the same point, register and zone replaces the earlier (not twice in
    `rows`: one statement cannot change a row twice)."""
    if not rows:
        return
    statement = pg_insert(Reading)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Reading.consumer_id, Reading.period, Reading.point_id, Reading.energy, Reading.zone],
        set_={"previous": statement.excluded.previous, "current": statement.excluded.current,
              "rollover": statement.excluded.rollover, "act_id": statement.excluded.act_id,
              "accepted_at": sa.func.now()},
    ), rows)


async def consumer(session: AsyncSession, consumer_id: uuid.UUID) -> Consumer | None:
    return await session.get(Consumer, consumer_id)


async def lock_consumers(session: AsyncSession, consumer_ids: Iterable[uuid.UUID]) -> list[Consumer]:
    """The consumers, locked until the transaction ends, in id order (so that two lockers never deadlock).

    Whatever issues invoices or takes readings for a consumer holds this lock: a correction arriving while the
    period is being invoiced waits, and then sees the invoice.
    """
    ids = sorted(set(consumer_ids))
    if not ids:
        return []
    statement = sa.select(Consumer).where(any_of(Consumer.id, ids)).order_by(Consumer.id).with_for_update()
    return list((await session.execute(statement)).scalars())


def _of_branch(statement: sa.Select[_Row], branch_id: uuid.UUID | None) -> sa.Select[_Row]:
    """Narrowed to one branch's consumers; None: every branch's."""
    return statement if branch_id is None else statement.where(Consumer.branch_id == branch_id)


async def all_consumers(session: AsyncSession, branch_id: uuid.UUID | None = None) -> list[Consumer]:
    """Every consumer, or one branch's."""
    statement = _of_branch(sa.select(Consumer), branch_id).order_by(Consumer.account_number)
    return list((await session.execute(statement)).scalars())


async def uninvoiced_consumer_ids(session: AsyncSession, period: str, billing_day_at_most: int,
                                  branch_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Consumers (of a branch, or of every branch) without a regular invoice for the period whose billing day is not
    after the given day."""
    invoiced = sa.select(Invoice.id).where(
        Invoice.consumer_id == Consumer.id, Invoice.period == period, Invoice.kind == REGULAR
    ).exists()
    statement = _of_branch(sa.select(Consumer.id), branch_id).where(
        Consumer.billing_day <= billing_day_at_most, ~invoiced).order_by(Consumer.account_number)
    return list((await session.execute(statement)).scalars())


async def meters_of(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[uuid.UUID,
                                                                                                   list[Meter]]:
    """The consumers' points a period concerns: the active ones, and retired ones with readings of the period."""
    read = sa.select(Reading.point_id).where(any_of(Reading.consumer_id, consumer_ids), Reading.period == period)
    statement = sa.select(
        MeteringPoint.consumer_id, MeteringPoint.id, MeteringPoint.meter_serial, MeteringPoint.zones,
        MeteringPoint.digits, MeteringPoint.ct_ratio, MeteringPoint.vt_ratio, MeteringPoint.registers,
        MeteringPoint.tariff_class, MeteringPoint.active,
    ).where(any_of(MeteringPoint.consumer_id, consumer_ids), MeteringPoint.active | MeteringPoint.id.in_(read))
    found: dict[uuid.UUID, list[Meter]] = defaultdict(list)
    # unpacked rather than read by name: a batch has thousands of rows
    for consumer_id, point_id, serial, zones, digits, ct_ratio, vt_ratio, registers, tariff_class, active in \
            await session.execute(statement):
        found[consumer_id].append(Meter(point_id, serial, zones, digits, ct_ratio, vt_ratio, tuple(registers),
                                        tariff_class, active))
    return found


async def readings_of(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[
        uuid.UUID, list[MeterReading]]:
    statement = sa.select(
        Reading.consumer_id, Reading.point_id, Reading.energy, Reading.zone, Reading.previous, Reading.current,
        Reading.rollover,
    ).where(any_of(Reading.consumer_id, consumer_ids), Reading.period == period)
    found: dict[uuid.UUID, list[MeterReading]] = defaultdict(list)
    for consumer_id, *reading in await session.execute(statement):
        found[consumer_id].append(MeterReading(*reading))
    return found


async def oldest_uninvoiced_period(session: AsyncSession, consumer_id: uuid.UUID) -> str | None:
    """The oldest period the consumer has accepted readings for and no regular invoice."""
    invoiced = sa.select(Invoice.id).where(
        Invoice.consumer_id == consumer_id, Invoice.period == Reading.period, Invoice.kind == REGULAR
    ).exists()
    statement = sa.select(sa.func.min(Reading.period)).where(Reading.consumer_id == consumer_id, ~invoiced)
    period: str | None = (await session.execute(statement)).scalar_one()
    return period


# tariffs
async def price_list(session: AsyncSession) -> PriceList:
    tariffs = await session.execute(
        sa.select(Tariff.tariff_class, Tariff.energy, Tariff.price, Tariff.effective_from))
    coefficients = await session.execute(
        sa.select(ZoneCoefficient.zones, ZoneCoefficient.zone, ZoneCoefficient.coefficient,
                  ZoneCoefficient.effective_from))
    return PriceList((TariffPrice(*row) for row in tariffs), (Coefficient(*row) for row in coefficients))


async def tariffs(session: AsyncSession, tariff_classes: Iterable[str] | None = None) -> list[Tariff]:
    statement = sa.select(Tariff).order_by(Tariff.tariff_class, Tariff.effective_from.desc(), Tariff.energy)
    if tariff_classes is not None:
        statement = statement.where(Tariff.tariff_class.in_(list(tariff_classes)))
    return list((await session.execute(statement)).scalars())


async def tariff_classes_of(session: AsyncSession, consumer_id: uuid.UUID) -> list[tuple[str, int]]:
    """The tariff classes and zone schemes of a consumer's active points."""
    statement = sa.select(MeteringPoint.tariff_class, MeteringPoint.zones).where(
        MeteringPoint.consumer_id == consumer_id, MeteringPoint.active
    ).distinct()
    return [(row.tariff_class, row.zones) for row in await session.execute(statement)]


async def add_tariff(session: AsyncSession, tariff: Tariff) -> Tariff | None:
    """The tariff added; None when the class already has a price of that register from that date."""
    statement = pg_insert(Tariff).values(
        id=tariff.id, tariff_class=tariff.tariff_class, energy=tariff.energy, price=tariff.price,
        effective_from=tariff.effective_from, title=tariff.title, created_by=tariff.created_by,
    ).on_conflict_do_nothing().returning(Tariff)
    return (await session.execute(sa.select(Tariff).from_statement(statement))).scalar_one_or_none()


async def zone_coefficients(session: AsyncSession) -> list[ZoneCoefficient]:
    statement = sa.select(ZoneCoefficient).order_by(ZoneCoefficient.zones, ZoneCoefficient.zone,
                                                    ZoneCoefficient.effective_from.desc())
    return list((await session.execute(statement)).scalars())


async def add_zone_coefficient(session: AsyncSession, coefficient: ZoneCoefficient) -> ZoneCoefficient | None:
    statement = pg_insert(ZoneCoefficient).values(
        id=coefficient.id, zones=coefficient.zones, zone=coefficient.zone, coefficient=coefficient.coefficient,
        effective_from=coefficient.effective_from,
    ).on_conflict_do_nothing().returning(ZoneCoefficient)
    return (await session.execute(sa.select(ZoneCoefficient).from_statement(statement))).scalar_one_or_none()


# invoices
async def regular_invoices(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[
        uuid.UUID, Invoice]:
    statement = sa.select(Invoice).where(
        any_of(Invoice.consumer_id, consumer_ids), Invoice.period == period, Invoice.kind == REGULAR
    )
    return {invoice.consumer_id: invoice for invoice in (await session.execute(statement)).scalars()}


#: column types whose values travel as one text each (`_insert_rows`)
_JOINED_TYPES = (sa.Numeric, sa.Integer, sa.Boolean)
_JOINED_NULL = "NULL"


@functools.cache
def _unnest_insert(table: sa.Table, names: tuple[str, ...], suffix: str) -> tuple[sa.TextClause, frozenset[str]]:
    """The statement of `_insert_rows` for these columns, and which of them travel joined."""
    joined = frozenset(name for name in names if isinstance(table.c[name].type, _JOINED_TYPES))

    def array(name: str) -> str:
        array_type = f"{table.c[name].type.compile(dialect=_DIALECT)}[]"
        if name in joined:
            return f"CAST(string_to_array(:{name}, ',', '{_JOINED_NULL}') AS {array_type})"
        return f"CAST(:{name} AS {array_type})"

    # names of our own table and columns, no outside input
    statement = (f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608
                 f"SELECT * FROM unnest({', '.join(map(array, names))}) {suffix}")
    return sa.text(statement), joined


async def _insert_rows(session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]],
                       suffix: str = "") -> sa.Result[Any]:
    """`INSERT ... SELECT * FROM unnest(...)`: one statement however many rows (a billing run writes thousands),
    the columns (those of the first row) travelling as arrays.

    Numbers, counts and flags travel as one text each (`1037.5,12,…`): asyncpg encodes an array element by
    element, which was most of the cost of writing a batch, where their text is joined in one go. PostgreSQL
    reads the digits exactly, and rounds to the column's scale as it would the binary value.
    """
    statement, joined = _unnest_insert(table, tuple(rows[0]), suffix)
    return await session.execute(statement, {
        name: ",".join([_JOINED_NULL if row[name] is None else str(row[name]) for row in rows]) if name in joined
        else [row[name] for row in rows] for name in rows[0]})


async def insert_invoices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Writes the invoices; the ids of those written. A regular invoice for a period that has one already is
    left out (the unique index decides, whatever raced)."""
    if not rows:
        return set()
    result = await _insert_rows(session, Base.metadata.tables["invoices"], rows, "ON CONFLICT DO NOTHING RETURNING id")
    return set(result.scalars())


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await _insert_rows(session, Base.metadata.tables["invoice_lines"], rows)


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


async def signature_statuses(session: AsyncSession, document_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = list(set(document_ids))
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(DocumentSignature.document_id, DocumentSignature.status).where(
            DocumentSignature.document_id.in_(ids)))
    return {row.document_id: row.status for row in rows}


async def attach_document(session: AsyncSession, invoice_id: uuid.UUID, document_id: uuid.UUID) -> bool:
    """Records the invoice's PDF; False when there is no such invoice."""
    result = await session.execute(
        sa.update(Invoice).where(Invoice.id == invoice_id).values(document_id=document_id).returning(Invoice.id))
    return result.scalar_one_or_none() is not None


async def keep_signature_status(session: AsyncSession, document_id: uuid.UUID, status: str,
                                changed_at: datetime) -> None:
    """The latest status by the time it changed (a late, older message does not undo a newer one)."""
    statement = pg_insert(DocumentSignature).values(document_id=document_id, status=status, changed_at=changed_at)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[DocumentSignature.document_id],
        set_={"status": statement.excluded.status, "changed_at": statement.excluded.changed_at},
        where=DocumentSignature.changed_at <= statement.excluded.changed_at,
    ))


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


# billing runs
async def add_run(session: AsyncSession, run: BillingRun) -> BillingRun:
    session.add(run)
    await session.flush()
    return run


async def run(session: AsyncSession, run_id: uuid.UUID, *, lock: bool = False) -> BillingRun | None:
    statement = sa.select(BillingRun).where(BillingRun.id == run_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def run_batch(session: AsyncSession, run_id: uuid.UUID, start: int, size: int) -> list[uuid.UUID]:
    """`size` consumers of the run's work list from position `start` (0-based): a slice read by PostgreSQL, whose
    arrays count from 1 and include both ends."""
    statement = sa.select(BillingRun.consumer_ids[start + 1:start + size]).where(BillingRun.id == run_id)
    return list((await session.execute(statement)).scalar_one() or [])


async def claim_stale_runs(session: AsyncSession, stale_before: datetime, now: datetime) -> list[uuid.UUID]:
    """Running runs nobody has reported on since `stale_before`, now claimed by the caller."""
    statement = sa.update(BillingRun).where(
        BillingRun.state == "running", BillingRun.heartbeat_at < stale_before
    ).values(heartbeat_at=now).returning(BillingRun.id)
    return list((await session.execute(statement)).scalars())


# money
async def add_to_column(session: AsyncSession, table: str, column: str, deltas: dict[uuid.UUID, Any]) -> None:
    """`column += delta` for each row id, in one statement."""
    changed = {row_id: delta for row_id, delta in deltas.items() if delta}
    if not changed:
        return
    column_type = Base.metadata.tables[table].c[column].type.compile(dialect=postgresql.dialect())
    # names of our own table and column, no outside input
    statement = (f"UPDATE {table} SET {column} = {table}.{column} + d.delta "  # noqa: S608
                 f"FROM unnest(CAST(:ids AS uuid[]), CAST(:deltas AS {column_type}[])) AS d(id, delta) "
                 f"WHERE {table}.id = d.id")
    await session.execute(sa.text(statement), {"ids": list(changed), "deltas": list(changed.values())})


async def insert_allocations(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await _insert_rows(session, Base.metadata.tables["allocations"], rows)


async def insert_payments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """New payments; a `res_payment_id` stored meanwhile by another transaction fails the whole statement (the
    message is tried again and then finds it)."""
    if rows:
        await _insert_rows(session, Base.metadata.tables["payments"], rows)


async def lock_consumers_by_account(session: AsyncSession, account_numbers: Iterable[str]) -> dict[str, uuid.UUID]:
    """The ids of the consumers with these account numbers (identity keeps them unique), locked as
    `lock_consumers` locks them, in one statement: a batch of payments locks hundreds."""
    numbers = sorted(set(account_numbers))
    rows = await session.execute(sa.select(Consumer.account_number, Consumer.id).where(
        Consumer.account_number.in_(numbers)).order_by(Consumer.id).with_for_update())
    return {row.account_number: row.id for row in rows}


async def payments_by_res_id(session: AsyncSession, res_payment_ids: Iterable[str]) -> dict[str, Payment]:
    ids = sorted(set(res_payment_ids))
    statement = sa.select(Payment).where(Payment.res_payment_id.in_(ids))
    return {payment.res_payment_id: payment for payment in (await session.execute(statement)).scalars()}


async def payment(session: AsyncSession, payment_id: uuid.UUID, *, lock: bool = False) -> Payment | None:
    """The payment; `lock`: locked, and read afresh (a copy read before the lock may be out of date)."""
    statement = sa.select(Payment).where(Payment.id == payment_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def payments_of(session: AsyncSession, consumer_id: uuid.UUID, start: date, end: date) -> list[Payment]:
    """A consumer's payments paid within the dates, newest first."""
    statement = sa.select(Payment).where(
        Payment.consumer_id == consumer_id, Payment.paid_on.between(start, end)
    ).order_by(Payment.paid_on.desc(), Payment.received_at.desc())
    return list((await session.execute(statement)).scalars())


async def parked_payments(session: AsyncSession) -> list[Payment]:
    statement = sa.select(Payment).where(Payment.state == "parked").order_by(Payment.received_at)
    return list((await session.execute(statement)).scalars())


async def open_invoices_of(session: AsyncSession, consumer_id: uuid.UUID) -> list[Invoice]:
    """The consumer's invoices with something left to pay, by pay-by date."""
    statement = sa.select(Invoice).where(
        # `paid <> total` is the partial index's condition: only unsettled invoices are looked at
        Invoice.consumer_id == consumer_id, Invoice.paid != Invoice.total, Invoice.total > Invoice.paid)
    return list((await session.execute(statement.order_by(Invoice.pay_by))).scalars())


# tax invoices
async def take_tax_invoice_numbers(session: AsyncSession, seller_tax_number: str, year: int, month: int,
                                   count: int) -> range:
    """The next `count` numbers of the seller's month; the counter's row stays locked until the transaction
    ends, so numbers have no gaps and no repeats whoever issues at the same time."""
    insert = pg_insert(TaxInvoiceCounter).values(seller_tax_number=seller_tax_number, year=year, month=month,
                                                 last=count)
    statement = insert.on_conflict_do_update(
        index_elements=[TaxInvoiceCounter.seller_tax_number, TaxInvoiceCounter.year, TaxInvoiceCounter.month],
        set_={"last": TaxInvoiceCounter.last + count},
    ).returning(TaxInvoiceCounter.last)
    last = int((await session.execute(statement)).scalar_one())
    return range(last - count + 1, last + 1)


async def insert_tax_invoices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    # the JSON columns travel as their text, as the driver takes `jsonb` values; the rows of a branch share one
    # seller, written out once
    sellers: dict[int, str] = {}
    for row in rows:
        if id(row["seller"]) not in sellers:
            sellers[id(row["seller"])] = json.dumps(row["seller"])
    await _insert_rows(session, Base.metadata.tables["tax_invoices"], [
        {**row, "seller": sellers[id(row["seller"])], "buyer": json.dumps(row["buyer"])} for row in rows])


async def tax_invoices_of_invoices(session: AsyncSession, invoice_ids: Iterable[uuid.UUID]) -> dict[
        uuid.UUID, TaxInvoice]:
    ids = list(set(invoice_ids))
    if not ids:
        return {}
    statement = sa.select(TaxInvoice).where(TaxInvoice.invoice_id.in_(ids))
    return {found.invoice_id: found for found in (await session.execute(statement)).scalars()}


async def tax_invoice(session: AsyncSession, tax_invoice_id: uuid.UUID, *, lock: bool = False) -> TaxInvoice | None:
    statement = sa.select(TaxInvoice).where(TaxInvoice.id == tax_invoice_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def tax_invoices_of(session: AsyncSession, consumer_id: uuid.UUID, year: int | None) -> list[TaxInvoice]:
    """A consumer's tax invoices, newest first."""
    statement = sa.select(TaxInvoice).where(TaxInvoice.consumer_id == consumer_id)
    if year is not None:
        statement = statement.where(sa.extract("year", TaxInvoice.issued_on) == year)
    statement = statement.order_by(TaxInvoice.issued_on.desc(), TaxInvoice.created_at.desc(),
                                   TaxInvoice.number.desc())
    return list((await session.execute(statement)).scalars())


async def tax_invoice_years(session: AsyncSession, consumer_id: uuid.UUID) -> list[int]:
    year = sa.extract("year", TaxInvoice.issued_on)
    statement = sa.select(year).where(TaxInvoice.consumer_id == consumer_id).distinct().order_by(year.desc())
    return [int(value) for value in (await session.execute(statement)).scalars()]


async def tax_invoices_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TaxInvoice]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    statement = sa.select(TaxInvoice).where(TaxInvoice.id.in_(wanted))
    return {found.id: found for found in (await session.execute(statement)).scalars()}


async def invoices_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Invoice]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    statement = sa.select(Invoice).where(Invoice.id.in_(wanted))
    return {found.id: found for found in (await session.execute(statement)).scalars()}


async def attach_tax_invoice_document(session: AsyncSession, tax_invoice_id: uuid.UUID,
                                      document_id: uuid.UUID) -> bool:
    result = await session.execute(sa.update(TaxInvoice).where(TaxInvoice.id == tax_invoice_id).values(
        document_id=document_id).returning(TaxInvoice.id))
    return result.scalar_one_or_none() is not None


async def take_tax_invoice_render_requests(session: AsyncSession, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
    """The PDF requests kept for the invoice's tax invoice, cleared as they are taken."""
    result = await session.execute(_TAKE_RENDER_REQUESTS, {"invoice_id": invoice_id})
    return list(result.scalars())


# RETURNING gives the row after the update: the request is read from the rows locked before it
_TAKE_RENDER_REQUESTS = sa.text(
    "WITH waiting AS (SELECT id, render_request FROM tax_invoices "
    "WHERE invoice_id = :invoice_id AND render_request IS NOT NULL FOR UPDATE) "
    "UPDATE tax_invoices SET render_request = NULL FROM waiting WHERE tax_invoices.id = waiting.id "
    "RETURNING waiting.render_request"
).columns(sa.column("render_request", JSONB))


async def set_unregistered_buyer(session: AsyncSession, consumer_id: uuid.UUID, buyer: dict[str, Any]) -> None:
    """The buyer of the consumer's tax invoices not registered yet."""
    await session.execute(sa.update(TaxInvoice).where(
        TaxInvoice.consumer_id == consumer_id, TaxInvoice.registration != "registered").values(buyer=buyer))
