"""How much a request may send, refused as soon as it is more — never read whole first.

A `Content-Length` above the route's limit is refused before a byte of the body is read; a body without one (or
longer than it said) is counted as it streams in and refused the moment it passes the limit. The refusal
(`RequestTooLarge`) is raised where the page reads its form, so it becomes a page in the visitor's language
(gateway.error_pages), sent with `Connection: close` so that the rest of the upload is not taken in either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.pages.readings import MAX_IMPORT_BYTES
from gateway.signing import MAX_CERTIFICATE_BYTES

#: any form or script call of the cabinet without a file: the largest (readings of many meters) is a few KiB
FORM_LIMIT = 256 * 1024
#: what a file's form sends beside the file: the multipart boundaries and headers, the form's other fields
MULTIPART_ALLOWANCE = 16 * 1024


@dataclass(frozen=True)
class FileUpload:
    """A form that sends a file of at most `file_limit` bytes (the page itself says so at the field)."""

    path: re.Pattern[str]
    file_limit: int

    @property
    def body_limit(self) -> int:
        return self.file_limit + MULTIPART_ALLOWANCE


#: the forms that send files; the ingress (deploy/k8s) lets through a little more than the largest of them
FILE_UPLOADS = (
    # a consumer's readings, and the same import in the console on a consumer's behalf
    FileUpload(re.compile(r"(/console/consumers/[^/]+)?/readings/import"), MAX_IMPORT_BYTES),
    FileUpload(re.compile(r"/signature/certificates"), MAX_CERTIFICATE_BYTES),
)


def file_upload_at(path: str) -> FileUpload | None:
    return next((upload for upload in FILE_UPLOADS if upload.path.fullmatch(path)), None)


def body_limit(path: str) -> int:
    upload = file_upload_at(path)
    return upload.body_limit if upload else FORM_LIMIT


class RequestTooLarge(HTTPException):
    """The request sends more than its page takes. An HTTPException, so that FastAPI's form parsing lets it through."""

    def __init__(self) -> None:
        super().__init__(413)


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class BodyLimitMiddleware:
    """Counts each request's body as the page reads it, against the limit of its path (`body_limit`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = _declared_length(scope)
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise RequestTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge()
            return message

        await self.app(scope, receive_within_limit, send)
