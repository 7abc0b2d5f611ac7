"""«Гроші»: invoices, payments with the saldo, tax invoices; and «Товар → Тарифи» (manual: «Деньги → Счета»,
«Платежи», «Налоговые накладные»).

The lists are the manual's tables, grouped by year, newest first. Supplier staff see the same pages for one
consumer in the console (pages/console_billing.py), with their own actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from babel.support import Translations
from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.billing_client import Invoice, Registration
from gateway.billing_view import invoice_can_be_signed, invoice_status, last_years, saldo_kind
from gateway.charts import amounts_chart
from gateway.exports import EXTENSIONS, WRITERS, Table, invoices_table, payments_table
from gateway.listing import group_by_year
from gateway.messages import FormErrors, field_message, general_message
from gateway.pages.common import AccountPages, billing_of, documents_of, notice_of, own_account
from gateway.rendering import pages_of
from gateway.sessions import ConsumerOnly, MoneyViewer, SignedIn, Visitor
from gateway.signing import SignatureStatus, party_of
from shared.auth import Principal
from shared.business_calendar import BUSINESS_TIME_ZONE

router = APIRouter()


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    #: None while the invoice's PDF is being made
    status: SignatureStatus | None
    can_sign: bool


async def render_invoices(request: Request, visitor: Visitor, target: AccountPages) -> Response:
    invoices = await billing_of(request).invoices(visitor.principal, target.consumer_id)
    party = party_of(visitor)
    rows = [
        InvoiceRow(invoice, invoice_status(invoice), invoice_can_be_signed(invoice, party))
        for invoice in invoices.items
    ]
    context = {
        "groups": group_by_year(rows, lambda row: row.invoice.formed_on),
        "chart": amounts_chart(invoices.items),
        "target": target,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "invoices.html", context)


def table_file(request: Request, target: AccountPages, table: Table, name: str, extension: str) -> Response:
    """The table as a download; an extension other than csv or xlsx is a page that does not exist."""
    if extension not in WRITERS:
        raise HTTPException(404)
    translations = pages_of(request).translations(request)
    content = WRITERS[extension](table, translations)
    file_name = f"{name}-{_account_number(request, target)}.{extension}".replace("/", "-")
    return Response(content, media_type=EXTENSIONS[extension],
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


def _account_number(request: Request, target: AccountPages) -> str:
    if target.consumer is not None:
        return target.consumer.account_number
    consumer = request.state.visitor.signed_in_user.consumer
    return str(consumer.account_number) if consumer is not None else str(target.consumer_id)


async def invoices_file(request: Request, principal: Principal, target: AccountPages, extension: str) -> Response:
    invoices = await billing_of(request).invoices(principal, target.consumer_id)
    table = invoices_table(invoices.items, pages_of(request).translations(request))
    return table_file(request, target, table, "invoices", extension)


def _today() -> date:
    return datetime.now(BUSINESS_TIME_ZONE).date()


def typed_date(text: str | None) -> date | None:
    """A date as the page writes it, `25.08.2013` (or as an address may carry it, `2013-08-25`)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%d.%m.%Y").date() if "." in text else date.fromisoformat(text)
    except ValueError:
        return None


def payment_period(
    translations: Translations, start_text: str | None, end_text: str | None
) -> tuple[date, date, FormErrors]:
    """The period asked for (default: the last three years), and what was mistyped in it."""
    default_start, default_end = last_years(_today())
    start, end = typed_date(start_text), typed_date(end_text)
    errors = FormErrors()
    for name, text, parsed in (("from", start_text, start), ("to", end_text, end)):
        if text and parsed is None:
            errors.fields[name] = field_message(translations, name, "date_invalid")
    if errors.fields:
        errors.general = general_message(translations, "invalid")
    start, end = start or default_start, end or default_end
    if start > end:
        start, end = end, start
    return start, end, errors


async def render_payments(
    request: Request, principal: Principal, target: AccountPages, start_text: str | None, end_text: str | None
) -> Response:
    """The saldo on top, then the payments of the chosen period (default: the last three years)."""
    start, end, errors = payment_period(pages_of(request).translations(request), start_text, end_text)
    billing = billing_of(request)
    payments = await billing.payments(principal, target.consumer_id, start, end)
    context = {
        "saldo": payments.saldo,
        "saldo_kind": saldo_kind(payments.saldo),
        "groups": group_by_year(payments.items, lambda payment: payment.paid_on),
        "start": start,
        "end": end,
        # what was mistyped stays in its field to be corrected
        "typed": {name: text for name, text in (("from", start_text), ("to", end_text)) if name in errors.fields},
        "errors": errors,
        "target": target,
    }
    return pages_of(request).render(request, "payments.html", context, status_code=422 if errors else 200)


