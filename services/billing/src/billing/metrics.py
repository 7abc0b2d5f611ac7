"""Billing's business metrics (docs/operations.md «Required metrics»): counted once the transaction that did the
thing has committed, so a batch rolled back and handled again one by one is not counted twice."""

from __future__ import annotations

from decimal import Decimal

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import on_commit
from shared.metrics import BUSINESS_EVENTS

SERVICE = "billing"
INVOICED_AMOUNT = Counter(
    "cabinet_invoiced_amount_kopecks_total", "Total with VAT of the invoices issued, in kopecks", ["service"]
)
PAYMENTS_AMOUNT = Counter(
    "cabinet_payments_amount_kopecks_total", "Amounts of the payments received, in kopecks, by outcome",
    ["service", "outcome"],
)
APPLIED = "applied"
PARKED = "parked"

# exported from the start (at zero), so dashboards and Prometheus find the series before the first payment
INVOICED_AMOUNT.labels(SERVICE)
for _outcome in (APPLIED, PARKED):
    PAYMENTS_AMOUNT.labels(SERVICE, _outcome)
for _kind in ("invoice_issued", "payment_applied", "payment_parked", "payment_duplicate", "payment_refused"):
    BUSINESS_EVENTS.labels(SERVICE, _kind)


def kopecks(amount: Decimal) -> int:
    return int(amount * 100)


def invoices_issued(session: AsyncSession, totals: list[Decimal]) -> None:
    def count() -> None:
        BUSINESS_EVENTS.labels(SERVICE, "invoice_issued").inc(len(totals))
        # a counter only grows: a correcting invoice that lowers the amount is not subtracted
        INVOICED_AMOUNT.labels(SERVICE).inc(sum(kopecks(total) for total in totals if total > 0))

    if totals:
        on_commit(session, count)


def payments_received(session: AsyncSession, applied: list[Decimal], parked: list[Decimal], duplicates: int,
                      refused: int = 0) -> None:
    """`refused`: payments or returns refused as conflicts or of unknown payments (answered, not dead-lettered)."""

    def count() -> None:
        for outcome, amounts in ((APPLIED, applied), (PARKED, parked)):
            if amounts:
                BUSINESS_EVENTS.labels(SERVICE, f"payment_{outcome}").inc(len(amounts))
                PAYMENTS_AMOUNT.labels(SERVICE, outcome).inc(sum(kopecks(amount) for amount in amounts))
        for kind, number in (("payment_duplicate", duplicates), ("payment_refused", refused)):
            if number:
                BUSINESS_EVENTS.labels(SERVICE, kind).inc(number)

    if applied or parked or duplicates or refused:
        on_commit(session, count)
