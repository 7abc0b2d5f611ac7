"""Errors that carry their HTTP status, and the handler that turns them into the API's error body.

Services answer with stable codes (`{"detail": {"code", "message", "fields"}}`); the gateway turns codes into
text in the user's language.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)

    def detail(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields, **self.extra}


class Unauthorized(DomainError):
    status_code = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class Gone(DomainError):
    status_code = 410
    default_code = "gone"


class Invalid(DomainError):
    """Field-level validation failure: `fields` maps each bad field to its reason code."""

    status_code = 422
    default_code = "invalid"


class Throttled(DomainError):
    status_code = 429
    default_code = "throttled"

    def __init__(self, retry_after: int, message: str = "too many attempts", *, code: str | None = None) -> None:
        super().__init__(message, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class ServiceCallError(Exception):
    """Another service answered with an error; carries its status and error body."""

    def __init__(self, status_code: int, detail: dict[str, Any]) -> None:
        self.status_code = status_code
        self.detail = detail
        self.code: str = str(detail.get("code", "error"))
        self.fields: dict[str, str] = dict(detail.get("fields") or {})
        super().__init__(f"{status_code} {self.code}: {detail.get('message', '')}")


class ErrorDetail(BaseModel):
    """The body of every refusal: a stable code, a message for developers, the reason code of each bad field;
    some refusals add their own (`retry_after` of a 429, a certificate's `reasons`, an import's `lines`)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorBody(BaseModel):
    detail: ErrorDetail


#: what any route of a service may answer besides its success, as `include_router(responses=...)` documents them
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The request cannot be read"),
        (401, "No valid service token"),
        (403, "The caller may not do this"),
        (404, "Not found, or not the caller's"),
        (409, "Not in a state that allows it"),
        (410, "No longer available"),
        (422, "A field is invalid: `fields` names each with its reason code"),
        (429, "Too many attempts: `retry_after` seconds to wait"),
    )
}


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return JSONResponse({"detail": exc.detail()}, status_code=exc.status_code, headers=headers)

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields: dict[str, str] = {}
        for error in exc.errors():
            location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
            fields[".".join(location) or "body"] = str(error.get("type", "invalid"))
        body = {"code": "invalid", "message": "request validation failed", "fields": fields}
        return JSONResponse({"detail": body}, status_code=422)

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        # the router's own refusals (no such route or method, a body that cannot be parsed) in the same shape
        assert isinstance(exc, HTTPException)
        body = {"code": f"http_{exc.status_code}", "message": str(exc.detail), "fields": {}}
        return JSONResponse({"detail": body}, status_code=exc.status_code, headers=exc.headers)

    async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # logged here, inside the request's span, so the log line carries its trace id (uvicorn's own report of
        # the exception comes after the span has ended)
        logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        body = {"code": "internal_error", "message": "an unexpected error; it has been logged", "fields": {}}
        return JSONResponse({"detail": body}, status_code=500)

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
