"""The HTTP API's request and response models (docs/api-notify.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from notify.domain.correspondence import LetterState
from notify.domain.letters import LetterKind
from notify.models import AddresseeType, LetterStatus, LetterType
from notify.repository import ListedFeedback, ListedLetter
from notify.service import Thread


class LetterSummary(BaseModel):
    """A letter as support sees it: to whom, what, and how its sending goes — not its body, which may carry a
    single-use link meant for the recipient alone."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: LetterKind
    recipient: str
    subject: str
    status: LetterStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


# The correspondence with the supplier and the messages to the developers (docs/api-notify.md). Requests bound
# only the size of what arrives; the rules (lengths as the user counts them, required fields) are the domain's, so
# that every refusal comes back with the domain's reason code.

#: far above every limit of the domain, only so that nobody posts megabytes
Bounded = Annotated[str, StringConstraints(max_length=100_000)]
Code = Annotated[str, StringConstraints(max_length=64)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Localized(BaseModel):
    uk: str
    ru: str
    en: str


class AddresseeTypeOut(BaseModel):
    code: str
    name: Localized
    #: whom to write to in which case
    description: Localized

    @classmethod
    def of(cls, row: AddresseeType) -> AddresseeTypeOut:
        return cls(
            code=row.code, name=Localized(uk=row.name_uk, ru=row.name_ru, en=row.name_en),
            description=Localized(uk=row.description_uk, ru=row.description_ru, en=row.description_en),
        )


class LetterTypeOut(BaseModel):
    code: str
    name: Localized

    @classmethod
    def of(cls, row: LetterType) -> LetterTypeOut:
        return cls(code=row.code, name=Localized(uk=row.name_uk, ru=row.name_ru, en=row.name_en))


class NewLetter(Request):
    addressee_type: Code
    letter_type: Code
    subject: Bounded
    text: Bounded


class NewReply(Request):
    text: Bounded


class ConsumerRef(BaseModel):
    account_number: str
    name: str


class AuthorRef(BaseModel):
    user_id: UUID
    login: str | None


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    text: str
    author_user_id: UUID
    created_at: datetime


class SupplierLetterOut(BaseModel):
    id: UUID
    consumer_id: UUID
    #: as notify learnt it from identity's events; null for a consumer it has not heard of
    consumer: ConsumerRef | None
    author: AuthorRef
    addressee_type: str
    letter_type: str
    subject: str
    text: str
    state: LetterState
    created_at: datetime
    #: the latest reply's time
    answered_at: datetime | None
    handled_at: datetime | None
    handled_by: UUID | None
    reply_count: int

    @classmethod
    def of(cls, listed: ListedLetter) -> SupplierLetterOut:
        letter, consumer, author = listed.letter, listed.consumer, listed.author
        return cls(
            id=letter.id, consumer_id=letter.consumer_id,
            consumer=ConsumerRef(account_number=consumer.account_number, name=consumer.name) if consumer else None,
            author=AuthorRef(user_id=letter.author_user_id, login=author.login if author else None),
            addressee_type=letter.addressee_type, letter_type=letter.letter_type, subject=letter.subject,
            text=letter.text, state=LetterState(letter.state), created_at=letter.created_at,
            answered_at=letter.answered_at, handled_at=letter.handled_at, handled_by=letter.handled_by,
            reply_count=listed.reply_count,
        )


class SupplierLetterThread(SupplierLetterOut):
    #: oldest first
    replies: list[ReplyOut]

    @classmethod
    def of_thread(cls, thread: Thread) -> SupplierLetterThread:
        return cls(
            **SupplierLetterOut.of(thread.listed).model_dump(),
            replies=[ReplyOut.model_validate(reply) for reply in thread.replies],
        )


class SupplierLetterPage(BaseModel):
    items: list[SupplierLetterOut]
    total: int
    limit: int
    offset: int


class NewFeedback(Request):
    text: Bounded
    #: the page the message was sent from
    page_url: Bounded


class FeedbackOut(BaseModel):
    id: UUID
    user_id: UUID
    login: str | None
    role: str
    consumer_id: UUID | None
    page_url: str
    text: str
    created_at: datetime
    read_at: datetime | None
    read_by: UUID | None

    @classmethod
    def of(cls, listed: ListedFeedback) -> FeedbackOut:
        message = listed.message
        return cls(
            id=message.id, user_id=message.user_id, login=listed.sender.login if listed.sender else None,
            role=message.role, consumer_id=message.consumer_id, page_url=message.page_url, text=message.text,
            created_at=message.created_at, read_at=message.read_at, read_by=message.read_by,
        )


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    total: int
    limit: int
    offset: int
