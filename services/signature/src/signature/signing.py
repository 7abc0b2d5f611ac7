"""A person signs a document in three steps: `prepare` gives the data to sign (the signed attributes of two CAdES
signatures: of the document, its `.p7s`, and of the ASiCManifest naming it, in the ASiC-E container), the signer
signs them with their key where they are (step 2, never here), `finalize` assembles and checks the signatures.
The seal (`signature.sealing`) takes the same steps with the service's own key; `record` is their common end.

Each step runs in the caller's transaction; a new signature's status change goes to the outbox in that same one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.errors import Conflict, Gone, Invalid, NotFound
from shared.metrics import BUSINESS_EVENTS
from signature import repository
from signature.access import Consumers, Documents, Signer, check_role_signs
from signature.certificates import (
    DSTU_SIGNATURE_ALGORITHM,
    Certificates,
    refuse,
    signature_algorithm,
)
from signature.clients import NewSignatureFile
from signature.domain import cades
from signature.domain.cades import PreparedSignature, SignatureError
from signature.domain.certificates import dstu_public_key, load_certificate
from signature.domain.containers import asic_manifest
from signature.domain.statuses import DocumentStatus, Party, status_of
from signature.models import Certificate, Document, Signature, Signing
from signature.runtime import Runtime
from signature.statuses import change_status

#: documents limit titles and file names to these lengths
_MAX_TITLE = 300
_MAX_FILE_NAME = 200
_PARTY_TITLES = {Party.CONSUMER: "Підпис споживача", Party.SUPPLIER: "Підпис постачальника"}


@dataclass(frozen=True)
class PreparedSigning:
    signing: Signing
    signature_algorithm: str
    #: a DSTU 4145 signer's public key as its certificate has it (compressed, big-endian hex): a key file holds
    #: two keys, and the browser signs with the one that is the certificate's
    public_key_hex: str | None = None

    @property
    def digest_algorithm(self) -> str:
        return "GOST34311" if self.signature_algorithm == DSTU_SIGNATURE_ALGORITHM else "SHA-256"


@dataclass(frozen=True)
class ToSign:
    """What a party signs of a document: the document itself (its `.p7s`) and the ASiCManifest naming it (the
    signature in the ASiC-E container), each as the signed attributes of a CAdES signature."""

    document: PreparedSignature
    manifest: bytes
    manifest_attributes: PreparedSignature

    @classmethod
    def prepare(
        cls, document: Document, party: Party, certificate: x509.Certificate, now: datetime, document_digest: bytes,
    ) -> ToSign:
        """``document_digest``: of the document's content, as the certificate's key signs (`Signings.digest`)."""
        manifest = asic_manifest(party.value, document.file_name, bytes.fromhex(document.sha256))
        return cls(
            cades.prepare(document_digest, certificate, now), manifest,
            cades.prepare(cades.document_digest(certificate, manifest), certificate, now),
        )

    @classmethod
    def of(cls, signing: Signing) -> ToSign:
        return cls(
            PreparedSignature.from_data_to_sign(signing.data_to_sign), signing.manifest,
            PreparedSignature.from_data_to_sign(signing.manifest_to_sign),
        )


@dataclass(frozen=True)
class SignatureValues:
    """The signer's values over `ToSign.document` and `ToSign.manifest_attributes`."""

    document: bytes
    manifest: bytes


