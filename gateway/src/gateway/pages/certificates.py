"""Signature certificates (consumers and supplier staff alike) and the page explaining signature statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from gateway.messages import certificate_messages, certificate_refusal, explain
from gateway.pages.common import notice_of, see_other, signature_of
from gateway.rendering import pages_of
from gateway.sessions import AnyVisitor, SignedIn, Visitor
from gateway.signing import (
    MAX_CERTIFICATE_BYTES,
    CertificateInputError,
    CertificateState,
    SignatureStatus,
    certificate_pem_of,
    certificate_state,
)
from shared.errors import ServiceCallError

router = APIRouter()


async def _certificates_page(
    request: Request,
    visitor: Visitor,
    *,
    refusals: list[str] | None = None,
    removal_refused: str | None = None,
    pasted: str = "",
    status_code: int = 200,
) -> Response:
    certificates = await signature_of(request).certificates(visitor.principal)
    now = datetime.now(UTC)
    rows = [
        (
            certificate,
            certificate_state(
                not_before=certificate.not_before, not_after=certificate.not_after,
                removed_at=certificate.revoked_at, now=now,
            ),
        )
        for certificate in sorted(certificates, key=lambda certificate: certificate.registered_at, reverse=True)
    ]
    # removed ones stay listed apart, without the action: they are still the certificates of what they signed
    context = {
        "certificates": [row for row in rows if row[1] != CertificateState.REMOVED],
        "removed": [certificate for certificate, state in rows if state == CertificateState.REMOVED],
        "refusals": refusals or [],
        "removal_refused": removal_refused,
        "pasted": pasted,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "certificates.html", context, status_code=status_code)


@router.get("/signature/certificates")
async def certificates_page(request: Request, visitor: SignedIn) -> Response:
    return await _certificates_page(request, visitor)


@router.post("/signature/certificates")
async def register_certificate(
    request: Request,
    visitor: SignedIn,
    certificate_file: Annotated[UploadFile | None, File()] = None,
    certificate_pem: Annotated[str, Form()] = "",
) -> Response:
    translations = pages_of(request).translations(request)
    uploaded = await certificate_file.read(MAX_CERTIFICATE_BYTES + 1) if certificate_file is not None else b""
    try:
        pem = certificate_pem_of(uploaded, certificate_pem)
    except CertificateInputError as problem:
        refusals = certificate_messages(translations, [problem.code])
        return await _certificates_page(
            request, visitor, refusals=refusals, pasted=certificate_pem, status_code=422
        )
    try:
        await signature_of(request).register_certificate(visitor.principal, pem)
    except ServiceCallError as error:
        return await _certificates_page(
            request, visitor, refusals=certificate_refusal(error, translations), pasted=certificate_pem,
            status_code=error.status_code,
        )
    return see_other("/signature/certificates?notice=certificate_registered")


@router.post("/signature/certificates/{certificate_id}/removal")
async def remove_certificate(request: Request, visitor: SignedIn, certificate_id: UUID) -> Response:
    try:
        await signature_of(request).remove_certificate(visitor.principal, certificate_id)
    except ServiceCallError as error:
        refused = explain(error, pages_of(request).translations(request)).general
        return await _certificates_page(request, visitor, removal_refused=refused, status_code=error.status_code)
    return see_other("/signature/certificates?notice=certificate_removed")


@router.get("/help/signature-statuses")
async def signature_statuses(request: Request, visitor: AnyVisitor) -> Response:
    """What each status means (manual: «Описание статусов документа при работе с ЭЦП»)."""
    return pages_of(request).render(request, "signature_statuses.html", {"statuses": list(SignatureStatus)})
