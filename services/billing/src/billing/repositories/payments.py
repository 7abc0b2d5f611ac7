"""Queries of payments: taking a batch from RES systems, staff's parked ones, a consumer's listing and saldo."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Base, Consumer, Invoice, Payment
from billing.repositories.bulk import insert_rows


async def insert_payments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """New payments; a `res_payment_id` stored meanwhile by another transaction fails the whole statement (the
    message is tried again and then finds it)."""
    if rows:
        await insert_rows(session, Base.metadata.tables["payments"], rows)


async def lock_consumers_by_account(session: AsyncSession, account_numbers: Iterable[str]) -> dict[str, uuid.UUID]:
    """The ids of the consumers with these account numbers (identity keeps them unique), locked as
    `consumers.lock_consumers` locks them, in one statement: a batch of payments locks hundreds."""
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
