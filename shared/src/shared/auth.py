"""Authentication between the gateway and the services.

The gateway (or a service calling another) issues a short-lived HS256 JWT carrying who acts: user, consumer,
role, branch and client address. Services refuse `/api` requests without a valid one.

Who may see which consumer's data is one rule, `Principal.may_see` (and `Principal.branch_scope` for listings across
consumers), used by every service: a consumer's user sees their own consumer's, staff the consumers of their
branch (each branch is a tenant), administrators and services every consumer's. Every route names the roles it
serves (`require_roles`); `check_routes_name_roles` refuses to build an app with a route that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
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
#: a signed-in person of either side
PEOPLE = frozenset({Role.CONSUMER, Role.STAFF, Role.ADMIN})


class Principal(BaseModel):
    user_id: UUID | None = None
    consumer_id: UUID | None = None
    role: Role = Role.ANONYMOUS
    ip: str | None = None
    #: the signed-in session the request comes from (a password change ends the user's other sessions)
    session_id: UUID | None = None
    #: the supplier branch the user belongs to: a staff member's employer, a consumer user's serving branch;
    #: None for administrators (who work for every branch) and services
    branch_id: UUID | None = None
    #: the personal access token a consumer's program called the public API with; None: the user's own pages
    access_token_id: UUID | None = None
    issuer: str = "gateway"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def may_see(self, consumer_id: UUID, branch_id: UUID | None) -> bool:
        """Whether the principal may see (and, as its role allows, change) the data of this consumer, whose branch
        the service knows as `branch_id` (None: not known yet, and then only administrators and services may)."""
        if self.role == Role.CONSUMER:
            return self.consumer_id == consumer_id
        if self.role == Role.STAFF:
            return self.branch_id is not None and self.branch_id == branch_id
        return self.role in (Role.ADMIN, Role.SERVICE)

    def refuse_another_consumer(self, consumer_id: UUID) -> None:
        """A consumer's user naming another consumer's id is told so (403), before anything is looked up."""
        if self.role == Role.CONSUMER and self.consumer_id != consumer_id:
            raise Forbidden("a consumer sees only their own data", code="other_consumer")

    def branch_scope(self) -> UUID | None:
        """The branch whose consumers a listing across consumers shows: staff see their branch's, administrators and
        services every branch's (None). A consumer's user never lists across consumers (their own consumer's data
        is asked for by its id), nor does a visitor who has not signed in."""
        if self.role in (Role.ADMIN, Role.SERVICE):
            return None
        if self.role == Role.STAFF and self.branch_id is not None:
            return self.branch_id
        raise Forbidden(f"role {self.role} may not list across consumers", code="role_forbidden")


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
            "bid": str(principal.branch_id) if principal.branch_id else None,
            "tid": str(principal.access_token_id) if principal.access_token_id else None,
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
                branch_id=UUID(claims["bid"]) if claims.get("bid") else None,
                access_token_id=UUID(claims["tid"]) if claims.get("tid") else None,
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
    """The dependency by which a route names the roles it serves; any other role is refused (403)."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role} may not do this", code="role_forbidden")
        return principal

    dependency.serves = allowed  # type: ignore[attr-defined]  # read by `roles_of`
    return dependency


# the principals routes name, one alias per set of roles, shared by the services
ConsumerOnly = Annotated[Principal, Depends(require_roles(Role.CONSUMER))]
StaffOnly = Annotated[Principal, Depends(require_roles(Role.STAFF, Role.ADMIN))]
AdminOnly = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
#: a signed-in person of either side
Person = Annotated[Principal, Depends(require_roles(*PEOPLE))]
#: a signed-in person, or another service
PersonOrService = Annotated[Principal, Depends(require_roles(*PEOPLE, Role.SERVICE))]
#: the supplier's people and services
SupplierSide = Annotated[Principal, Depends(require_roles(Role.STAFF, Role.ADMIN, Role.SERVICE))]
#: whoever calls, also for a visitor who has not signed in (sign-in, registration)
Anyone = Annotated[Principal, Depends(require_roles(*Role))]


def roles_of(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route serves: those every `require_roles` among its dependencies allows; None when it names none."""

    def named(dependant: Dependant) -> list[frozenset[Role]]:
        own: frozenset[Role] | None = getattr(dependant.call, "serves", None)
        return ([own] if own is not None else []) + [roles for sub in dependant.dependencies for roles in named(sub)]

    found = named(route.dependant)
    return frozenset.intersection(*found) if found else None


def check_routes_name_roles(routers: Iterable[APIRouter]) -> None:
    """Deny by default: an app whose routers have a route that names no roles is not served at all."""
    silent = [
        f"{','.join(sorted(route.methods or ()))} {route.path}"
        for router in routers for route in router.routes
        if isinstance(route, APIRoute) and roles_of(route) is None
    ]
    if silent:
        raise RuntimeError(f"routes that name no roles (shared.auth.require_roles): {', '.join(silent)}")


def require_user(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Unauthorized("sign in first", code="not_signed_in")
    return principal.user_id
