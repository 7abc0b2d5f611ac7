"""The supplier console: the contract department finds, creates and edits consumers, hands out activation codes;
settlement managers find the documents waiting for the supplier's signature."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.identity_client import Consumer, ConsumerChanges, NewConsumer
from gateway.messages import FormErrors, explain, field_message, general_message
from gateway.pages.colleagues import ROLE_LABELS
from gateway.pages.common import identity_of, notice_of, see_other, signature_of
from gateway.rendering import pages_of
from gateway.sessions import Staff, Visitor
from shared.errors import ServiceCallError

router = APIRouter(prefix="/console")

_EMPTY_CONSUMER_FORM: dict[str, object] = {
    "account_number": "",
    "name": "",
    "edrpou": "",
    "branch_id": "",
    "agreement_email": "",
    "billing_day": "",
    "self_calculation": False,
    "e_signature": False,
    # most business consumers are VAT payers: their tax invoices need the ІПН
    "vat_payer": True,
    "ipn": "",
}


@router.get("")
async def consumers(request: Request, visitor: Staff, query: str = "") -> Response:
    found = await identity_of(request).find_consumers(visitor.principal, query.strip())
    return pages_of(request).render(request, "console_list.html", {"query": query, "consumers": found})


async def _consumer_form(
    request: Request, visitor: Visitor, values: dict[str, object], errors: FormErrors, status_code: int = 200
) -> Response:
    branches = await identity_of(request).branches(visitor.principal)
    user = visitor.signed_in_user
    if not values["branch_id"] and user.branch is not None:
        values = values | {"branch_id": str(user.branch.id)}
    context = {"branches": branches, "values": values, "errors": errors}
    return pages_of(request).render(request, "console_new.html", context, status_code=status_code)


@router.get("/consumers/new")
async def new_consumer_page(request: Request, visitor: Staff) -> Response:
    return await _consumer_form(request, visitor, dict(_EMPTY_CONSUMER_FORM), FormErrors())


@router.post("/consumers/new")
async def create_consumer(
    request: Request,
    visitor: Staff,
    account_number: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    edrpou: Annotated[str, Form()] = "",
    branch_id: Annotated[str, Form()] = "",
    agreement_email: Annotated[str, Form()] = "",
    billing_day: Annotated[str, Form()] = "",
    self_calculation: Annotated[bool, Form()] = False,
    e_signature: Annotated[bool, Form()] = False,
    vat_payer: Annotated[bool, Form()] = False,
    ipn: Annotated[str, Form()] = "",
) -> Response:
    translations = pages_of(request).translations(request)
    values: dict[str, object] = {
        "account_number": account_number,
        "name": name,
        "edrpou": edrpou,
        "branch_id": branch_id,
        "agreement_email": agreement_email,
        "billing_day": billing_day,
        "self_calculation": self_calculation,
        "e_signature": e_signature,
        "vat_payer": vat_payer,
        "ipn": ipn,
    }
    # what cannot even be sent as the API's types is refused here, with the same messages identity would give
    malformed: dict[str, str] = {}
    try:
        branch = UUID(branch_id)
    except ValueError:
        malformed["branch_id"] = field_message(translations, "branch_id", "unknown")
    day = _billing_day(billing_day)
    if day == 0:
        malformed["billing_day"] = field_message(translations, "billing_day", "out_of_range")
    if malformed:
        errors = FormErrors(general=general_message(translations, "invalid"), fields=malformed)
        return await _consumer_form(request, visitor, values, errors, status_code=422)
    new_consumer = NewConsumer(
        account_number=account_number.strip(),
        name=name.strip(),
        edrpou=edrpou.strip(),
        branch_id=branch,
        agreement_email=agreement_email.strip(),
        billing_day=day,
        self_calculation=self_calculation,
        e_signature=e_signature,
        vat_payer=vat_payer,
        ipn=_ipn_of(vat_payer, ipn) or None,
    )
    try:
        created = await identity_of(request).create_consumer(visitor.principal, new_consumer)
    except ServiceCallError as error:
        return await _consumer_form(
            request, visitor, values, explain(error, translations), status_code=error.status_code
        )
    title = translations.gettext("The consumer has been created")
    return _activation_code_page(request, created.consumer, created.activation_code, title, 201)


def _activation_code_page(
    request: Request, consumer: Consumer, activation_code: str, title: str, status_code: int
) -> Response:
    context = {"consumer": consumer, "activation_code": activation_code, "title": title}
    return pages_of(request).render(request, "activation_code.html", context, status_code=status_code)


def _ipn_of(vat_payer: bool, typed: str) -> str:
    """The ІПН to send: a consumer who is not a VAT payer has none, whatever is left in the field."""
    return typed.strip() if vat_payer else ""


def _billing_day(text: str) -> int:
    """The typed day as a number; 0 for what is not one (identity judges the range)."""
    return int(text.strip()) if text.strip().isdigit() and len(text.strip()) <= 2 else 0


@router.get("/consumers/{consumer_id}")
async def consumer_page(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    details = await identity_of(request).consumer(visitor.principal, consumer_id)
    context = {"consumer": details.consumer, "users": details.users, "role_labels": ROLE_LABELS,
               "notice": notice_of(request)}
    return pages_of(request).render(request, "console_consumer.html", context)


def _edit_form(
    request: Request, consumer: Consumer, values: dict[str, object], errors: FormErrors, status_code: int = 200
) -> Response:
    context = {"consumer": consumer, "values": values, "errors": errors}
    return pages_of(request).render(request, "console_consumer_edit.html", context, status_code=status_code)


@router.get("/consumers/{consumer_id}/edit")
async def edit_consumer_page(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    consumer = (await identity_of(request).consumer(visitor.principal, consumer_id)).consumer
    values: dict[str, object] = consumer.model_dump(
        include={"name", "edrpou", "agreement_email", "billing_day", "self_calculation", "e_signature", "vat_payer"}
    ) | {"ipn": consumer.ipn or ""}
    return _edit_form(request, consumer, values, FormErrors())


@router.post("/consumers/{consumer_id}/edit")
async def edit_consumer(
    request: Request,
    visitor: Staff,
    consumer_id: UUID,
    name: Annotated[str, Form()] = "",
    edrpou: Annotated[str, Form()] = "",
    agreement_email: Annotated[str, Form()] = "",
    billing_day: Annotated[str, Form()] = "",
    self_calculation: Annotated[bool, Form()] = False,
    e_signature: Annotated[bool, Form()] = False,
    vat_payer: Annotated[bool, Form()] = False,
    ipn: Annotated[str, Form()] = "",
) -> Response:
    """The whole form is sent as the new state (unticked boxes are rights taken away); identity tells the other
    services."""
    identity = identity_of(request)
    consumer = (await identity.consumer(visitor.principal, consumer_id)).consumer
    translations = pages_of(request).translations(request)
    values: dict[str, object] = {
        "name": name, "edrpou": edrpou, "agreement_email": agreement_email, "billing_day": billing_day,
        "self_calculation": self_calculation, "e_signature": e_signature, "vat_payer": vat_payer, "ipn": ipn,
    }
    day = _billing_day(billing_day)
    if day == 0:
        errors = FormErrors(general=general_message(translations, "invalid"),
                            fields={"billing_day": field_message(translations, "billing_day", "out_of_range")})
        return _edit_form(request, consumer, values, errors, status_code=422)
    changes = ConsumerChanges(
        name=name.strip(), edrpou=edrpou.strip(), agreement_email=agreement_email.strip(), billing_day=day,
        self_calculation=self_calculation, e_signature=e_signature, vat_payer=vat_payer, ipn=_ipn_of(vat_payer, ipn),
    )
    try:
        await identity.change_consumer(visitor.principal, consumer_id, changes)
    except ServiceCallError as error:
        return _edit_form(request, consumer, values, explain(error, translations), status_code=error.status_code)
    return see_other(f"/console/consumers/{consumer_id}?notice=consumer_changed")


@router.post("/consumers/{consumer_id}/activation-codes")
async def issue_activation_code(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    identity = identity_of(request)
    activation_code = await identity.issue_activation_code(visitor.principal, consumer_id)
    details = await identity.consumer(visitor.principal, consumer_id)
    translations = pages_of(request).translations(request)
    return _activation_code_page(
        request, details.consumer, activation_code, translations.gettext("A new activation code"), 201
    )


@router.get("/signatures")
async def awaiting_signature(request: Request, visitor: Staff) -> Response:
    """Documents waiting for the supplier's signature; each opens the document page, where staff sign."""
    documents = await signature_of(request).awaiting_supplier(visitor.principal)
    consumer_ids = list(dict.fromkeys(document.consumer_id for document in documents))
    found = await asyncio.gather(*(_visible_consumer(request, visitor, cid) for cid in consumer_ids))
    consumers = {consumer.id: consumer for consumer in found if consumer is not None}
    # a consumer identity does not show this staff member (another branch's) is not theirs to sign for
    rows = [(document, consumers[document.consumer_id]) for document in documents if document.consumer_id in consumers]
    return pages_of(request).render(request, "console_signatures.html", {"rows": rows})


async def _visible_consumer(request: Request, visitor: Visitor, consumer_id: UUID) -> Consumer | None:
    try:
        return (await identity_of(request).consumer(visitor.principal, consumer_id)).consumer
    except ServiceCallError as error:
        if error.status_code == 404:
            return None
        raise
