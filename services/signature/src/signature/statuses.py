"""Documents' signature statuses: one document's with its signatures, listings of many, a party's refusal to sign,
and every change of a status told as `signature.document_status_changed.v1` (the rules: `domain.statuses`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import bus
from shared.auth import Principal, Role
from shared.contracts.base import Actor
from shared.contracts.signature import DocumentStatusChanged
from shared.errors import Conflict, Forbidden, Invalid
from signature import repository
from signature.access import Documents, Signer, check_role_signs, check_signer
from signature.domain.statuses import DocumentStatus, Party, awaiting_signature_of
from signature.models import Consumer, Document, Signature
from signature.runtime import Runtime

MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class DocumentFilter:
    consumer_id: uuid.UUID | None = None
    document_ids: Collection[uuid.UUID] = ()
    document_type: str | None = None
    #: None: any status; empty: none matches
    statuses: Collection[DocumentStatus] | None = None
    #: only documents this party must sign and has not signed yet (nor refused)
    awaiting: Party | None = None
    #: only the documents of this branch's consumers (a staff member's listing); None: of every branch
    branch_id: uuid.UUID | None = None


async def change_status(
    session: AsyncSession, document: Document, status: DocumentStatus, party: Party, *,
    signature_id: uuid.UUID | None, now: datetime, actor: Actor | None,
) -> None:
    """`party` signed (`signature_id`) or refused the document, which is `status` now; `actor`: the person who did
    (None: the supplier's seal)."""
    document.status = status
    document.status_changed_at = now
    await bus.add(session, DocumentStatusChanged(
        document_id=document.id, consumer_id=document.consumer_id, document_type=document.document_type,
        status=status.value, party=party.value, signature_id=signature_id,
        rejected_reason=document.rejected_reason, occurred_at=now, actor=actor,
    ))


class Statuses:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.documents = Documents(session, runtime)

    async def status(self, principal: Principal, document_id: uuid.UUID) -> tuple[Document, list[Signature]]:
        document = await self.documents.visible(principal, document_id)
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
        return await self._documents(found, limit=limit, offset=offset)

    async def reject(self, principal: Principal, document_id: uuid.UUID, reason: str) -> Document:
        signer = Signer.of(principal)
        reason = reason.strip()
        if not reason:
            raise Invalid("say why the document is refused", fields={"reason": "required"})
        if len(reason) > MAX_REASON_LENGTH:
            raise Invalid("the reason is too long", fields={"reason": "too_long"})
        document = await self.documents.visible(principal, document_id)
        check_role_signs(principal, document)
        document = await repository.lock_document(self.session, document.id)
        if document.status is DocumentStatus.REJECTED:
            raise Conflict("the document was refused already", code="document_rejected")
        check_signer(document, signer.party)
        await self.documents.check_not_signed(document, signer.party)
        document.rejected_by = signer.party
        document.rejected_reason = reason
        await change_status(
            self.session, document, DocumentStatus.REJECTED, signer.party, signature_id=None,
            now=self.runtime.clock(), actor=signer.actor,
        )
        return document

    async def _documents(self, found: DocumentFilter, *, limit: int, offset: int) -> list[Document]:
        query = select(Document).order_by(
            Document.issued_on.desc(), Document.created_at.desc(), Document.id
        ).limit(limit).offset(offset)
        if found.consumer_id is not None:
            query = query.where(Document.consumer_id == found.consumer_id)
        if found.branch_id is not None:
            query = query.where(
                Document.consumer_id.in_(select(Consumer.id).where(Consumer.branch_id == found.branch_id))
            )
        if found.document_ids:
            query = query.where(Document.id.in_(list(found.document_ids)))
        if found.document_type is not None:
            query = query.where(Document.document_type == found.document_type)
        if found.statuses is not None:
            query = query.where(Document.status.in_(list(found.statuses)))
        if found.awaiting is not None:
            signs = Document.consumer_signs if found.awaiting is Party.CONSUMER else Document.supplier_signs
            query = query.where(signs, Document.status.in_(list(awaiting_signature_of(found.awaiting))))
        return list(await self.session.scalars(query))
