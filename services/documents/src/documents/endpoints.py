"""The documents HTTP API, `/api/v1` (docs/api-documents.md). One transaction per request (`SessionDep`)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile

from documents import schemas
from documents.domain.documents import (
    CONTENT_SIGNATURES,
    MAX_DOCUMENT_BYTES,
    Metadata,
    content_disposition,
    file_name_from_title,
)
from documents.domain.onboarding import EdsForm
from documents.repository import DocumentFilter
from documents.service import Documents, NewDocument, RenderedDocument, Runtime
from shared.auth import PEOPLE, Capability, ConsumerOnly, PersonOrService, Principal, Role, SupplierSide, require_roles
from shared.db import SessionDep
from shared.errors import Invalid
from shared.inputs import Offset
from shared.service import file_download

router = APIRouter(prefix="/api/v1")

MAX_PAGE = 200


def documents_service(request: Request, session: SessionDep) -> Documents:
    runtime: Runtime = request.app.state.documents
    return Documents(session, runtime)


DocumentsDep = Annotated[Documents, Depends(documents_service)]
#: who issues documents: the other services (billing, metering...) and the supplier's staff
Issuer = SupplierSide
#: who lists a consumer's documents: people whose role allows the documents list, and services (a single document is
#: seen by who may see its kind: `Principal.may_see_document`)
DocumentsReader = Annotated[Principal, Depends(
    require_roles(*PEOPLE, Role.SERVICE, capability=Capability.SEE_DOCUMENTS))]


@router.post("/documents", status_code=201)
async def store_document(body: schemas.NewDocument, principal: Issuer, documents: DocumentsDep) -> schemas.DocumentOut:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("the content is not base64", fields={"content_base64": "base64_invalid"}) from None
    metadata = Metadata(
        document_type=body.type, period=body.period, title=body.title, file_name=body.file_name,
        content_type=body.content_type, source_event=body.source_event, issued_on=body.issued_on,
        signers=tuple(body.signers) if body.signers is not None else None,
    )
    listed = await documents.store(principal, NewDocument(body.consumer_id, metadata, content, body.replaces))
    return schemas.DocumentOut.of(listed)


@router.post("/documents/files", status_code=201)
async def upload_document(
    principal: Issuer, documents: DocumentsDep,
    file: Annotated[UploadFile, File()],
    consumer_id: Annotated[uuid.UUID, Form()],
    type: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=320)],
    period: Annotated[str | None, Form(max_length=7)] = None,
    replaces: Annotated[uuid.UUID | None, Form()] = None,
) -> schemas.DocumentOut:
    """The same as `POST /documents`, for a file sent as `multipart/form-data` (a scanned contract, say)."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    metadata = Metadata(
        document_type=type, period=period, title=title, file_name=file.filename or "",
        content_type=(file.content_type or "").partition(";")[0].strip().lower(),
    )
    listed = await documents.store(principal, NewDocument(consumer_id, metadata, content, replaces))
    return schemas.DocumentOut.of(listed)


@router.post("/documents/render", status_code=201)
async def render_document(
    body: schemas.RenderDocument, principal: Issuer, documents: DocumentsDep
) -> schemas.DocumentOut:
    listed = await documents.render_and_store(principal, RenderedDocument(
        consumer_id=body.consumer_id, document_type=body.type, period=body.period, title=body.title,
        file_name=body.file_name or file_name_from_title(body.title, "pdf"), data=body.data,
        replaces=body.replaces, source_event=body.source_event, issued_on=body.issued_on,
        signers=tuple(body.signers) if body.signers is not None else None,
    ))
    return schemas.DocumentOut.of(listed)


@router.get("/documents")
async def list_documents(
    principal: DocumentsReader, documents: DocumentsDep,
    consumer_id: uuid.UUID | None = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str | None, Query(max_length=7)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> schemas.DocumentPage:
    """A consumer's documents, newest first. A consumer sees only their own; staff and services any consumer's
    (all consumers' when `consumer_id` is left out)."""
    page = await documents.find(principal, DocumentFilter(consumer_id, type, period), limit=limit, offset=offset)
    return schemas.DocumentPage(
        items=[schemas.DocumentOut.of(listed) for listed in page.items], total=page.total, limit=limit,
        offset=offset,
    )


@router.get("/documents/{document_id}")
async def document(document_id: uuid.UUID, principal: PersonOrService, documents: DocumentsDep) -> schemas.DocumentOut:
    return schemas.DocumentOut.of(await documents.get(principal, document_id))


@router.get("/documents/{document_id}/content", **file_download(*CONTENT_SIGNATURES))
async def document_content(document_id: uuid.UUID, principal: PersonOrService, documents: DocumentsDep) -> Response:
    found, content = await documents.content(principal, document_id)
    return Response(content, media_type=found.content_type, headers={
        "Content-Disposition": content_disposition(found.file_name),
        "ETag": f'"{found.sha256}"',
        # the bytes under an id never change; they are the consumer's own, so no shared cache keeps them
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Content-Type-Options": "nosniff",
    })


@router.post("/onboarding-packages", status_code=201)
async def request_onboarding_package(
    body: schemas.EdsOnboardingForm, principal: ConsumerOnly, documents: DocumentsDep
) -> schemas.OnboardingPackageOut:
    """The e-signature onboarding form: builds documents.zip, stores it and has it e-mailed (through notify)."""
    package = await documents.request_onboarding_package(principal, EdsForm(**body.model_dump()))
    return schemas.OnboardingPackageOut(document=schemas.DocumentOut.of(package.document), email=package.email)


@router.get("/templates")
async def templates(_: Issuer, request: Request) -> list[schemas.TemplateOut]:
    """The document types the service renders, and the data each takes."""
    runtime: Runtime = request.app.state.documents
    registry = runtime.renderer.templates
    return [
        schemas.TemplateOut(type=name, title=registry.get(name).title,
                            data_schema=registry.get(name).data_model.model_json_schema())
        for name in registry.types()
    ]
