"""Authentication between the gateway and the services.

The gateway (or a service calling another) issues a short-lived HS256 JWT carrying who acts: user, consumer,
role and client address. Services refuse `/api` requests without a valid one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel

from shared.errors import Forbidden, Unauthorized

TOKEN_TTL_SECONDS = 60
_ALGORITHM = "HS256"
_AUDIENCE = "cabinet"


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CONSUMER = "consumer"
    STAFF = "staff"
    ADMIN = "admin"
    SERVICE = "service"


STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


class Principal(BaseModel):
    user_id: UUID | None = None
    consumer_id: UUID | None = None
    role: Role = Role.ANONYMOUS
    ip: str | None = None
    #: the signed-in session the request comes from (a password change ends the user's other sessions)
    session_id: UUID | None = None
    issuer: str = "gateway"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can_see_consumer(self, consumer_id: UUID) -> bool:
        """Consumers see only their own data; staff and services see every consumer's."""
        if self.role == Role.CONSUMER:
            return self.consumer_id == consumer_id
        return self.role in STAFF_ROLES or self.role == Role.SERVICE


class ServiceTokens:
    def __init__(self, secret: str, issuer: str = "gateway") -> None:
        if len(secret) < 32:
            raise ValueError("the service token secret must be at least 32 characters")
        self._secret = secret
        self._issuer = issuer

    def issue(self, principal: Principal, ttl: int = TOKEN_TTL_SECONDS) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(principal.user_id) if principal.user_id else None,
            "cid": str(principal.consumer_id) if principal.consumer_id else None,
            "role": principal.role.value,
            "ip": principal.ip,
            "sid": str(principal.session_id) if principal.session_id else None,
            "iss": self._issuer,
            "aud": _AUDIENCE,
            "iat": now,
            "exp": now + timedelta(seconds=ttl),
        }
        # absent, not null: PyJWT insists that a present `sub` is a string
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[_ALGORITHM], audience=_AUDIENCE,
                options={"require": ["exp", "iat", "role", "iss"]},
            )
            return Principal(
                user_id=UUID(claims["sub"]) if claims.get("sub") else None,
                consumer_id=UUID(claims["cid"]) if claims.get("cid") else None,
                role=Role(claims["role"]),
                ip=claims.get("ip"),
                session_id=UUID(claims["sid"]) if claims.get("sid") else None,
                issuer=claims["iss"],
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthorized("invalid service token", code="token_invalid") from exc


def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a service token is required", code="token_missing")
    tokens: ServiceTokens = request.app.state.service_tokens
    return tokens.verify(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role} may not do this", code="role_forbidden")
        return principal

    return dependency


def require_user(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    return principal.user_id
