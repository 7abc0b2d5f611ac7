"""The signed-in user's account (Settings): their e-mail, login and password.

Each change asks for the current password; a wrong one is a guess, counted against the browser's session. A new
e-mail address holds only once the link sent to it is followed; until then the old one stays (`pending_email`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit import record_own_change
from identity.domain import throttling
from identity.domain.emails import normalize_email, same_mailbox
from identity.domain.logins import LoginProblem, clean_login, login_key, login_problem
from identity.domain.passwords import PasswordProblem
from identity.domain.tokens import new_token, token_hash
from identity.models import AuditKind, EmailChange, EmailChangeStatus, User
from identity.runtime import Runtime, utcnow
from identity.sessions import end_other_sessions
from identity.users import Users, login_taken, user_by_id
from shared import bus
from shared.contracts.identity import EmailChanged, EmailChangeRequested, LoginChanged, PasswordChanged
from shared.errors import Gone, Invalid, NotFound


def pending_email(user: User, now: datetime) -> str | None:
    change = user.pending_email_change
    return change.new_email if change is not None and change.expires_at > now else None


class Account:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.settings = runtime.settings
        self.throttle = runtime.throttle
        self.users = Users(session, runtime)

    async def _current_password_is_right(
        self, user: User, password: str, fields: dict[str, str], now: datetime, session_id: uuid.UUID | None
    ) -> bool:
        """A wrong current password is a guess, counted against the browser's session."""
        subject = (throttling.CURRENT_PASSWORD_PER_SESSION, str(session_id or user.id))
        await self.throttle.check(self.session, subject, now=now)
        if await self.users.verify_password(user, password):
            return True
        await self.throttle.count(subject, now=now)
        fields["current_password"] = PasswordProblem.WRONG
        return False

    # e-mail
    async def request_email_change(
        self, user: User, new_email: str, current_password: str, *, session_id: uuid.UUID | None = None
    ) -> EmailChange:
        now = utcnow()
        fields: dict[str, str] = {}
        await self._current_password_is_right(user, current_password, fields, now, session_id)
        address = normalize_email(new_email)
        if address is None:
            fields["new_email"] = "invalid"
        elif same_mailbox(address, user.email):
            fields["new_email"] = "same_as_current"
        if fields:
            raise Invalid("e-mail change refused", fields=fields)
        assert address is not None
        await self._cancel_pending_email_change(user, now)
        token = new_token()
        change = EmailChange(
            id=uuid.uuid4(), user_id=user.id, old_email=user.email, new_email=address,
            token_hash=token_hash(token), status=EmailChangeStatus.PENDING,
            expires_at=now + self.settings.email_change_ttl,
        )
        self.session.add(change)
        await bus.add(
            self.session,
            EmailChangeRequested(
                change_id=change.id, user_id=user.id, login=user.login, current_email=user.email,
                new_email=address,
                confirm_url=self.settings.email_confirmation_url(token), expires_at=change.expires_at,
            ),
        )
        return change

    async def cancel_email_change(self, user: User) -> None:
        await self._cancel_pending_email_change(user, utcnow())

    async def _cancel_pending_email_change(self, user: User, now: datetime) -> None:
        pending = await pending_email_change(self.session, user.id)
        if pending is not None:
            pending.status = EmailChangeStatus.CANCELLED
            pending.decided_at = now
            # before a new pending change goes in: there may be only one per user
            await self.session.flush()

    async def confirm_email_change(self, token: str) -> str:
        now = utcnow()
        change = await email_change(self.session, token_hash(token), for_update=True)
        if change is None:
            raise NotFound("unknown confirmation link", code="link_unknown")
        if change.status != EmailChangeStatus.PENDING:
            # followed before, or the change was cancelled (or replaced by a newer one)
            raise Gone("the confirmation link is no longer valid", code="link_used")
        if change.expires_at <= now:
            raise Gone("the confirmation link has expired", code="link_expired")
        user = await user_by_id(self.session, change.user_id)
        assert user is not None
        old_email = user.email
        user.email = change.new_email
        change.status = EmailChangeStatus.CONFIRMED
        change.decided_at = now
        await bus.add(
            self.session,
            EmailChanged(user_id=user.id, login=user.login, old_email=old_email, new_email=change.new_email),
        )
        await record_own_change(self.session, user, AuditKind.EMAIL_CHANGED, now,
                                {"old_email": old_email, "new_email": change.new_email})
        return change.new_email

    # login
    async def change_login(
        self, user: User, new_login: str, current_password: str, *, session_id: uuid.UUID | None = None
    ) -> User:
        now = utcnow()
        fields: dict[str, str] = {}
        password_right = await self._current_password_is_right(user, current_password, fields, now, session_id)
        new_login = clean_login(new_login)
        old_login = user.login
        if new_login == old_login:
            fields["new_login"] = LoginProblem.SAME_AS_CURRENT
        elif (problem := login_problem(new_login)) is not None:
            fields["new_login"] = problem
        # whether another login is taken is told only with the right password: it says which logins exist
        elif password_right and login_key(new_login) != login_key(old_login) and await login_taken(
            self.session, new_login
        ):
            fields["new_login"] = LoginProblem.TAKEN
        if fields:
            raise Invalid("login change refused", fields=fields)
        user.login = new_login
        await self.users.save(user, login_field="new_login")
        await bus.add(
            self.session,
            LoginChanged(user_id=user.id, email=user.email, old_login=old_login, new_login=new_login),
        )
        await record_own_change(self.session, user, AuditKind.LOGIN_CHANGED, now,
                                {"old_login": old_login, "new_login": new_login})
        return user

    # password
    async def change_password(
        self, user: User, current_password: str, new_password: str, new_password_confirmation: str,
        *, keep_session: uuid.UUID | None = None,
    ) -> None:
        """A new password also ends the user's other sessions: whoever knew the old one is signed out."""
        now = utcnow()
        fields: dict[str, str] = {}
        await self._current_password_is_right(user, current_password, fields, now, keep_session)
        personal: tuple[str, ...] = (user.email,)
        if user.consumer is not None:
            personal += (user.consumer.name, user.consumer.account_number, user.consumer.edrpou)
        if problem := await self.users.password_problem(new_password, user.login, personal):
            fields["new_password"] = problem
        if new_password_confirmation != new_password:
            fields["new_password_confirmation"] = PasswordProblem.MISMATCH
        if fields:
            raise Invalid("password change refused", fields=fields)
        user.password_hash = await self.users.hash_password(new_password)
        await end_other_sessions(self.session, user.id, keep_session, now)
        await bus.add(self.session, PasswordChanged(user_id=user.id, login=user.login, email=user.email))
        await record_own_change(self.session, user, AuditKind.PASSWORD_CHANGED, now)


async def email_change(
    session: AsyncSession, token_hash: bytes, *, for_update: bool = False
) -> EmailChange | None:
    statement = select(EmailChange).where(EmailChange.token_hash == token_hash)
    return await session.scalar(statement.with_for_update() if for_update else statement)


async def pending_email_change(session: AsyncSession, user_id: uuid.UUID) -> EmailChange | None:
    return await session.scalar(
        select(EmailChange)
        .where(EmailChange.user_id == user_id, EmailChange.status == EmailChangeStatus.PENDING)
        .with_for_update()
    )