class Signings:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.documents = Documents(session, runtime)
        self.certificates = Certificates(session, runtime)

    # step 1
    async def prepare(self, principal: Principal, document_id: uuid.UUID, certificate_id: uuid.UUID) -> PreparedSigning:
        signer = Signer.of(principal)
        # the document first: whether it is there for this signer does not hang on the certificate named
        document = await self.documents.from_documents(principal, document_id)
        check_role_signs(principal, document)
        certificate = await self.certificates.own(signer, certificate_id)
        if signer.party is Party.CONSUMER:
            await Consumers(self.session, self.runtime).check_signing_allowed(signer)
        await self.documents.check_awaits_signature(document, signer.party)
        now = self.runtime.clock()
        signer_certificate = load_certificate(certificate.der)
        reasons = await self.certificates.failures(signer_certificate, signer, now, consumer_id=document.consumer_id)
        if reasons:
            refuse(reasons)
        digest = await self.digest(principal, document, signer_certificate)
        to_sign = ToSign.prepare(document, signer.party, signer_certificate, now, digest)
        signing = Signing(
            document_id=document.id, certificate_id=certificate.id, user_id=signer.user_id, party=signer.party,
            data_to_sign=to_sign.document.data_to_sign, manifest=to_sign.manifest,
            manifest_to_sign=to_sign.manifest_attributes.data_to_sign,
            expires_at=now + timedelta(seconds=self.runtime.settings.signing_ttl_seconds),
        )
        self.session.add(signing)
        await self.session.flush()
        dstu_key = dstu_public_key(signer_certificate)
        public_key_hex = format(int.from_bytes(dstu_key.encoded()[2:], "little"), "x") if dstu_key else None
        return PreparedSigning(signing, signature_algorithm(signer_certificate), public_key_hex)

    # step 3 (step 2 is the signer's, with their key)
    async def finalize(
        self, principal: Principal, signing_id: uuid.UUID, signature_value_base64: str,
        manifest_signature_value_base64: str,
    ) -> Signature:
        signer = Signer.of(principal)
        signing = await self.session.get(Signing, signing_id)
        if signing is None or signing.user_id != signer.user_id:
            raise NotFound("no such signing", code="signing_not_found")
        if signing.expires_at <= self.runtime.clock():
            raise Gone("the data to sign has expired; prepare it again", code="signing_expired")
        values = SignatureValues(
            _base64(signature_value_base64, "signature_value_base64"),
            _base64(manifest_signature_value_base64, "manifest_signature_value_base64"),
        )
        certificate = await self.session.get(Certificate, signing.certificate_id)
        if certificate is None or certificate.revoked_at is not None:
            raise NotFound("the certificate was withdrawn", code="certificate_not_found")
        document = await repository.document(self.session, signing.document_id)
        assert document is not None  # a signing's document is kept (foreign key)
        # the role may have changed since the data to sign was prepared
        check_role_signs(principal, document)
        signature = await self.record(document, signer, certificate, ToSign.of(signing), values)
        await self.session.delete(signing)
        BUSINESS_EVENTS.labels("signature", "signature_added").inc()
        return signature

    async def digest(self, principal: Principal, document: Document, certificate: x509.Certificate) -> bytes:
        """The digest of the document a signature by ``certificate`` carries: the SHA-256 the documents service
        gave, or GOST 34.311 of the content for a DSTU 4145 key (hashed in a thread: a second or so for a PDF)."""
        if not cades.is_dstu(certificate):
            return bytes.fromhex(document.sha256)
        content = await self.runtime.documents.content(principal, document.id)
        if hashlib.sha256(content).hexdigest() != document.sha256:
            raise Conflict("the document's content differs from what was stored", code="document_changed")
        return await asyncio.to_thread(cades.document_digest, certificate, content)

    async def record(
        self, document: Document, signer: Signer, certificate: Certificate, to_sign: ToSign, values: SignatureValues,
    ) -> Signature:
        """The signer's values assembled into signatures and checked as a verifier would; the signature kept, its
        `.p7s` stored with the documents service, the document's new status told."""
        now = self.runtime.clock()
        signer_certificate = load_certificate(certificate.der)
        issuer = self.runtime.trust.store.issuer_of(signer_certificate)
        chain = [issuer.certificate] if issuer else []
        field = "signature_value_base64"
        try:
            signed = cades.assemble(to_sign.document, values.document, signer_certificate, chain)
            # the assembled whole is checked as a verifier would check it, against the document's own digest (a
            # GOST 34.311 one is the service's own, taken from the content when the data to sign was prepared)
            verified = cades.verify(
                signed, document_sha256=bytes.fromhex(document.sha256),
                document_gost34311=to_sign.document.document_digest, trust=self.runtime.trust.store, at=now,
            )
            field = "manifest_signature_value_base64"
            signed_manifest = cades.assemble(to_sign.manifest_attributes, values.manifest, signer_certificate, chain)
            manifest_digest = cades.document_digest(signer_certificate, to_sign.manifest)
            cades.verify(
                signed_manifest, document_sha256=manifest_digest, document_gost34311=manifest_digest,
                trust=self.runtime.trust.store, at=now,
            )
        except SignatureError as exc:
            raise Invalid(
                "the signature value does not verify", code="signature_invalid",
                fields={field: exc.reason.value}, extra={"reason": exc.reason.value},
            ) from exc
        reasons = [failure.value for failure in verified.certificate_check.failures]
        reasons += await self.certificates.ownership_failures(verified.signer.edrpou, signer, document.consumer_id)
        if reasons:
            refuse(reasons)

        signature = Signature(
            document_id=document.id, party=signer.party, certificate_id=certificate.id, user_id=signer.user_id,
            signer=verified.signer.common_name or verified.signer.subject,
            signing_time=verified.signing_time or to_sign.document.signing_time,
            asic_manifest=to_sign.manifest, asic_signature=signed_manifest,
        )
        self.session.add(signature)
        try:
            # a second signature of the same party waits here for the first one's transaction, then fails
            await self.session.flush()
        except IntegrityError:
            raise Conflict("this party has signed the document already", code="already_signed") from None
        document = await repository.lock_document(self.session, document.id)
        if document.status is DocumentStatus.REJECTED:
            raise Conflict("the document was refused; it cannot be signed", code="document_rejected")
        signature.p7s_document_id = await self.runtime.documents.store_signature(
            _signature_file(document, signer.party, signed)
        )
        parties = set(await self.session.scalars(select(Signature.party).where(Signature.document_id == document.id)))
        await change_status(
            self.session, document, status_of(parties, rejected=False, signers=document.signers), signer.party,
            signature_id=signature.id, now=now, actor=signer.actor,
        )
        return signature


async def purge_expired(session: AsyncSession, expired_before: datetime) -> int:
    """Forgets the signings that expired before `expired_before`; how many."""
    result = await session.execute(delete(Signing).where(Signing.expires_at < expired_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def p7s_file_name(document: Document, party: Party) -> str:
    """The name of `party`'s signature of `document`, as stored with the documents service and downloaded."""
    return with_suffix(document.file_name, f".{party.value}.p7s")


def with_suffix(file_name: str, suffix: str) -> str:
    """`<file name><suffix>` within the documents service's limit on names (the end of a long name goes)."""
    return file_name[: _MAX_FILE_NAME - len(suffix)] + suffix


def _signature_file(document: Document, party: Party, content: bytes) -> NewSignatureFile:
    title = f"{_PARTY_TITLES[party]}: {document.title}"
    return NewSignatureFile(
        consumer_id=document.consumer_id, title=title[:_MAX_TITLE],
        file_name=p7s_file_name(document, party), content=content,
    )


def _base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the signature value is not base64", fields={field: "base64_invalid"}) from None
