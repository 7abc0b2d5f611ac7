"""«Договори та документи»: the consumer's documents, one document with its signatures, and the downloads.

The document page is also where supplier staff sign (they arrive from the console's signatures queue). Signing
itself happens in the browser (static/sign.js and pages/signing_api.py); this module refuses to sign, seals and
hands files through.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import httpx
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.documents_view import document_rows
from gateway.i18n import N_
from gateway.identity_client import Consumer
from gateway.messages import FormErrors, explain, field_message, general_message
from gateway.pages.common import documents_of, identity_of, notice_of, see_other, signature_of
from gateway.rendering import pages_of
from gateway.sessions import DocumentsViewer, SignedIn, Staff, Visitor
from gateway.signature_client import Certificate, DocumentStatus, SignableDocument
from gateway.signing import CertificateState, awaits, certificate_state, party_of
from shared.auth import Principal
from shared.errors import ServiceCallError
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

router = APIRouter()

#: a refusal's reason is read by a person at the supplier; longer than this is an attachment, not a reason
MAX_REASON_LENGTH = 1000

_SIGNATURES_UNAVAILABLE = N_(
    "Signature statuses cannot be shown right now. The documents can still be downloaded; please try again in a "
    "few minutes."
)


def _tolerate_signature_failure(request: Request, error: ServiceCallError | httpx.TransportError) -> None:
    """A page still shows the documents when the signature service fails; a refusal (4xx) is raised on."""
    if isinstance(error, ServiceCallError) and error.status_code < 500:
        raise error
    logger.warning(
        "signature service unavailable for a page",
        extra=log_fields(error=type(error).__name__, path=request.url.path),
    )


async def _statuses(
    request: Request, principal: Principal, consumer_id: UUID
) -> dict[UUID, SignableDocument] | None:
    try:
        return await signature_of(request).statuses(principal, consumer_id)
    except (ServiceCallError, httpx.TransportError) as error:
        _tolerate_signature_failure(request, error)
        return None


@router.get("/documents")
async def documents_page(request: Request, visitor: DocumentsViewer) -> Response:
    principal = visitor.principal
    assert principal.consumer_id is not None  # a consumer's user
    documents, statuses = await asyncio.gather(
        documents_of(request).all_documents(principal), _statuses(request, principal, principal.consumer_id)
    )
    context = {
        "groups": document_rows(documents, statuses, party_of(visitor)),
        "statuses_unavailable": _warning(request, _SIGNATURES_UNAVAILABLE, statuses),
    }
    return pages_of(request).render(request, "documents.html", context)


def _warning(request: Request, message_id: str, answer: object) -> str | None:
    """The warning to show when a part of the page could not be fetched (its answer is None)."""
    if answer is not None:
        return None
    return str(pages_of(request).translations(request).gettext(message_id))


async def _signature_state(
    request: Request, principal: Principal, document_id: UUID
) -> tuple[DocumentStatus | None, list[Certificate], bool]:
    """The document's signatures and the visitor's certificates; and whether the document is a signature file
    (which nobody signs: it has no status)."""
    signature = signature_of(request)
    try:
        status, certificates = await asyncio.gather(
            signature.document_status(principal, document_id), signature.certificates(principal)
        )
    except (ServiceCallError, httpx.TransportError) as error:
        if isinstance(error, ServiceCallError) and error.code == "document_not_signable":
            return None, [], True
        _tolerate_signature_failure(request, error)
        return None, [], False
    return status, certificates, False


async def _document_page(
    request: Request,
    visitor: Visitor,
    document_id: UUID,
    *,
    errors: FormErrors | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    principal = visitor.principal
    # the document first: another consumer's, or none, is "not found" before anything else is asked
    document = await documents_of(request).document(principal, document_id)
    status, certificates, signature_file = await _signature_state(request, principal, document_id)
    party = party_of(visitor)
    now = datetime.now(UTC)
    usable = [
        certificate
        for certificate in certificates
        if certificate.party == party
        and certificate_state(
            not_before=certificate.not_before, not_after=certificate.not_after,
            removed_at=certificate.revoked_at, now=now,
        ) == CertificateState.VALID
    ]
    consumer = await _consumer_for_staff(request, principal, document.consumer_id)
    context = {
        "document": document,
        "status": status,
        "statuses_unavailable": _warning(request, _SIGNATURES_UNAVAILABLE, status or signature_file),
        "signature_file": general_message(pages_of(request).translations(request), "document_not_signable")
        if signature_file else None,
        "can_sign": status is not None and awaits(status.awaiting, party),
        "certificates": usable,
        "is_staff": principal.is_staff,
        "consumer": consumer,
        "notice": notice_of(request),
        "errors": errors or FormErrors(),
        "reason": reason,
        "max_reason_length": MAX_REASON_LENGTH,
    }
    return pages_of(request).render(request, "document.html", context, status_code=status_code)


async def _consumer_for_staff(request: Request, principal: Principal, consumer_id: UUID) -> Consumer | None:
    """Staff see whose document it is; a consumer knows their own."""
    if not principal.is_staff:
        return None
    return (await identity_of(request).consumer(principal, consumer_id)).consumer


@router.get("/documents/{document_id}")
async def document_page(request: Request, visitor: SignedIn, document_id: UUID) -> Response:
    return await _document_page(request, visitor, document_id)


# `download` is the address letters link to (the documents service's CABINET_DOCUMENT_DOWNLOAD_PATH)
@router.get("/documents/{document_id}/content")
@router.get("/documents/{document_id}/download")
async def document_content(request: Request, visitor: SignedIn, document_id: UUID) -> Response:
    return await documents_of(request).content(visitor.principal, document_id)


@router.get("/documents/{document_id}/container")
async def signed_container(request: Request, visitor: SignedIn, document_id: UUID) -> Response:
    """The document with every signature in one ASiC-E file, to keep or to check without the cabinet."""
    return await signature_of(request).container(visitor.principal, document_id)


@router.get("/signatures/{signature_id}/p7s")
async def detached_signature(request: Request, visitor: SignedIn, signature_id: UUID) -> Response:
    return await signature_of(request).p7s(visitor.principal, signature_id)


@router.post("/documents/{document_id}/rejection")
async def refuse_to_sign(
    request: Request, visitor: SignedIn, document_id: UUID, reason: Annotated[str, Form()] = ""
) -> Response:
    translations = pages_of(request).translations(request)
    reason = reason.strip()
    code = "required" if not reason else "too_long" if len(reason) > MAX_REASON_LENGTH else None
    if code is not None:
        errors = FormErrors(
            general=general_message(translations, "invalid"),
            fields={"reason": field_message(translations, "reason", code)},
        )
        return await _document_page(request, visitor, document_id, errors=errors, reason=reason, status_code=422)
    try:
        await signature_of(request).reject(visitor.principal, document_id, reason)
    except ServiceCallError as error:
        return await _document_page(
            request, visitor, document_id, errors=explain(error, translations), reason=reason,
            status_code=error.status_code,
        )
    return see_other(f"/documents/{document_id}?notice=rejected")


@router.post("/documents/{document_id}/seal")
async def seal(request: Request, visitor: Staff, document_id: UUID) -> Response:
    """The supplier's electronic seal, whose key the signature service holds, signs for the supplier."""
    try:
        await signature_of(request).seal(visitor.principal, document_id)
    except ServiceCallError as error:
        translations = pages_of(request).translations(request)
        return await _document_page(
            request, visitor, document_id, errors=explain(error, translations), status_code=error.status_code
        )
    return see_other(f"/documents/{document_id}?notice=sealed")

