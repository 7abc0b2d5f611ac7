"""Authentication between the gateway and the services.

The gateway (or a service calling another) issues a short-lived HS256 JWT carrying who acts: user, consumer,
role, branch and client address. Services refuse `/api` requests without a valid one.

Who may see which consumer's data is one rule, `Principal.may_see` (and `Principal.branch_scope` for listings across
consumers), used by every service: a consumer's user sees their own consumer's, staff the consumers of their
branch (each branch is a tenant), administrators and services every consumer's. Every route names the roles it
serves (`require_roles`); `check_routes_name_roles` refuses to build an app with a route that does not.

Inside one consumer, each user has a consumer role (`ConsumerRole`: director, accountant, engineer, viewer) and may do
what its capabilities say (`Principal.may`, the one table `CAPABILITIES`); a route names the capability it needs with
`require_roles(..., capability=...)`, so every service refuses what the role may not do, whatever the menu shows.
The supplier's people and services are not limited by it: their roles already say what they may do.
"""

from __future__ import annotations

import time
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
#: a token issued for a principal is handed out again for this long (it stays valid for most of its minute):
#: a page calls services several times for the same visitor, and signing each call's token was CPU for nothing
TOKEN_REUSE_SECONDS = 10.0
_REUSED_TOKENS_KEPT = 10_000
_ALGORITHM = "HS256"
_AUDIENCE = "cabinet"


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    CONSUMER = "consumer"
    STAFF = "staff"
    ADMIN = "admin"
    SERVICE = "service"


class ConsumerRole(StrEnum):
    """What a consumer's user is to their company in the cabinet."""

    #: everything, signs every document, and manages the consumer's users
    DIRECTOR = "director"
    #: money and documents, signs invoices and reconciliation acts; no readings
    ACCOUNTANT = "accountant"
    #: readings and their acts, signs those acts; no money
    ENGINEER = "engineer"
    #: sees, never changes nor signs
    VIEWER = "viewer"


class Capability(StrEnum):
    SEE_READINGS = "see_readings"
    #: readings entered or imported
    SUBMIT_READINGS = "submit_readings"
    #: invoices, payments, saldo, tax invoices, the reconciliation
    SEE_MONEY = "see_money"
    #: an invoice or a reconciliation act asked for
    HANDLE_MONEY = "handle_money"
    #: the documents list
    SEE_DOCUMENTS = "see_documents"
    #: invoices, tax invoices and reconciliation acts signed (or refused)
    SIGN_MONEY_DOCUMENTS = "sign_money_documents"
    #: acts of readings transfer signed (or refused)
    SIGN_READINGS_ACTS = "sign_readings_acts"
    #: colleagues invited, their roles changed, removed
    MANAGE_USERS = "manage_users"


_SEE_ALL = frozenset({Capability.SEE_READINGS, Capability.SEE_MONEY, Capability.SEE_DOCUMENTS})
CAPABILITIES: dict[ConsumerRole, frozenset[Capability]] = {
    ConsumerRole.DIRECTOR: frozenset(Capability),
    ConsumerRole.ACCOUNTANT: frozenset({
        Capability.SEE_MONEY, Capability.HANDLE_MONEY, Capability.SEE_DOCUMENTS, Capability.SIGN_MONEY_DOCUMENTS,
    }),
    ConsumerRole.ENGINEER: frozenset({
        Capability.SEE_READINGS, Capability.SUBMIT_READINGS, Capability.SIGN_READINGS_ACTS,
    }),
    ConsumerRole.VIEWER: _SEE_ALL,
}

