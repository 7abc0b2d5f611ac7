"""Sessions: signing in (its guessers throttled), a session found by its token and kept alive, signing out.

A session's token is given once, at sign-in; only its hash is stored. A session lives on while it is used (each use
moves its end further, `SessionLifetime`) up to an absolute end, and ends at sign-out or when its user's password
changes (`end_other_sessions`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity import throttle
from identity.domain import throttling
from identity.domain.logins import clean_login, login_key
from identity.domain.tokens import new_token, token_hash
from identity.models import Session, User
from identity.runtime import Runtime, utcnow
from identity.users import USER_IN_FULL, Users, user_by_login
from shared.errors import Unauthorized


@dataclass(frozen=True)
class NewSession:
    token: str
    session: Session


class Sessions:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.settings = runtime.settings
        self.throttle = runtime.throttle
        self.users = Users(session, runtime)

    async def sign_in(self, login: str, password: str, client_address: str) -> NewSession:
        """Each wrong password counts against the login from this network, against this network, and against the
        login from everywhere; the last holds only where the user has not signed in lately (module throttling)."""
        now = utcnow()
        login = clean_login(login)
        network = throttling.network_of(client_address)
        from_here = (throttling.SIGN_IN_PER_LOGIN_AND_NETWORK, throttling.pair(login_key(login), network))
        this_network = (throttling.SIGN_IN_PER_NETWORK, network)
        from_everywhere = (throttling.SIGN_IN_PER_LOGIN, login_key(login))
        user = await user_by_login(self.session, login)
        if user is not None and network in await self._sign_in_networks(user, now):
            await self.throttle.check(self.session, from_here, this_network, now=now)
        else:
            await self.throttle.check(self.session, from_here, this_network, from_everywhere, now=now)
        if not await self.users.verify_password(user, password):
            await self.throttle.count(from_here, this_network, from_everywhere, now=now)
            raise Unauthorized("wrong login or password", code="invalid_credentials")
        assert user is not None
        if self.users.hashing.needs_rehash(user.password_hash):
            user.password_hash = await self.users.hash_password(password)
        # the user's own slips are forgiven; what strangers tried against the login stays counted
        await throttle.clear_attempts(self.session, *from_here)
        token = new_token()
        signed_in = Session(
            user_id=user.id, user=user, token_hash=token_hash(token), client_address=client_address,
            created_at=now, expires_at=self.settings.session_lifetime.expiry(signed_in_at=now, now=now),
        )
        self.session.add(signed_in)
        await self.session.flush()
        return NewSession(token, signed_in)

    async def _sign_in_networks(self, user: User, now: datetime) -> set[str]:
        since = now - timedelta(days=throttling.KNOWN_NETWORK_DAYS)
        return {throttling.network_of(address) for address in await sign_in_addresses(self.session, user.id, since)}

    async def resolve(self, token: str) -> Session:
        now = utcnow()
        found = await live_session(self.session, token_hash(token), now)
        if found is None:
            raise Unauthorized("the session has ended", code="session_invalid")
        lifetime = self.settings.session_lifetime
        if lifetime.needs_refresh(expires_at=found.expires_at, signed_in_at=found.created_at, now=now):
            found.expires_at = lifetime.expiry(signed_in_at=found.created_at, now=now)
        return found

    async def sign_out(self, token: str) -> None:
        found = await session_by_token(self.session, token_hash(token))
        if found is not None and found.revoked_at is None:
            found.revoked_at = utcnow()


async def live_session(session: AsyncSession, token_hash: bytes, now: datetime) -> Session | None:
    """The session of a token with its user in full: one query on the token's unique index."""
    return await session.scalar(
        select(Session)
        .join(Session.user)
        .where(Session.token_hash == token_hash, Session.revoked_at.is_(None), Session.expires_at > now,
               User.removed_at.is_(None))
        .options(joinedload(Session.user).options(*USER_IN_FULL))
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
