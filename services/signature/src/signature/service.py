"""Signature use cases: certificates, the three signing steps, the seal, statuses, refusals, downloads.

Each use case runs in the caller's transaction and writes its events to the outbox in that same transaction.
Who may see a document is the documents service's answer to the caller's own principal, so a consumer can never
prepare, read or download anything about another consumer's document (it answers 404, as a missing one does).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import bus
from shared.auth import Principal, Role, ServiceTokens
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.signature import DocumentStatusChanged
from shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Unauthorized
from shared.http import ServiceClient
from shared.metrics import BUSINESS_EVENTS
from signature import repository
from signature.clients import SERVICE, DocumentOut, DocumentsClient, IdentityClient, NewSignatureFile
from signature.domain import cades
from signature.domain.cades import PreparedSignature, SignatureError
from signature.domain.certificates import (
    CertificateFailure,
    CertificateFormatError,
    CertificateInfo,
    check_certificate,
    dstu_public_key,
    load_certificate,
)
from signature.domain.containers import (
    ASIC_E_MIME_TYPE,
    ASIC_S_MIME_TYPE,
    SignedManifest,
    asic_e,
    asic_manifest,
    asic_s,
    merge_signatures,
)
from signature.domain.dstu4145 import DstuError
from signature.domain.statuses import DocumentStatus, Party, signers_of, status_of
from signature.models import Certificate, Consumer, Document, Signature, Signing
from signature.repository import DocumentFilter
from signature.seal import Seal
from signature.settings import SignatureSettings
from signature.trust import Trust

logger = logging.getLogger(__name__)

BUSINESS_TIME_ZONE = ZoneInfo("Europe/Kyiv")
#: the documents service's type of the `.p7s` files this service stores; they are not signed themselves
SIGNATURE_DOCUMENT_TYPE = "signature"
MAX_REASON_LENGTH = 1000
#: documents limit titles and file names to these lengths
_MAX_TITLE = 300
_MAX_FILE_NAME = 200
_PARTY_TITLES = {Party.CONSUMER: "Підпис споживача", Party.SUPPLIER: "Підпис постачальника"}
_CURVE_NAMES = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}
#: a Ukrainian qualified key: DSTU 4145 over GOST 34.311 (the browser signs with its DSTU signer)
DSTU_SIGNATURE_ALGORITHM = "DSTU4145_GOST34311"
#: beyond the certificate checks of `domain.certificates`: a key the cabinet cannot verify signatures of
UNSUPPORTED_KEY = "unsupported_key"
UNREADABLE = "unreadable"


def utcnow() -> datetime:
    return datetime.now(UTC)


class CertificateRefused(Invalid):
    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(
            "the certificate cannot be used for signing", code="certificate_refused",
            fields={"certificate": reasons[0]}, extra={"reasons": list(reasons)},
        )


@dataclass
class Runtime:
    """What the use cases need beside a transaction; one per process."""

    settings: SignatureSettings
    trust: Trust
    seal: Seal | None
    documents: DocumentsClient
    identity: IdentityClient
    _clients: tuple[ServiceClient, ...]
    #: the time now (the demo's history and tests sign at other moments)
    clock: Callable[[], datetime] = field(default=utcnow)

    def today(self) -> date:
        return self.clock().astimezone(BUSINESS_TIME_ZONE).date()

    @classmethod
    def create(
        cls, settings: SignatureSettings, *, documents_transport: httpx.AsyncBaseTransport | None = None,
        identity_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Runtime:
        tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=settings.service_name)
        timeout = settings.service_timeout_seconds
        documents = ServiceClient(settings.documents_url, tokens, timeout=timeout, transport=documents_transport)
        identity = ServiceClient(settings.identity_url, tokens, timeout=timeout, transport=identity_transport)
        return cls(
            settings=settings,
            trust=Trust(
                [*settings.trust_ca_files, *settings.trust_bundle_files],
                [*settings.trust_crl_files, *settings.trust_bundle_crl_files], service=settings.service_name,
            ),
            seal=Seal.load(settings),
            documents=DocumentsClient(documents),
            identity=IdentityClient(identity, branches_cache_seconds=settings.branches_cache_seconds),
            _clients=(documents, identity),
        )

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


@dataclass(frozen=True)
class Signer:
    """Who acts, as a signing party: a consumer's user, a supplier's employee, or the seal (no user)."""

    party: Party
    user_id: uuid.UUID | None
    consumer_id: uuid.UUID | None = None

    @classmethod
    def of(cls, principal: Principal) -> Signer:
        if principal.role not in (Role.CONSUMER, Role.STAFF, Role.ADMIN):
            raise Forbidden("only a consumer's user or the supplier's staff sign", code="role_forbidden")
        if principal.user_id is None:
            raise Unauthorized("sign in first", code="not_signed_in")
        if principal.role == Role.CONSUMER:
            if principal.consumer_id is None:
                raise Forbidden("the consumer is not known", code="role_forbidden")
            return cls(Party.CONSUMER, principal.user_id, principal.consumer_id)
        return cls(Party.SUPPLIER, principal.user_id)


SEAL = Signer(Party.SUPPLIER, None)


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
        """``document_digest``: of the document's content, as the certificate's key signs (`_document_digest`)."""
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


@dataclass(frozen=True)
class Download:
    file_name: str
    content: bytes
    media_type: str


class Signatures:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    # certificates
    async def register_certificate(self, principal: Principal, certificate_pem: str) -> Certificate:
        signer = Signer.of(principal)
        try:
            certificate = load_certificate(certificate_pem.encode())
        except (CertificateFormatError, UnicodeError):
            self._refuse([UNREADABLE])
        if signer.party is Party.CONSUMER:
            await self._consumer_signing_allowed(signer)
        reasons = await self._certificate_failures(certificate, signer, self.runtime.clock())
        if reasons:
            self._refuse(reasons)
        info = CertificateInfo.of(certificate)
        registered = Certificate(
            user_id=signer.user_id, consumer_id=signer.consumer_id, party=signer.party,
            der=certificate.public_bytes(Encoding.DER), **_certificate_columns(info),
        )
        self.session.add(registered)
        try:
            await self.session.flush()
        except IntegrityError:
            raise Conflict("this certificate is registered already", code="already_registered") from None
        BUSINESS_EVENTS.labels("signature", "certificate_registered").inc()
        return registered

    async def certificates(self, principal: Principal) -> list[Certificate]:
        signer = Signer.of(principal)
        assert signer.user_id is not None  # a signer acting through the API is a user
        return await repository.certificates_of_user(self.session, signer.user_id)

    async def withdraw_certificate(self, principal: Principal, certificate_id: uuid.UUID) -> None:
        certificate = await self._own_certificate(Signer.of(principal), certificate_id)
        certificate.revoked_at = self.runtime.clock()

    def trusted_authorities(self) -> list[tuple[x509.Certificate, datetime | None]]:
        return [
            (authority.certificate, authority.crl.next_update_utc if authority.crl is not None else None)
            for authority in self.runtime.trust.store.authorities()
        ]

    # signing: step 1
    async def prepare(self, principal: Principal, document_id: uuid.UUID, certificate_id: uuid.UUID) -> PreparedSigning:
        signer = Signer.of(principal)
        # the document first: whether it is there for this signer does not hang on the certificate named
        document = await self._document_from_documents(principal, document_id)
        certificate = await self._own_certificate(signer, certificate_id)
        if signer.party is Party.CONSUMER:
            await self._consumer_signing_allowed(signer)
        await self._check_awaits_signature(document, signer.party)
        now = self.runtime.clock()
        signer_certificate = load_certificate(certificate.der)
        reasons = await self._certificate_failures(signer_certificate, signer, now, consumer_id=document.consumer_id)
        if reasons:
            self._refuse(reasons)
        digest = await self._document_digest(principal, document, signer_certificate)
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
        return PreparedSigning(signing, _signature_algorithm(signer_certificate), public_key_hex)

    # signing: step 3 (step 2 is the signer's, with their key)
    async def finalize(
        self, principal: Principal, signing_id: uuid.UUID, signature_value_base64: str,
        manifest_signature_value_base64: str,
    ) -> Signature:
        signer = Signer.of(principal)
        signing = await repository.signing(self.session, signing_id)
        if signing is None or signing.user_id != signer.user_id:
            raise NotFound("no such signing", code="signing_not_found")
        if signing.expires_at <= self.runtime.clock():
            raise Gone("the data to sign has expired; prepare it again", code="signing_expired")
        values = SignatureValues(
            _base64(signature_value_base64, "signature_value_base64"),
            _base64(manifest_signature_value_base64, "manifest_signature_value_base64"),
        )
        certificate = await repository.certificate(self.session, signing.certificate_id)
        if certificate is None or certificate.revoked_at is not None:
            raise NotFound("the certificate was withdrawn", code="certificate_not_found")
        document = await repository.document(self.session, signing.document_id)
        assert document is not None  # a signing's document is kept (foreign key)
        signature = await self._assemble_and_record(document, signer, certificate, ToSign.of(signing), values)
        await self.session.delete(signing)
        BUSINESS_EVENTS.labels("signature", "signature_added").inc()
        return signature

    # the supplier's electronic seal
    async def seal(self, principal: Principal, document_id: uuid.UUID) -> Signature:
        if principal.role not in (Role.STAFF, Role.ADMIN, Role.SERVICE):
            raise Forbidden("only the supplier seals documents", code="role_forbidden")
        if self.runtime.seal is None:
            raise Conflict("no electronic seal is configured", code="seal_not_configured")
        document = await self._document_from_documents(principal, document_id)
        await self._check_awaits_signature(document, Party.SUPPLIER)
        return await self._seal(document, self.runtime.seal)

    async def seal_if_awaited(self, document: Document) -> Signature | None:
        """Seal a newly stored document of a sealed type that waits for the supplier's signature — one issued today:
        the seal never signs a back-dated document on its own (a person of the supplier signs that, or not)."""
        seal = self.runtime.seal
        if seal is None or document.document_type not in self.runtime.settings.seal_document_types:
            return None
        if Party.SUPPLIER not in document.awaiting or document.issued_on != self.runtime.today():
            return None
        return await self._seal(document, seal)

    async def _seal(self, document: Document, seal: Seal) -> Signature:
        info = CertificateInfo.of(seal.certificate)
        certificate = await repository.keep_seal_certificate(
            self.session, user_id=None, consumer_id=None, party=Party.SUPPLIER,
            der=seal.certificate.public_bytes(Encoding.DER), **_certificate_columns(info),
        )
        digest = await self._document_digest(SERVICE, document, seal.certificate)
        to_sign = ToSign.prepare(document, Party.SUPPLIER, seal.certificate, self.runtime.clock(), digest)
        values = SignatureValues(
            seal.sign(to_sign.document.data_to_sign), seal.sign(to_sign.manifest_attributes.data_to_sign)
        )
        signature = await self._assemble_and_record(document, SEAL, certificate, to_sign, values)
        BUSINESS_EVENTS.labels("signature", "document_sealed").inc()
        return signature

    async def _assemble_and_record(
        self, document: Document, signer: Signer, certificate: Certificate, to_sign: ToSign, values: SignatureValues,
    ) -> Signature:
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
        reasons += await self._ownership_failures(verified.signer.edrpou, signer, document.consumer_id)
        if reasons:
            self._refuse(reasons)

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
        parties = await repository.signed_parties(self.session, document.id)
        await self._change_status(
            document, status_of(parties, rejected=False, signers=document.signers), signer.party,
            signature_id=signature.id, now=now,
        )
        return signature

    # statuses
    async def status(self, principal: Principal, document_id: uuid.UUID) -> tuple[Document, list[Signature]]:
        document = await self._visible_document(principal, document_id)
        return document, await repository.signatures_of(self.session, document.id)

    async def find(
        self, principal: Principal, found: DocumentFilter, *, limit: int, offset: int
    ) -> list[Document]:
        """Documents and their statuses: a consumer's own only; staff their branch's consumers', administrators and
        services any consumer's."""
        if principal.role == Role.CONSUMER and principal.consumer_id is not None:
            if found.consumer_id not in (None, principal.consumer_id):
                raise Forbidden("a consumer sees only their own documents", code="other_consumer")
            found = replace(found, consumer_id=principal.consumer_id)
        else:
            found = replace(found, branch_id=principal.branch_scope())
        return await repository.find_documents(self.session, found, limit=limit, offset=offset)

    async def reject(self, principal: Principal, document_id: uuid.UUID, reason: str) -> Document:
        signer = Signer.of(principal)
        reason = reason.strip()
        if not reason:
            raise Invalid("say why the document is refused", fields={"reason": "required"})
        if len(reason) > MAX_REASON_LENGTH:
            raise Invalid("the reason is too long", fields={"reason": "too_long"})
        document = await self._visible_document(principal, document_id)
        document = await repository.lock_document(self.session, document.id)
        if document.status is DocumentStatus.REJECTED:
            raise Conflict("the document was refused already", code="document_rejected")
        self._check_signer(document, signer.party)
        if await repository.has_signed(self.session, document.id, signer.party):
            raise Conflict("this party has signed the document already", code="already_signed")
        document.rejected_by = signer.party
        document.rejected_reason = reason
        await self._change_status(
            document, DocumentStatus.REJECTED, signer.party, signature_id=None, now=self.runtime.clock()
        )
        return document

    # downloads
    async def signature_file(self, principal: Principal, signature_id: uuid.UUID) -> Download:
        signature = await repository.signature(self.session, signature_id)
        document = await repository.document(self.session, signature.document_id) if signature else None
        if signature is None or document is None or signature.p7s_document_id is None:
            raise NotFound("no such signature", code="signature_not_found")
        if not await self._sees(principal, document.consumer_id):
            raise NotFound("no such signature", code="signature_not_found")
        content = await self.runtime.documents.content(principal, signature.p7s_document_id)
        return Download(_p7s_file_name(document, signature.party), content, "application/pkcs7-signature")

    async def container(self, principal: Principal, document_id: uuid.UUID) -> Download:
        document = await self._visible_document(principal, document_id)
        # the consumer's, then the supplier's: the same order whoever signed first
        signatures = sorted((item for item in await repository.signatures_of(self.session, document.id)
                             if item.p7s_document_id is not None), key=lambda item: list(Party).index(item.party))
        if not signatures:
            raise Conflict("the document has no signatures yet", code="document_not_signed")
        content = await self.runtime.documents.content(principal, document.id)
        latest = max(item.signing_time for item in signatures).astimezone(BUSINESS_TIME_ZONE)
        manifests = [
            SignedManifest(item.party.value, item.asic_manifest, item.asic_signature)
            for item in signatures if item.asic_manifest is not None and item.asic_signature is not None
        ]
        if len(manifests) == len(signatures):
            container = asic_e(document.file_name, content, manifests, modified=latest)
            return Download(_with_suffix(document.file_name, ".asice"), container, ASIC_E_MIME_TYPE)
        # a party signed before manifests were signed too: its signature of the document is all there is
        signed = [await self.runtime.documents.content(principal, item.p7s_document_id) for item in signatures
                  if item.p7s_document_id is not None]
        container = asic_s(document.file_name, content, merge_signatures(signed), modified=latest)
        return Download(_with_suffix(document.file_name, ".asics"), container, ASIC_S_MIME_TYPE)

    # what other services tell
    async def keep_consumer(self, event: ConsumerAccountCreated) -> None:
        await repository.keep_consumer(
            self.session, event.consumer_id, edrpou=event.edrpou, e_signature=event.e_signature,
            branch_id=event.branch_id, as_of=event.occurred_at,
        )

    async def keep_stored_document(self, event: DocumentStored) -> Document:
        return await self._keep_new(
            id=event.document_id, consumer_id=event.consumer_id, document_type=event.document_type,
            title=event.title, file_name=event.file_name, sha256=event.sha256,
            issued_on=event.issued_on or event.occurred_at.astimezone(BUSINESS_TIME_ZONE).date(),
            signers=signers_of(event.document_type, event.signers),
        )

    # helpers
    async def _document_from_documents(self, principal: Principal, document_id: uuid.UUID) -> Document:
        """The document as the documents service shows it to `principal` (404 for another consumer's), kept."""
        found = await self.runtime.documents.metadata(principal, document_id)
        if found.type == SIGNATURE_DOCUMENT_TYPE:
            raise Conflict("a signature file is not signed itself", code="document_not_signable")
        return await self._keep(found)

    async def _visible_document(self, principal: Principal, document_id: uuid.UUID) -> Document:
        document = await repository.document(self.session, document_id)
        if document is None:
            # not heard of yet (its event may be on its way): the documents service decides whether it exists
            return await self._document_from_documents(principal, document_id)
        if not await self._sees(principal, document.consumer_id):
            raise NotFound("no such document", code="document_not_found")
        return document

    async def _keep(self, found: DocumentOut) -> Document:
        return await self._keep_new(
            id=found.id, consumer_id=found.consumer_id, document_type=found.type, title=found.title,
            file_name=found.file_name, sha256=found.sha256, issued_on=found.issued_on,
            signers=signers_of(found.type, found.signers),
        )

    async def _keep_new(self, *, signers: frozenset[Party], **fields: object) -> Document:
        """The document as the documents service stored it, kept here unless known already."""
        return await repository.keep_document(
            self.session, **fields, consumer_signs=Party.CONSUMER in signers,
            supplier_signs=Party.SUPPLIER in signers,
            status=status_of((), rejected=False, signers=signers),
        )

    @staticmethod
    def _check_signer(document: Document, party: Party) -> None:
        if party not in document.signers:
            raise Conflict(f"the {party.value} does not sign this document", code="signature_not_required")

    async def _check_awaits_signature(self, document: Document, party: Party) -> None:
        if document.status is DocumentStatus.REJECTED:
            raise Conflict("the document was refused; it cannot be signed", code="document_rejected")
        self._check_signer(document, party)
        if await repository.has_signed(self.session, document.id, party):
            raise Conflict("this party has signed the document already", code="already_signed")

    async def _document_digest(
        self, principal: Principal, document: Document, certificate: x509.Certificate
    ) -> bytes:
        """The digest of the document a signature by ``certificate`` carries: the SHA-256 the documents service
        gave, or GOST 34.311 of the content for a DSTU 4145 key (hashed in a thread: a second or so for a PDF)."""
        if not cades.is_dstu(certificate):
            return bytes.fromhex(document.sha256)
        content = await self.runtime.documents.content(principal, document.id)
        if hashlib.sha256(content).hexdigest() != document.sha256:
            raise Conflict("the document's content differs from what was stored", code="document_changed")
        return await asyncio.to_thread(cades.document_digest, certificate, content)

    async def _own_certificate(self, signer: Signer, certificate_id: uuid.UUID) -> Certificate:
        certificate = await repository.certificate(self.session, certificate_id)
        if certificate is None or certificate.user_id != signer.user_id or certificate.revoked_at is not None:
            raise NotFound("no such certificate", code="certificate_not_found")
        return certificate

    async def _sees(self, principal: Principal, consumer_id: uuid.UUID) -> bool:
        """Whether the principal sees this consumer's documents (a consumer not heard of: administrators only)."""
        consumer = await repository.consumer(self.session, consumer_id)
        return principal.may_see(consumer_id, consumer.branch_id if consumer else None)

    async def _consumer(self, consumer_id: uuid.UUID) -> Consumer | None:
        """The consumer as identity's events told; asked of identity when no event has come (yet)."""
        found = await repository.consumer(self.session, consumer_id)
        if found is not None:
            return found
        fetched = await self.runtime.identity.consumer(consumer_id)
        if fetched is None:
            return None
        await repository.keep_consumer(
            self.session, consumer_id, edrpou=fetched.edrpou, e_signature=fetched.e_signature,
            branch_id=fetched.branch_id, as_of=self.runtime.clock(),
        )
        return await repository.consumer(self.session, consumer_id)

    async def _consumer_signing_allowed(self, signer: Signer) -> None:
        assert signer.consumer_id is not None
        consumer = await self._consumer(signer.consumer_id)
        if consumer is None or not consumer.e_signature:
            raise Forbidden(
                "the consumer's agreement does not provide for electronic signatures", code="e_signature_disabled"
            )

    async def _certificate_failures(
        self, certificate: x509.Certificate, signer: Signer, at: datetime, *, consumer_id: uuid.UUID | None = None
    ) -> list[str]:
        check = check_certificate(certificate, self.runtime.trust.store, at=at, expected_edrpou=None)
        reasons = [failure.value for failure in check.failures]
        if _signature_algorithm_or_none(certificate) is None:
            reasons.append(UNSUPPORTED_KEY)
        reasons += await self._ownership_failures(check.info.edrpou, signer, consumer_id or signer.consumer_id)
        return reasons

    async def _ownership_failures(
        self, edrpou: str | None, signer: Signer, consumer_id: uuid.UUID | None
    ) -> list[str]:
        """A consumer's signer carries the consumer's EDRPOU; the supplier's (and the seal) a supplier branch's."""
        if signer.party is Party.CONSUMER:
            consumer = await self._consumer(consumer_id) if consumer_id else None
            owned = consumer is not None and edrpou == consumer.edrpou
        else:
            owned = edrpou in await self.runtime.identity.branch_edrpous()
        return [] if owned else [CertificateFailure.EDRPOU_MISMATCH.value]

    async def _change_status(
        self, document: Document, status: DocumentStatus, party: Party, *, signature_id: uuid.UUID | None,
        now: datetime,
    ) -> None:
        document.status = status
        document.status_changed_at = now
        await bus.add(self.session, DocumentStatusChanged(
            document_id=document.id, consumer_id=document.consumer_id, document_type=document.document_type,
            status=status.value, party=party.value, signature_id=signature_id,
            rejected_reason=document.rejected_reason, occurred_at=now,
        ))

    @staticmethod
    def _refuse(reasons: Sequence[str]) -> NoReturn:
        BUSINESS_EVENTS.labels("signature", "certificate_refused").inc()
        raise CertificateRefused(reasons)


