"""The bytes of attachments, fetched from the documents service when a letter is sent.

A letter row keeps only which document to attach; the bytes come at send time, with a service token, and are
checked against the SHA-256 the documents service names in the `ETag` header, so what goes out is exactly the
stored document. Whether a failure is worth waiting out is the error's type: `AttachmentUnavailable` (the
service is away, failing, or the bytes arrived damaged) makes the letter wait like an SMTP failure;
`AttachmentMissing` (no such document) fails it for good.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

import httpx

from shared.auth import Principal, Role
from shared.errors import ServiceCallError
from shared.http import ServiceClient

#: how notify acts towards the documents service: on its own behalf, not a user's
SERVICE = Principal(role=Role.SERVICE, issuer="notify")


class AttachmentUnavailable(Exception):
    """The bytes cannot be had now; they may be later."""


class AttachmentMissing(Exception):
    """The documents service has no such document: the letter can never go out with it."""


def verified(content: bytes, etag: str | None, document_id: UUID) -> bytes:
    """The bytes, if their SHA-256 is the one the documents service names as the ETag (`"<hex>"`)."""
    expected = (etag or "").removeprefix('"').removesuffix('"').lower()
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise AttachmentUnavailable(
            f"document {document_id}: the bytes received have SHA-256 {actual}, the ETag names {etag!r}"
        )
    return content


def content_path(document_id: UUID) -> str:
    return f"/api/v1/documents/{document_id}/content"


class DocumentsClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    async def content(self, document_id: UUID) -> bytes:
        try:
            response = await self._client.request("GET", content_path(document_id), SERVICE)
        except httpx.HTTPError as exc:
            raise AttachmentUnavailable(
                f"the documents service cannot be reached: {type(exc).__name__}: {exc}"
            ) from exc
        except ServiceCallError as exc:
            if exc.status_code == 404:
                raise AttachmentMissing(f"document {document_id}: the documents service answered {exc}") from exc
            # 5xx, and also 401/403: a token secret out of step is put right by whoever runs the services
            raise AttachmentUnavailable(f"document {document_id}: the documents service answered {exc}") from exc
        return verified(response.content, response.headers.get("etag"), document_id)

    async def aclose(self) -> None:
        await self._client.aclose()
