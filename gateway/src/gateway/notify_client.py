"""Typed calls to the notify service (docs/api-notify.md): the correspondence with the supplier and the messages to
the developers.

A consumer's principal reads only their own consumer's letters (another's answers 404 `letter_not_found`); staff
read the inbox of every consumer. Refusals arrive as `shared.errors.ServiceCallError` with the service's code and
field codes (`text: too_long` and so on).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from shared.auth import Principal
from shared.http import ServiceClient

_API: Final = "/api/v1"

#: the limits notify holds to (characters as the user sees them); the pages tell them and set `maxlength`
SUBJECT_MAX: Final = 200
LETTER_TEXT_MAX: Final = 1000
REPLY_TEXT_MAX: Final = 4000
FEEDBACK_TEXT_MAX: Final = 2000
PAGE_URL_MAX: Final = 2000


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


class Localized(_Answer):
    uk: str
    ru: str
    en: str

    def of(self, language: str) -> str:
        text: str = getattr(self, language, self.uk)
        return text


class AddresseeType(_Answer):
    code: str
    name: Localized
    #: whom to write in which case
    description: Localized


class LetterType(_Answer):
    code: str
    name: Localized


class LetterState(StrEnum):
    NEW = "new"
    ANSWERED = "answered"
    HANDLED = "handled"


class LetterConsumer(_Answer):
    account_number: str
    name: str


class Author(_Answer):
    user_id: UUID
    login: str | None = None


class Reply(_Answer):
    id: UUID
    text: str
    author_user_id: UUID
    created_at: AwareDatetime


class Letter(_Answer):
    id: UUID
    consumer_id: UUID
    consumer: LetterConsumer | None = None
    author: Author
    addressee_type: str
    letter_type: str
    subject: str
    text: str
    state: LetterState
    created_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    handled_at: AwareDatetime | None = None
    handled_by: UUID | None = None
    reply_count: int = 0
    #: oldest first; only a single letter's answer carries them
    replies: list[Reply] = []


class Letters(_Answer):
    items: list[Letter]
    total: int
    limit: int
    offset: int


class NewLetter(BaseModel):
    addressee_type: str
    letter_type: str
    subject: str
    text: str


class Feedback(_Answer):
    id: UUID
    user_id: UUID
    login: str | None = None
    role: str
    consumer_id: UUID | None = None
    page_url: str
    text: str
    created_at: AwareDatetime
    read_at: AwareDatetime | None = None
    read_by: UUID | None = None


class FeedbackPage(_Answer):
    items: list[Feedback]
    total: int
    limit: int
    offset: int


_ADDRESSEE_TYPES = TypeAdapter(list[AddresseeType])
_LETTER_TYPES = TypeAdapter(list[LetterType])


class NotifyClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    # reference lists
    async def addressee_types(self, principal: Principal) -> list[AddresseeType]:
        answer = await self._client.get(f"{_API}/correspondence/addressee-types", principal)
        return _ADDRESSEE_TYPES.validate_python(answer)

    async def letter_types(self, principal: Principal) -> list[LetterType]:
        return _LETTER_TYPES.validate_python(await self._client.get(f"{_API}/correspondence/letter-types", principal))

    # letters
    async def write(self, principal: Principal, letter: NewLetter) -> Letter:
        answer = await self._client.post(f"{_API}/correspondence/letters", principal, json=letter.model_dump())
        return Letter.model_validate(answer)

    async def letters(
        self,
        principal: Principal,
        *,
        state: str | None = None,
        addressee_type: str | None = None,
        consumer_id: UUID | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Letters:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if state:
            params["state"] = state
        if addressee_type:
            params["addressee_type"] = addressee_type
        if consumer_id:
            params["consumer_id"] = str(consumer_id)
        answer = await self._client.get(f"{_API}/correspondence/letters", principal, params=params)
        return Letters.model_validate(answer)

    async def letter(self, principal: Principal, letter_id: UUID) -> Letter:
        return Letter.model_validate(await self._client.get(f"{_API}/correspondence/letters/{letter_id}", principal))

    async def reply(self, principal: Principal, letter_id: UUID, text: str) -> Letter:
        answer = await self._client.post(
            f"{_API}/correspondence/letters/{letter_id}/replies", principal, json={"text": text}
        )
        return Letter.model_validate(answer)

    async def mark_handled(self, principal: Principal, letter_id: UUID) -> Letter:
        answer = await self._client.post(f"{_API}/correspondence/letters/{letter_id}/handled", principal)
        return Letter.model_validate(answer)

    # messages to the developers
    async def send_feedback(self, principal: Principal, text: str, page_url: str) -> Feedback:
        answer = await self._client.post(f"{_API}/feedback", principal, json={"text": text, "page_url": page_url})
        return Feedback.model_validate(answer)

    async def feedback(
        self, principal: Principal, *, unread: bool = False, limit: int = 50, offset: int = 0
    ) -> FeedbackPage:
        params = {"unread": "true" if unread else "false", "limit": limit, "offset": offset}
        return FeedbackPage.model_validate(await self._client.get(f"{_API}/feedback", principal, params=params))

    async def mark_feedback_read(self, principal: Principal, feedback_id: UUID) -> Feedback:
        return Feedback.model_validate(await self._client.post(f"{_API}/feedback/{feedback_id}/read", principal))
