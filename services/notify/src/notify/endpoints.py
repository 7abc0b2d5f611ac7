"""Notify's HTTP API, `/api/v1` (docs/api-notify.md): outgoing e-mails for supplier staff ("did my letter go
out?"), the correspondence with the supplier, and the messages to the developers. One transaction per request
(`SessionDep`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from notify import repository, schemas
from notify.domain.correspondence import LetterState
from notify.models import LetterStatus
from notify.repository import LetterFilter
from notify.schemas import LetterSummary
from notify.service import Correspondence, Feedback, NewLetter
from shared.auth import AdminOnly, ConsumerOnly, Person, PersonOrService, StaffOnly
from shared.db import SessionDep
from shared.inputs import Offset

router = APIRouter(prefix="/api/v1")

MAX_PAGE = 200



def correspondence_service(request: Request, session: SessionDep) -> Correspondence:
    return Correspondence(session, request.app.state.settings)


def feedback_service(request: Request, session: SessionDep) -> Feedback:
    return Feedback(session, request.app.state.settings)


CorrespondenceDep = Annotated[Correspondence, Depends(correspondence_service)]
FeedbackDep = Annotated[Feedback, Depends(feedback_service)]


@router.get("/letters", response_model=list[LetterSummary])
async def list_letters(
    session: SessionDep,
    _: AdminOnly,
    recipient: Annotated[str | None, Query(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] = None,
    status: LetterStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LetterSummary]:
    """Newest first; `recipient` matches the address case-insensitively. The letters name no branch (a registration
    letter goes to an address, not to a consumer of a branch): administrators read them."""
    letters = await repository.list_letters(session, recipient=recipient, status=status, limit=limit)
    return [LetterSummary.model_validate(letter) for letter in letters]


# the correspondence with the supplier


@router.get("/correspondence/addressee-types")
async def addressee_types(_: PersonOrService, correspondence: CorrespondenceDep) -> list[schemas.AddresseeTypeOut]:
    return [schemas.AddresseeTypeOut.of(row) for row in await correspondence.addressee_types()]


@router.get("/correspondence/letter-types")
async def letter_types(_: PersonOrService, correspondence: CorrespondenceDep) -> list[schemas.LetterTypeOut]:
    return [schemas.LetterTypeOut.of(row) for row in await correspondence.letter_types()]


@router.post("/correspondence/letters", status_code=201)
async def write_letter(
    body: schemas.NewLetter, principal: ConsumerOnly, correspondence: CorrespondenceDep
) -> schemas.SupplierLetterThread:
    thread = await correspondence.write(principal, NewLetter(
        addressee_type=body.addressee_type, letter_type=body.letter_type, subject=body.subject, text=body.text,
    ))
    return schemas.SupplierLetterThread.of_thread(thread)


@router.get("/correspondence/letters")
async def list_supplier_letters(
    principal: Person, correspondence: CorrespondenceDep,
    state: LetterState | None = None,
    addressee_type: Annotated[str | None, Query(max_length=64)] = None,
    consumer_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> schemas.SupplierLetterPage:
    """Newest first: a consumer's own consumer's letters, or the staff inbox (their branch's consumers')."""
    items, total = await correspondence.find(
        principal, LetterFilter(consumer_id, state, addressee_type), limit=limit, offset=offset
    )
    return schemas.SupplierLetterPage(
        items=[schemas.SupplierLetterOut.of(listed) for listed in items], total=total, limit=limit, offset=offset,
    )


@router.get("/correspondence/letters/{letter_id}")
async def supplier_letter(
    letter_id: uuid.UUID, principal: Person, correspondence: CorrespondenceDep
) -> schemas.SupplierLetterThread:
    return schemas.SupplierLetterThread.of_thread(await correspondence.read(principal, letter_id))


@router.post("/correspondence/letters/{letter_id}/replies", status_code=201)
async def reply_to_letter(
    letter_id: uuid.UUID, body: schemas.NewReply, principal: StaffOnly, correspondence: CorrespondenceDep
) -> schemas.SupplierLetterThread:
    return schemas.SupplierLetterThread.of_thread(await correspondence.reply(principal, letter_id, body.text))


@router.post("/correspondence/letters/{letter_id}/handled")
async def mark_letter_handled(
    letter_id: uuid.UUID, principal: StaffOnly, correspondence: CorrespondenceDep
) -> schemas.SupplierLetterThread:
    return schemas.SupplierLetterThread.of_thread(await correspondence.mark_handled(principal, letter_id))


# the messages to the developers


@router.post("/feedback", status_code=201)
async def send_feedback(body: schemas.NewFeedback, principal: Person, feedback: FeedbackDep) -> schemas.FeedbackOut:
    return schemas.FeedbackOut.of(await feedback.send(principal, body.text, body.page_url))


@router.get("/feedback")
async def list_feedback(
    principal: StaffOnly, feedback: FeedbackDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> schemas.FeedbackPage:
    """Newest first."""
    items, total = await feedback.find(principal, unread=unread, limit=limit, offset=offset)
    return schemas.FeedbackPage(
        items=[schemas.FeedbackOut.of(listed) for listed in items], total=total, limit=limit, offset=offset,
    )


@router.post("/feedback/{message_id}/read")
async def mark_feedback_read(message_id: uuid.UUID, principal: StaffOnly, feedback: FeedbackDep) -> schemas.FeedbackOut:
    return schemas.FeedbackOut.of(await feedback.mark_read(principal, message_id))
