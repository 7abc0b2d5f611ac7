"""The public API, `/api/v1/...`: what a consumer's accounting program reads and sends with a personal access token
(docs/public-api.md). Its schema is `/api/v1/openapi.json`.

A FastAPI app of its own, mounted in the gateway: its own schema, its own errors (JSON `{"detail": {"code",
"message"}}`, never a page) and no cookies, so no CSRF: a program proves itself with its token on every call, which
a browser never sends by itself. Each route names its scope (`gateway.api_access.requires`) and calls the services
with the same typed clients and the same principal (the token's user) as the pages, so the services' roles and
tenancy decide as for the pages. Every call is recorded in the consumer's audit trail by identity as it is admitted,
its status told once answered, and logged with the token's prefix, its user, the route and the status (`CallLog`).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api_access import (
    ApiCaller,
    ApiRefusal,
    RefusedTokens,
    check_routes_name_scopes,
    requires,
    route_of,
)
from gateway.api_access import Scope as TokenScope
from gateway.billing_client import BillingClient, Invoice, Invoices, Payments, Reconciliation, Saldo, TaxInvoices
from gateway.documents_client import Document, DocumentsClient
from gateway.identity_client import IdentityClient
from gateway.metering_client import Energy, MeteringClient, Reading, Submitted
from gateway.pages.common import billing_of, documents_of, metering_of
from gateway.settings import GatewaySettings
from shared.auth import Principal, Role
from shared.contracts.documents import ReconciliationActData
from shared.errors import ServiceCallError
from shared.inputs import IsoDate
from shared.service import file_download
from shared.telemetry import FASTAPI_TELEMETRY, log_fields

logger = logging.getLogger(__name__)

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
#: the longest span of payments one call reads
PAYMENTS_DAYS = 366


class ErrorDetail(BaseModel):
    code: str = Field(examples=["scope_missing"])
    message: str = Field(examples=["the access token does not allow payments:read"])


class ErrorBody(BaseModel):
    detail: ErrorDetail


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    what = {
        401: "No access token, or one unknown, revoked or expired (`token_missing`, `access_token_invalid`)",
        403: "The token's scopes do not allow this (`scope_missing`)",
        404: "No such object of the token's consumer",
        409: "Refused in the object's state (readings: `confirmation_needed`, with `warnings`)",
        422: "The request does not fit (`invalid`, with `fields`)",
        429: "More calls than the token's limit (`rate_limited`); `Retry-After` says when to call again",
    }
    return {status: {"model": ErrorBody, "description": what[status]} for status in statuses}


router = APIRouter(responses=_errors(401, 403, 404, 422, 429))

InvoicesRead = Annotated[ApiCaller, Depends(requires(TokenScope.INVOICES_READ))]
PaymentsRead = Annotated[ApiCaller, Depends(requires(TokenScope.PAYMENTS_READ))]
DocumentsRead = Annotated[ApiCaller, Depends(requires(TokenScope.DOCUMENTS_READ))]
ReadingsWrite = Annotated[ApiCaller, Depends(requires(TokenScope.READINGS_WRITE))]
Period = Annotated[str | None, Query(pattern=PERIOD, description="a billing month, `YYYY-MM`", examples=["2026-03"])]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="the year; the latest with any when not given")]


INVOICE_EXAMPLE = {
    "id": "8f0c6c1e-3a55-4c4e-9d0e-2f7a2b9f4a11", "consumer_id": "5b1f3c2a-7d4e-4f6a-8b9c-0d1e2f3a4b5c",
    "account_number": "0789", "number": "РФ-0789-202603", "kind": "regular", "period": "2026-03",
    "formed_on": "2026-03-25", "pay_by": "2026-04-10", "amount_excl_vat": "4868.30", "vat": "973.66",
    "total": "5841.96", "paid": "0.00", "balance": "5841.96", "document_id": "0a4e2d1c-9b8f-4e7d-a6c5-b4a3f2e1d0c9",
    "signature_status": "signed", "lines": [],
}


# invoices
@router.get("/invoices", responses={200: {"content": {"application/json": {"example": {
    "years": [2026, 2025], "items": [INVOICE_EXAMPLE]}}}}})
async def invoices(request: Request, caller: InvoicesRead, year: Year = None, period: Period = None) -> Invoices:
    """The consumer's invoices of a year (the latest when not given), newest first; of one month with `period`."""
    if period is not None:
        year = int(period[:4])
    found = await billing_of(request).invoices(caller.principal, caller.consumer_id, year)
    if period is None:
        return found
    return found.model_copy(update={"items": [invoice for invoice in found.items if invoice.period == period]})


