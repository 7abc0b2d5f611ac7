"""Personal access tokens: a consumer's user lets their accounting program call the gateway's public API in their
name, for what the token's scopes allow (read invoices, payments, documents; submit readings).

A token is shown once, when it is made; only its SHA-256 is stored. Unlike a password, a token is 32 random bytes:
nobody finds it from its hash however fast the hash is, so a fast hash is right here (argon2 would only slow every
API call), and trying tokens needs no throttling. A token ends when its owner revokes it or at its expiry (a year at
most): an expired or revoked token never resolves, nor one whose user is no longer a consumer's. Tokens are not
sessions: a password change, which ends the user's other sessions, leaves the programs' tokens to their owner.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.audit import record, record_own_change
from identity.domain.rate_limit import take_call
from identity.domain.tokens import new_token, token_hash
from identity.models import AccessToken, AuditEntry, AuditKind, AuditVia, User, UserRole
from identity.runtime import Runtime, utcnow
from identity.users import USER_IN_FULL
from shared.auth import CAPABILITIES, Capability, ConsumerRole
from shared.errors import Conflict, Invalid, NotFound, Throttled, Unauthorized


class Scope(StrEnum):
    INVOICES_READ = "invoices:read"
    PAYMENTS_READ = "payments:read"
    DOCUMENTS_READ = "documents:read"
    READINGS_WRITE = "readings:write"


#: what the owner's role must allow for a token to have the scope: a token acts with at most its owner's rights (and the
#: services refuse what the owner's role, carried in each call, does not allow)
SCOPE_NEEDS = {
    Scope.INVOICES_READ: Capability.SEE_MONEY,
    Scope.PAYMENTS_READ: Capability.SEE_MONEY,
    Scope.DOCUMENTS_READ: Capability.SEE_DOCUMENTS,
    Scope.READINGS_WRITE: Capability.SUBMIT_READINGS,
}


#: marks the cabinet's tokens, so that secret scanners (and people) recognise one found in a program's settings
TOKEN_PREFIX = "cab_"  # noqa: S105  # the marker every token begins with, not a secret
#: the prefix and four characters of the secret: tell a user's tokens apart in the list, give nothing away
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 4
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME_LENGTH = 100
#: a user's tokens that are neither revoked nor expired; far more than programs a consumer runs
MAX_LIVE_TOKENS = 20


@dataclass(frozen=True)
class NewAccessToken:
    secret: str
    token: AccessToken


@dataclass(frozen=True)
class AdmittedCall:
    token: AccessToken
    #: the call's entry in the consumer's audit trail, its status to be told once the call is answered
    entry: AuditEntry


class AccessTokens:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session

    async def create(self, user: User, name: str, scopes: Collection[Scope], days: int) -> NewAccessToken:
        name = name.strip()
        problems = {}
        if not name:
            problems["name"] = "required"
        elif len(name) > MAX_NAME_LENGTH:
            problems["name"] = "too_long"
        if not scopes:
            problems["scopes"] = "required"
        elif not all(SCOPE_NEEDS[scope] in CAPABILITIES[user.consumer_role or ConsumerRole.VIEWER] for scope in scopes):
            problems["scopes"] = "beyond_role"
        if not 1 <= days <= MAX_DAYS:
            problems["expires_in_days"] = "out_of_range"
        if problems:
            raise Invalid("the access token cannot be made so", fields=problems)
        now = utcnow()
        if await live_token_count(self.session, user.id, now) >= MAX_LIVE_TOKENS:
            raise Conflict("revoke a token before making another", code="too_many_access_tokens")
        secret = TOKEN_PREFIX + new_token()
        token = AccessToken(
            user_id=user.id, name=name, scopes=sorted(set(scopes)), token_hash=token_hash(secret),
            prefix=secret[:SHOWN_CHARACTERS], created_at=now, expires_at=now + timedelta(days=days),
        )
        self.session.add(token)
        await self.session.flush()
        await record_own_change(self.session, user, AuditKind.ACCESS_TOKEN_CREATED, now, _described(token))
        return NewAccessToken(secret, token)

    async def of_user(self, user: User) -> list[AccessToken]:
        return await tokens_of(self.session, user.id)

    async def revoke(self, user: User, token_id: uuid.UUID) -> None:
        found = await self.session.get(AccessToken, token_id)
        # another user's token is answered as a missing one
        if found is None or found.user_id != user.id or found.revoked_at is not None:
            raise NotFound("no such access token", code="access_token_not_found")
        found.revoked_at = utcnow()
        await record_own_change(self.session, user, AuditKind.ACCESS_TOKEN_REVOKED, found.revoked_at,
                                _described(found))

    async def admit(self, secret: str, method: str, route: str, per_minute: int) -> AdmittedCall:
        """A program's call of the public API: its token resolved (with its user in full), the call taken out of
        the token's bucket (`per_minute`: the gateway's limit; the bucket is one for every gateway replica) and
        recorded in the consumer's audit trail. Refused past the limit (429 `rate_limited`, `retry_after`)."""
        now = utcnow()
        found = await live_access_token(self.session, token_hash(secret), now, for_update=True)
        if (found is None or found.user.role != UserRole.CONSUMER or found.user.consumer_id is None
                or found.user.removed_at is not None):
            raise Unauthorized("the access token is unknown, revoked or expired", code="access_token_invalid")
        take = take_call(found.calls_refilled_at, now, per_minute)
        if not take.taken:
            raise Throttled(math.ceil(take.wait.total_seconds()), "too many calls with this access token",
                            code="rate_limited")
        found.calls_refilled_at = take.refilled_at
        found.last_used_at = now
        entry = await record(
            self.session, found.user.consumer_id, AuditKind.API_CALL,
            {"method": method, "route": route, **_described(found)}, at=now, actor=found.user, via=AuditVia.API,
        )
        return AdmittedCall(found, entry)


def _described(token: AccessToken) -> dict[str, str]:
    """The token as the audit trail names it: its name and first characters (never the secret)."""
    return {"token_id": str(token.id), "token_name": token.name, "token_prefix": token.prefix}


async def live_access_token(
    session: AsyncSession, hashed: bytes, now: datetime, *, for_update: bool = False
) -> AccessToken | None:
    """`for_update`: the token's row locked (its calls counted one after another, whichever replica took them)."""
    query = (
        select(AccessToken)
        .where(AccessToken.token_hash == hashed, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now)
        .options(joinedload(AccessToken.user).options(*USER_IN_FULL))
    )
    return await session.scalar(query.with_for_update(of=AccessToken) if for_update else query)


async def tokens_of(session: AsyncSession, user_id: uuid.UUID) -> list[AccessToken]:
    """The user's tokens not revoked, expired ones too (their owner sees that a program's token ran out)."""
    rows = await session.scalars(
        select(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .order_by(AccessToken.created_at.desc())
    )
    return list(rows)


async def live_token_count(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    return int(await session.scalar(
        select(func.count()).where(
            AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now
        )
    ) or 0)
