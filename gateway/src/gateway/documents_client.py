"""Typed calls to the documents service (docs/api-documents.md).

Each call takes the principal the request acts for; the service lets a consumer see only their own documents
(another consumer's answers 404 as a missing one does). Refusals arrive as `shared.errors.ServiceCallError`.
"""

from __future__ import annotations

from datetime import date
from typing import Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict
from starlette.responses import StreamingResponse

from gateway.downloads import stream_to_browser
from shared.auth import Principal
from shared.http import ServiceClient

_API: Final = "/api/v1"
#: the most the service gives in one page
_PAGE: Final = 200


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


class Document(_Answer):
    id: UUID
    consumer_id: UUID
    type: str
    #: the billing month `YYYY-MM`, if the document belongs to one
    period: str | None = None
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    created_at: AwareDatetime
    #: the document's own date (an invoice's formation date; else the day it was stored)
    issued_on: date
    replaces: UUID | None = None
    replaced_by: UUID | None = None


class DocumentPage(_Answer):
    items: list[Document]
    total: int
    limit: int
    offset: int


class OnboardingForm(BaseModel):
    """The form of «Інструкція з отримання ЕЦП», as the service takes it."""

    company_name: str
    edrpou: str
    legal_address: str
    phone: str
    signer_name: str
    signer_position: str
    email: str


class OnboardingPackage(_Answer):
    document: Document
    #: where the package is being e-mailed
    email: str


class DocumentsClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    async def all_documents(self, principal: Principal, document_type: str | None = None) -> list[Document]:
        """Every document the principal may see (of one type if given), newest first (a consumer: their own)."""
        documents: list[Document] = []
        kind = {"type": document_type} if document_type else {}
        while True:
            answer = await self._client.get(
                f"{_API}/documents", principal, params={"limit": _PAGE, "offset": len(documents), **kind}
            )
            page = DocumentPage.model_validate(answer)
            documents += page.items
            if not page.items or len(documents) >= page.total:
                return documents

    async def document(self, principal: Principal, document_id: UUID) -> Document:
        return Document.model_validate(await self._client.get(f"{_API}/documents/{document_id}", principal))

    async def content(self, principal: Principal, document_id: UUID) -> StreamingResponse:
        return await stream_to_browser(self._client, f"{_API}/documents/{document_id}/content", principal)

    async def request_onboarding_package(self, principal: Principal, form: OnboardingForm) -> OnboardingPackage:
        answer = await self._client.post(f"{_API}/onboarding-packages", principal, json=form.model_dump())
        return OnboardingPackage.model_validate(answer)
