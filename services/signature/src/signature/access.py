"""Who acts and what they see: the signer a principal is, the consumers as identity told of them, and the documents
of the documents service as this service keeps them.

Who may see a document is the documents service's answer to the caller's own principal, so a consumer can never
prepare, read or download anything about another consumer's document (it answers 404, as a missing one does); a
document kept here is seen by whoever may see its consumer's data (`Principal.may_see`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.business_calendar import business_today
from shared.contracts.base import Actor
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized
from signature import repository
from signature.clients import DocumentOut
from signature.domain.statuses import DocumentStatus, Party, signers_of, status_of
from signature.models import Consumer, Document, Signature
from signature.runtime import Runtime

#: the documents service's type of the `.p7s` files this service stores; they are not signed themselves
SIGNATURE_DOCUMENT_TYPE = "signature"


@dataclass(frozen=True)
class Signer:
    """Who acts, as a signing party: a consumer's user, a supplier's employee, or the seal (no user)."""

    party: Party
    user_id: uuid.UUID | None
    consumer_id: uuid.UUID | None = None
    #: the person, for the consumer's audit trail (None: the seal)
    actor: Actor | None = None

    @classmethod
    def of(cls, principal: Principal) -> Signer:
        if principal.role not in (Role.CONSUMER, Role.STAFF, Role.ADMIN):
            raise Forbidden("only a consumer's user or the supplier's staff sign", code="role_forbidden")
        if principal.user_id is None:
            raise Unauthorized("sign in first", code="not_signed_in")
        if principal.role == Role.CONSUMER:
            if principal.consumer_id is None:
                raise Forbidden("the consumer is not known", code="role_forbidden")
            return cls(Party.CONSUMER, principal.user_id, principal.consumer_id, Actor.of(principal))
        return cls(Party.SUPPLIER, principal.user_id, actor=Actor.of(principal))


async def sees(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID) -> bool:
    """Whether the principal sees this consumer's documents (a consumer not heard of: administrators only)."""
    consumer = await session.get(Consumer, consumer_id)
    return principal.may_see(consumer_id, consumer.branch_id if consumer else None)


def check_role_signs(principal: Principal, document: Document) -> None:
    """A consumer's user signs (or refuses) only the kinds of documents their role signs: an accountant invoices and
    reconciliation acts, an engineer readings acts, a viewer none."""
    if not principal.may_sign(document.document_type):
        raise Forbidden("the user's role does not sign this kind of document", code="capability_forbidden")


def check_signer(document: Document, party: Party) -> None:
    if party not in document.signers:
        raise Conflict(f"the {party.value} does not sign this document", code="signature_not_required")


class Consumers:
    """The consumers as identity told: whose EDRPOU their signers carry, whether they sign electronically at all."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def keep(self, event: ConsumerAccountCreated) -> None:
        await self._keep(
            event.consumer_id, edrpou=event.edrpou, e_signature=event.e_signature, branch_id=event.branch_id,
            as_of=event.occurred_at,
        )

    async def one(self, consumer_id: uuid.UUID) -> Consumer | None:
        """The consumer as identity's events told; asked of identity when no event has come (yet)."""
        found = await self.session.get(Consumer, consumer_id)
        if found is not None:
            return found
        fetched = await self.runtime.identity.consumer(consumer_id)
        if fetched is None:
            return None
        await self._keep(
            consumer_id, edrpou=fetched.edrpou, e_signature=fetched.e_signature, branch_id=fetched.branch_id,
            as_of=self.runtime.clock(),
        )
        return await self.session.get(Consumer, consumer_id)

    async def check_signing_allowed(self, signer: Signer) -> None:
        assert signer.consumer_id is not None
        consumer = await self.one(signer.consumer_id)
        if consumer is None or not consumer.e_signature:
            raise Forbidden(
                "the consumer's agreement does not provide for electronic signatures", code="e_signature_disabled"
            )

    async def _keep(
        self, consumer_id: uuid.UUID, *, edrpou: str, e_signature: bool, branch_id: uuid.UUID, as_of: datetime,
    ) -> None:
        """Insert or update the consumer, unless what is kept is newer than `as_of` (events may come late)."""
        values = {"edrpou": edrpou, "e_signature": e_signature, "branch_id": branch_id, "as_of": as_of}
        statement = insert(Consumer).values(id=consumer_id, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=[Consumer.id], set_=values, where=Consumer.as_of <= as_of)
        )


class Documents:
    """The documents as the documents service stored them, kept here with their signature status."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def keep_stored(self, event: DocumentStored) -> Document:
        return await self._keep(
            id=event.document_id, consumer_id=event.consumer_id, document_type=event.document_type,
            title=event.title, file_name=event.file_name, sha256=event.sha256,
            issued_on=event.issued_on or business_today(event.occurred_at),
            signers=signers_of(event.document_type, event.signers),
        )

    async def from_documents(self, principal: Principal, document_id: uuid.UUID) -> Document:
        """The document as the documents service shows it to `principal` (404 for another consumer's), kept."""
        found = await self.runtime.documents.metadata(principal, document_id)
        if found.type == SIGNATURE_DOCUMENT_TYPE:
            raise Conflict("a signature file is not signed itself", code="document_not_signable")
        return await self._keep_found(found)

    async def visible(self, principal: Principal, document_id: uuid.UUID) -> Document:
        document = await repository.document(self.session, document_id)
        if document is None:
            # not heard of yet (its event may be on its way): the documents service decides whether it exists
            return await self.from_documents(principal, document_id)
        if not await sees(self.session, principal, document.consumer_id):
            raise NotFound("no such document", code="document_not_found")
        return document

    async def check_awaits_signature(self, document: Document, party: Party) -> None:
        if document.status is DocumentStatus.REJECTED:
            raise Conflict("the document was refused; it cannot be signed", code="document_rejected")
        check_signer(document, party)
        await self.check_not_signed(document, party)

    async def check_not_signed(self, document: Document, party: Party) -> None:
        signed = await self.session.scalar(
            select(Signature.id).where(Signature.document_id == document.id, Signature.party == party)
        )
        if signed is not None:
            raise Conflict("this party has signed the document already", code="already_signed")

    async def _keep_found(self, found: DocumentOut) -> Document:
        return await self._keep(
            id=found.id, consumer_id=found.consumer_id, document_type=found.type, title=found.title,
            file_name=found.file_name, sha256=found.sha256, issued_on=found.issued_on,
            signers=signers_of(found.type, found.signers),
        )

    async def _keep(self, *, signers: frozenset[Party], **fields: object) -> Document:
        """The document as the documents service stored it, inserted unless known already (its metadata never
        changes, so a known one is kept)."""
        await self.session.execute(insert(Document).values(
            **fields, consumer_signs=Party.CONSUMER in signers, supplier_signs=Party.SUPPLIER in signers,
            status=status_of((), rejected=False, signers=signers),
        ).on_conflict_do_nothing(index_elements=[Document.id]))
        found = await self.session.get(Document, fields["id"])
        assert found is not None
        return found
