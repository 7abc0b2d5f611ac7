"""The consumer's home page and the site map."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.navigation import site_map_for
from gateway.pages.common import see_other
from gateway.rendering import pages_of
from gateway.sessions import SignedIn

router = APIRouter()


@router.get("/")
async def home(request: Request, visitor: SignedIn) -> Response:
    if visitor.signed_in_user.consumer is None:
        # staff have no consumer of their own; their start page is the console
        return see_other("/console")
    return pages_of(request).render(request, "home.html")


@router.get("/sitemap")
async def site_map(request: Request, visitor: SignedIn) -> Response:
    sections = site_map_for(visitor.principal.role)
    return pages_of(request).render(request, "sitemap.html", {"sections": sections})