@router.get("/invoices/{invoice_id}", responses={200: {"content": {"application/json": {"example": INVOICE_EXAMPLE}}}})
async def invoice(request: Request, invoice_id: UUID, caller: InvoicesRead) -> Invoice:
    """One invoice with its lines (meters, zones, readings, volumes, prices)."""
    return await billing_of(request).invoice(caller.principal, invoice_id)


@router.get("/invoices/{invoice_id}/pdf", **file_download("application/pdf"))
async def invoice_pdf(request: Request, invoice_id: UUID, caller: InvoicesRead) -> StreamingResponse:
    """The invoice's PDF; 404 `pdf_not_ready` for the moments after it is issued, before the PDF is stored."""
    found = await billing_of(request).invoice(caller.principal, invoice_id)
    if found.document_id is None:
        raise ApiRefusal(404, "pdf_not_ready", "the invoice's PDF is being made; ask again in a minute")
    return await documents_of(request).content(caller.principal, found.document_id)


# payments
@router.get("/payments", responses={200: {"content": {"application/json": {"example": {
    "saldo": {"saldo": "5841.96", "debt": "5841.96", "overpayment": "0.00", "open_invoices": 1,
              "next_pay_by": "2026-04-10", "next_pay_by_amount": "5841.96"},
    "items": [{"id": "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4", "res_payment_id": "RES-2026-000123",
               "consumer_id": "5b1f3c2a-7d4e-4f6a-8b9c-0d1e2f3a4b5c", "account_number": "0789",
               "paid_on": "2026-03-02", "document_number": "1204", "amount": "5000.00",
               "payer_iban": "UA213052990000026001234567890", "bank": "АТ КБ «ПриватБанк»", "mfo": "305299",
               "purpose": "Оплата за е/е, о/р 0789", "state": "applied",
               "allocations": [{"invoice_id": "8f0c6c1e-3a55-4c4e-9d0e-2f7a2b9f4a11",
                                "invoice_number": "РФ-0789-202602", "amount": "5000.00"}],
               "credit": "0.00", "received_at": "2026-03-02T09:15:00+02:00"}]}}}}})
async def payments(
    request: Request, caller: PaymentsRead,
    start: Annotated[IsoDate | None, Query(alias="from", description="the first day; a year before `to` if not given")]
    = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="the last day; today if not given")] = None,
) -> Payments:
    """The payments received from `from` to `to` (a year at most) and the saldo read with them."""
    end = end or date.today()
    # a year before the first days of the calendar is the calendar's first day
    start = start or (end - timedelta(days=PAYMENTS_DAYS - 1) if end.toordinal() > PAYMENTS_DAYS else date.min)
    if not timedelta(0) <= end - start < timedelta(days=PAYMENTS_DAYS):
        raise ApiRefusal(422, "invalid", f"`from` must not be after `to`, nor more than {PAYMENTS_DAYS} days before")
    return await billing_of(request).payments(caller.principal, caller.consumer_id, start, end)


@router.get("/saldo")
async def saldo(request: Request, caller: PaymentsRead) -> Saldo:
    """What the consumer owes (positive) or has paid in advance (negative), and what is due next."""
    return await billing_of(request).saldo(caller.principal, caller.consumer_id)


# reconciliation acts
RECONCILIATION_EXAMPLE = {
    "start": "2026-01-01", "end": "2026-03-31", "opening": "1200.00",
    "operations": [
        {"on": "2026-01-25", "kind": "invoice", "document": "РФ-0789-202601", "debit": "5841.96", "credit": "0.00"},
        {"on": "2026-02-02", "kind": "payment", "document": "1204", "debit": "0.00", "credit": "7041.96"},
    ],
    "debit_turnover": "5841.96", "credit_turnover": "7041.96", "closing": "0.00", "debtor": "nobody",
    "ageing": {"not_due": "0.00", "days_0_30": "0.00", "days_31_60": "0.00", "days_61_90": "0.00", "over_90": "0.00"},
}


