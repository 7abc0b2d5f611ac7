"""Tax invoices (manual «Налоговые накладные»): one per issued invoice, a correction calculation per correcting
invoice; the consumer's listing with the completeness check, the XML, staff's registration state, the buyer's VAT
details.

They are issued **in the invoice's own transaction** (`issuing.Issuer` calls `issue`), not from billing's own
`billing.invoice_issued.v1`: a tax invoice is the invoice's by law (same date, same amounts), so there is never
one without the other, not even for the moment an event takes; numbers run without gaps per seller and month
only if they are taken in a transaction that commits or rolls back with the invoice; and the issuing path already
holds what it needs (the consumers locked, the calculation, the branches read from identity), where a handler of
the event would read all of it again for every invoice — a billing run stays set-based, one statement per table
for a batch. The counter row of a seller's month is locked until the issuing transaction ends: issuing
transactions of one seller take their numbers one after another.

The rows are the invoice's lines; the seller (the branch from identity, the VAT details from settings) and the
buyer (the consumer's details from identity: name, ЄДРПОУ, VAT payer or not, ІПН) are kept as they were at issue,
the buyer brought up to date by identity's every change of the consumer until the tax invoice is registered.
Completeness and the XML are worked out from that whenever they are asked for, and so is the PDF, the consumer's
readable copy: the tax invoice is by law its XML, so a billing run issues the XML only (cheap: the rows it writes
anyway), and documents draws a PDF when someone first asks for it (`TaxInvoicing.pdf`) — on the billing day the
render workers draw the invoices, which consumers pay by, and no tax invoice a consumer never opens.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from billing.access import sees_consumer, visible_consumer
from billing.clients import SERVICE, Branch, UpstreamFailed
from billing.domain import tax_invoices as rules
from billing.domain.calculation import Line
from billing.domain.periods import day_written
from billing.models import Consumer, Invoice, TaxInvoice
from billing.repositories import invoices as invoice_repository
from billing.repositories import tax_invoices as tax_invoice_repository
from billing.repositories.invoices import CORRECTING
from billing.runtime import Runtime
from billing.settings import BillingSettings
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound, ServiceCallError

SOURCE_EVENT_PREFIX = "billing.tax_invoice/"
#: the documents service's templates of tax invoices (`rules.document_type`)
TAX_DOCUMENT_TYPES = ("tax_invoice", "tax_invoice_correction")
NOT_REGISTERED = "not_registered"
REGISTERED = "registered"
Registration = Literal["not_registered", "registered", "refused"]
NOTE_MAX_LENGTH = 500


def source_event(tax_invoice_id: uuid.UUID) -> str:
    return f"{SOURCE_EVENT_PREFIX}{tax_invoice_id}"


def tax_invoice_of_source_event(reference: str | None) -> uuid.UUID | None:
    if reference is None or not reference.startswith(SOURCE_EVENT_PREFIX):
        return None
    try:
        return uuid.UUID(reference.removeprefix(SOURCE_EVENT_PREFIX))
    except ValueError:
        return None


@dataclass(frozen=True)
class Issued:
    """An invoice just written, as issuing has it."""

    consumer: Consumer
    invoice: dict[str, Any]
    lines: Sequence[Line]
    branch: Branch


@dataclass(frozen=True)
class TaxInvoiceDetails:
    row: TaxInvoice
    invoice_number: str
    #: the invoice's billing period
    period: str
    corrects_number: str | None
    #: the tax invoice as the rules see it
    document: rules.TaxInvoice
    #: the mandatory fields missing or wrong
    missing: tuple[str, ...]


def _seller(branch: Branch, settings: BillingSettings) -> dict[str, Any]:
    return {"name": branch.name, "tax_number": branch.edrpou, "ipn": settings.seller_ipn, "vat_payer": True,
            "compiler_name": settings.seller_compiler_name,
            "compiler_tax_number": settings.seller_compiler_tax_number, "tax_office": settings.seller_tax_office}


class BuyerDetails(Protocol):
    """A consumer's details on its tax invoices: billing's copy, or identity's event that brings them."""

    @property
    def name(self) -> str: ...
    @property
    def edrpou(self) -> str: ...
    @property
    def ipn(self) -> str | None: ...
    @property
    def vat_payer(self) -> bool: ...


def buyer_of(consumer: BuyerDetails) -> dict[str, Any]:
    return {"name": consumer.name, "tax_number": consumer.edrpou, "ipn": consumer.ipn,
            "vat_payer": consumer.vat_payer}