async def payments_file(
    request: Request, principal: Principal, target: AccountPages, start_text: str | None, end_text: str | None,
    extension: str,
) -> Response:
    """The payments of the period the page shows (a mistyped date falls back to the default, as there)."""
    translations = pages_of(request).translations(request)
    start, end, _ = payment_period(translations, start_text, end_text)
    payments = await billing_of(request).payments(principal, target.consumer_id, start, end)
    return table_file(request, target, payments_table(payments.items, translations), "payments", extension)


async def render_tax_invoices(
    request: Request, principal: Principal, target: AccountPages, *, errors: FormErrors | None = None,
    failed: UUID | None = None, status_code: int = 200,
) -> Response:
    answer = await billing_of(request).tax_invoices(principal, target.consumer_id)
    context: dict[str, Any] = {
        "groups": group_by_year(answer.items, lambda tax_invoice: tax_invoice.issued_on),
        "target": target,
        "notice": notice_of(request),
        "errors": errors or FormErrors(),
        "failed": failed,
        "registrations": list(Registration),
    }
    return pages_of(request).render(request, "tax_invoices.html", context, status_code=status_code)


async def render_tariffs(request: Request, principal: Principal, context: dict[str, Any] | None = None,
                         *, status_code: int = 200) -> Response:
    """The tariff classes with their history and zone coefficients: a consumer's own classes, or (staff) all
    classes with every coefficient and the forms to add them."""
    billing = billing_of(request)
    staff = principal.is_staff
    classes = await billing.tariffs(principal, None if staff else principal.consumer_id)
    page: dict[str, Any] = {
        "classes": classes.classes,
        "coefficients": await billing.zone_coefficients(principal) if staff else [],
        "staff": staff,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "tariffs.html", page | (context or {}), status_code=status_code)


@router.get("/invoices")
async def invoices_page(request: Request, visitor: MoneyViewer) -> Response:
    return await render_invoices(request, visitor, own_account(visitor.principal))


@router.get("/invoices.{extension}")
async def invoices_download(request: Request, visitor: MoneyViewer, extension: str) -> Response:
    return await invoices_file(request, visitor.principal, own_account(visitor.principal), extension)


@router.get("/payments.{extension}")
async def payments_download(
    request: Request,
    visitor: MoneyViewer,
    extension: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    return await payments_file(request, visitor.principal, own_account(visitor.principal), start, end, extension)


@router.get("/payments")
async def payments_page(
    request: Request,
    visitor: MoneyViewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    return await render_payments(request, visitor.principal, own_account(visitor.principal), start, end)


@router.get("/tax-invoices")
async def tax_invoices_page(request: Request, visitor: MoneyViewer) -> Response:
    return await render_tax_invoices(request, visitor.principal, own_account(visitor.principal))


@router.get("/tax-invoices/{tax_invoice_id}/pdf")
async def tax_invoice_pdf(request: Request, visitor: SignedIn, tax_invoice_id: UUID) -> Response:
    """The tax invoice's PDF, the consumer's readable copy: billing has documents draw it on the first download."""
    tax_invoice = await billing_of(request).tax_invoice_pdf(visitor.principal, tax_invoice_id)
    if tax_invoice.document_id is None:
        raise HTTPException(status_code=404)
    return await documents_of(request).content(visitor.principal, tax_invoice.document_id)


@router.get("/tax-invoices/{tax_invoice_id}/xml")
async def tax_invoice_xml(request: Request, visitor: SignedIn, tax_invoice_id: UUID) -> Response:
    """The machine-readable tax invoice, passed on from billing (another consumer's answers 404 there)."""
    return await billing_of(request).tax_invoice_xml(visitor.principal, tax_invoice_id)


@router.get("/tariffs")
async def tariffs_page(request: Request, visitor: ConsumerOnly) -> Response:
    return await render_tariffs(request, visitor.principal)
