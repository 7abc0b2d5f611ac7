"""Events published by the documents service."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import EmailStr

from shared.contracts.base import Event, event
from shared.contracts.signature import SigningParty

#: who must sign a document: the consumer and the supplier (an invoice), one of them (an act the consumer signs,
#: a tax invoice the supplier signs), or nobody (readings the supplier entered itself); None where the producer did
#: not say (messages older than the field): the signature service then goes by the document's type
Signers = tuple[SigningParty, ...] | None


@event
class DocumentStored(Event):
    event_name = "documents.document_stored"
    summary = (
        "A document's bytes were stored (immutable, identified by SHA-256) and its metadata recorded; "
        "`replaces` names the document a re-issue supersedes."
    )

    document_id: UUID
    consumer_id: UUID
    document_type: str
    #: the billing period `YYYY-MM` the document belongs to, if any
    period: str | None
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    replaces: UUID | None
    #: `<message type>/<message id>` of the event the document was made for, if any
    source_event: str | None
    #: the document's own date (an invoice's formation date, an act's date): what lists show and sort by
    issued_on: date | None = None
    signers: Signers = None


@event
class EdsOnboardingPackageReady(Event):
    event_name = "documents.eds_onboarding_package_ready"
    summary = (
        "A consumer filled in the e-signature form; documents.zip is stored and notify e-mails it to the address "
        "given (fetching the bytes from `content_path` of the documents API with a service token)."
    )

    document_id: UUID
    consumer_id: UUID
    email: EmailStr
    company_name: str
    edrpou: str
    signer_name: str
    file_name: str
    #: where the bytes are: `GET` on the documents service with a service token
    content_path: str
    #: where the consumer downloads the package in the cabinet
    download_url: str


@event
class RenderRequested(Event):
    event_name = "documents.render_requested"
    summary = (
        "Another service asks documents to render `data` with the template of `document_type` and store the PDF; "
        "the answer is `documents.document_stored.v1` carrying the same `source_event` (the requester's reference, "
        "e.g. `billing.invoice/<id>`). Rendering the same reference again stores nothing new."
    )

    consumer_id: UUID
    document_type: str
    period: str | None
    title: str
    file_name: str
    data: dict[str, Any]
    replaces: UUID | None = None
    source_event: str
    #: the document's own date; the day it is stored when None
    issued_on: date | None = None
    signers: Signers = None
