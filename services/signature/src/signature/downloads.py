"""What is downloaded of signed documents: a party's signature (its `.p7s`, a detached CAdES signature) and the
container of the document with every party's signature — ASiC-E, or ASiC-S when a party signed before
manifests were signed too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.errors import Conflict, NotFound
from signature import repository
from signature.access import Documents, sees
from signature.domain.containers import (
    ASIC_E_MIME_TYPE,
    ASIC_S_MIME_TYPE,
    SignedManifest,
    asic_e,
    asic_s,
    merge_signatures,
)
from signature.domain.statuses import Party
from signature.models import Signature
from signature.runtime import Runtime
from signature.signing import p7s_file_name, with_suffix


@dataclass(frozen=True)
class Download:
    file_name: str
    content: bytes
    media_type: str


class Downloads:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def signature_file(self, principal: Principal, signature_id: uuid.UUID) -> Download:
        signature = await self.session.get(Signature, signature_id)
        document = await repository.document(self.session, signature.document_id) if signature else None
        if signature is None or document is None or signature.p7s_document_id is None:
            raise NotFound("no such signature", code="signature_not_found")
        if not await sees(self.session, principal, document.consumer_id):
            raise NotFound("no such signature", code="signature_not_found")
        content = await self.runtime.documents.content(principal, signature.p7s_document_id)
        return Download(p7s_file_name(document, signature.party), content, "application/pkcs7-signature")

    async def container(self, principal: Principal, document_id: uuid.UUID) -> Download:
        document = await Documents(self.session, self.runtime).visible(principal, document_id)
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
            return Download(with_suffix(document.file_name, ".asice"), container, ASIC_E_MIME_TYPE)
        # a party signed before manifests were signed too: its signature of the document is all there is
        signed = [await self.runtime.documents.content(principal, item.p7s_document_id) for item in signatures
                  if item.p7s_document_id is not None]
        container = asic_s(document.file_name, content, merge_signatures(signed), modified=latest)
        return Download(with_suffix(document.file_name, ".asics"), container, ASIC_S_MIME_TYPE)
