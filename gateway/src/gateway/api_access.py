"""Who calls the public API: a consumer's accounting program presenting a personal access token.

`Authorization: Bearer cab_...` is resolved by identity (which keeps only the token's hash) and remembered here for
a few seconds (`access_token_cache_seconds`), keyed by the token's SHA-256 so the cache never holds the token
itself; a token revoked in this process's settings page is forgotten at once, in other processes within those
seconds. The caller acts as its user, a consumer's, with the same principal a page would send the services: the
services' roles and tenancy apply unchanged. Each route names the scope it needs (`requires`), and an app whose
route names none is not built (deny by default).

Calls are limited per token by a token bucket held in this process (the gateway keeps no shared store for it; with
several gateway replicas a program gets the limit from each).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from cachetools import TTLCache
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.identity_client import IdentityClient, ResolvedAccessToken
from shared.auth import Principal, Role
from shared.errors import ServiceCallError


class Scope(StrEnum):
    """What a token may do, as identity's `access_tokens.Scope`."""

    INVOICES_READ = "invoices:read"
    PAYMENTS_READ = "payments:read"
    DOCUMENTS_READ = "documents:read"
    READINGS_WRITE = "readings:write"


class ApiRefusal(Exception):
    """An answer of the public API other than success: `{"detail": {"code", "message"}}` with the status."""

    def __init__(self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers


@dataclass(frozen=True)
class ApiCaller:
    principal: Principal
    token_id: UUID
    #: the token's first characters, as its owner sees them in the list (for the log of calls)
    token_prefix: str
    scopes: frozenset[str]

    @property
    def consumer_id(self) -> UUID:
        assert self.principal.consumer_id is not None  # identity resolves consumers' users' tokens only
        return self.principal.consumer_id


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessTokenCache:
    def __init__(self, identity: IdentityClient, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._identity = identity
        # a miss is remembered too (None), so a program retrying with a revoked token does not cost a call each time
        self._tokens: TTLCache[str, ResolvedAccessToken | None] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    async def resolve(self, token: str, client_ip: str | None) -> ResolvedAccessToken | None:
        key = token_key(token)
        if key in self._tokens:
            return self._tokens[key]
        try:
            resolved: ResolvedAccessToken | None = await self._identity.resolve_access_token(
                Principal(role=Role.SERVICE, ip=client_ip), token)
        except ServiceCallError as error:
            if error.status_code != 401:
                raise
            resolved = None
        self._tokens[key] = resolved
        return resolved

    def forget(self, token_id: UUID) -> None:
        """Drops a revoked token, known by its id (its owner's page never sees the secret again)."""
        for key, resolved in list(self._tokens.items()):
            if resolved is not None and resolved.access_token.id == token_id:
                self._tokens.pop(key, None)


@dataclass
class _Bucket:
    calls: float
    at: float


class RateLimit:
    """A token bucket per key: `per_minute` calls at once, refilled evenly over the minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = float(per_minute)
        self._refill = per_minute / 60.0
        self._clock = clock
        # a bucket left alone for two minutes is full again, the same as a new one
        self._buckets: TTLCache[str, _Bucket] = TTLCache(maxsize=100_000, ttl=120, timer=clock)

    def wait(self, key: str) -> float:
        """Takes a call from the key's bucket: 0 when it could, else the seconds until it can."""
        now = self._clock()
        bucket = self._buckets.get(key) or _Bucket(self._size, now)
        bucket.calls = min(self._size, bucket.calls + (now - bucket.at) * self._refill)
        bucket.at = now
        self._buckets[key] = bucket
        if bucket.calls >= 1:
            bucket.calls -= 1
            return 0.0
        return (1 - bucket.calls) / self._refill


_bearer = HTTPBearer(auto_error=False, description="A personal access token (`cab_...`) made in Settings")


def _client_ip(request: Request) -> str | None:
    # behind trusted proxies, gateway.client_address has put the client's own address here
    return request.client.host if request.client else None


async def api_caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> ApiCaller:
    """The program's token, counted against its rate limit, resolved; cookies are never read."""
    if credentials is None or not credentials.credentials:
        raise ApiRefusal(401, "token_missing", "send a personal access token: Authorization: Bearer cab_...",
                         {"WWW-Authenticate": "Bearer"})
    token = credentials.credentials
    state = request.app.state
    # counted before it is resolved, so that a program's calls cost identity at most one resolve in a while
    wait = state.rate_limit.wait(token_key(token))
    if wait:
        raise ApiRefusal(429, "rate_limited", f"at most {state.settings.api_calls_per_minute} calls a minute",
                         {"Retry-After": str(int(wait) + 1)})
    ip = _client_ip(request)
    resolved = await state.access_tokens.resolve(token, ip) if len(token) <= 128 else None
    if resolved is None or resolved.user.consumer is None:
        raise ApiRefusal(401, "access_token_invalid", "the access token is unknown, revoked or expired",
                         {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    user = resolved.user
    caller = ApiCaller(
        # the owner's role inside the consumer goes along: a token acts with at most its owner's rights
        Principal(user_id=user.id, consumer_id=user.consumer.id, role=Role.CONSUMER, ip=ip,
                  branch_id=user.consumer.branch.id, consumer_role=user.consumer_role),
        resolved.access_token.id, resolved.access_token.prefix, frozenset(resolved.access_token.scopes),
    )
    # the log of calls (gateway.public_api.CallLog) names who called
    request.state.api_caller = caller
    return caller


def requires(scope: Scope) -> Callable[..., Coroutine[Any, Any, ApiCaller]]:
    """The dependency by which a route names the scope it needs; a token without it is refused (403)."""

    async def dependency(caller: ApiCaller = Depends(api_caller)) -> ApiCaller:
        if scope not in caller.scopes:
            raise ApiRefusal(403, "scope_missing", f"the access token does not allow {scope}")
        return caller

    dependency.scope = scope  # type: ignore[attr-defined]  # read by `check_routes_name_scopes`
    return dependency


def check_routes_name_scopes(routers: Iterable[APIRouter]) -> None:
    """Deny by default: an API with a route that names no scope is not served at all."""

    def names_scope(route: APIRoute) -> bool:
        return any(getattr(dependency.call, "scope", None) for dependency in route.dependant.dependencies)

    silent = [route.path for router in routers for route in router.routes
              if isinstance(route, APIRoute) and not names_scope(route)]
    if silent:
        raise RuntimeError(f"public API routes that name no scope (gateway.api_access.requires): {silent}")
