"""Bodies of the documents HTTP API (docs/api-documents.md).

Requests bound only the size of what arrives; the rules for types, periods, names and content are the domain's,
so that every refusal comes back with the domain's reason code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from documents.domain.documents import MAX_DOCUMENT_BYTES
from documents.repository import Listed
from documents.service import content_path

Short = Annotated[str, StringConstraints(max_length=320)]
Code = Annotated[str, StringConstraints(max_length=64)]
Period = Annotated[str, StringConstraints(max_length=7)]
Signer = Literal["consumer", "supplier"]
#: base64 of the largest document, and a little room for line breaks
Base64Content = Annotated[str, StringConstraints(max_length=MAX_DOCUMENT_BYTES * 4 // 3 + 1024)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentOut(BaseModel):
    id: uuid.UUID
    consumer_id: uuid.UUID
    type: str
    period: str | None
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    #: the document's own date (an invoice's formation date; else the day it was stored)
    issued_on: date
    #: the parties that must sign it; None: as the signature service's rule for its type says
    signers: list[str] | None
    source_event: str | None
    #: the document this one re-issues
    replaces: uuid.UUID | None
    #: the document that re-issued this one (this one is then out of date)
    replaced_by: uuid.UUID | None
    #: where the bytes are served
    content_path: str

    @classmethod
    def of(cls, listed: Listed) -> DocumentOut:
        document = listed.document
        return cls(
            id=document.id, consumer_id=document.consumer_id, type=document.document_type, period=document.period,
            title=document.title, file_name=document.file_name, content_type=document.content_type,
            size=document.size, sha256=document.sha256, created_at=document.created_at,
            issued_on=document.issued_on, signers=document.signers, source_event=document.source_event,
            replaces=document.replaces_id, replaced_by=listed.replaced_by,
            content_path=content_path(document.id),
        )


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class NewDocument(Request):
    consumer_id: uuid.UUID
    type: Code
    period: Period | None = None
    title: Short
    file_name: Short
    content_type: Short
    content_base64: Base64Content
    replaces: uuid.UUID | None = None
    source_event: Short | None = None
    issued_on: date | None = None
    signers: list[Signer] | None = Field(default=None, max_length=2)


class RenderDocument(Request):
    consumer_id: uuid.UUID
    type: Code
    period: Period | None = None
    title: Short
    #: defaults to the title with `.pdf`
    file_name: Short | None = None
    #: what the type's template draws (see `GET /api/v1/templates`)
    data: dict[str, Any]
    replaces: uuid.UUID | None = None
    source_event: Short | None = None
    issued_on: date | None = None
    signers: list[Signer] | None = Field(default=None, max_length=2)


class EdsOnboardingForm(Request):
    """The form of «Інструкція з отримання ЕЦП»."""

    company_name: Short
    edrpou: Annotated[str, StringConstraints(max_length=20)]
    legal_address: Short
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    signer_name: Short
    signer_position: Short
    email: Short


class OnboardingPackageOut(BaseModel):
    document: DocumentOut
    #: where the package is being e-mailed
    email: str


class TemplateOut(BaseModel):
    type: str
    title: str
    #: JSON Schema of the template's data
    data_schema: dict[str, Any]
