"""«Доступ для облікової програми (API)»: a consumer's user makes, lists and revokes the personal access tokens their
accounting program calls the public API (`gateway.public_api`) with.

Identity owns the rules (a name, at least one scope, a year at most, twenty live tokens); the page shows its
refusals beside the form. A new token's secret is shown once, in the answer to the form that made it: the list
shows each token's first characters only. A revoked token is forgotten by this process's public API at once.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.api_access import Scope
from gateway.i18n import N_
from gateway.identity_client import NewAccessToken
from gateway.messages import FormErrors, explain
from gateway.pages.common import identity_of, notice_of, see_other
from gateway.rendering import pages_of
from gateway.sessions import ConsumerOnly, Visitor
from gateway.settings import GatewaySettings
from shared.errors import ServiceCallError

router = APIRouter()

PAGE = "/settings/access-tokens"

#: what each scope lets a program do, in the visitor's words (the form's checkboxes, the list's column)
SCOPE_LABELS: dict[str, str] = {
    Scope.INVOICES_READ: N_("Invoices: read"),
    Scope.PAYMENTS_READ: N_("Payments: read"),
    Scope.DOCUMENTS_READ: N_("Documents: read"),
    Scope.READINGS_WRITE: N_("Readings: submit"),
}
#: the lifetimes offered, in days (identity takes up to a year)
EXPIRY_DAYS = (30, 90, 180, 365)
DEFAULT_EXPIRY_DAYS = 90


async def _access_tokens_page(
    request: Request,
    visitor: Visitor,
    *,
    created: NewAccessToken | None = None,
    errors: FormErrors | None = None,
    values: dict[str, object] | None = None,
    revocation_refused: str | None = None,
    status_code: int = 200,
) -> Response:
    settings: GatewaySettings = request.app.state.settings
    context = {
        "tokens": await identity_of(request).access_tokens(visitor.principal),
        "created": created,
        "errors": errors or FormErrors(),
        "values": {"name": "", "scopes": [], "expires_in_days": DEFAULT_EXPIRY_DAYS} | (values or {}),
        "revocation_refused": revocation_refused,
        "scope_labels": SCOPE_LABELS,
        "expiry_days": EXPIRY_DAYS,
        "api_base_url": settings.public_base_url.rstrip("/") + "/api/v1",
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "access_tokens.html", context, status_code=status_code)


@router.get(PAGE)
async def access_tokens_page(request: Request, visitor: ConsumerOnly) -> Response:
    return await _access_tokens_page(request, visitor)


@router.post(PAGE)
async def create_access_token(
    request: Request,
    visitor: ConsumerOnly,
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[int, Form()] = DEFAULT_EXPIRY_DAYS,
) -> Response:
    chosen = [scope for scope in SCOPE_LABELS if scope in (scopes or [])]
    try:
        created = await identity_of(request).create_access_token(visitor.principal, name, chosen, expires_in_days)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        values = {"name": name, "scopes": chosen, "expires_in_days": expires_in_days}
        return await _access_tokens_page(request, visitor, errors=errors, values=values,
                                         status_code=error.status_code)
    # the answer itself shows the secret: a redirect would have to carry it, or lose it
    return await _access_tokens_page(request, visitor, created=created, status_code=201)


@router.post(PAGE + "/{token_id}/revocation")
async def revoke_access_token(request: Request, visitor: ConsumerOnly, token_id: UUID) -> Response:
    try:
        await identity_of(request).revoke_access_token(visitor.principal, token_id)
    except ServiceCallError as error:
        refused = explain(error, pages_of(request).translations(request)).general
        return await _access_tokens_page(request, visitor, revocation_refused=refused, status_code=error.status_code)
    return see_other(PAGE + "?notice=access_token_revoked")
