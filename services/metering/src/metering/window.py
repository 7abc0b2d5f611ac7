"""The readings window: the period a consumer's readings are taken for now, open or closed (the rule is
`metering.domain.periods.readings_window`). Billing's issued invoices close it: metering keeps which of a
consumer's periods are invoiced.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from metering.domain.periods import Window, readings_window
from metering.models import Consumer, InvoicedPeriod
from shared.business_calendar import Period
from shared.contracts.billing import InvoiceIssued


async def invoiced_periods(session: AsyncSession, consumer_id: uuid.UUID, periods: Collection[str]) -> set[str]:
    found = await session.scalars(
        select(InvoicedPeriod.period).where(InvoicedPeriod.consumer_id == consumer_id,
                                            InvoicedPeriod.period.in_(periods))
    )
    return set(found)


async def window_of(session: AsyncSession, consumer: Consumer, today: date) -> Window:
    this_month = Period.of(today)
    invoiced = await invoiced_periods(session, consumer.id, [str(this_month), str(this_month.previous())])
    return readings_window(today, consumer.billing_day,
                           {period for text in invoiced if (period := Period.parse(text)) is not None})


async def keep_invoiced_period(session: AsyncSession, event: InvoiceIssued) -> None:
    """Billing invoiced a consumer's period (again: once is kept)."""
    await session.execute(
        insert(InvoicedPeriod).values(consumer_id=event.consumer_id, period=event.period, invoice_id=event.invoice_id)
        .on_conflict_do_nothing()
    )
