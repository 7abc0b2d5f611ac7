"""Queries of billing runs: the run's row (its work list read in slices), and the consumers a run works on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import BillingRun, Consumer, Invoice
from billing.repositories.consumers import of_branch
from billing.repositories.invoices import REGULAR


async def uninvoiced_consumer_ids(session: AsyncSession, period: str, billing_day_at_most: int,
                                  branch_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Consumers (of a branch, or of every branch) without a regular invoice for the period whose billing day is not
    after the given day."""
    invoiced = sa.select(Invoice.id).where(
        Invoice.consumer_id == Consumer.id, Invoice.period == period, Invoice.kind == REGULAR
    ).exists()
    statement = of_branch(sa.select(Consumer.id), branch_id).where(
        Consumer.billing_day <= billing_day_at_most, ~invoiced).order_by(Consumer.account_number)
    return list((await session.execute(statement)).scalars())


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


@dataclass(frozen=True)
class RunDocuments:
    """How far the documents of a run's invoices got: the invoices of the run's consumers (processed so far) for its
    period, how many have their PDF stored, how many of those the supplier's seal has signed, and their tax
    invoices (each an XML from the moment it is issued; its PDF is drawn when first asked for)."""

    invoices: int
    pdfs: int
    sealed: int
    tax_invoices: int


async def run_documents(session: AsyncSession, run_id: uuid.UUID) -> RunDocuments:
    row = (await session.execute(_RUN_DOCUMENTS, {"run_id": run_id})).one()
    return RunDocuments(row.invoices, row.pdfs, row.sealed, row.tax_invoices)


_RUN_DOCUMENTS = sa.text(
    "SELECT count(i.id) AS invoices, count(i.document_id) AS pdfs, "
    "count(s.document_id) FILTER (WHERE s.status IN ('signed_by_supplier', 'signed_by_both')) AS sealed, "
    "count(t.id) AS tax_invoices "
    "FROM billing_runs r CROSS JOIN LATERAL unnest(r.consumer_ids[1:r.processed]) AS c(consumer_id) "
    "JOIN invoices i ON i.consumer_id = c.consumer_id AND i.period = r.period AND i.kind = 'regular' "
    "LEFT JOIN document_signatures s ON s.document_id = i.document_id "
    "LEFT JOIN tax_invoices t ON t.invoice_id = i.id "
    "WHERE r.id = :run_id"
)


async def claim_stale_runs(session: AsyncSession, stale_before: datetime, now: datetime) -> list[uuid.UUID]:
    """Running runs nobody has reported on since `stale_before`, now claimed by the caller."""
    statement = sa.update(BillingRun).where(
        BillingRun.state == "running", BillingRun.heartbeat_at < stale_before
    ).values(heartbeat_at=now).returning(BillingRun.id)
    return list((await session.execute(statement)).scalars())
