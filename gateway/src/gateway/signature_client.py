"""Typed calls to the signature service (docs/api-signature.md).

The private key never passes here: the service prepares the bytes to sign, the browser signs them, the service
assembles and checks the CMS signature. Refusals arrive as `shared.errors.ServiceCallError` with the service's
code (`certificate_refused` also carries `reasons`).
"""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter
from starlette.responses import StreamingResponse

from gateway.downloads import stream_to_browser
from gateway.signing import Party, SignatureStatus
from shared.auth import Principal
from shared.errors import ServiceCallError
from shared.http import ServiceClient

_API: Final = "/api/v1"
#: the most the service lists in one answer
_PAGE: Final = 500


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


class Certificate(_Answer):
    id: UUID
    party: Party
    subject: str
    #: None when the subject has no common name (the page shows the subject instead)
    common_name: str | None = None
    edrpou: str | None = None
    serial: str
    issuer: str
    not_before: AwareDatetime
    not_after: AwareDatetime
    fingerprint_sha256: str
    registered_at: AwareDatetime
    #: when its owner removed it from the cabinet; it stays listed as the certificate of what it signed
    revoked_at: AwareDatetime | None = None
    #: how its key signs; the signing page picks the certificate a chosen key file belongs to by it
    signature_algorithm: str | None = None


class Signature(_Answer):
    id: UUID
    document_id: UUID
    party: Party
    certificate_id: UUID | None = None
    #: the signer's name from the certificate
    signer: str
    signing_time: AwareDatetime


class DocumentStatus(_Answer):
    document_id: UUID
    status: SignatureStatus
    #: the parties that must sign the document, and those it still waits for
    signers: list[Party] = []
    awaiting: list[Party] = []
    rejected_by: Party | None = None
    rejected_reason: str | None = None
    signatures: list[Signature] = []

    @classmethod
    def unsigned(cls, document_id: UUID) -> DocumentStatus:
        """A document the service has not heard of yet (its event is on the way): nothing to sign for now."""
        return cls(document_id=document_id, status=SignatureStatus.NOT_SIGNED)


class Signed(_Answer):
    signature: Signature
    document_status: DocumentStatus


class SignableDocument(_Answer):
    document_id: UUID
    consumer_id: UUID
    type: str
    title: str
    issued_on: date
    status: SignatureStatus
    signers: list[Party] = []
    awaiting: list[Party] = []


class PreparedSigning(_Answer):
    signing_id: UUID
    data_to_sign_base64: str
    manifest_to_sign_base64: str
    digest_algorithm: str
    signature_algorithm: str
    #: a DSTU 4145 certificate's key (which key of the key file signs)
    public_key_hex: str | None = None
    expires_at: AwareDatetime


_CERTIFICATES = TypeAdapter(list[Certificate])
_SIGNABLE = TypeAdapter(list[SignableDocument])


class SignatureClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    # certificates
    async def register_certificate(self, principal: Principal, certificate_pem: str) -> Certificate:
        answer = await self._client.post(
            f"{_API}/certificates", principal, json={"certificate_pem": certificate_pem}
        )
        return Certificate.model_validate(answer)

    async def certificates(self, principal: Principal) -> list[Certificate]:
        return _CERTIFICATES.validate_python(await self._client.get(f"{_API}/certificates", principal))

    async def remove_certificate(self, principal: Principal, certificate_id: UUID) -> None:
        await self._client.delete(f"{_API}/certificates/{certificate_id}", principal)

    # signing in three steps: prepare here, sign in the browser, finalize here
    async def prepare_signing(self, principal: Principal, document_id: UUID, certificate_id: UUID) -> PreparedSigning:
        answer = await self._client.post(
            f"{_API}/documents/{document_id}/signings", principal, json={"certificate_id": str(certificate_id)}
        )
        return PreparedSigning.model_validate(answer)

    async def finalize_signing(
        self, principal: Principal, signing_id: UUID, signature_value_base64: str, manifest_signature_value_base64: str
    ) -> Signed:
        answer = await self._client.post(
            f"{_API}/signings/{signing_id}/finalize",
            principal,
            json={
                "signature_value_base64": signature_value_base64,
                "manifest_signature_value_base64": manifest_signature_value_base64,
            },
        )
        return Signed.model_validate(answer)

    async def seal(self, principal: Principal, document_id: UUID) -> Signed:
        return Signed.model_validate(await self._client.post(f"{_API}/documents/{document_id}/seal", principal))

    async def reject(self, principal: Principal, document_id: UUID, reason: str) -> DocumentStatus:
        answer = await self._client.post(
            f"{_API}/documents/{document_id}/rejection", principal, json={"reason": reason}
        )
        return DocumentStatus.model_validate(answer)

    # statuses
    async def document_status(self, principal: Principal, document_id: UUID) -> DocumentStatus:
        """The document's signatures; one the service has not heard of yet is simply not signed."""
        try:
            answer = await self._client.get(f"{_API}/documents/{document_id}/status", principal)
        except ServiceCallError as error:
            if error.status_code == 404:
                return DocumentStatus.unsigned(document_id)
            raise
        return DocumentStatus.model_validate(answer)

    async def statuses(self, principal: Principal, consumer_id: UUID) -> dict[UUID, SignableDocument]:
        """The statuses of the consumer's documents (asked for without waiting for the documents' list); those
        the service has not heard of yet are left out."""
        statuses: dict[UUID, SignableDocument] = {}
        while True:
            params = {"consumer_id": str(consumer_id), "limit": _PAGE, "offset": len(statuses)}
            page = _SIGNABLE.validate_python(await self._client.get(f"{_API}/documents", principal, params=params))
            statuses |= {document.document_id: document for document in page}
            if len(page) < _PAGE:
                return statuses

    async def awaiting_supplier(self, principal: Principal) -> list[SignableDocument]:
        """What waits for the supplier's signature, newest first (the first 500)."""
        return await self._awaiting(principal, Party.SUPPLIER)

    async def awaiting_consumer(self, principal: Principal) -> list[SignableDocument]:
        """What waits for the signature of the principal's consumer, newest first (the first 500)."""
        return await self._awaiting(principal, Party.CONSUMER)

    async def _awaiting(self, principal: Principal, party: Party) -> list[SignableDocument]:
        params = {"awaiting": party.value, "limit": _PAGE}
        answer = await self._client.get(f"{_API}/documents", principal, params=params)
        return _SIGNABLE.validate_python(answer)

    # downloads
    async def p7s(self, principal: Principal, signature_id: UUID) -> StreamingResponse:
        return await stream_to_browser(self._client, f"{_API}/signatures/{signature_id}/p7s", principal)

    async def container(self, principal: Principal, document_id: UUID) -> StreamingResponse:
        return await stream_to_browser(self._client, f"{_API}/documents/{document_id}/container", principal)
