"""The JSON calls of the browser signer (static/sign.js): the signature service's three steps, minus the middle.

1. `prepare`: the service returns the bytes to sign for the chosen certificate;
2. the browser signs them with the key it decrypted itself (the key and its password never come here);
3. `finalize`: the signature value goes to the service, which assembles and checks the CMS signature.

The session cookie says who signs; the `X-CSRF-Token` header proves the call comes from the cabinet's own page.
Refusals are answered as `{"code", "message"}` by the error handlers (gateway.error_pages).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from gateway.i18n import N_
from gateway.pages.common import signature_of
from gateway.rendering import pages_of
from gateway.sessions import SignedIn
from gateway.signing import STATUS_LABELS, awaits, party_of

router = APIRouter(prefix="/api/signing")

_SIGNED = N_("The document has been signed.")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PrepareBody(_Body):
    certificate_id: UUID


SignatureValue = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class FinalizeBody(_Body):
    #: ECDSA P-256 gives 64 bytes (r‖s), RSA-4096 512: a few hundred base64 characters at most
    signature_value_base64: SignatureValue
    #: the same key's value over the ASiCManifest's signed attributes
    manifest_signature_value_base64: SignatureValue


@router.post("/{document_id}/prepare")
async def prepare(request: Request, visitor: SignedIn, document_id: UUID, body: PrepareBody) -> JSONResponse:
    prepared = await signature_of(request).prepare_signing(visitor.principal, document_id, body.certificate_id)
    answer = {
        "signing_id": str(prepared.signing_id),
        "data_to_sign_base64": prepared.data_to_sign_base64,
        "manifest_to_sign_base64": prepared.manifest_to_sign_base64,
        "digest_algorithm": prepared.digest_algorithm,
        "signature_algorithm": prepared.signature_algorithm,
        "public_key_hex": prepared.public_key_hex,
        "expires_at": prepared.expires_at.isoformat(),
    }
    return JSONResponse(answer, status_code=201)


@router.post("/finalize/{signing_id}")
async def finalize(request: Request, visitor: SignedIn, signing_id: UUID, body: FinalizeBody) -> JSONResponse:
    signed = await signature_of(request).finalize_signing(
        visitor.principal, signing_id, body.signature_value_base64, body.manifest_signature_value_base64
    )
    status = signed.document_status
    translations = pages_of(request).translations(request)
    answer: dict[str, Any] = {
        "document_id": str(status.document_id),
        "status": status.status.value,
        "status_label": translations.gettext(STATUS_LABELS[status.status]),
        "can_sign": awaits(status.awaiting, party_of(visitor)),
        "message": translations.gettext(_SIGNED),
    }
    return JSONResponse(answer, status_code=201)
