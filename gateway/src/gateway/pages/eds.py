"""«Інструкція з отримання ЕЦП» (manual: «Оформление ЭЦП»): the form that makes documents.zip, and the steps
to obtain a qualified certificate from a certification authority."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.documents_client import OnboardingForm, OnboardingPackage
from gateway.messages import FormErrors, explain
from gateway.pages.common import documents_of
from gateway.rendering import pages_of
from gateway.sessions import ConsumerOnly, Visitor
from shared.errors import ServiceCallError

router = APIRouter()

_FIELDS = ("company_name", "edrpou", "legal_address", "phone", "signer_name", "signer_position", "email")


def _eds_page(
    request: Request,
    values: dict[str, str],
    *,
    errors: FormErrors | None = None,
    package: OnboardingPackage | None = None,
    status_code: int = 200,
) -> Response:
    context = {"values": values, "errors": errors or FormErrors(), "package": package}
    return pages_of(request).render(request, "eds.html", context, status_code=status_code)


def _known_details(visitor: Visitor) -> dict[str, str]:
    """What the cabinet already knows is filled in; the rest the consumer types."""
    user = visitor.signed_in_user
    values = dict.fromkeys(_FIELDS, "")
    if user.consumer is not None:
        values |= {"company_name": user.consumer.name, "edrpou": user.consumer.edrpou}
    return values | {"email": user.email}


@router.get("/eds")
async def eds_page(request: Request, visitor: ConsumerOnly) -> Response:
    return _eds_page(request, _known_details(visitor))


@router.post("/eds")
async def request_package(
    request: Request,
    visitor: ConsumerOnly,
    company_name: Annotated[str, Form()] = "",
    edrpou: Annotated[str, Form()] = "",
    legal_address: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    signer_name: Annotated[str, Form()] = "",
    signer_position: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "company_name": company_name, "edrpou": edrpou, "legal_address": legal_address, "phone": phone,
        "signer_name": signer_name, "signer_position": signer_position, "email": email,
    }
    form = OnboardingForm(**{name: value.strip() for name, value in values.items()})
    try:
        package = await documents_of(request).request_onboarding_package(visitor.principal, form)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return _eds_page(request, values, errors=errors, status_code=error.status_code)
    return _eds_page(request, values, package=package, status_code=201)
