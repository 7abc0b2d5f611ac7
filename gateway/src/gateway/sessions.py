"""Who is visiting: the session cookie resolved by identity, briefly remembered in this process.

A page would otherwise cost one extra call to identity; a resolved session is reused for a few seconds
(`session_cache_seconds`), keyed by a hash of the token so the cache never holds the token itself. Logout drops
the entry at once, and changes to the user (a password change ends their other sessions) drop all the user's;
other gateway processes see them within those seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from cachetools import TTLCache
from fastapi import Depends, Request

from gateway.identity_client import IdentityClient, ResolvedSession, User
from gateway.security import session_token_of
from gateway.settings import GatewaySettings
from shared.auth import PEOPLE, STAFF_ROLES, Capability, Principal, Role
from shared.errors import ServiceCallError


class LoginRequired(Exception):
    """The page needs a signed-in user; the visitor is sent to /login and brought back afterwards."""


class NotAllowed(Exception):
    """The signed-in user's role may not open this page."""


class NotPermitted(Exception):
    """The consumer's user's role inside their consumer (director, accountant...) does not allow this page."""


@dataclass(frozen=True)
class Visitor:
    principal: Principal
    user: User | None = None
    session_token: str | None = None

    @property
    def signed_in_user(self) -> User:
        if self.user is None:
            raise LoginRequired()
        return self.user


class SessionCache:
    def __init__(self, identity: IdentityClient, ttl_seconds: float, max_entries: int) -> None:
        self._identity = identity
        # a miss is remembered too (None), so a stale cookie does not cost a call on every page
        self._sessions: TTLCache[str, ResolvedSession | None] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    @staticmethod
    def _key(session_token: str) -> str:
        return hashlib.sha256(session_token.encode()).hexdigest()

    async def resolve(self, session_token: str, client_ip: str | None) -> ResolvedSession | None:
        key = self._key(session_token)
        if key in self._sessions:
            return self._sessions[key]
        anonymous = Principal(role=Role.ANONYMOUS, ip=client_ip)
        try:
            resolved: ResolvedSession | None = await self._identity.resolve_session(anonymous, session_token)
        except ServiceCallError as error:
            if error.status_code != 401:
                raise
            resolved = None
        self._sessions[key] = resolved
        return resolved

    def forget(self, session_token: str) -> None:
        self._sessions.pop(self._key(session_token), None)

    def forget_user(self, user_id: UUID) -> None:
        """Every session of the user this process remembers: a password change ends the user's other sessions,
        and a change of the user is shown on the next page of each (rare: a scan of the cache is cheap)."""
        for key, resolved in list(self._sessions.items()):
            if resolved is not None and resolved.user.id == user_id:
                self._sessions.pop(key, None)


def principal_of(session: ResolvedSession | None, client_ip: str | None) -> Principal:
    if session is None:
        return Principal(role=Role.ANONYMOUS, ip=client_ip)
    user = session.user
    consumer_id = user.consumer.id if user.consumer else None
    # the services keep staff to their branch's consumers by it (an administrator has none: every branch)
    branch_id = user.branch.id if user.branch else None
    return Principal(user_id=user.id, consumer_id=consumer_id, role=user.role, ip=client_ip,
                     session_id=session.session_id, branch_id=branch_id, consumer_role=user.consumer_role)


def anonymous(request: Request) -> Principal:
    """Who calls for a visitor before login (registration, login itself): nobody, from this address."""
    return principal_of(None, client_ip(request))


def client_ip(request: Request) -> str | None:
    # behind trusted proxies, gateway.client_address has put the client's own address here
    return request.client.host if request.client else None


async def current_visitor(request: Request) -> Visitor:
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    settings: GatewaySettings = request.app.state.settings
    sessions: SessionCache = request.app.state.sessions
    ip = client_ip(request)
    token = session_token_of(request, settings)
    session = await sessions.resolve(token, ip) if token else None
    user = session.user if session else None
    visitor = Visitor(principal=principal_of(session, ip), user=user, session_token=token if user else None)
    # the page frame (header, navigation) reads the visitor from here
    request.state.visitor = visitor
    return visitor


async def signed_in_visitor(visitor: Annotated[Visitor, Depends(current_visitor)]) -> Visitor:
    if visitor.user is None:
        raise LoginRequired()
    return visitor


async def staff_visitor(visitor: Annotated[Visitor, Depends(signed_in_visitor)]) -> Visitor:
    if visitor.principal.role not in STAFF_ROLES:
        raise NotAllowed()
    return visitor


async def admin_visitor(visitor: Annotated[Visitor, Depends(signed_in_visitor)]) -> Visitor:
    """Pages of what belongs to no branch (parked payments): administrators, who work for every branch."""
    if visitor.principal.role != Role.ADMIN:
        raise NotAllowed()
    return visitor


async def consumer_visitor(visitor: Annotated[Visitor, Depends(signed_in_visitor)]) -> Visitor:
    """Pages of a consumer's own data: staff have no consumer of their own."""
    if visitor.principal.role != Role.CONSUMER or visitor.principal.consumer_id is None:
        raise NotAllowed()
    return visitor


def consumer_who_may(capability: Capability) -> Callable[..., Coroutine[Any, Any, Visitor]]:
    """Pages of a consumer's own data that the user's role inside the consumer must allow (the services refuse the
    same; the page says so first, in the visitor's words)."""

    async def dependency(visitor: Annotated[Visitor, Depends(consumer_visitor)]) -> Visitor:
        if not visitor.principal.may(capability):
            raise NotPermitted()
        return visitor

    dependency.serves = frozenset({Role.CONSUMER})  # type: ignore[attr-defined]
    return dependency


# Each page names the visitors it serves by one of these (`shared.auth.roles_of` reads them; the app refuses to
# start with a page that names none): what each dependency lets through, intersected along the chain.
current_visitor.serves = frozenset(Role)  # type: ignore[attr-defined]
signed_in_visitor.serves = PEOPLE  # type: ignore[attr-defined]
staff_visitor.serves = STAFF_ROLES  # type: ignore[attr-defined]
admin_visitor.serves = frozenset({Role.ADMIN})  # type: ignore[attr-defined]
consumer_visitor.serves = frozenset({Role.CONSUMER})  # type: ignore[attr-defined]

#: a public page, open to visitors who have not signed in
AnyVisitor = Annotated[Visitor, Depends(current_visitor)]
SignedIn = Annotated[Visitor, Depends(signed_in_visitor)]
Staff = Annotated[Visitor, Depends(staff_visitor)]
Admin = Annotated[Visitor, Depends(admin_visitor)]
ConsumerOnly = Annotated[Visitor, Depends(consumer_visitor)]
#: pages of a consumer's own data, by what the user's role inside the consumer must allow
ReadingsViewer = Annotated[Visitor, Depends(consumer_who_may(Capability.SEE_READINGS))]
ReadingsEditor = Annotated[Visitor, Depends(consumer_who_may(Capability.SUBMIT_READINGS))]
MoneyViewer = Annotated[Visitor, Depends(consumer_who_may(Capability.SEE_MONEY))]
MoneyHandler = Annotated[Visitor, Depends(consumer_who_may(Capability.HANDLE_MONEY))]
DocumentsViewer = Annotated[Visitor, Depends(consumer_who_may(Capability.SEE_DOCUMENTS))]
#: the consumer's director, who manages its users
UsersManager = Annotated[Visitor, Depends(consumer_who_may(Capability.MANAGE_USERS))]