def _base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the signature value is not base64", fields={field: "base64_invalid"}) from None


def _certificate_columns(info: CertificateInfo) -> dict[str, object]:
    return {
        "subject": info.subject, "common_name": info.common_name, "edrpou": info.edrpou,
        "serial": format(info.serial_number, "x"), "issuer": info.issuer, "not_before": info.not_before,
        "not_after": info.not_after, "fingerprint_sha256": info.sha256_fingerprint,
    }


def _signature_algorithm_or_none(certificate: x509.Certificate) -> str | None:
    if cades.is_dstu(certificate):
        try:
            dstu_public_key(certificate)
        except DstuError:
            return None
        return DSTU_SIGNATURE_ALGORITHM
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = _CURVE_NAMES.get(key.curve.name)
        return f"ECDSA_{curve}_SHA256" if curve else None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA_PKCS1_SHA256"
    return None


def _signature_algorithm(certificate: x509.Certificate) -> str:
    algorithm = _signature_algorithm_or_none(certificate)
    assert algorithm is not None  # refused at registration otherwise
    return algorithm


def _signature_file(document: Document, party: Party, content: bytes) -> NewSignatureFile:
    title = f"{_PARTY_TITLES[party]}: {document.title}"
    return NewSignatureFile(
        consumer_id=document.consumer_id, title=title[:_MAX_TITLE],
        file_name=_p7s_file_name(document, party), content=content,
    )


def _p7s_file_name(document: Document, party: Party) -> str:
    return _with_suffix(document.file_name, f".{party.value}.p7s")


def _with_suffix(file_name: str, suffix: str) -> str:
    """`<file name><suffix>` within the documents service's limit on names (the end of a long name goes)."""
    return file_name[: _MAX_FILE_NAME - len(suffix)] + suffix
