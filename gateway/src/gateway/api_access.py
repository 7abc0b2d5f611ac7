"""Who calls the public API: a consumer's accounting program presenting a personal access token.

`Authorization: Bearer cab_...` is taken to identity with every call (`IdentityClient.admit_api_call`), which keeps
only the token's hash: it resolves the token, counts the call against the token's limit (`api_calls_per_minute`, one
bucket in identity's database whichever gateway replica takes the call) and records the call in the consumer's audit
trail; the call's status follows once it is answered (`gateway.public_api.CallLog`). A token identity refused is
remembered here for a few seconds (`refused_token_seconds`), keyed by its SHA-256, so that a program retrying with
a revoked token does not cost identity a call each time; a token revoked is refused at its next call. The caller
acts as its user, a consumer's, with the same principal a page would send the services (and the token's id): the
services' roles and tenancy apply unchanged. Each route names the scope it needs (`requires`), and an app whose
route names none is not built (deny by default).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from cachetools import TTLCache
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope as AsgiScope

from gateway.identity_client import AdmittedCall
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
    #: the call's entry in the consumer's audit trail
    call_id: int

    @property
    def consumer_id(self) -> UUID:
        assert self.principal.consumer_id is not None  # identity resolves consumers' users' tokens only
        return self.principal.consumer_id


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefusedTokens:
    """Tokens identity refused lately (unknown, revoked, expired), by their SHA-256: refused again without asking."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._keys: TTLCache[str, bool] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    def __contains__(self, token: str) -> bool:
        return token_key(token) in self._keys

    def add(self, token: str) -> None:
        self._keys[token_key(token)] = True


_bearer = HTTPBearer(auto_error=False, description="A personal access token (`cab_...`) made in Settings")


def _client_ip(request: Request) -> str | None:
    # behind trusted proxies, gateway.client_address has put the client's own address here
    return request.client.host if request.client else None


def _invalid_token() -> ApiRefusal:
    return ApiRefusal(401, "access_token_invalid", "the access token is unknown, revoked or expired",
                      {"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def api_caller(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> ApiCaller:
    """The program's token, resolved, counted against its rate limit and recorded by identity; cookies are never
    read."""
    if credentials is None or not credentials.credentials:
        raise ApiRefusal(401, "token_missing", "send a personal access token: Authorization: Bearer cab_...",
                         {"WWW-Authenticate": "Bearer"})
    token = credentials.credentials
    state = request.app.state
    if len(token) > 128 or token in state.refused_tokens:
        raise _invalid_token()
    ip = _client_ip(request)
    try:
        admitted: AdmittedCall = await state.identity.admit_api_call(
            Principal(role=Role.SERVICE, ip=ip), token, request.method, route_of(request.scope),
            state.settings.api_calls_per_minute)
    except ServiceCallError as error:
        if error.status_code == 401:
            state.refused_tokens.add(token)
            raise _invalid_token() from None
        if error.status_code == 429:
            raise ApiRefusal(429, "rate_limited", f"at most {state.settings.api_calls_per_minute} calls a minute",
                             {"Retry-After": str(error.detail.get("retry_after") or 60)}) from None
        raise
    user = admitted.user
    if user.consumer is None:
        raise _invalid_token()
    token_id = admitted.access_token.id
    caller = ApiCaller(
        # the owner's role inside the consumer goes along: a token acts with at most its owner's rights
        Principal(user_id=user.id, consumer_id=user.consumer.id, role=Role.CONSUMER, ip=ip,
                  branch_id=user.consumer.branch.id, consumer_role=user.consumer_role, access_token_id=token_id),
        token_id, admitted.access_token.prefix, frozenset(admitted.access_token.scopes), admitted.call_id,
    )
    # the log of calls (gateway.public_api.CallLog) names who called, and tells identity the call's status
    request.state.api_caller = caller
    return caller


def route_of(scope: AsgiScope) -> str:
    """The route as declared (`/invoices/{invoice_id}`, as the router noted it matched): no ids in the log nor in
    the audit trail."""
    route = scope.get("route")
    return route.path if isinstance(route, APIRoute) else str(scope["path"])


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
