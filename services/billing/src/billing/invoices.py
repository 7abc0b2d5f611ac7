"""Invoices as people see them: a consumer's calculation of a period, an invoice issued on request («Розрахувати»),
the invoices listed and one with its lines, and the billing day's work list of staff. Issuing itself is
`billing.issuing`'s."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.access import sees_consumer, visible_consumer
from billing.domain.calculation import Line, Meter, missing_meters
from billing.domain.periods import current_period, first_day, is_due, period_of
from billing.issuing import Issuer, Refusal
from billing.models import Consumer, Invoice
from billing.repositories import consumers as consumer_repository
from billing.repositories import invoices as invoice_repository
from billing.runtime import Runtime
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound

#: the only reason billing gives for a point in `missing`: it learns readings only once they are accepted
NO_READINGS = "no_readings"


@dataclass(frozen=True)
class InvoiceDetails:
    invoice: Invoice
    lines: Sequence[Line]
    corrects_number: str | None
    signature_status: str | None


@dataclass(frozen=True)
class CalculationState:
    period: str
    self_calculation: bool
    ready: bool
    missing: Sequence[Meter]
    invoice: InvoiceDetails | None


@dataclass(frozen=True)
class DueConsumer:
    consumer: Consumer
    ready: bool
    missing: Sequence[Meter]
    invoice_number: str | None


def valid_period(raw: str, today: date) -> str:
    """A period asked for: a month, `YYYY-MM`, not after this one."""
    if first_day(raw) is None or raw > period_of(today):
        raise Invalid("the period must be a month, YYYY-MM, not in the future", fields={"period": "period_invalid"})
    return raw


def period_asked(raw: str | None, default: str, today: date) -> str:
    """The period asked for, or the default."""
    return default if raw is None else valid_period(raw, today)


def refusal_error(refusal: Refusal) -> Conflict:
    if refusal.reason == "readings_missing":
        return Conflict("some metering points have no accepted readings for the period", code="readings_missing",
                        extra={"missing": missing_view(refusal.missing)})
    if refusal.reason == "tariff_missing":
        return Conflict("no tariff is in force for the period", code="tariff_missing", fields=refusal.fields)
    return Conflict("the consumer has no metering points to bill", code=refusal.reason)


def missing_view(meters: Sequence[Meter]) -> list[dict[str, Any]]:
    return [{"point_id": str(meter.point_id), "meter_serial": meter.meter_serial, "reason": NO_READINGS}
            for meter in meters]


class Invoices:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def calculation(self, principal: Principal, consumer_id: uuid.UUID, period: str | None) -> CalculationState:
        consumer = await visible_consumer(self.session, principal, consumer_id)
        today = self.runtime.today()
        default = await invoice_repository.oldest_uninvoiced_period(self.session, consumer_id) or current_period(
            today, consumer.billing_day)
        period = period_asked(period, default, today)
        meters = (await consumer_repository.meters_of(self.session, [consumer_id], period)).get(consumer_id, [])
        readings = (await consumer_repository.readings_of(self.session, [consumer_id], period)).get(consumer_id, [])
        missing = missing_meters(meters, readings)
        invoice = (await invoice_repository.regular_invoices(self.session, [consumer_id], period)).get(consumer_id)
        return CalculationState(
            period=period, self_calculation=consumer.self_calculation,
            ready=bool(meters) and not missing, missing=missing,
            invoice=(await self._details([invoice]))[0] if invoice else None,
        )

    async def issue(self, principal: Principal, consumer_id: uuid.UUID, period: str) -> tuple[InvoiceDetails, bool]:
        """The period's invoice, and whether it was issued now (False: it existed already)."""
        if principal.role not in (Role.CONSUMER, Role.STAFF, Role.ADMIN):
            raise Forbidden("only the consumer or the supplier's staff form invoices", code="role_forbidden")
        consumer = await visible_consumer(self.session, principal, consumer_id)
        if principal.role == Role.CONSUMER and not consumer.self_calculation:
            raise Forbidden("the consumer has no right of self-calculation; the supplier forms the invoices",
                            code="self_calculation_forbidden")
        period = valid_period(period, self.runtime.today())
        # the lock makes a double click or a retried request wait for the first, then find its invoice
        locked = await consumer_repository.lock_consumers(self.session, [consumer_id])
        outcome = await Issuer(self.session, self.runtime).issue_regular(locked, period)
        if consumer_id in outcome.issued:
            invoice = await invoice_repository.invoice(self.session, outcome.issued[consumer_id])
            created = True
        elif consumer_id in outcome.existing:
            invoice = await invoice_repository.invoice(self.session, outcome.existing[consumer_id])
            created = False
        else:
            raise refusal_error(outcome.refused[0])
        assert invoice is not None
        return (await self._details([invoice]))[0], created

    async def listing(self, principal: Principal, consumer_id: uuid.UUID, year: int | None) -> tuple[
            list[int], list[InvoiceDetails]]:
        await visible_consumer(self.session, principal, consumer_id)
        years = await invoice_repository.invoice_years(self.session, consumer_id)
        return years, await self._details(await invoice_repository.invoices_of(self.session, consumer_id, year))

    async def one(self, principal: Principal, invoice_id: uuid.UUID) -> InvoiceDetails:
        invoice = await invoice_repository.invoice(self.session, invoice_id)
        # another consumer's invoice is answered as missing: its existence is not theirs to learn
        if invoice is None or not await sees_consumer(self.session, principal, invoice.consumer_id):
            raise NotFound("no such invoice", code="invoice_not_found")
        return (await self._details([invoice]))[0]

    async def _details(self, invoices: Sequence[Invoice]) -> list[InvoiceDetails]:
        lines = await invoice_repository.lines_of(self.session, [invoice.id for invoice in invoices])
        corrected = await invoice_repository.numbers_of(
            self.session, [invoice.corrects_invoice_id for invoice in invoices if invoice.corrects_invoice_id])
        statuses = await invoice_repository.signature_statuses(
            self.session, [invoice.document_id for invoice in invoices if invoice.document_id])
        return [
            InvoiceDetails(
                invoice, lines.get(invoice.id, []),
                corrected.get(invoice.corrects_invoice_id) if invoice.corrects_invoice_id else None,
                statuses.get(invoice.document_id) if invoice.document_id else None,
            )
            for invoice in invoices
        ]

    async def due(self, principal: Principal, period: str | None) -> tuple[str, list[DueConsumer]]:
        """The billing day's work list: consumers (of the staff member's branch) whose billing day of the period has
        come, with what is missing and the invoice issued, if any."""
        today = self.runtime.today()
        period = period_asked(period, period_of(today), today)
        consumers = [consumer for consumer in
                     await consumer_repository.all_consumers(self.session, principal.branch_scope())
                     if is_due(period, consumer.billing_day, today)]
        ids = [consumer.id for consumer in consumers]
        meters = await consumer_repository.meters_of(self.session, ids, period)
        readings = await consumer_repository.readings_of(self.session, ids, period)
        invoices = await invoice_repository.regular_invoices(self.session, ids, period)
        listed = []
        for consumer in consumers:
            consumer_meters = meters.get(consumer.id, [])
            missing = missing_meters(consumer_meters, readings.get(consumer.id, []))
            invoice = invoices.get(consumer.id)
            listed.append(DueConsumer(consumer, bool(consumer_meters) and not missing, missing,
                                      invoice.number if invoice else None))
        return period, listed
