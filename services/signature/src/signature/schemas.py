"""Bodies of the signature HTTP API (docs/api-signature.md).

Requests bound only the size of what arrives; the rules (certificates, signature values, reasons) are the
service's, so that every refusal comes back with its reason code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from cryptography import x509
from pydantic import BaseModel, ConfigDict, StringConstraints

from signature.certificates import signature_algorithm_or_none
from signature.domain.statuses import DocumentStatus, Party
from signature.models import Certificate, Document, Signature

#: a PEM certificate with a long chain of extensions still fits many times over
CertificatePem = Annotated[str, StringConstraints(max_length=64 * 1024)]
#: an RSA-4096 signature value is 512 bytes; base64 of that with room for line breaks
SignatureValue = Annotated[str, StringConstraints(max_length=4096)]
#: longer than the longest reason accepted, so that a too long one is refused with the service's reason
Reason = Annotated[str, StringConstraints(max_length=10_000)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCertificate(Request):
    certificate_pem: CertificatePem


class NewSigning(Request):
    certificate_id: uuid.UUID


class SignatureValueIn(Request):
    #: over `SigningOut.data_to_sign_base64`
    signature_value_base64: SignatureValue
    #: over `SigningOut.manifest_to_sign_base64`, with the same key
    manifest_signature_value_base64: SignatureValue


class RejectionIn(Request):
    reason: Reason


class CertificateOut(BaseModel):
    id: uuid.UUID
    #: None for the supplier's electronic seal
    user_id: uuid.UUID | None
    consumer_id: uuid.UUID | None
    party: Party
    subject: str
    common_name: str | None
    edrpou: str | None
    serial: str
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint_sha256: str
    registered_at: datetime
    revoked_at: datetime | None
    #: how its key signs (the names `/signing/{id}/prepare` answers with): the signing page picks the certificate
    #: a chosen key file belongs to by it
    signature_algorithm: str | None = None

    @classmethod
    def of(cls, certificate: Certificate) -> CertificateOut:
        out = cls.model_validate(certificate, from_attributes=True)
        out.signature_algorithm = signature_algorithm_or_none(x509.load_der_x509_certificate(certificate.der))
        return out


class TrustedCaOut(BaseModel):
    subject: str
    not_after: datetime
    #: nextUpdate of its newest CRL; None when no CRL of it is loaded (its certificates are then refused)
    crl_next_update: datetime | None


class SigningOut(BaseModel):
    signing_id: uuid.UUID
    #: the signed attributes of the signature of the document (its `.p7s`)
    data_to_sign_base64: str
    #: those of the signature of the ASiCManifest naming the document (the ASiC-E container's), signed the same way
    manifest_to_sign_base64: str
    #: the hash the signature value is over: GOST 34.311 for a DSTU 4145 key
    digest_algorithm: Literal["SHA-256", "GOST34311"] = "SHA-256"
    #: what to sign the data with: ECDSA over the named curve (WebCrypto: raw r‖s), RSA PKCS#1 v1.5, or
    #: `DSTU4145_GOST34311` (a Ukrainian qualified key: r‖s little-endian)
    signature_algorithm: str
    #: a DSTU 4145 certificate's public key, compressed, big-endian hex (which key of the key file signs)
    public_key_hex: str | None = None
    expires_at: datetime


class SignatureOut(BaseModel):
    id: uuid.UUID
    document_id: uuid.UUID
    party: Party
    certificate_id: uuid.UUID
    signer: str
    signing_time: datetime
    #: the `.p7s` in the documents service (also served by `GET /signatures/{id}/p7s`)
    p7s_document_id: uuid.UUID | None

    @classmethod
    def of(cls, signature: Signature) -> SignatureOut:
        return cls.model_validate(signature, from_attributes=True)


class DocumentStatusOut(BaseModel):
    document_id: uuid.UUID
    status: DocumentStatus
    #: the parties that must sign the document, and those it still waits for
    signers: list[Party]
    awaiting: list[Party]
    rejected_by: Party | None
    rejected_reason: str | None
    signatures: list[SignatureOut]

    @classmethod
    def of(cls, document: Document, signatures: list[Signature]) -> DocumentStatusOut:
        return cls(
            document_id=document.id, status=document.status, signers=_ordered(document.signers),
            awaiting=_ordered(document.awaiting), rejected_by=document.rejected_by,
            rejected_reason=document.rejected_reason, signatures=[SignatureOut.of(item) for item in signatures],
        )


def _ordered(parties: frozenset[Party]) -> list[Party]:
    return [party for party in Party if party in parties]


class SignedOut(BaseModel):
    signature: SignatureOut
    document_status: DocumentStatusOut


class DocumentSummaryOut(BaseModel):
    document_id: uuid.UUID
    consumer_id: uuid.UUID
    type: str
    title: str
    issued_on: date
    status: DocumentStatus
    signers: list[Party]
    awaiting: list[Party]
    status_changed_at: datetime

    @classmethod
    def of(cls, document: Document) -> DocumentSummaryOut:
        return cls(
            document_id=document.id, consumer_id=document.consumer_id, type=document.document_type,
            title=document.title, issued_on=document.issued_on, status=document.status,
            signers=_ordered(document.signers), awaiting=_ordered(document.awaiting),
            status_changed_at=document.status_changed_at,
        )
