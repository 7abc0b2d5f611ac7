"""What other services tell billing: its copies of identity's consumer accounts and of metering's points and
accepted readings (readings that change an invoiced period bring a correcting invoice), the PDFs documents stored
of its invoices and tax invoices, and the signature statuses of its invoices."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.issuing import INVOICE_DOCUMENT_TYPE, Issuer, invoice_of_source_event
from billing.repositories import consumers as consumer_repository
from billing.repositories import invoices as invoice_repository
from billing.repositories import tax_invoices as tax_invoice_repository
from billing.runtime import Runtime
from billing.tax import TAX_DOCUMENT_TYPES, TaxInvoicing, tax_invoice_of_source_event
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.metering import MeteringPointChanged, ReadingsAccepted
from shared.contracts.signature import DocumentStatusChanged
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)


class Copies:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

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

    async def attach_documents(self, events: Sequence[DocumentStored]) -> None:
        """The PDFs of invoices and tax invoices, by the references billing gave when it asked for them: one
        statement for many (a billing day stores a PDF per invoice)."""
        invoices: dict[uuid.UUID, DocumentStored] = {}
        tax_invoices: dict[uuid.UUID, DocumentStored] = {}
        for event in events:
            invoice_id = invoice_of_source_event(event.source_event)
            tax_invoice_id = tax_invoice_of_source_event(event.source_event)
            if event.document_type == INVOICE_DOCUMENT_TYPE and invoice_id is not None:
                invoices[invoice_id] = event
            elif event.document_type in TAX_DOCUMENT_TYPES and tax_invoice_id is not None:
                tax_invoices[tax_invoice_id] = event
        attached = await invoice_repository.attach_documents(
            self.session, {invoice_id: event.document_id for invoice_id, event in invoices.items()})
        attached |= await tax_invoice_repository.attach_tax_invoice_documents(
            self.session, {tax_invoice_id: event.document_id for tax_invoice_id, event in tax_invoices.items()})
        for row_id, event in (invoices | tax_invoices).items():
            if row_id not in attached:
                logger.warning("a stored PDF names no invoice of ours", extra=log_fields(
                    document_id=str(event.document_id), source_event=event.source_event))

    async def keep_signature_status(self, event: DocumentStatusChanged) -> None:
        if event.document_type == INVOICE_DOCUMENT_TYPE:
            await invoice_repository.keep_signature_status(self.session, event.document_id, event.status,
                                                           event.occurred_at)
