"""Users, the people who sign in: looked up, saved under a login no one else has, their passwords hashed and judged.

The features that make or change users (registration, account, staff) and sign them in (sessions) share these.
Passwords are hashed and judged off the event loop: both are slow, hashing on purpose.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.domain.logins import LoginProblem, login_key, login_problem
from identity.domain.passwords import PasswordProblem, password_problem
from identity.models import ConsumerAccount, User
from identity.runtime import Runtime
from shared.auth import Principal, Role
from shared.errors import Forbidden, Invalid, Unauthorized

#: what answering with a user needs: their consumer and its branch, their own branch, a pending e-mail change
USER_IN_FULL = (
    joinedload(User.consumer).joinedload(ConsumerAccount.branch),
    joinedload(User.branch),
    joinedload(User.pending_email_change),
)


class Users:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.hashing = runtime.hashing

    async def current(self, principal: Principal) -> User:
        """The user the gateway says is signed in, if the token agrees with what is stored."""
        if principal.user_id is None:
            raise Unauthorized("sign in first", code="not_signed_in")
        user = await user_by_id(self.session, principal.user_id)
        if user is None or user.removed_at is not None:
            raise Unauthorized("unknown user", code="user_unknown")
        if principal.role != Role(user.role) or principal.consumer_id != user.consumer_id:
            raise Forbidden("the token does not match the user", code="principal_mismatch")
        return user

    async def save(self, user: User, *, login_field: str) -> None:
        """Write the user now, so that a login taken by a concurrent request gets the usual answer."""
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if "uq_users_login_key" not in str(exc.orig):
                raise
            raise Invalid("login taken", fields={login_field: LoginProblem.TAKEN}) from exc

    async def reloaded(self, user: User) -> User:
        """The user with everything an answer shows loaded."""
        loaded = await user_by_id(self.session, user.id)
        assert loaded is not None
        return loaded

    async def new_login_problem(self, login: str, *, say_if_taken: bool = True) -> LoginProblem | None:
        problem = login_problem(login)
        if problem is None and say_if_taken and await login_taken(self.session, login):
            return LoginProblem.TAKEN
        return problem

    async def hash_password(self, password: str) -> str:
        return await asyncio.to_thread(self.hashing.hash, password)

    async def verify_password(self, user: User | None, password: str) -> bool:
        """Whether `password` is the user's; as slow for no user as for one, so timing tells no login apart."""
        return await asyncio.to_thread(self.hashing.verify, user.password_hash if user else None, password)

    @staticmethod
    async def password_problem(password: str, login: str, personal: Sequence[str]) -> PasswordProblem | None:
        # zxcvbn takes up to a tenth of a second on a long password
        return await asyncio.to_thread(partial(password_problem, password, login=login, personal=personal))

    async def new_user_problems(
        self, login: str, password: str, password_confirmation: str, personal: Sequence[str], *,
        say_if_taken: bool = True,
    ) -> dict[str, str]:
        """What is wrong with a new user's login and password (registration, an invited colleague), by field."""
        fields: dict[str, str] = {}
        if login_issue := await self.new_login_problem(login, say_if_taken=say_if_taken):
            fields["login"] = login_issue
        if password_issue := await self.password_problem(password, login, personal):
            fields["password"] = password_issue
        if password_confirmation != password:
            fields["password_confirmation"] = PasswordProblem.MISMATCH
        return fields


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id).options(*USER_IN_FULL))


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    return await session.scalar(
        select(User).where(func.lower(User.login) == login_key(login), User.removed_at.is_(None))
        .options(*USER_IN_FULL)
    )


async def login_taken(session: AsyncSession, login: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(func.lower(User.login) == login_key(login))))
