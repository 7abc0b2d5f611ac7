"""Use cases of the correspondence with the supplier (manual «Переписка с поставщиком») and of the messages to the
developers. Each runs in the caller's transaction; a reply's e-mail is asked for with an outbox event in that same
transaction, so a reply is never stored without the consumer being told of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from notify import repository
from notify.domain import correspondence as rules
from notify.domain.correspondence import LetterState
from notify.models import AddresseeType, FeedbackMessage, LetterReply, LetterType, SupplierLetter
from notify.repository import LetterFilter, ListedFeedback, ListedLetter
from notify.settings import NotifySettings
from shared import bus
from shared.auth import Principal, Role, require_user
from shared.contracts.notify import LetterAnswered
from shared.errors import Forbidden, Invalid, NotFound, Throttled

LETTER_WINDOW = timedelta(days=1)
FEEDBACK_WINDOW = timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewLetter:
    addressee_type: str
    letter_type: str
    subject: str
    text: str


@dataclass(frozen=True)
class Thread:
    """A letter with its replies, oldest first."""

    listed: ListedLetter
    replies: list[LetterReply]


def _consumer_of(principal: Principal) -> uuid.UUID:
    """The consumer a consumer's user acts for; a consumer's token always names one."""
    if principal.consumer_id is None:
        raise Forbidden("the token names no consumer", code="role_forbidden")
    return principal.consumer_id


def _letter_not_found() -> NotFound:
    return NotFound("no such letter", code="letter_not_found")


class Correspondence:
    def __init__(self, session: AsyncSession, settings: NotifySettings) -> None:
        self.session = session
        self.settings = settings

    async def addressee_types(self) -> list[AddresseeType]:
        return await repository.addressee_types(self.session)

    async def letter_types(self) -> list[LetterType]:
        return await repository.letter_types(self.session)

    async def write(self, principal: Principal, new: NewLetter) -> Thread:
        author = require_user(principal)
        consumer_id = _consumer_of(principal)
        subject, text = new.subject.strip(), rules.normalised_text(new.text)
        if problems := rules.problems(
            addressee_type=await self._reference_problem(AddresseeType, new.addressee_type),
            letter_type=await self._reference_problem(LetterType, new.letter_type),
            subject=rules.line_problem(subject, rules.SUBJECT_MAX),
            text=rules.text_problem(text, rules.LETTER_TEXT_MAX),
        ):
            raise Invalid("the letter has mistakes", fields=problems)
        await repository.lock_writer(self.session, f"supplier-letters/{consumer_id}")
        now = utcnow()
        wait = rules.retry_after(
            await repository.letters_written_since(self.session, consumer_id, now - LETTER_WINDOW),
            limit=self.settings.letters_per_consumer_per_day, window=LETTER_WINDOW, now=now,
        )
        if wait is not None:
            raise Throttled(wait, "too many letters today; try again later")
        letter = SupplierLetter(
            id=uuid.uuid4(), consumer_id=consumer_id, author_user_id=author, addressee_type=new.addressee_type,
            letter_type=new.letter_type, subject=subject, text=text, state=LetterState.NEW.value, created_at=now,
        )
        self.session.add(letter)
        await self.session.flush()
        return await self._thread(principal, letter.id)

    async def find(
        self, principal: Principal, found: LetterFilter, *, limit: int, offset: int
    ) -> tuple[list[ListedLetter], int]:
        if found.addressee_type is not None and await self.session.get(AddresseeType, found.addressee_type) is None:
            raise Invalid("no such addressee type", fields={"addressee_type": "unknown"})
        if principal.role == Role.CONSUMER:
            own = _consumer_of(principal)
            if found.consumer_id not in (None, own):
                raise Forbidden("another consumer's letters", code="other_consumer")
            found = LetterFilter(own, found.state, found.addressee_type)
        else:
            found = replace(found, branch_id=principal.branch_scope())
        return await repository.find_letters(self.session, found, limit=limit, offset=offset)

    async def read(self, principal: Principal, letter_id: uuid.UUID) -> Thread:
        return await self._thread(principal, letter_id)

    async def reply(self, principal: Principal, letter_id: uuid.UUID, text: str) -> Thread:
        author = require_user(principal)
        text = rules.normalised_text(text)
        if problem := rules.text_problem(text, rules.REPLY_TEXT_MAX):
            raise Invalid("the reply has mistakes", fields={"text": problem})
        letter = await self._letter_for_update(principal, letter_id)
        now = utcnow()
        reply = LetterReply(id=uuid.uuid4(), letter_id=letter.id, author_user_id=author, text=text, created_at=now)
        self.session.add(reply)
        letter.state = rules.state_after_reply(LetterState(letter.state)).value
        letter.answered_at = now
        await bus.add(self.session, LetterAnswered(
            letter_id=letter.id, reply_id=reply.id, consumer_id=letter.consumer_id, user_id=letter.author_user_id,
            subject=letter.subject, letter_url=self.settings.letter_url(letter.id),
        ))
        await self.session.flush()
        return await self._thread(principal, letter.id)

    async def mark_handled(self, principal: Principal, letter_id: uuid.UUID) -> Thread:
        staff = require_user(principal)
        letter = await self._letter_for_update(principal, letter_id)
        if letter.state != LetterState.HANDLED:
            letter.state, letter.handled_at, letter.handled_by = LetterState.HANDLED.value, utcnow(), staff
            await self.session.flush()
        return await self._thread(principal, letter.id)

    async def _letter_for_update(self, principal: Principal, letter_id: uuid.UUID) -> SupplierLetter:
        letter = await repository.letter_for_update(self.session, letter_id)
        if letter is None or not await self._sees(principal, letter.consumer_id):
            raise _letter_not_found()
        return letter

    async def _sees(self, principal: Principal, consumer_id: uuid.UUID) -> bool:
        return principal.may_see(consumer_id, await repository.branch_of(self.session, consumer_id))

    async def _thread(self, principal: Principal, letter_id: uuid.UUID) -> Thread:
        listed = await repository.listed_letter(self.session, letter_id)
        # another consumer's letter (another branch's, for staff) is as absent as one that never was
        if listed is None or not await self._sees(principal, listed.letter.consumer_id):
            raise _letter_not_found()
        return Thread(listed, await repository.replies_of(self.session, letter_id))

    async def _reference_problem(self, table: type[AddresseeType | LetterType], code: str) -> str | None:
        if not code.strip():
            return rules.REQUIRED
        return None if await self.session.get(table, code) is not None else "unknown"


class Feedback:
    """Messages to the developers («Повідомлення розробникам»)."""

    def __init__(self, session: AsyncSession, settings: NotifySettings) -> None:
        self.session = session
        self.settings = settings

    async def send(self, principal: Principal, text: str, page_url: str) -> ListedFeedback:
        sender = require_user(principal)
        text, page_url = rules.normalised_text(text), page_url.strip()
        if problems := rules.problems(
            text=rules.text_problem(text, rules.FEEDBACK_TEXT_MAX), page_url=rules.page_url_problem(page_url),
        ):
            raise Invalid("the message has mistakes", fields=problems)
        await repository.lock_writer(self.session, f"feedback/{sender}")
        now = utcnow()
        wait = rules.retry_after(
            await repository.feedback_sent_since(self.session, sender, now - FEEDBACK_WINDOW),
            limit=self.settings.feedback_per_user_per_hour, window=FEEDBACK_WINDOW, now=now,
        )
        if wait is not None:
            raise Throttled(wait, "too many messages; try again later")
        message = FeedbackMessage(
            id=uuid.uuid4(), user_id=sender, role=principal.role.value, consumer_id=principal.consumer_id,
            branch_id=principal.branch_id, page_url=page_url, text=text, created_at=now,
        )
        self.session.add(message)
        await self.session.flush()
        return await self._listed(message.id)

    async def find(self, principal: Principal, *, unread: bool, limit: int, offset: int
                   ) -> tuple[list[ListedFeedback], int]:
        """Staff read their branch's senders' messages; administrators everyone's."""
        return await repository.find_feedback(self.session, unread=unread, branch_id=principal.branch_scope(),
                                              limit=limit, offset=offset)

    async def mark_read(self, principal: Principal, message_id: uuid.UUID) -> ListedFeedback:
        reader = require_user(principal)
        message = await self.session.get(FeedbackMessage, message_id, with_for_update=True)
        if message is None or principal.branch_scope() not in (None, message.branch_id):
            raise NotFound("no such message", code="feedback_not_found")
        if message.read_at is None:
            message.read_at, message.read_by = utcnow(), reader
            await self.session.flush()
        return await self._listed(message_id)

    async def _listed(self, message_id: uuid.UUID) -> ListedFeedback:
        listed = await repository.listed_feedback(self.session, message_id)
        if listed is None:
            raise NotFound("no such message", code="feedback_not_found")
        return listed
