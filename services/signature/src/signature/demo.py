"""The demo's history of signatures, made through the three signing steps as of the moment each was made (a day of
the demo consumer's past half year), with the demo signers' keys: `devtools.demo` calls it in its own process; the
running service relays the status events.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from shared.auth import Principal, Role
from shared.db import Database
from signature import repository
from signature.certificates import Certificates
from signature.domain import keys
from signature.domain.statuses import Party
from signature.models import Document
from signature.runtime import Runtime
from signature.settings import SignatureSettings
from signature.signing import Signings
from signature.statuses import DocumentFilter, Statuses


@dataclass(frozen=True)
class Signer:
    """A person who signs: their principal (the consumer's user, or staff), certificate and key."""

    principal: Principal
    certificate_pem: bytes
    key: keys.SigningKey


class History:
    def __init__(self, settings: SignatureSettings) -> None:
        self.database = Database(settings.database_url, pool_size=2)
        self.runtime = Runtime.create(settings)

    async def close(self) -> None:
        await self.runtime.close()
        await self.database.dispose()

    def _at(self, moment: datetime) -> None:
        self.runtime.clock = lambda: moment

    async def register(self, signer: Signer, *, at: datetime) -> uuid.UUID:
        """The signer's certificate, registered at `at` unless it is already; its id."""
        fingerprint = hashlib.sha256(
            x509.load_pem_x509_certificate(signer.certificate_pem).public_bytes(Encoding.DER)).hexdigest()
        self._at(at)
        async with self.database.transaction() as session:
            certificates = Certificates(session, self.runtime)
            for certificate in await certificates.listing(signer.principal):
                if certificate.fingerprint_sha256 == fingerprint and certificate.revoked_at is None:
                    return certificate.id
            return (await certificates.register(signer.principal, signer.certificate_pem.decode())).id

    async def sign(self, signer: Signer, certificate_id: uuid.UUID, document_id: uuid.UUID, *, at: datetime) -> None:
        """Prepare, sign with the signer's key, finalize — at `at`."""
        self._at(at)
        async with self.database.transaction() as session:
            prepared = await Signings(session, self.runtime).prepare(signer.principal, document_id, certificate_id)
            signing = prepared.signing
        values = [base64.b64encode(keys.sign(signer.key, data)).decode()
                  for data in (signing.data_to_sign, signing.manifest_to_sign)]
        async with self.database.transaction() as session:
            await Signings(session, self.runtime).finalize(signer.principal, signing.id, *values)

    async def awaiting(self, consumer_id: uuid.UUID, party: Party) -> list[Document]:
        """The consumer's documents that wait for this party's signature, as the service knows them now."""
        async with self.database.transaction() as session:
            return await Statuses(session, self.runtime).find(
                Principal(role=Role.SERVICE), DocumentFilter(consumer_id, awaiting=party), limit=500, offset=0)

    async def knows(self, document_id: uuid.UUID) -> bool:
        async with self.database.transaction() as session:
            return await repository.document(session, document_id) is not None
