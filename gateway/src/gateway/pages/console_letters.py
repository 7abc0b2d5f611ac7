"""The supplier console's correspondence: the inbox of consumers' letters by addressee type and state, a letter's
thread with the reply form and «mark handled», and the messages to the developers."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.messages import FormErrors, explain
from gateway.notify_client import REPLY_TEXT_MAX, LetterState
from gateway.pages.common import notice_of, notify_of, see_other
from gateway.pages.supplier import reference_lists
from gateway.rendering import pages_of
from gateway.sessions import Staff, Visitor
from shared.errors import ServiceCallError
from shared.inputs import Offset

router = APIRouter(prefix="/console")

#: letters or messages on one page of a list
PAGE_SIZE = 50


def _known(value: str, allowed: set[str]) -> str:
    """A filter from the address: one of the choices, else no filter (a stale bookmark still opens the inbox)."""
    return value if value in allowed else ""


@router.get("/letters")
async def inbox(
    request: Request, visitor: Staff, state: str = "", addressee_type: str = "", consumer_id: UUID | None = None,
    offset: Offset = 0,
) -> Response:
    principal = visitor.principal
    lists = await reference_lists(request, principal)
    state = _known(state, {item.value for item in LetterState})
    addressee_type = _known(addressee_type, set(lists.addressee_names))
    letters = await notify_of(request).letters(
        principal, state=state or None, addressee_type=addressee_type or None, consumer_id=consumer_id,
        limit=PAGE_SIZE, offset=offset,
    )
    filters = {"state": state, "addressee_type": addressee_type, "consumer_id": str(consumer_id or "")}
    context = {"letters": letters, "lists": lists, "filters": filters, "states": list(LetterState)}
    return pages_of(request).render(request, "console_letters.html", context)


async def _thread_page(
    request: Request, visitor: Visitor, letter_id: UUID, *, reply: str = "", errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    letter, lists = await asyncio.gather(
        notify_of(request).letter(visitor.principal, letter_id), reference_lists(request, visitor.principal)
    )
    context = {
        "letter": letter, "lists": lists, "reply": reply, "errors": errors or FormErrors(), "limit": REPLY_TEXT_MAX,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "console_letter.html", context, status_code=status_code)


@router.get("/letters/{letter_id}")
async def letter_page(request: Request, visitor: Staff, letter_id: UUID) -> Response:
    return await _thread_page(request, visitor, letter_id)


@router.post("/letters/{letter_id}/replies")
async def reply_to_letter(
    request: Request, visitor: Staff, letter_id: UUID, reply: Annotated[str, Form()] = ""
) -> Response:
    """The reply is stored and the consumer's author is told by e-mail (notify does both)."""
    try:
        await notify_of(request).reply(visitor.principal, letter_id, reply)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request), {"text": "reply"})
        return await _thread_page(request, visitor, letter_id, reply=reply, errors=errors,
                                  status_code=error.status_code)
    return see_other(f"/console/letters/{letter_id}?notice=reply_sent")


@router.post("/letters/{letter_id}/handled")
async def mark_handled(request: Request, visitor: Staff, letter_id: UUID) -> Response:
    await notify_of(request).mark_handled(visitor.principal, letter_id)
    return see_other(f"/console/letters/{letter_id}?notice=letter_handled")


@router.get("/feedback")
async def feedback(request: Request, visitor: Staff, unread: bool = False, offset: Offset = 0) -> Response:
    return await _feedback_page(request, visitor, unread, offset)


async def _feedback_page(request: Request, visitor: Visitor, unread: bool, offset: int,
                         refused: str | None = None, status_code: int = 200) -> Response:
    messages = await notify_of(request).feedback(visitor.principal, unread=unread, limit=PAGE_SIZE, offset=offset)
    context = {"messages": messages, "unread": unread, "notice": notice_of(request), "refused": refused}
    return pages_of(request).render(request, "console_feedback.html", context, status_code=status_code)


@router.post("/feedback/{feedback_id}/read")
async def mark_feedback_read(request: Request, visitor: Staff, feedback_id: UUID) -> Response:
    try:
        await notify_of(request).mark_feedback_read(visitor.principal, feedback_id)
    except ServiceCallError as error:
        refused = explain(error, pages_of(request).translations(request)).general
        return await _feedback_page(request, visitor, False, 0, refused, error.status_code)
    return see_other("/console/feedback?notice=feedback_read")