def _party(stored: dict[str, Any]) -> rules.TaxParty:
    return rules.TaxParty(stored["name"], stored["tax_number"], stored["ipn"], stored["vat_payer"])


def _seller_of(stored: dict[str, Any]) -> rules.Seller:
    return rules.Seller(_party(stored), stored["compiler_name"], stored["compiler_tax_number"], stored["tax_office"])


def _issued_invoice(number: str, formed_on: date, amounts: tuple[Decimal, Decimal, Decimal],
                    lines: Sequence[Line]) -> rules.IssuedInvoice:
    """The invoice as the rules take it: its own amounts, never worked out again."""
    return rules.IssuedInvoice(number, formed_on, *amounts, tuple(
        rules.InvoiceLine(line.energy, line.volume, line.price, line.amount) for line in lines))


def _build(kind: str, invoice: rules.IssuedInvoice, number: int, seller: rules.Seller, buyer: rules.TaxParty,
           corrects: TaxInvoice | None, sold: Mapping[str, rules.Product]) -> rules.TaxInvoice:
    if kind == "tax_invoice":
        return rules.build_tax_invoice(invoice, number=number, seller=seller, buyer=buyer, sold=sold)
    # a correction of an invoice issued before tax invoices were: the completeness check names `corrects.number`
    corrected = rules.CorrectedTaxInvoice(corrects.number, corrects.issued_on) if corrects else \
        rules.CorrectedTaxInvoice("", invoice.formed_on)
    return rules.build_correction(invoice, number=number, seller=seller, buyer=buyer, corrects=corrected, sold=sold)


def _name(document: rules.TaxInvoice) -> str:
    return "Податкова накладна" if document.kind == "tax_invoice" else "Розрахунок коригування"


def title(document: rules.TaxInvoice) -> str:
    return f"{_name(document)} № {document.number} від {day_written(document.issued_on)}"


def file_name(document: rules.TaxInvoice) -> str:
    """Numbers repeat every month: the date keeps them apart."""
    return f"{_name(document)} {document.number} від {day_written(document.issued_on, '-')}.pdf"


