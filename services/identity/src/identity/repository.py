"""Queries of the identity database. Functions take the caller's session and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.domain.logins import login_key
from identity.domain.throttling import ThrottleRule
from identity.models import (
    ActivationCode,
    ConsumerAccount,
    EmailChange,
    EmailChangeStatus,
    RegistrationLink,
    Session,
    SupplierBranch,
    ThrottledAttempt,
    User,
    UserRole,
)

#: what answering with a user needs: their consumer and its branch, their own branch, a pending e-mail change
_USER_IN_FULL = (
    joinedload(User.consumer).joinedload(ConsumerAccount.branch),
    joinedload(User.branch),
    joinedload(User.pending_email_change),
)
_CONSUMER_IN_FULL = joinedload(ConsumerAccount.branch)


# supplier branches
async def branches(session: AsyncSession) -> Sequence[SupplierBranch]:
    return (await session.scalars(select(SupplierBranch).order_by(SupplierBranch.name))).all()


async def branch(session: AsyncSession, branch_id: uuid.UUID) -> SupplierBranch | None:
    return await session.get(SupplierBranch, branch_id)


async def branch_by_name(session: AsyncSession, name: str) -> SupplierBranch | None:
    return await session.scalar(select(SupplierBranch).where(SupplierBranch.name == name))


# consumer accounts
async def consumer(session: AsyncSession, consumer_id: uuid.UUID) -> ConsumerAccount | None:
    return await session.scalar(
        select(ConsumerAccount).where(ConsumerAccount.id == consumer_id).options(_CONSUMER_IN_FULL)
    )


async def lock_consumer(session: AsyncSession, consumer_id: uuid.UUID) -> None:
    """Concurrent changes of one consumer account take turns (each publishes the whole state it leaves)."""
    await session.execute(select(ConsumerAccount.id).where(ConsumerAccount.id == consumer_id).with_for_update())


async def consumer_by_account_number(session: AsyncSession, account_number: str) -> ConsumerAccount | None:
    return await session.scalar(
        select(ConsumerAccount)
        .where(ConsumerAccount.account_number == account_number)
        .options(_CONSUMER_IN_FULL)
    )


async def find_consumers(
    session: AsyncSession, text: str, *, branch_id: uuid.UUID | None, limit: int
) -> Sequence[ConsumerAccount]:
    """Consumers whose account number, EDRPOU or name contains `text`; of one branch if `branch_id` is given."""
    statement = select(ConsumerAccount).options(_CONSUMER_IN_FULL).order_by(ConsumerAccount.account_number)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                ConsumerAccount.account_number.ilike(pattern),
                ConsumerAccount.edrpou.ilike(pattern),
                ConsumerAccount.name.ilike(pattern),
            )
        )
    if branch_id is not None:
        statement = statement.where(ConsumerAccount.branch_id == branch_id)
    return (await session.scalars(statement.limit(limit))).all()


async def staff_of_branch(session: AsyncSession, branch_id: uuid.UUID) -> Sequence[User]:
    return (await session.scalars(
        select(User).where(User.branch_id == branch_id, User.role == UserRole.STAFF).order_by(User.login)
    )).all()


async def all_consumers(session: AsyncSession) -> Sequence[ConsumerAccount]:
    """Every consumer account with its branch, by account number."""
    return (await session.scalars(
        select(ConsumerAccount).options(_CONSUMER_IN_FULL).order_by(ConsumerAccount.account_number)
    )).all()


async def users_of_consumer(session: AsyncSession, consumer_id: uuid.UUID) -> Sequence[User]:
    return (
        await session.scalars(select(User).where(User.consumer_id == consumer_id).order_by(User.created_at))
    ).all()


# users
async def user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id).options(*_USER_IN_FULL))


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    return await session.scalar(
        select(User).where(func.lower(User.login) == login_key(login)).options(*_USER_IN_FULL)
    )


async def login_taken(session: AsyncSession, login: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(func.lower(User.login) == login_key(login))))


# activation codes and registration links
async def activation_code(
    session: AsyncSession, code_hash: bytes, *, for_update: bool = False
) -> ActivationCode | None:
    statement = select(ActivationCode).where(ActivationCode.code_hash == code_hash)
    return await session.scalar(statement.with_for_update() if for_update else statement)


async def registration_link(
    session: AsyncSession, token_hash: bytes, *, for_update: bool = False
) -> RegistrationLink | None:
    statement = (
        select(RegistrationLink)
        .where(RegistrationLink.token_hash == token_hash)
        .options(joinedload(RegistrationLink.consumer).joinedload(ConsumerAccount.branch))
    )
    if for_update:
        statement = statement.with_for_update(of=RegistrationLink)
    return await session.scalar(statement)


# sessions
async def live_session(session: AsyncSession, token_hash: bytes, now: datetime) -> Session | None:
    """The session of a token with its user in full: one query on the token's unique index."""
    return await session.scalar(
        select(Session)
        .where(Session.token_hash == token_hash, Session.revoked_at.is_(None), Session.expires_at > now)
        .options(joinedload(Session.user).options(*_USER_IN_FULL))
    )


async def sign_in_addresses(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> list[str]:
    """The client addresses the user has signed in from since `since` (sessions ended since are kept)."""
    rows = await session.scalars(
        select(Session.client_address)
        .where(Session.user_id == user_id, Session.created_at > since, Session.client_address.is_not(None))
        .distinct()
    )
    return [address for address in rows if address is not None]


async def session_by_token(session: AsyncSession, token_hash: bytes) -> Session | None:
    return await session.scalar(select(Session).where(Session.token_hash == token_hash))


async def end_other_sessions(session: AsyncSession, user_id: uuid.UUID, keep: uuid.UUID | None, now: datetime) -> None:
    statement = update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(Session.id != keep)
    await session.execute(statement.values(revoked_at=now))


async def purge_sessions(session: AsyncSession, ended_before: datetime) -> int:
    result = await session.execute(
        delete(Session).where(or_(Session.expires_at < ended_before, Session.revoked_at < ended_before))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# e-mail changes
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


# throttled attempts
async def recent_attempts(
    session: AsyncSession, rule: ThrottleRule, subject: str, since: datetime
) -> list[datetime]:
    """The newest attempts of `subject` since `since` that `rule` needs to see, newest first."""
    rows = await session.scalars(
        select(ThrottledAttempt.occurred_at)
        .where(
            ThrottledAttempt.rule == rule.name,
            ThrottledAttempt.subject == subject,
            ThrottledAttempt.occurred_at > since,
        )
        .order_by(ThrottledAttempt.occurred_at.desc())
        .limit(rule.counted)
    )
    return list(rows)


async def add_attempts(
    session: AsyncSession, subjects: Iterable[tuple[ThrottleRule, str]], occurred_at: datetime
) -> None:
    rows = [{"rule": rule.name, "subject": subject, "occurred_at": occurred_at} for rule, subject in subjects]
    if rows:
        await session.execute(insert(ThrottledAttempt), rows)


async def clear_attempts(session: AsyncSession, rule: ThrottleRule, subject: str) -> None:
    await session.execute(
        delete(ThrottledAttempt).where(
            ThrottledAttempt.rule == rule.name, ThrottledAttempt.subject == subject
        )
    )


async def purge_attempts(session: AsyncSession, occurred_before: datetime) -> int:
    result = await session.execute(
        delete(ThrottledAttempt).where(ThrottledAttempt.occurred_at < occurred_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