#: the document types of money (the rest but readings acts are general documents: contracts, packages...)
MONEY_DOCUMENT_TYPES = frozenset({"invoice", "tax_invoice", "tax_invoice_correction", "reconciliation_act"})
READINGS_DOCUMENT_TYPES = frozenset({"readings_act"})

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
    #: a consumer's user's role inside their consumer; None for everyone else (and a consumer's user whose role is
    #: not named may do nothing but what needs no capability)
    consumer_role: ConsumerRole | None = None
    #: the personal access token a consumer's program called the public API with; None: the user's own pages
    access_token_id: UUID | None = None
    issuer: str = "gateway"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def may(self, capability: Capability) -> bool:
        """Whether the principal's role inside its consumer allows this; the supplier's side is not limited by it."""
        if self.role != Role.CONSUMER:
            return True
        return self.consumer_role is not None and capability in CAPABILITIES[self.consumer_role]

    def may_see_document(self, document_type: str) -> bool:
        """A money document is seen by who sees money, a readings act by who sees readings, the rest by who sees
        documents."""
        if document_type in MONEY_DOCUMENT_TYPES:
            return self.may(Capability.SEE_MONEY)
        if document_type in READINGS_DOCUMENT_TYPES:
            return self.may(Capability.SEE_READINGS)
        return self.may(Capability.SEE_DOCUMENTS)

    def may_sign(self, document_type: str) -> bool:
        """A readings act is signed by who signs acts; every other document by who signs money documents."""
        if document_type in READINGS_DOCUMENT_TYPES:
            return self.may(Capability.SIGN_READINGS_ACTS)
        return self.may(Capability.SIGN_MONEY_DOCUMENTS)

    def require(self, capability: Capability) -> None:
        if not self.may(capability):
            raise Forbidden(f"a {self.consumer_role} may not do this", code="capability_forbidden",
                            extra={"capability": capability.value})

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
        #: who a token was issued for -> the token and when (monotonic)
        self._issued: dict[tuple[Any, ...], tuple[str, float]] = {}

    def issue(self, principal: Principal, ttl: int = TOKEN_TTL_SECONDS) -> str:
        claims = self._claims(principal)
        if ttl != TOKEN_TTL_SECONDS:
            return self._signed(claims, ttl)
        # keyed by every claim the token carries: a principal differing in any of them gets a token of its own
        who = tuple(claims.items())
        now = time.monotonic()
        issued = self._issued.get(who)
        if issued is not None and now - issued[1] < TOKEN_REUSE_SECONDS:
            return issued[0]
        if len(self._issued) >= _REUSED_TOKENS_KEPT:
            self._issued.clear()
        token = self._signed(claims, ttl)
        self._issued[who] = (token, now)
        return token

    def _claims(self, principal: Principal) -> dict[str, str]:
        claims = {
            "sub": str(principal.user_id) if principal.user_id else None,
            "cid": str(principal.consumer_id) if principal.consumer_id else None,
            "role": principal.role.value,
            "ip": principal.ip,
            "sid": str(principal.session_id) if principal.session_id else None,
            "bid": str(principal.branch_id) if principal.branch_id else None,
            "crole": principal.consumer_role.value if principal.consumer_role else None,
            "tid": str(principal.access_token_id) if principal.access_token_id else None,
            "iss": self._issuer,
            "aud": _AUDIENCE,
        }
        # absent, not null: PyJWT insists that a present `sub` is a string
        return {key: value for key, value in claims.items() if value is not None}

    def _signed(self, claims: dict[str, str], ttl: int) -> str:
        now = datetime.now(UTC)
        return jwt.encode({**claims, "iat": now, "exp": now + timedelta(seconds=ttl)}, self._secret,
                          algorithm=_ALGORITHM)

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
                consumer_role=ConsumerRole(claims["crole"]) if claims.get("crole") else None,
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


def require_roles(
    *roles: Role, capability: Capability | None = None
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """The dependency by which a route names the roles it serves, and what a consumer's user's role must allow;
    any other role is refused (403 `role_forbidden`), a consumer role without the capability too
    (403 `capability_forbidden`)."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role} may not do this", code="role_forbidden")
        if capability is not None:
            principal.require(capability)
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
