"""Queries of tax invoices: their numbers, issuing them with their invoices, their PDFs, the listing, the buyer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Base, TaxInvoice, TaxInvoiceCounter
from billing.repositories.bulk import insert_rows, set_documents


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
    await insert_rows(session, Base.metadata.tables["tax_invoices"], [
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


async def attach_tax_invoice_documents(session: AsyncSession, documents: dict[uuid.UUID, uuid.UUID]
                                       ) -> set[uuid.UUID]:
    """Records tax invoices' PDFs (tax invoice id → document id); the tax invoices there were."""
    return await set_documents(session, TaxInvoice.__tablename__, documents)


async def set_unregistered_buyer(session: AsyncSession, consumer_id: uuid.UUID, buyer: dict[str, Any]) -> None:
    """The buyer of the consumer's tax invoices not registered yet."""
    await session.execute(sa.update(TaxInvoice).where(
        TaxInvoice.consumer_id == consumer_id, TaxInvoice.registration != "registered").values(buyer=buyer))
