"""The supplier's electronic seal signs documents: asked to by staff or a service, and on its own the documents of
the sealed types issued today (`Sealing.seal_if_awaited`, as they are stored). It takes a person's three steps
(`signature.signing`) with the service's own key (`signature.seal`)."""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden
from shared.metrics import BUSINESS_EVENTS
from signature.access import Documents, Signer
from signature.certificates import certificate_columns
from signature.clients import SERVICE
from signature.domain.certificates import CertificateInfo
from signature.domain.statuses import Party
from signature.models import Certificate, Document, Signature
from signature.runtime import Runtime
from signature.seal import Seal
from signature.signing import SignatureValues, Signings, ToSign

#: the seal as a signer: the supplier's, and no user's
SEAL = Signer(Party.SUPPLIER, None)


class Sealing:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.documents = Documents(session, runtime)
        self.signings = Signings(session, runtime)

    async def seal(self, principal: Principal, document_id: uuid.UUID) -> Signature:
        if principal.role not in (Role.STAFF, Role.ADMIN, Role.SERVICE):
            raise Forbidden("only the supplier seals documents", code="role_forbidden")
        if self.runtime.seal is None:
            raise Conflict("no electronic seal is configured", code="seal_not_configured")
        document = await self.documents.from_documents(principal, document_id)
        await self.documents.check_awaits_signature(document, Party.SUPPLIER)
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
        certificate = await self._keep_certificate(
            user_id=None, consumer_id=None, party=Party.SUPPLIER, der=seal.certificate.public_bytes(Encoding.DER),
            **certificate_columns(CertificateInfo.of(seal.certificate)),
        )
        digest = await self.signings.digest(SERVICE, document, seal.certificate)
        to_sign = ToSign.prepare(document, Party.SUPPLIER, seal.certificate, self.runtime.clock(), digest)
        values = SignatureValues(
            seal.sign(to_sign.document.data_to_sign), seal.sign(to_sign.manifest_attributes.data_to_sign)
        )
        signature = await self.signings.record(document, SEAL, certificate, to_sign, values)
        BUSINESS_EVENTS.labels("signature", "document_sealed").inc()
        return signature

    async def _keep_certificate(self, **fields: Any) -> Certificate:
        """The seal's certificate row, made the first time the seal signs with this certificate."""
        await self.session.execute(
            insert(Certificate).values(id=uuid.uuid4(), **fields).on_conflict_do_nothing(
                index_elements=[Certificate.fingerprint_sha256], index_where=Certificate.revoked_at.is_(None)
            )
        )
        found = await self.session.scalar(
            select(Certificate).where(
                Certificate.fingerprint_sha256 == fields["fingerprint_sha256"], Certificate.revoked_at.is_(None)
            )
        )
        assert found is not None
        return found