@router.get("/reconciliation", responses={200: {"content": {"application/json": {"example": RECONCILIATION_EXAMPLE}}}})
async def reconciliation(
    request: Request, caller: PaymentsRead,
    start: Annotated[IsoDate | None, Query(alias="from", description="the first day; 1 January of `to`'s year if "
                                                                     "not given")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="the last day, not after today; today if not "
                                                                 "given")] = None,
) -> Reconciliation:
    """The reconciliation act (акт звірки) of a period as the supplier's books have it: the opening and closing
    balances (positive: the consumer owes), every invoice, payment and return, the turnovers and the debt's ageing."""
    return await billing_of(request).reconciliation(caller.principal, caller.consumer_id, start, end)


@router.get("/reconciliation/acts")
async def reconciliation_acts(request: Request, caller: PaymentsRead) -> list[Document]:
    """The reconciliation acts issued as documents in the cabinet (for both parties to sign), newest first."""
    return await documents_of(request).all_documents(caller.principal, ReconciliationActData.document_type)


@router.get("/reconciliation/acts/{document_id}/pdf", **file_download("application/pdf"))
async def reconciliation_act_pdf(request: Request, document_id: UUID, caller: PaymentsRead) -> StreamingResponse:
    """An issued reconciliation act's PDF."""
    documents = documents_of(request)
    found = await documents.document(caller.principal, document_id)
    if found.type != ReconciliationActData.document_type:
        raise ApiRefusal(404, "not_found", "no such reconciliation act")
    return await documents.content(caller.principal, document_id)


# tax invoices
@router.get("/tax-invoices")
async def tax_invoices(request: Request, caller: InvoicesRead, year: Year = None) -> TaxInvoices:
    """The consumer's tax invoices of a year (the latest when not given), with their registration in the ЄРПН."""
    return await billing_of(request).tax_invoices(caller.principal, caller.consumer_id, year)


@router.get("/tax-invoices/{tax_invoice_id}/xml", **file_download("application/xml"))
async def tax_invoice_xml(request: Request, tax_invoice_id: UUID, caller: InvoicesRead) -> StreamingResponse:
    """The tax invoice as the State Tax Service's XML (J1201016), to load into the accounting program."""
    return await billing_of(request).tax_invoice_xml(caller.principal, tax_invoice_id)


# documents
@router.get("/documents")
async def documents(request: Request, caller: DocumentsRead) -> list[Document]:
    """Every document of the consumer (invoices, acts, tax invoices, letters' files), newest first."""
    return await documents_of(request).all_documents(caller.principal)


@router.get("/documents/{document_id}/content", **file_download(
    "application/pdf", "application/xml", "application/octet-stream"))
async def document_content(request: Request, document_id: UUID, caller: DocumentsRead) -> StreamingResponse:
    """The document's file, in its own media type."""
    return await documents_of(request).content(caller.principal, document_id)


# readings
class TypedReading(BaseModel):
    """One value as the program read it off the meter: metering checks it as it checks the form's."""

    model_config = ConfigDict(extra="forbid")

    point_id: UUID
    #: `active` or `reactive`
    energy: Energy
    #: the zone of the meter's scheme: 1 (day or the only one), 2, 3
    zone: StrictInt
    #: the meter's figures as shown, e.g. "18342" or "18342.5"
    value: Annotated[str, Field(max_length=40)]
    #: the meter went past its largest value since the last reading
    rollover: StrictBool = False


class NewReadings(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "period": "2026-03", "confirm": False,
        "readings": [{"point_id": "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", "energy": "active", "zone": 1,
                      "value": "18342", "rollover": False}],
    }]})

    #: the readings window's month; the one open now when not given
    period: Annotated[str | None, Field(pattern=PERIOD)] = None
    readings: Annotated[list[TypedReading], Field(min_length=1, max_length=500)]
    #: sent again with `true` after a 409 `confirmation_needed`, once the volumes far above the usual are checked
    confirm: StrictBool = False


@router.post("/readings", status_code=201, responses=_errors(409))
async def submit_readings(request: Request, body: NewReadings, caller: ReadingsWrite) -> Submitted:
    """Meter readings of the month, checked by metering as those typed in the cabinet's form: a value that is not
    a number within the meter's digits, a meter not of the consumer, a closed window are refused (422, 409); a
    volume far above the usual asks for `confirm` (409 `confirmation_needed` with `warnings`)."""
    metering = metering_of(request)
    period = body.period or (await metering.window(caller.principal, caller.consumer_id)).period
    readings = [Reading.model_validate(reading.model_dump()) for reading in body.readings]
    return await metering.submit(caller.principal, caller.consumer_id, period, readings, confirm=body.confirm)


