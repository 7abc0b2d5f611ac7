"""«Повідомлення розробникам»: a message about the page the visitor was on, stored by notify and read by the
supplier in the console. Every page of a signed-in visitor links here with its own address."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.messages import FormErrors, explain
from gateway.notify_client import FEEDBACK_TEXT_MAX, PAGE_URL_MAX
from gateway.pages.common import notice_of, notify_of, safe_next, see_other
from gateway.rendering import pages_of
from gateway.sessions import SignedIn
from shared.errors import ServiceCallError

router = APIRouter()


def _page_of(page: str | None) -> str:
    """The page the message is about: a path of this site (as long as notify keeps one), else the home page."""
    path = safe_next(page)
    return path if path and len(path) <= PAGE_URL_MAX else "/"


async def _feedback_form(
    request: Request, page: str, text: str, errors: FormErrors, status_code: int = 200
) -> Response:
    context = {"page": page, "text": text, "errors": errors, "limit": FEEDBACK_TEXT_MAX, "notice": notice_of(request)}
    return pages_of(request).render(request, "feedback.html", context, status_code=status_code)


@router.get("/feedback")
async def feedback_page(request: Request, visitor: SignedIn, page: str | None = None) -> Response:
    return await _feedback_form(request, _page_of(page), "", FormErrors())


@router.post("/feedback")
async def send_feedback(
    request: Request, visitor: SignedIn, message: Annotated[str, Form()] = "", page: Annotated[str, Form()] = ""
) -> Response:
    page = _page_of(page)
    try:
        await notify_of(request).send_feedback(visitor.principal, message, page)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request), {"text": "message"})
        return await _feedback_form(request, page, message, errors, error.status_code)
    return see_other(f"/feedback?page={quote(page, safe='')}&notice=feedback_sent")
