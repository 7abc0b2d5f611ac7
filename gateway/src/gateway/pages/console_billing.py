"""The supplier console's billing: one consumer's invoices, payments and tax invoices (with their registration
in the state register), tariffs and zone coefficients, the billing day's work list with «form all due» and its
progress, and payments waiting for review (parked: assigned to a consumer or returned)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from gateway.billing_client import NewTariff, NewZoneCoefficient
from gateway.messages import FormErrors, explain, field_message, general_message
from gateway.pages.common import billing_of, console_account, identity_of, notice_of, see_other, valid_period
from gateway.pages.money import (
    invoices_file,
    payments_file,
    render_invoices,
    render_payments,
    render_tariffs,
    render_tax_invoices,
)
from gateway.rendering import pages_of
from gateway.sessions import Admin, Staff, Visitor
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.errors import ServiceCallError

router = APIRouter(prefix="/console")

TextForm = Annotated[str, Form()]


# one consumer's money
@router.get("/consumers/{consumer_id}/invoices")
async def invoices_page(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await render_invoices(request, visitor, target)


@router.get("/consumers/{consumer_id}/invoices.{extension}")
async def invoices_download(request: Request, visitor: Staff, consumer_id: UUID, extension: str) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await invoices_file(request, visitor.principal, target, extension)


@router.get("/consumers/{consumer_id}/payments.{extension}")
async def payments_download(
    request: Request,
    visitor: Staff,
    consumer_id: UUID,
    extension: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await payments_file(request, visitor.principal, target, start, end, extension)


@router.get("/consumers/{consumer_id}/payments")
async def payments_page(
    request: Request,
    visitor: Staff,
    consumer_id: UUID,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await render_payments(request, visitor.principal, target, start, end)


@router.get("/consumers/{consumer_id}/tax-invoices")
async def tax_invoices_page(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await render_tax_invoices(request, visitor.principal, target)


@router.post("/consumers/{consumer_id}/tax-invoices/{tax_invoice_id}/registration")
async def register_tax_invoice(
    request: Request, visitor: Staff, consumer_id: UUID, tax_invoice_id: UUID,
    registration: TextForm = "", note: TextForm = "",
) -> Response:
    """The state register's answer (ЄРПН), recorded by the supplier."""
    target = await console_account(request, visitor.principal, consumer_id)
    try:
        await billing_of(request).register_tax_invoice(visitor.principal, tax_invoice_id, registration, note.strip())
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return await render_tax_invoices(request, visitor.principal, target, errors=errors, failed=tax_invoice_id,
                                         status_code=error.status_code)
    return see_other(f"{target.base}/tax-invoices?notice=registration_saved")


# tariffs and zone coefficients
@router.get("/tariffs")
async def tariffs_page(request: Request, visitor: Staff) -> Response:
    return await render_tariffs(request, visitor.principal, _tariff_forms())


def _tariff_forms(
    tariff: dict[str, str] | None = None, tariff_errors: FormErrors | None = None,
    coefficient: dict[str, str] | None = None, coefficient_errors: FormErrors | None = None,
) -> dict[str, Any]:
    return {
        "tariff": tariff or {"tariff_class": "", "energy": "active", "price": "", "effective_from": "", "title": ""},
        "tariff_errors": tariff_errors or FormErrors(),
        "coefficient": coefficient or {"zones": "2", "zone": "1", "coefficient": "", "effective_from": ""},
        "coefficient_errors": coefficient_errors or FormErrors(),
    }


@router.post("/tariffs")
async def add_tariff(
    request: Request, visitor: Staff, tariff_class: TextForm = "", energy: TextForm = "", price: TextForm = "",
    effective_from: TextForm = "", title: TextForm = "",
) -> Response:
    tariff = NewTariff(tariff_class=tariff_class.strip(), energy=energy, price=price.strip(),
                       effective_from=effective_from, title=title.strip())
    try:
        await billing_of(request).add_tariff(visitor.principal, tariff)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        forms = _tariff_forms(tariff=tariff.model_dump(), tariff_errors=errors)
        return await render_tariffs(request, visitor.principal, forms, status_code=error.status_code)
    return see_other("/console/tariffs?notice=tariff_added")


@router.post("/zone-coefficients")
async def add_zone_coefficient(
    request: Request, visitor: Staff, zones: TextForm = "", zone: TextForm = "", coefficient: TextForm = "",
    effective_from: TextForm = "",
) -> Response:
    typed = {"zones": zones, "zone": zone, "coefficient": coefficient.strip(), "effective_from": effective_from}
    translations = pages_of(request).translations(request)
    if not (zones.isdigit() and zone.isdigit()):
        # the form offers only the schemes and zones there are; anything else was not sent from it
        errors = FormErrors(general=general_message(translations, "invalid"),
                            fields={"zone": field_message(translations, "zone", "zone_invalid")})
        return await render_tariffs(request, visitor.principal, _tariff_forms(coefficient=typed,
                                                                              coefficient_errors=errors),
                                    status_code=422)
    new = NewZoneCoefficient(zones=int(zones), zone=int(zone), coefficient=typed["coefficient"],
                             effective_from=effective_from)
    try:
        await billing_of(request).add_zone_coefficient(visitor.principal, new)
    except ServiceCallError as error:
        forms = _tariff_forms(coefficient=typed, coefficient_errors=explain(error, translations))
        return await render_tariffs(request, visitor.principal, forms, status_code=error.status_code)
    return see_other("/console/tariffs?notice=coefficient_added")


