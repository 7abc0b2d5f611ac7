"""«Постачальник»: the supplier branch's details, contacts and payment details, and the correspondence with it
(manual: «Переписка с поставщиком», «Постачальник → Написати лист»).

A letter has an addressee type (with the supplier's description of whom to write in which case), a letter type,
a subject and a text of at most 1000 characters; notify judges them and its refusals are shown beside the fields.
The reply e-mail links to the letter's page, `/letters/{id}`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.i18n import language_of
from gateway.messages import FormErrors, explain
from gateway.notify_client import LETTER_TEXT_MAX, SUBJECT_MAX, AddresseeType, LetterType, NewLetter
from gateway.pages.common import identity_of, notice_of, notify_of, see_other
from gateway.rendering import pages_of
from gateway.sessions import ConsumerOnly, SignedIn
from shared.auth import Principal, Role
from shared.errors import ServiceCallError
from shared.inputs import Offset

router = APIRouter()

TextForm = Annotated[str, Form()]
#: letters on one page of the history
PAGE_SIZE = 50


@router.get("/supplier")
async def supplier_page(request: Request, visitor: ConsumerOnly) -> Response:
    consumer = visitor.signed_in_user.consumer
    assert consumer is not None  # ConsumerOnly
    # the supplier's details are public (they are printed on every invoice); identity gives them to services
    branches = await identity_of(request).branches(Principal(role=Role.SERVICE))
    branch = next((branch for branch in branches if branch.id == consumer.branch.id), None)
    return pages_of(request).render(request, "supplier.html", {"branch": branch, "consumer": consumer})


class ReferenceLists:
    """The addressee and letter types in the visitor's language, by code."""

    def __init__(self, addressee_types: list[AddresseeType], letter_types: list[LetterType], language: str) -> None:
        self.addressee_types = addressee_types
        self.letter_types = letter_types
        self.addressee_names = {item.code: item.name.of(language) for item in addressee_types}
        self.letter_type_names = {item.code: item.name.of(language) for item in letter_types}
        self.language = language


async def reference_lists(request: Request, principal: Principal) -> ReferenceLists:
    notify = notify_of(request)
    addressee_types, letter_types = await asyncio.gather(
        notify.addressee_types(principal), notify.letter_types(principal)
    )
    return ReferenceLists(addressee_types, letter_types, language_of(request))


async def _letter_form(
    request: Request, principal: Principal, values: dict[str, str], errors: FormErrors, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "lists": await reference_lists(request, principal),
        "values": values,
        "errors": errors,
        "subject_max": SUBJECT_MAX,
        "text_max": LETTER_TEXT_MAX,
    }
    return pages_of(request).render(request, "letter_new.html", context, status_code=status_code)


@router.get("/letters/new")
async def new_letter_page(request: Request, visitor: ConsumerOnly, addressee_type: str = "") -> Response:
    values = {"addressee_type": addressee_type, "letter_type": "", "subject": "", "text": ""}
    return await _letter_form(request, visitor.principal, values, FormErrors())


@router.post("/letters/new")
async def write_letter(
    request: Request, visitor: ConsumerOnly, addressee_type: TextForm = "", letter_type: TextForm = "",
    subject: TextForm = "", text: TextForm = "",
) -> Response:
    """Sent as typed: notify counts the characters as the page's counter does and refuses what is too long."""
    letter = NewLetter(addressee_type=addressee_type, letter_type=letter_type, subject=subject, text=text)
    try:
        written = await notify_of(request).write(visitor.principal, letter)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return await _letter_form(request, visitor.principal, letter.model_dump(), errors, error.status_code)
    return see_other(f"/letters/{written.id}?notice=letter_sent")


@router.get("/letters")
async def letters_page(request: Request, visitor: ConsumerOnly, offset: Offset = 0) -> Response:
    letters, lists = await asyncio.gather(
        notify_of(request).letters(visitor.principal, limit=PAGE_SIZE, offset=offset),
        reference_lists(request, visitor.principal),
    )
    context = {"letters": letters, "lists": lists, "notice": notice_of(request)}
    return pages_of(request).render(request, "letters.html", context)


@router.get("/letters/{letter_id}")
async def letter_page(request: Request, visitor: SignedIn, letter_id: UUID) -> Response:
    """The letter and the supplier's replies. Staff, following the same link, answer it in the console."""
    if visitor.principal.is_staff:
        return see_other(f"/console/letters/{letter_id}")
    letter, lists = await asyncio.gather(
        notify_of(request).letter(visitor.principal, letter_id), reference_lists(request, visitor.principal)
    )
    context = {"letter": letter, "lists": lists, "notice": notice_of(request)}
    return pages_of(request).render(request, "letter.html", context)
