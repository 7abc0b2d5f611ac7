"""Billing use cases: copies of consumers, points and readings from events; tariffs; calculation and invoices;
billing runs. Each takes the caller's transaction; refusals are `shared.errors` with the API's codes."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.access import sees_consumer, visible_consumer
from billing.domain.calculation import Line, Meter, missing_meters
from billing.domain.periods import current_period, first_day, is_due, period_of
from billing.issuing import INVOICE_DOCUMENT_TYPE, Issuer, Refusal, invoice_of_source_event
from billing.models import BillingRun, Consumer, Invoice, Tariff, ZoneCoefficient
from billing.repositories import consumers as consumer_repository
from billing.repositories import invoices as invoice_repository
from billing.repositories import runs as run_repository
from billing.repositories import tariffs as tariff_repository
from billing.repositories import tax_invoices as tax_invoice_repository
from billing.runtime import Runtime
from billing.tax import TAX_DOCUMENT_TYPES, TaxInvoicing, tax_invoice_of_source_event
from shared.auth import Principal, Role
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.metering import MeteringPointChanged, ReadingsAccepted
from shared.contracts.signature import DocumentStatusChanged
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

_TARIFF_CLASS = re.compile(r"[a-z0-9_]{1,40}")
TITLE_MAX_LENGTH = 200
#: a tariff price: positive, 6 places at most (UAH per kWh or kvarh)
PRICE_MAX = Decimal("999999.999999")
COEFFICIENT_MAX = Decimal("99.9999")
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


@dataclass(frozen=True)
class TariffClass:
    tariff_class: str
    title: str
    history: Sequence[Tariff]
    zone_coefficients: Sequence[ZoneCoefficient]


@dataclass(frozen=True)
class NewTariff:
    tariff_class: str
    energy: str
    price: Decimal
    effective_from: date
    title: str


@dataclass(frozen=True)
class NewCoefficient:
    zones: int
    zone: int
    coefficient: Decimal
    effective_from: date


def _places_ok(value: Decimal, places: int, maximum: Decimal) -> bool:
    try:
        in_range = value.is_finite() and Decimal(0) < value <= maximum
        return in_range and value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return False


def _effective_from_ok(day: date) -> bool:
    """Prices change from the first day of a month: the price of a period is the one in force on its first day."""
    return day.day == 1


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


class Billing:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    # copies of identity's and metering's data
    async def keep_consumer(self, event: ConsumerAccountCreated) -> None:
        await consumer_repository.upsert_consumer(self.session, {
            "id": event.consumer_id, "account_number": event.account_number, "name": event.name,
            "edrpou": event.edrpou, "branch_id": event.branch_id, "branch_name": event.branch_name,
            "billing_day": event.billing_day, "self_calculation": event.self_calculation,
            "vat_payer": event.vat_payer, "ipn": event.ipn,
        })
        await TaxInvoicing(self.session, self.runtime).keep_buyer(event.consumer_id, event)

    async def keep_point(self, event: MeteringPointChanged) -> None:
        await consumer_repository.upsert_point(self.session, {
            "id": event.point_id, "consumer_id": event.consumer_id, "meter_serial": event.meter_serial,
            "zones": event.zones, "digits": event.digits, "ct_ratio": event.ct_ratio, "vt_ratio": event.vt_ratio,
            "registers": list(event.registers), "tariff_class": event.tariff_class, "active": event.active,
        })

    async def accept_readings(self, events: Sequence[ReadingsAccepted]) -> list[uuid.UUID]:
        """Keeps the accepted readings (a later act's replace an earlier's); for a period already invoiced, issues
        a correcting invoice when they change its amount. The correcting invoices issued."""
        consumers = {consumer.id: consumer for consumer in
                     await consumer_repository.lock_consumers(self.session, {event.consumer_id for event in events})}
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for event in events:
            for line in event.readings:
                rows[(event.consumer_id, event.period, line.point_id, line.energy, line.zone)] = {
                    "consumer_id": event.consumer_id, "period": event.period, "point_id": line.point_id,
                    "energy": line.energy, "zone": line.zone, "previous": line.previous,
                    "current": line.current, "rollover": line.rollover, "act_id": event.act_id,
                }
        await consumer_repository.upsert_readings(self.session, list(rows.values()))
        periods = list(dict.fromkeys((event.consumer_id, event.period) for event in events))
        invoiced = await invoice_repository.consumer_ids_with_regular_invoice(self.session, periods)
        issuer = Issuer(self.session, self.runtime)
        corrections = []
        for consumer_id, period in periods:
            consumer = consumers.get(consumer_id)
            if consumer is None or (consumer_id, period) not in invoiced:
                continue
            corrected = await issuer.correct(consumer, period)
            if corrected is not None:
                reasons = [event.correction_reason for event in events
                           if (event.consumer_id, event.period) == (consumer_id, period)]
                logger.info("correcting invoice issued", extra=log_fields(
                    invoice_id=str(corrected), consumer_id=str(consumer_id), period=period, reasons=reasons))
                corrections.append(corrected)
        return corrections

    async def attach_document(self, event: DocumentStored) -> None:
        """The PDF of an invoice or a tax invoice, by the reference billing gave when it asked for it."""
        invoice_id = invoice_of_source_event(event.source_event)
        tax_invoice_id = tax_invoice_of_source_event(event.source_event)
        if event.document_type == INVOICE_DOCUMENT_TYPE and invoice_id is not None:
            attached = await invoice_repository.attach_document(self.session, invoice_id, event.document_id)
            await TaxInvoicing(self.session, self.runtime).ask_for_pdfs(invoice_id)
        elif event.document_type in TAX_DOCUMENT_TYPES and tax_invoice_id is not None:
            attached = await tax_invoice_repository.attach_tax_invoice_document(self.session, tax_invoice_id,
                                                                                event.document_id)
        else:
            return
        if not attached:
            logger.warning("a stored PDF names no invoice of ours", extra=log_fields(
                document_id=str(event.document_id), source_event=event.source_event))

    async def keep_signature_status(self, event: DocumentStatusChanged) -> None:
        if event.document_type == INVOICE_DOCUMENT_TYPE:
            await invoice_repository.keep_signature_status(self.session, event.document_id, event.status,
                                                           event.occurred_at)

    # who sees what
    async def _consumer(self, principal: Principal, consumer_id: uuid.UUID) -> Consumer:
        return await visible_consumer(self.session, principal, consumer_id)

    def _period(self, raw: str | None, default: str) -> str:
        """The period given, or the default."""
        return default if raw is None else self._valid_period(raw)

    def _valid_period(self, raw: str) -> str:
        """A month, `YYYY-MM`, not after this one."""
        if first_day(raw) is None or raw > period_of(self.runtime.today()):
            raise Invalid("the period must be a month, YYYY-MM, not in the future", fields={"period": "period_invalid"})
        return raw

    # tariffs
    async def tariff_classes(self, principal: Principal, consumer_id: uuid.UUID | None) -> list[TariffClass]:
        """A consumer sees the classes of their points; staff and services all, or one consumer's."""
        if principal.role == Role.CONSUMER:
            consumer_id = consumer_id or principal.consumer_id
        schemes: set[int] | None = None
        classes: set[str] | None = None
        if consumer_id is not None:
            await self._consumer(principal, consumer_id)
            found = await tariff_repository.tariff_classes_of(self.session, consumer_id)
            classes = {tariff_class for tariff_class, _ in found}
            schemes = {zones for _, zones in found}
        elif principal.role == Role.CONSUMER:
            raise Forbidden("only staff see every tariff", code="role_forbidden")
        tariffs = await tariff_repository.tariffs(self.session, classes)
        coefficients = [coefficient for coefficient in await tariff_repository.zone_coefficients(self.session)
                        if schemes is None or coefficient.zones in schemes]
        by_class: dict[str, list[Tariff]] = {}
        for tariff in tariffs:
            by_class.setdefault(tariff.tariff_class, []).append(tariff)
        return [
            # the class is called what its newest tariff calls it
            TariffClass(tariff_class, history[0].title, history, coefficients)
            for tariff_class, history in sorted(by_class.items())
        ]

    async def add_tariff(self, principal: Principal, new: NewTariff) -> Tariff:
        problems: dict[str, str] = {}
        if not _TARIFF_CLASS.fullmatch(new.tariff_class):
            problems["tariff_class"] = "tariff_class_invalid"
        if not _places_ok(new.price, 6, PRICE_MAX):
            problems["price"] = "price_invalid"
        if not _effective_from_ok(new.effective_from):
            problems["effective_from"] = "date_invalid"
        title = " ".join(new.title.split())
        if not 0 < len(title) <= TITLE_MAX_LENGTH:
            problems["title"] = "title_invalid"
        if problems:
            raise Invalid("the tariff has mistakes", fields=problems)
        added = await tariff_repository.add_tariff(self.session, Tariff(
            id=uuid.uuid4(), tariff_class=new.tariff_class, energy=new.energy, price=new.price,
            effective_from=new.effective_from, title=title, created_by=principal.user_id,
        ))
        if added is None:
            raise Conflict("the class has a price of this register from that date", code="tariff_exists")
        return added

    async def zone_coefficients(self) -> list[ZoneCoefficient]:
        return await tariff_repository.zone_coefficients(self.session)

    async def add_zone_coefficient(self, new: NewCoefficient) -> ZoneCoefficient:
        problems: dict[str, str] = {}
        if not 1 <= new.zones <= 3:
            problems["zones"] = "zones_invalid"
        elif not 1 <= new.zone <= new.zones:
            problems["zone"] = "zone_invalid"
        if not _places_ok(new.coefficient, 4, COEFFICIENT_MAX):
            problems["coefficient"] = "coefficient_invalid"
        if not _effective_from_ok(new.effective_from):
            problems["effective_from"] = "date_invalid"
        if problems:
            raise Invalid("the zone coefficient has mistakes", fields=problems)
        added = await tariff_repository.add_zone_coefficient(self.session, ZoneCoefficient(
            id=uuid.uuid4(), zones=new.zones, zone=new.zone, coefficient=new.coefficient,
            effective_from=new.effective_from,
        ))
        if added is None:
            raise Conflict("the zone has a coefficient from that date", code="coefficient_exists")
        return added

    # calculation and invoices
    async def calculation(self, principal: Principal, consumer_id: uuid.UUID, period: str | None) -> CalculationState:
        consumer = await self._consumer(principal, consumer_id)
        default = await invoice_repository.oldest_uninvoiced_period(self.session, consumer_id) or current_period(
            self.runtime.today(), consumer.billing_day)
        period = self._period(period, default)
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
        consumer = await self._consumer(principal, consumer_id)
        if principal.role == Role.CONSUMER and not consumer.self_calculation:
            raise Forbidden("the consumer has no right of self-calculation; the supplier forms the invoices",
                            code="self_calculation_forbidden")
        period = self._valid_period(period)
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

    async def invoices(self, principal: Principal, consumer_id: uuid.UUID, year: int | None) -> tuple[
            list[int], list[InvoiceDetails]]:
        await self._consumer(principal, consumer_id)
        years = await invoice_repository.invoice_years(self.session, consumer_id)
        return years, await self._details(await invoice_repository.invoices_of(self.session, consumer_id, year))

    async def invoice(self, principal: Principal, invoice_id: uuid.UUID) -> InvoiceDetails:
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
        period = self._period(period, period_of(today))
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

    # billing runs
    async def start_run(self, principal: Principal, period: str | None,
                        consumer_ids: Sequence[uuid.UUID] | None) -> BillingRun:
        """A run's work list: the consumers named, or every consumer not invoiced for the period whose billing day
        of it has come — of the staff member's branch: the run works on that branch's consumers only (another
        branch's, named, are skipped as unknown). The run itself goes on in the background (`billing.runs`)."""
        today = self.runtime.today()
        period = self._period(period, period_of(today))
        branch_id = principal.branch_scope()
        if consumer_ids is None:
            last_day_due = 31 if period < period_of(today) else today.day
            work = await run_repository.uninvoiced_consumer_ids(self.session, period, last_day_due, branch_id)
        else:
            work = list(dict.fromkeys(consumer_ids))
        now = self.runtime.now()
        return await run_repository.add_run(self.session, BillingRun(
            id=uuid.uuid4(), period=period, state="running", consumer_ids=work, total=len(work), processed=0,
            issued=0, skipped=[],
            requested_by=principal.user_id, branch_id=branch_id, started_at=now, heartbeat_at=now,
        ))

    async def run(self, principal: Principal, run_id: uuid.UUID) -> BillingRun:
        found = await run_repository.run(self.session, run_id)
        # another branch's run (or an administrator's run over every branch) is not a staff member's to follow
        if found is None or principal.branch_scope() not in (None, found.branch_id):
            raise NotFound("no such billing run", code="run_not_found")
        return found
