"""«Опис»: how the cabinet works, definitions of terms, related laws, the step list "submitting a report" and the
instructions for the electronic signature (manual: «Описание работы»). The readings import format
(pages/readings.py) and the signature statuses (pages/certificates.py) are pages of this section too.

The pages are text; they are open to anybody, as a manual is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.rendering import pages_of
from gateway.sessions import AnyVisitor

router = APIRouter(prefix="/help")


@router.get("")
async def how_it_works(request: Request, visitor: AnyVisitor) -> Response:
    return pages_of(request).render(request, "help.html")


@router.get("/terms")
async def terms(request: Request, visitor: AnyVisitor) -> Response:
    return pages_of(request).render(request, "help_terms.html")


@router.get("/laws")
async def laws(request: Request, visitor: AnyVisitor) -> Response:
    return pages_of(request).render(request, "help_laws.html")


@router.get("/report")
async def submitting_a_report(request: Request, visitor: AnyVisitor) -> Response:
    return pages_of(request).render(request, "help_report.html")


@router.get("/e-signature")
async def using_the_signature(request: Request, visitor: AnyVisitor) -> Response:
    return pages_of(request).render(request, "help_e_signature.html")