class TaxInvoicing:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.sold = rules.products(runtime.settings.reactive_energy_unit_code)

    async def issue(self, issued: Sequence[Issued]) -> None:
        """The tax invoices of invoices just written (in their transaction); their PDFs are drawn when asked for."""
        if not issued:
            return
        corrected = await tax_invoice_repository.tax_invoices_of_invoices(
            self.session, [item.invoice["corrects_invoice_id"] for item in issued
                           if item.invoice["corrects_invoice_id"] is not None])
        # numbers per seller and month: one counter statement for each
        groups: dict[tuple[str, int, int], list[Issued]] = defaultdict(list)
        for item in issued:
            groups[(item.branch.edrpou, *rules.numbering_period(item.invoice["formed_on"]))].append(item)
        # the seller is the branch: worked out once for the many tax invoices of a batch
        branches = {item.branch.id: item.branch for item in issued}
        sellers = {branch_id: _seller(branch, self.runtime.settings) for branch_id, branch in branches.items()}
        seller_rules = {branch_id: _seller_of(seller) for branch_id, seller in sellers.items()}
        rows: list[dict[str, Any]] = []
        for (seller_tax_number, year, month), items in sorted(groups.items()):
            numbers = await tax_invoice_repository.take_tax_invoice_numbers(
                self.session, seller_tax_number, year, month, len(items))
            for item, number in zip(items, numbers, strict=True):
                row = item.invoice
                kind = "correction" if row["kind"] == CORRECTING else "tax_invoice"
                seller, buyer = sellers[item.branch.id], buyer_of(item.consumer)
                corrects = corrected.get(row["corrects_invoice_id"]) if row["corrects_invoice_id"] else None
                invoice = _issued_invoice(row["number"], row["formed_on"],
                                          (row["amount_excl_vat"], row["vat"], row["total"]), item.lines)
                document = _build(kind, invoice, number, seller_rules[item.branch.id], _party(buyer), corrects,
                                  self.sold)
                rows.append({
                    "id": uuid.uuid4(), "consumer_id": row["consumer_id"], "invoice_id": row["id"], "kind": kind,
                    "number": document.number, "issued_on": document.issued_on,
                    "amount_excl_vat": document.amount_excl_vat, "vat": document.vat, "total": document.total,
                    "corrects_tax_invoice_id": corrects.id if corrects else None, "seller": seller, "buyer": buyer,
                    "registration": NOT_REGISTERED,
                })
        await tax_invoice_repository.insert_tax_invoices(self.session, rows)

    async def pdf(self, principal: Principal, tax_invoice_id: uuid.UUID) -> TaxInvoiceDetails:
        """The tax invoice with its PDF: drawn and stored by documents the first time it is asked for, from the tax
        invoice as it is now (its buyer followed identity until registration). Documents answers a reference it has
        a document for with that document, so first requests at once, or a retry, give one PDF."""
        details = await self.one(principal, tax_invoice_id)
        row, document = details.row, details.document
        if row.document_id is not None:
            return details
        if not document.rows:
            # a correction that changes no row's amount has nothing to draw
            raise NotFound("this tax invoice has no PDF", code="tax_invoice_pdf_none")
        try:
            stored = await self.runtime.documents.post("/api/v1/documents/render", SERVICE, json={
                "consumer_id": str(row.consumer_id), "type": rules.document_type(document),
                "period": details.period, "title": title(document), "file_name": file_name(document),
                "data": rules.render_data(document).model_dump(mode="json"), "source_event": source_event(row.id),
                # the seller signs a tax invoice and registers it; the buyer does not sign it
                "issued_on": document.issued_on.isoformat(), "signers": ["supplier"],
            })
        except (httpx.TransportError, ServiceCallError) as exc:
            raise UpstreamFailed("the documents service cannot draw the PDF now") from exc
        # documents' `document_stored` event brings the same id a moment later
        row.document_id = uuid.UUID(stored["id"])
        return details

    # reading
    async def listing(self, principal: Principal, consumer_id: uuid.UUID, year: int | None) -> tuple[
            list[int], list[TaxInvoiceDetails]]:
        await visible_consumer(self.session, principal, consumer_id)
        years = await tax_invoice_repository.tax_invoice_years(self.session, consumer_id)
        return years, await self._details(await tax_invoice_repository.tax_invoices_of(self.session, consumer_id, year))

    async def one(self, principal: Principal, tax_invoice_id: uuid.UUID, *, lock: bool = False) -> TaxInvoiceDetails:
        found = await tax_invoice_repository.tax_invoice(self.session, tax_invoice_id, lock=lock)
        # another consumer's is answered as missing: its existence is not theirs to learn
        if found is None or not await sees_consumer(self.session, principal, found.consumer_id):
            raise NotFound("no such tax invoice", code="tax_invoice_not_found")
        return (await self._details([found]))[0]

    async def register(self, principal: Principal, tax_invoice_id: uuid.UUID, registration: Registration,
                       note: str | None) -> TaxInvoiceDetails:
        """Staff record what the state register (ЄРПН) said; only a complete tax invoice is registered."""
        note = " ".join(note.split()) if note else None
        if note and len(note) > NOTE_MAX_LENGTH:
            raise Invalid("the note is too long", fields={"note": "note_invalid"})
        details = await self.one(principal, tax_invoice_id, lock=True)
        if registration == REGISTERED and details.missing:
            raise Conflict("the tax invoice lacks mandatory fields", code="tax_invoice_incomplete",
                           extra={"missing": list(details.missing)})
        row = details.row
        row.registration, row.registration_note = registration, note
        row.registration_changed_by, row.registration_changed_at = principal.user_id, self.runtime.now()
        return details

    async def keep_buyer(self, consumer_id: uuid.UUID, consumer: BuyerDetails) -> None:
        """Identity changed the consumer: the buyer of its tax invoices not registered yet follows (a registered
        one keeps the buyer it was registered with)."""
        await tax_invoice_repository.set_unregistered_buyer(self.session, consumer_id, buyer_of(consumer))

    async def _details(self, found: Sequence[TaxInvoice]) -> list[TaxInvoiceDetails]:
        invoices = await invoice_repository.invoices_by_id(self.session, [row.invoice_id for row in found])
        lines = await invoice_repository.lines_of(self.session, list(invoices))
        corrected = await tax_invoice_repository.tax_invoices_by_id(
            self.session, [row.corrects_tax_invoice_id for row in found if row.corrects_tax_invoice_id])
        details = []
        for row in found:
            invoice: Invoice = invoices[row.invoice_id]
            corrects = corrected.get(row.corrects_tax_invoice_id) if row.corrects_tax_invoice_id else None
            issued = _issued_invoice(invoice.number, row.issued_on, (row.amount_excl_vat, row.vat, row.total),
                                     lines.get(invoice.id, []))
            document = _build(row.kind, issued, int(row.number), _seller_of(row.seller), _party(row.buyer), corrects,
                              self.sold)
            details.append(TaxInvoiceDetails(row, invoice.number, invoice.period, corrects.number if corrects else None,
                                             document,
                                             rules.check_completeness(document)))
        return details