# errors
def _refusal(status_code: int, code: str, message: str, headers: dict[str, str] | None = None,
             **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": {"code": code, "message": message, **extra}}, status_code=status_code,
                        headers=headers)


def _install_errors(app: FastAPI) -> None:
    async def refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiRefusal)
        return _refusal(exc.status_code, exc.code, exc.message, exc.headers)

    async def service_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceCallError)
        if exc.status_code in (400, 404, 409, 410, 422):
            # the service's own word: its code, message, fields and warnings (a 400 or 410 of a service is a request
            # that cannot be used, as far as a program can tell)
            detail = {"message": exc.code.replace("_", " ")} | exc.detail
            status = 422 if exc.status_code in (400, 410) else exc.status_code
            return JSONResponse({"detail": detail}, status_code=status)
        if exc.status_code == 429:
            retry_after = str(exc.detail.get("retry_after") or 60)
            return _refusal(429, "rate_limited", "too many calls; try again later", {"Retry-After": retry_after})
        if exc.status_code == 403:
            # a service refusing the token's consumer what the page would not show either: as a missing object
            return _refusal(404, "not_found", "no such object")
        logger.error("a service refused the public API unexpectedly",
                     extra=log_fields(status=exc.status_code, code=exc.code, path=request.url.path))
        return _refusal(503, "service_unavailable", "the cabinet cannot answer now; try again in a few minutes",
                        {"Retry-After": "60"})

    async def service_unreachable(request: Request, exc: Exception) -> Response:
        logger.error("a service did not answer", extra=log_fields(error=type(exc).__name__, path=request.url.path))
        return _refusal(503, "service_unavailable", "the cabinet cannot answer now; try again in a few minutes",
                        {"Retry-After": "60"})

    async def invalid(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        fields = {".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0]): error["type"]
                  for error in exc.errors()}
        return _refusal(422, "invalid", "the request does not fit the API's schema", fields=fields)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        # a body that is not JSON at all is a request that does not fit, as one that fits badly
        status = {405: 404, 400: 422}.get(exc.status_code, exc.status_code)
        code = {404: "not_found", 422: "invalid"}.get(status, f"http_{status}")
        return _refusal(status, code, str(exc.detail).lower())

    app.add_exception_handler(ApiRefusal, refused)
    app.add_exception_handler(ServiceCallError, service_refused)
    app.add_exception_handler(httpx.TransportError, service_unreachable)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)


class CallLog:
    """Logs every call of the public API (the token's prefix, its user and consumer, the route and the status) and
    tells identity the status of the call it recorded in the consumer's audit trail, once the answer is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            caller: ApiCaller | None = scope.get("state", {}).get("api_caller")
            logger.info("public API call", extra=log_fields(
                token=caller.token_prefix if caller else None,
                user=str(caller.principal.user_id) if caller else None,
                consumer=str(caller.consumer_id) if caller else None,
                method=scope["method"], route=route_of(scope), status=status,
            ))
            if caller is not None:
                await self._tell_status(scope["app"].state.identity, caller, status)

    @staticmethod
    async def _tell_status(identity: IdentityClient, caller: ApiCaller, status: int) -> None:
        try:
            await identity.api_call_answered(Principal(role=Role.SERVICE), caller.call_id, status)
        except (ServiceCallError, httpx.TransportError) as error:
            # the call is in the trail already; only its status is missing there
            logger.warning("the status of a public API call was not recorded",
                           extra=log_fields(call=caller.call_id, error=str(error)))


def create_public_api(
    settings: GatewaySettings, identity: IdentityClient, billing: BillingClient, documents: DocumentsClient,
    metering: MeteringClient,
) -> FastAPI:
    check_routes_name_scopes([router])
    app = FastAPI(
        title="Business energy cabinet: public API",
        version="1",
        description=(
            "What a consumer's accounting program reads and sends with a personal access token made in the "
            "cabinet's Settings («Доступ для облікової програми (API)»): `Authorization: Bearer cab_...`. "
            "Amounts are decimal strings in hryvnias. Errors are `{\"detail\": {\"code\", \"message\"}}`. "
            f"At most {settings.api_calls_per_minute} calls a minute per token."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY,
    )
    app.state.settings = settings
    app.state.identity = identity
    app.state.refused_tokens = RefusedTokens(settings.refused_token_seconds)
    app.state.billing = billing
    app.state.documents = documents
    app.state.metering = metering
    _install_errors(app)
    app.include_router(router)
    app.add_middleware(CallLog)
    return app
