"""The services this one calls: documents (the bytes and metadata of documents; where `.p7s` files are stored)
and identity (supplier branches, consumer accounts). Their refusals come back as this service's errors."""

from __future__ import annotations

import base64
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.errors import DomainError, Forbidden, NotFound, ServiceCallError
from shared.http import ServiceClient

logger = logging.getLogger(__name__)

#: how this service acts when it acts on its own behalf (storing `.p7s` files, reading branches)
SERVICE = Principal(role=Role.SERVICE, issuer="signature")


class UpstreamFailed(DomainError):
    """A service this one depends on failed or cannot be reached; the request may succeed later."""

    status_code = 503
    default_code = "upstream_unavailable"


@asynccontextmanager
async def _calling(service: str) -> AsyncIterator[None]:
    try:
        yield
    except httpx.TransportError as exc:
        logger.warning("the %s service cannot be reached: %r", service, exc)
        raise UpstreamFailed(f"the {service} service cannot be reached") from exc
    except ServiceCallError as exc:
        if exc.status_code == 404:
            raise
        if exc.code == "capability_forbidden":
            # the caller's role inside the consumer does not see this kind of document: the caller is told so
            raise Forbidden("the user's role does not see this kind of document", code="capability_forbidden") from exc
        logger.warning("the %s service answered %s", service, exc)
        raise UpstreamFailed(f"the {service} service answered {exc.status_code} {exc.code}") from exc


class DocumentOut(BaseModel):
    """The part of the documents service's `document` this service uses."""

    id: uuid.UUID
    consumer_id: uuid.UUID
    type: str
    title: str
    file_name: str
    sha256: str
    issued_on: date
    signers: list[str] | None


@dataclass(frozen=True)
class NewSignatureFile:
    consumer_id: uuid.UUID
    title: str
    file_name: str
    content: bytes


class DocumentsClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    async def metadata(self, principal: Principal, document_id: uuid.UUID) -> DocumentOut:
        """The document as `principal` may see it: another consumer's answers 404 `document_not_found`."""
        try:
            async with _calling("documents"):
                answer = await self._client.get(f"/api/v1/documents/{document_id}", principal)
        except ServiceCallError as exc:
            raise NotFound("no such document", code="document_not_found") from exc
        return DocumentOut.model_validate(answer)

    async def content(self, principal: Principal, document_id: uuid.UUID) -> bytes:
        try:
            async with _calling("documents"):
                response = await self._client.request("GET", f"/api/v1/documents/{document_id}/content", principal)
        except ServiceCallError as exc:
            raise NotFound("no such document", code="document_not_found") from exc
        return response.content

    async def store_signature(self, file: NewSignatureFile) -> uuid.UUID:
        """Stores a `.p7s` as a document of the signed document's consumer; its id."""
        body = {
            "consumer_id": str(file.consumer_id), "type": "signature", "title": file.title,
            "file_name": file.file_name, "content_type": "application/pkcs7-signature",
            "content_base64": base64.b64encode(file.content).decode(),
        }
        async with _calling("documents"):
            answer = await self._client.post("/api/v1/documents", SERVICE, json=body)
        return uuid.UUID(answer["id"])


@dataclass(frozen=True)
class ConsumerOut:
    edrpou: str
    e_signature: bool
    branch_id: uuid.UUID


class IdentityClient:
    """Supplier branches (whose EDRPOUs staff certificates carry), kept for a while; consumer accounts."""

    def __init__(self, client: ServiceClient, *, branches_cache_seconds: float) -> None:
        self._client = client
        self._cache_seconds = branches_cache_seconds
        self._branch_edrpous: frozenset[str] = frozenset()
        self._fetched_at: float | None = None

    async def branch_edrpous(self) -> frozenset[str]:
        now = time.monotonic()
        if self._fetched_at is None or now - self._fetched_at > self._cache_seconds:
            async with _calling("identity"):
                branches: list[dict[str, Any]] = await self._client.get("/api/v1/branches", SERVICE)
            self._branch_edrpous = frozenset(str(branch["edrpou"]) for branch in branches)
            self._fetched_at = now
        return self._branch_edrpous

    async def consumer(self, consumer_id: uuid.UUID) -> ConsumerOut | None:
        try:
            async with _calling("identity"):
                answer = await self._client.get(f"/api/v1/consumers/{consumer_id}", SERVICE)
        except ServiceCallError:
            return None
        consumer = answer["consumer"]
        return ConsumerOut(edrpou=consumer["edrpou"], e_signature=bool(consumer["e_signature"]),
                           branch_id=uuid.UUID(consumer["branch"]["id"]))
