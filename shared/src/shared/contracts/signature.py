"""Events published by the signature service."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.contracts.base import Actor, Event, event

#: a document's signature status (docs/api-signature.md); `not_required`: nobody is asked to sign it
SignatureStatus = Literal[
    "not_required", "not_signed", "signed_by_consumer", "signed_by_supplier", "signed_by_both", "rejected"
]
#: who signs a document: the consumer, and the supplier (a settlement manager or the supplier's electronic seal)
SigningParty = Literal["consumer", "supplier"]


@event
class DocumentStatusChanged(Event):
    event_name = "signature.document_status_changed"
    summary = (
        "A document's signature status changed: `party` signed it (`signature_id`; the detached CMS is a document "
        "of type `signature` in the documents service) or refused to sign it (`rejected_reason`)."
    )

    document_id: UUID
    consumer_id: UUID
    document_type: str
    status: SignatureStatus
    #: the party whose signature or refusal changed the status
    party: SigningParty
    signature_id: UUID | None
    rejected_reason: str | None
    #: the person who signed or refused; null for the supplier's seal
    actor: Actor | None = None
