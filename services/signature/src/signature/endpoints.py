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
from signature.certificates import Certificates
from signature.domain.containers import ASIC_E_MIME_TYPE, ASIC_S_MIME_TYPE
from signature.domain.statuses import DocumentStatus, Party
from signature.downloads import Download, Downloads
from signature.runtime import Runtime
from signature.sealing import Sealing
from signature.signing import Signings
from signature.statuses import DocumentFilter, Statuses

router = APIRouter(prefix="/api/v1")

MAX_PAGE = 500


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.signature
    return runtime


def certificates_service(request: Request, session: SessionDep) -> Certificates:
    return Certificates(session, _runtime(request))


def signings_service(request: Request, session: SessionDep) -> Signings:
    return Signings(session, _runtime(request))


def sealing_service(request: Request, session: SessionDep) -> Sealing:
    return Sealing(session, _runtime(request))


def statuses_service(request: Request, session: SessionDep) -> Statuses:
    return Statuses(session, _runtime(request))


def downloads_service(request: Request, session: SessionDep) -> Downloads:
    return Downloads(session, _runtime(request))


CertificatesDep = Annotated[Certificates, Depends(certificates_service)]
SigningsDep = Annotated[Signings, Depends(signings_service)]
SealingDep = Annotated[Sealing, Depends(sealing_service)]
StatusesDep = Annotated[Statuses, Depends(statuses_service)]
DownloadsDep = Annotated[Downloads, Depends(downloads_service)]


# certificates
@router.post("/certificates", status_code=201)
async def register_certificate(
    body: schemas.NewCertificate, principal: Person, certificates: CertificatesDep
) -> schemas.CertificateOut:
    return schemas.CertificateOut.of(await certificates.register(principal, body.certificate_pem))


@router.get("/certificates")
async def certificates(principal: Person, certificates: CertificatesDep) -> list[schemas.CertificateOut]:
    """The calling user's certificates, newest first, withdrawn ones too (they name who signed what)."""
    return [schemas.CertificateOut.of(item) for item in await certificates.listing(principal)]


@router.delete("/certificates/{certificate_id}", status_code=204)
async def withdraw_certificate(
    certificate_id: uuid.UUID, principal: Person, certificates: CertificatesDep
) -> Response:
    await certificates.withdraw(principal, certificate_id)
    return Response(status_code=204)


@router.get("/trust")
async def trust(_: StaffOnly, certificates: CertificatesDep) -> list[schemas.TrustedCaOut]:
    return [
        schemas.TrustedCaOut(
            subject=certificate.subject.rfc4514_string(), not_after=certificate.not_valid_after_utc,
            crl_next_update=crl_next_update,
        )
        for certificate, crl_next_update in certificates.trusted_authorities()
    ]


# signing in three steps
@router.post("/documents/{document_id}/signings", status_code=201)
async def prepare_signing(
    document_id: uuid.UUID, body: schemas.NewSigning, principal: Person, signings: SigningsDep
) -> schemas.SigningOut:
    prepared = await signings.prepare(principal, document_id, body.certificate_id)
    return schemas.SigningOut(
        signing_id=prepared.signing.id, data_to_sign_base64=base64.b64encode(prepared.signing.data_to_sign).decode(),
        manifest_to_sign_base64=base64.b64encode(prepared.signing.manifest_to_sign).decode(),
        signature_algorithm=prepared.signature_algorithm, expires_at=prepared.signing.expires_at,
        digest_algorithm=prepared.digest_algorithm, public_key_hex=prepared.public_key_hex,
    )


@router.post("/signings/{signing_id}/finalize", status_code=201)
async def finalize_signing(
    signing_id: uuid.UUID, body: schemas.SignatureValueIn, principal: Person, signings: SigningsDep,
    statuses: StatusesDep,
) -> schemas.SignedOut:
    signature = await signings.finalize(
        principal, signing_id, body.signature_value_base64, body.manifest_signature_value_base64
    )
    return await _signed(statuses, principal, signature.document_id, signature.id)


@router.post("/documents/{document_id}/seal", status_code=201)
async def seal(
    document_id: uuid.UUID, principal: SupplierSide, sealing: SealingDep, statuses: StatusesDep
) -> schemas.SignedOut:
    """The supplier's electronic seal signs the document (staff and services)."""
    signature = await sealing.seal(principal, document_id)
    return await _signed(statuses, principal, document_id, signature.id)


# statuses
@router.get("/documents/{document_id}/status")
async def document_status(
    document_id: uuid.UUID, principal: PersonOrService, statuses: StatusesDep
) -> schemas.DocumentStatusOut:
    document, signed = await statuses.status(principal, document_id)
    return schemas.DocumentStatusOut.of(document, signed)


@router.get("/documents")
async def documents(
    principal: PersonOrService, statuses: StatusesDep,
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
    found = await statuses.find(principal, DocumentFilter(
        consumer_id, document_id or (), type, set(status) if status else None,
        Party(awaiting) if awaiting is not None else None,
    ), limit=limit, offset=offset)
    return [schemas.DocumentSummaryOut.of(item) for item in found]


@router.post("/documents/{document_id}/rejection")
async def reject(
    document_id: uuid.UUID, body: schemas.RejectionIn, principal: Person, statuses: StatusesDep
) -> schemas.DocumentStatusOut:
    """The consumer or the supplier's staff refuse to sign the document, saying why."""
    document = await statuses.reject(principal, document_id, body.reason)
    document, signed = await statuses.status(principal, document.id)
    return schemas.DocumentStatusOut.of(document, signed)


# downloads
@router.get("/signatures/{signature_id}/p7s", **file_download("application/pkcs7-signature"))
async def signature_file(signature_id: uuid.UUID, principal: PersonOrService, downloads: DownloadsDep) -> Response:
    return _attachment(await downloads.signature_file(principal, signature_id))


@router.get("/documents/{document_id}/container", **file_download(ASIC_E_MIME_TYPE, ASIC_S_MIME_TYPE))
async def container(document_id: uuid.UUID, principal: PersonOrService, downloads: DownloadsDep) -> Response:
    """ASiC-E: the document, and each party's ASiCManifest of it with its signature of that manifest."""
    return _attachment(await downloads.container(principal, document_id))


async def _signed(
    statuses: Statuses, principal: Principal, document_id: uuid.UUID, signature_id: uuid.UUID
) -> schemas.SignedOut:
    document, signed = await statuses.status(principal, document_id)
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
