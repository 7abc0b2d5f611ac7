"""The signature HTTP API, `/api/v1` (docs/api-signature.md). One transaction per request (`SessionDep`)."""

from __future__ import annotations

import base64
import uuid
from email.utils import encode_rfc2231
from pathlib import PurePosixPath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from shared.auth import Person, PersonOrService, Principal, StaffOnly, SupplierSide
from shared.db import SessionDep
from shared.inputs import Offset
from shared.service import file_download
from signature import schemas
from signature.domain.containers import ASIC_E_MIME_TYPE, ASIC_S_MIME_TYPE
from signature.domain.statuses import DocumentStatus, Party
from signature.repository import DocumentFilter
from signature.service import Download, Runtime, Signatures

router = APIRouter(prefix="/api/v1")

MAX_PAGE = 500


def signatures_service(request: Request, session: SessionDep) -> Signatures:
    runtime: Runtime = request.app.state.signature
    return Signatures(session, runtime)


SignaturesDep = Annotated[Signatures, Depends(signatures_service)]


# certificates
@router.post("/certificates", status_code=201)
async def register_certificate(
    body: schemas.NewCertificate, principal: Person, signatures: SignaturesDep
) -> schemas.CertificateOut:
    return schemas.CertificateOut.of(await signatures.register_certificate(principal, body.certificate_pem))


@router.get("/certificates")
async def certificates(principal: Person, signatures: SignaturesDep) -> list[schemas.CertificateOut]:
    """The calling user's certificates, newest first, withdrawn ones too (they name who signed what)."""
    return [schemas.CertificateOut.of(item) for item in await signatures.certificates(principal)]


@router.delete("/certificates/{certificate_id}", status_code=204)
async def withdraw_certificate(
    certificate_id: uuid.UUID, principal: Person, signatures: SignaturesDep
) -> Response:
    await signatures.withdraw_certificate(principal, certificate_id)
    return Response(status_code=204)


@router.get("/trust")
async def trust(_: StaffOnly, signatures: SignaturesDep) -> list[schemas.TrustedCaOut]:
    return [
        schemas.TrustedCaOut(
            subject=certificate.subject.rfc4514_string(), not_after=certificate.not_valid_after_utc,
            crl_next_update=crl_next_update,
        )
        for certificate, crl_next_update in signatures.trusted_authorities()
    ]


# signing in three steps
@router.post("/documents/{document_id}/signings", status_code=201)
async def prepare_signing(
    document_id: uuid.UUID, body: schemas.NewSigning, principal: Person, signatures: SignaturesDep
) -> schemas.SigningOut:
    prepared = await signatures.prepare(principal, document_id, body.certificate_id)
    return schemas.SigningOut(
        signing_id=prepared.signing.id, data_to_sign_base64=base64.b64encode(prepared.signing.data_to_sign).decode(),
        manifest_to_sign_base64=base64.b64encode(prepared.signing.manifest_to_sign).decode(),
        signature_algorithm=prepared.signature_algorithm, expires_at=prepared.signing.expires_at,
        digest_algorithm=prepared.digest_algorithm, public_key_hex=prepared.public_key_hex,
    )


@router.post("/signings/{signing_id}/finalize", status_code=201)
async def finalize_signing(
    signing_id: uuid.UUID, body: schemas.SignatureValueIn, principal: Person, signatures: SignaturesDep
) -> schemas.SignedOut:
    signature = await signatures.finalize(
        principal, signing_id, body.signature_value_base64, body.manifest_signature_value_base64
    )
    return await _signed(signatures, principal, signature.document_id, signature.id)


@router.post("/documents/{document_id}/seal", status_code=201)
async def seal(document_id: uuid.UUID, principal: SupplierSide, signatures: SignaturesDep) -> schemas.SignedOut:
    """The supplier's electronic seal signs the document (staff and services)."""
    signature = await signatures.seal(principal, document_id)
    return await _signed(signatures, principal, document_id, signature.id)


# statuses
@router.get("/documents/{document_id}/status")
async def document_status(
    document_id: uuid.UUID, principal: PersonOrService, signatures: SignaturesDep
) -> schemas.DocumentStatusOut:
    document, signed = await signatures.status(principal, document_id)
    return schemas.DocumentStatusOut.of(document, signed)


@router.get("/documents")
async def documents(
    principal: PersonOrService, signatures: SignaturesDep,
    consumer_id: uuid.UUID | None = None,
    document_id: Annotated[list[uuid.UUID] | None, Query(max_length=MAX_PAGE)] = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[list[DocumentStatus] | None, Query()] = None,
    awaiting: Literal["consumer", "supplier"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
    offset: Offset = 0,
) -> list[schemas.DocumentSummaryOut]:
    """Documents with their statuses, newest first (a consumer's own only). `awaiting=supplier` lists what waits
    for the supplier's signature; `status` and `document_id` may repeat."""
    found = await signatures.find(principal, DocumentFilter(
        consumer_id, document_id or (), type, set(status) if status else None,
        Party(awaiting) if awaiting is not None else None,
    ), limit=limit, offset=offset)
    return [schemas.DocumentSummaryOut.of(item) for item in found]


@router.post("/documents/{document_id}/rejection")
async def reject(
    document_id: uuid.UUID, body: schemas.RejectionIn, principal: Person, signatures: SignaturesDep
) -> schemas.DocumentStatusOut:
    """The consumer or the supplier's staff refuse to sign the document, saying why."""
    document = await signatures.reject(principal, document_id, body.reason)
    document, signed = await signatures.status(principal, document.id)
    return schemas.DocumentStatusOut.of(document, signed)


# downloads
@router.get("/signatures/{signature_id}/p7s", **file_download("application/pkcs7-signature"))
async def signature_file(signature_id: uuid.UUID, principal: PersonOrService, signatures: SignaturesDep) -> Response:
    return _attachment(await signatures.signature_file(principal, signature_id))


@router.get("/documents/{document_id}/container", **file_download(ASIC_E_MIME_TYPE, ASIC_S_MIME_TYPE))
async def container(document_id: uuid.UUID, principal: PersonOrService, signatures: SignaturesDep) -> Response:
    """ASiC-E: the document, and each party's ASiCManifest of it with its signature of that manifest."""
    return _attachment(await signatures.container(principal, document_id))


async def _signed(
    signatures: Signatures, principal: Principal, document_id: uuid.UUID, signature_id: uuid.UUID
) -> schemas.SignedOut:
    document, signed = await signatures.status(principal, document_id)
    status = schemas.DocumentStatusOut.of(document, signed)
    [signature] = [item for item in status.signatures if item.id == signature_id]
    return schemas.SignedOut(signature=signature, document_status=status)


def _attachment(download: Download) -> Response:
    # the name both as plain ASCII (old clients) and UTF-8 (RFC 6266 `filename*`); Cyrillic has no ASCII form
    name = download.file_name
    ascii_name = name if name.isascii() else "document" + PurePosixPath(name).suffix
    return Response(download.content, media_type=download.media_type, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}"; filename*={encode_rfc2231(name, "utf-8")}',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })
