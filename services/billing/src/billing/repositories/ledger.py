"""Queries of the consumers' accounts (`billing.ledger`): the unsettled part read, set-based, for many consumers;
what a payment paid; the changes written back (`allocations`, `invoices.paid`, `payments.credit`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.allocation import Allocation
from billing.models import Allocation as AllocationRow
from billing.models import Base, Invoice, Payment
from billing.repositories.bulk import DIALECT, any_of, insert_rows


async def payments_with_credit(session: AsyncSession, consumer_ids: Sequence[uuid.UUID]) -> Sequence[sa.Row[Any]]:
    """The consumers' payments with credit left (`id`, `consumer_id`, `paid_on`, `credit`), oldest first."""
    return (await session.execute(
        sa.select(Payment.id, Payment.consumer_id, Payment.paid_on, Payment.credit)
        .where(any_of(Payment.consumer_id, consumer_ids), Payment.credit > 0)
        .order_by(Payment.paid_on, Payment.received_at))).all()


async def consumers_with_credit_invoices(session: AsyncSession, consumer_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the consumers have a correcting invoice that lowered the amount and is not allocated yet."""
    rows = await session.execute(sa.select(Invoice.consumer_id).where(
        any_of(Invoice.consumer_id, consumer_ids), Invoice.paid != Invoice.total, Invoice.paid > Invoice.total))
    return set(rows.scalars())


async def unsettled_invoices(session: AsyncSession, consumer_ids: Sequence[uuid.UUID]) -> Sequence[sa.Row[Any]]:
    """The consumers' invoices with `paid ≠ total` (`id`, `consumer_id`, `number`, `formed_on`, `balance`: what is
    left to pay, negative for a correcting invoice's credit), oldest first."""
    return (await session.execute(
        sa.select(Invoice.id, Invoice.consumer_id, Invoice.number, Invoice.formed_on,
                  (Invoice.total - Invoice.paid).label("balance"))
        .where(any_of(Invoice.consumer_id, consumer_ids), Invoice.paid != Invoice.total)
        .order_by(Invoice.formed_on, Invoice.created_at, Invoice.number))).all()


async def paid_by(session: AsyncSession, payment_id: uuid.UUID) -> Sequence[sa.Row[Any]]:
    """The invoices the payment paid (`id`, `number`, `formed_on`) and how much of each (`amount`)."""
    return (await session.execute(
        sa.select(Invoice.id, Invoice.number, Invoice.formed_on, sa.func.sum(AllocationRow.amount).label("amount"))
        .join(AllocationRow, AllocationRow.invoice_id == Invoice.id)
        .where(AllocationRow.payment_id == payment_id)
        .group_by(Invoice.id, Invoice.number, Invoice.formed_on))).all()


async def delete_allocations(session: AsyncSession, payment_id: uuid.UUID) -> None:
    await session.execute(sa.delete(AllocationRow).where(AllocationRow.payment_id == payment_id))


async def allocations_of(session: AsyncSession, payment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID,
                                                                                           list[Allocation]]:
    """What each payment paid, per invoice, in the order it first paid them."""
    if not payment_ids:
        return {}
    statement = (
        sa.select(AllocationRow.payment_id, Invoice.id, Invoice.number,
                  sa.func.sum(AllocationRow.amount).label("amount"), sa.func.min(AllocationRow.id).label("first"))
        .join(Invoice, Invoice.id == AllocationRow.invoice_id)
        .where(AllocationRow.payment_id.in_(payment_ids))
        .group_by(AllocationRow.payment_id, Invoice.id, Invoice.number)
        .order_by(sa.text("first")))
    found: dict[uuid.UUID, list[Allocation]] = defaultdict(list)
    for row in await session.execute(statement):
        found[row.payment_id].append(Allocation(row.id, row.number, row.amount))
    return found


async def add_to_column(session: AsyncSession, table: str, column: str, deltas: dict[uuid.UUID, Any]) -> None:
    """`column += delta` for each row id, in one statement."""
    changed = {row_id: delta for row_id, delta in deltas.items() if delta}
    if not changed:
        return
    column_type = Base.metadata.tables[table].c[column].type.compile(dialect=DIALECT)
    # names of our own table and column, no outside input
    statement = (f"UPDATE {table} SET {column} = {table}.{column} + d.delta "  # noqa: S608
                 f"FROM unnest(CAST(:ids AS uuid[]), CAST(:deltas AS {column_type}[])) AS d(id, delta) "
                 f"WHERE {table}.id = d.id")
    await session.execute(sa.text(statement), {"ids": list(changed), "deltas": list(changed.values())})


async def insert_allocations(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await insert_rows(session, Base.metadata.tables["allocations"], rows)
