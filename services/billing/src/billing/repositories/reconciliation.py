"""Queries of the reconciliation act (`billing.reconciliation`): a consumer's whole account, as the ledger counts
it (a few dozen rows a year)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Invoice, Payment


async def invoices_of(session: AsyncSession, consumer_id: uuid.UUID) -> Sequence[sa.Row[Any]]:
    """The consumer's invoices (`number`, `kind`, `formed_on`, `pay_by`, `total`), in the order
    they were issued."""
    return (await session.execute(
        sa.select(Invoice.number, Invoice.kind, Invoice.formed_on, Invoice.pay_by, Invoice.total)
        .where(Invoice.consumer_id == consumer_id)
        .order_by(Invoice.formed_on, Invoice.created_at, Invoice.number))).all()


async def payments_of(session: AsyncSession, consumer_id: uuid.UUID) -> Sequence[sa.Row[Any]]:
    """The consumer's payments that were applied to its account (`document_number`, `paid_on`,
    `amount`, `returned_on`: None unless the bank returned it), in the order they were received. A parked payment
    names no consumer until staff assign it."""
    return (await session.execute(
        sa.select(Payment.document_number, Payment.paid_on, Payment.amount, Payment.returned_on)
        .where(Payment.consumer_id == consumer_id, Payment.state.in_(("applied", "returned")))
        .order_by(Payment.paid_on, Payment.received_at))).all()