# the billing day
@router.get("/billing")
async def billing_day(request: Request, visitor: Staff, period: str | None = None) -> Response:
    """Who is due an invoice, who still lacks readings, who is invoiced already."""
    return await _billing_day_page(request, visitor, period or "")


async def _billing_day_page(
    request: Request, visitor: Visitor, period: str, errors: FormErrors | None = None, status_code: int = 200
) -> Response:
    billing = billing_of(request)
    if period and valid_period(period) is None:
        # a month billing cannot take (typed into the address): the current billing day, and why
        translations = pages_of(request).translations(request)
        refused = {"period": field_message(translations, "period", "period_invalid")}
        errors, period, status_code = FormErrors(general_message(translations, "invalid"), refused), "", 422
    due = await billing.due(visitor.principal, period or None)
    # without a month asked for, billing shows the current one: the list names it
    period = period or datetime.now(BUSINESS_TIME_ZONE).strftime("%Y-%m")
    context = {"due": due, "period": period, "ready": sum(1 for item in due if item.ready and not item.invoice_number),
               "errors": errors or FormErrors()}
    return pages_of(request).render(request, "console_billing.html", context, status_code=status_code)


@router.post("/billing/runs")
async def start_billing_run(request: Request, visitor: Staff, period: TextForm = "") -> Response:
    """«Сформувати всі»: billing forms the invoices in the background; the run's page shows how far it got."""
    if period and valid_period(period) is None:
        return await _billing_day_page(request, visitor, period)  # which says why
    try:
        run = await billing_of(request).start_run(visitor.principal, period=period or None)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return await _billing_day_page(request, visitor, period, errors, status_code=error.status_code)
    return see_other(f"/console/billing/runs/{run.id}")


@router.get("/billing/runs/{run_id}")
async def billing_run(request: Request, visitor: Staff, run_id: UUID) -> Response:
    billing = billing_of(request)
    run, documents = await asyncio.gather(billing.run(visitor.principal, run_id),
                                          billing.run_documents(visitor.principal, run_id))
    return pages_of(request).render(request, "console_billing_run.html", {"run": run, "documents": documents})


# payments waiting for review: they name no consumer, so no branch; administrators review them
async def _parked_page(
    request: Request, visitor: Visitor, *, failed: UUID | None = None, errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    payments = await billing_of(request).parked_payments(visitor.principal)
    context = {
        "payments": payments, "failed": failed, "errors": errors or FormErrors(), "no_errors": FormErrors(),
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "console_payments.html", context, status_code=status_code)


@router.get("/payments")
async def parked_payments(request: Request, visitor: Admin) -> Response:
    return await _parked_page(request, visitor)


@router.post("/payments/{payment_id}/assignment")
async def assign_payment(
    request: Request, visitor: Admin, payment_id: UUID, account_number: TextForm = ""
) -> Response:
    """A payment for an unknown account, assigned to the consumer the staff member recognised."""
    translations = pages_of(request).translations(request)
    number = account_number.strip()
    found = [
        consumer for consumer in await identity_of(request).find_consumers(visitor.principal, number)
        if number and consumer.account_number == number
    ]
    if len(found) != 1:
        errors = FormErrors(general=general_message(translations, "invalid"),
                            fields={"account_number": field_message(translations, "account_number", "unknown")})
        return await _parked_page(request, visitor, failed=payment_id, errors=errors, status_code=422)
    try:
        await billing_of(request).assign_payment(visitor.principal, payment_id, found[0].id)
    except ServiceCallError as error:
        return await _refused(request, visitor, payment_id, error)
    return see_other("/console/payments?notice=payment_assigned")


@router.post("/payments/{payment_id}/return")
async def return_payment(request: Request, visitor: Admin, payment_id: UUID, return_reason: TextForm = "") -> Response:
    translations = pages_of(request).translations(request)
    reason = return_reason.strip()
    if not reason:
        errors = FormErrors(general=general_message(translations, "invalid"),
                            fields={"return_reason": field_message(translations, "return_reason", "required")})
        return await _parked_page(request, visitor, failed=payment_id, errors=errors, status_code=422)
    try:
        await billing_of(request).return_payment(visitor.principal, payment_id, reason)
    except ServiceCallError as error:
        return await _refused(request, visitor, payment_id, error)
    return see_other("/console/payments?notice=payment_returned")


async def _refused(request: Request, visitor: Visitor, payment_id: UUID, error: ServiceCallError) -> Response:
    errors = explain(error, pages_of(request).translations(request))
    if "reason" in errors.fields:
        errors.fields["return_reason"] = errors.fields.pop("reason")
    return await _parked_page(request, visitor, failed=payment_id, errors=errors, status_code=error.status_code)

