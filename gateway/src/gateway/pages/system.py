"""Language switch and health checks."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from gateway.i18n import LANGUAGE_COOKIE, LANGUAGES
from gateway.pages.common import safe_next, see_other
from gateway.sessions import anonymous
from shared.errors import ServiceCallError
from shared.http import ServiceClient

router = APIRouter()

_ONE_YEAR = 365 * 24 * 3600
_READY_CHECK_SECONDS = 2.0


@router.get("/lang/{code}")
async def choose_language(request: Request, code: str, next: str | None = None) -> Response:
    """Remembers the chosen language and returns to the page it was chosen on."""
    response = see_other(safe_next(next) or "/")
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=_ONE_YEAR,
            path="/",
            secure=request.app.state.settings.session_cookie_secure,
            httponly=True,
            samesite="lax",
        )
    return response


@router.get("/health/live", include_in_schema=False)
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """Ready when identity answers: without it no page can be shown.

    Identity's own liveness is asked, not its readiness, so a database hiccup behind identity does not take
    every gateway out of the load balancer (visitors then get a clear "try again" page instead of nothing).
    """
    identity_service: ServiceClient = request.app.state.identity_service
    try:
        # a probe that hangs is as bad as a failed one; answer well within the probe's own timeout
        async with asyncio.timeout(_READY_CHECK_SECONDS):
            await identity_service.get("/health/live", anonymous(request))
    except (httpx.HTTPError, ServiceCallError, TimeoutError) as error:
        return JSONResponse({"identity": f"down: {type(error).__name__}"}, status_code=503)
    return JSONResponse({"identity": "ok"})
