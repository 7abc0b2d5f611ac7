"""The tenancy test, generated from a service's routes: every route, called about one consumer's objects by everyone
who may not see that consumer, refuses; called by those who may, lets them through.

A service's test module gives, for each route (`"METHOD /path"` as the router declares it), a `Probe` maker: the
path with the ids of the consumer's objects filled in and the request's body, made afresh for the route. Routes that
concern no consumer are named in `exempt` with the reason. A route in neither fails the test, so a new route cannot
be forgotten. Who may do what comes from the route itself (`shared.auth.roles_of`) and the one rule
(`Principal.may_see`):

- a caller whose role the route does not serve: 403 `role_forbidden`;
- a caller whose role it serves but who may not see the consumer (another consumer's user, another branch's staff):
  404 as for a missing object, or 403 `other_consumer` for a consumer's user naming another consumer's id; a
  listing across consumers answers them 200 without any of the consumer's objects (a route whose refusal shows
  otherwise says how: `Probe.refused_when`);
- everyone else (the consumer's own user, its branch's staff, administrators, services, as the route serves them)
  gets past the rule: no 401, 403 or 404 (a 409 or a 422 of the use case is fine), and a listing shows the objects.

Refused calls come first, then the allowed ones, so a route that changes something is refused before anyone changes
it; `snapshot`, when given, must be the same before and after the refused calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from shared.auth import ConsumerRole, Principal, Role, ServiceTokens, roles_of


@dataclass(frozen=True)
class Probe:
    """One call of a route about the consumer's objects."""

    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, Any] | None = None
    #: a listing across consumers: the ids of the consumer's objects it lists to those who may see them, and hides
    #: from everyone else
    lists: tuple[str, ...] = ()
    #: the code a refusal must carry: a 404's, for a route that may answer 404 for other reasons too, or a 403's, for
    #: a route that names the branch (creating a consumer in another branch: `branch_forbidden`)
    refusal_code: str | None = None
    #: answers that show a caller got past the rule though the use case then refused (e.g. `certificate_not_found`
    #: of a signing, checked after the document)
    passed_codes: frozenset[tuple[int, str]] = frozenset()
    #: for a route whose refusal is not a status (a billing run skips another branch's consumer as unknown): whether
    #: the answer to a caller who may not see the consumer refused it
    refused_when: Callable[[Any], Awaitable[bool]] | None = None


@dataclass(frozen=True)
class Caller:
    name: str
    principal: Principal
    #: whether the one rule lets this caller see the consumer (its role may still not be served by a route)
    sees: bool


def callers(
    consumer_id: uuid.UUID, other_consumer_id: uuid.UUID, branch_id: uuid.UUID, other_branch_id: uuid.UUID,
    **users: uuid.UUID,
) -> list[Caller]:
    """Everyone a tenancy test sends: the consumer's user and its branch's staff; another consumer's user (of the same
    branch) and another branch's staff; an administrator, a service, an anonymous visitor. `users` gives callers'
    user ids by name (`own_consumer=...`) where a service keeps its users (else each gets a new one)."""

    def user(name: str) -> uuid.UUID:
        return users.get(name) or uuid.uuid4()

    return [
        Caller("other consumer", Principal(user_id=user("other_consumer"), consumer_id=other_consumer_id,
                                           role=Role.CONSUMER, branch_id=branch_id,
                                           consumer_role=ConsumerRole.DIRECTOR), sees=False),
        Caller("other branch's staff", Principal(user_id=user("other_staff"), role=Role.STAFF,
                                                 branch_id=other_branch_id), sees=False),
        Caller("anonymous", Principal(role=Role.ANONYMOUS, ip="192.0.2.1"), sees=False),
        Caller("own consumer", Principal(user_id=user("own_consumer"), consumer_id=consumer_id, role=Role.CONSUMER,
                                         branch_id=branch_id, consumer_role=ConsumerRole.DIRECTOR), sees=True),
        Caller("own branch's staff", Principal(user_id=user("own_staff"), role=Role.STAFF, branch_id=branch_id),
               sees=True),
        Caller("administrator", Principal(user_id=user("admin"), role=Role.ADMIN), sees=True),
        Caller("service", Principal(role=Role.SERVICE, issuer="billing"), sees=True),
    ]


def route_keys(routers: Iterable[APIRouter]) -> dict[str, APIRoute]:
    """`"METHOD /path"` of every route of the routers."""
    return {
        f"{method} {route.path}": route
        for router in routers for route in router.routes if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


@dataclass
class Outcome:
    route: str
    caller: str
    status: int
    code: str | None
    expected: str
    ok: bool

    def __str__(self) -> str:
        return f"{self.route} as {self.caller}: {self.status} {self.code or ''} (expected {self.expected})"


@dataclass
class TenancyCheck:
    """Runs the tenancy test of one app over ASGI (`client`: an httpx client of the app), with service tokens."""

    client: Any
    tokens: ServiceTokens
    callers: list[Caller]
    api_prefix: str = ""
    snapshot: Callable[[], Awaitable[Any]] | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    async def run(
        self, routers: Iterable[APIRouter], probes: Mapping[str, Callable[[], Awaitable[Probe]]],
        exempt: Mapping[str, str],
    ) -> list[Outcome]:
        routes = route_keys(routers)
        unnamed = sorted(set(routes) - set(probes) - set(exempt))
        assert not unnamed, f"routes neither probed nor exempt (say how to call them, or why not): {unnamed}"
        stale = sorted((set(probes) | set(exempt)) - set(routes))
        assert not stale, f"probes or exemptions of routes there are not: {stale}"
        assert not set(probes) & set(exempt), "a route is probed or exempt, not both"
        for key, make in probes.items():
            roles = roles_of(routes[key])
            assert roles is not None, key
            await self._route(key, roles, await make())
        failures = [outcome for outcome in self.outcomes if not outcome.ok]
        assert not failures, "tenancy broken:\n" + "\n".join(map(str, failures))
        return self.outcomes

    async def _route(self, key: str, roles: frozenset[Role], probe: Probe) -> None:
        method = key.split(" ", 1)[0]
        refused = [caller for caller in self.callers if caller.principal.role not in roles or not caller.sees]
        allowed = [caller for caller in self.callers if caller not in refused]
        assert allowed, f"{key}: nobody may call it, so the test proves nothing"
        before = await self.snapshot() if self.snapshot else None
        for caller in refused:
            await self._call(key, method, probe, caller, served=caller.principal.role in roles, allowed=False)
        if self.snapshot:
            assert await self.snapshot() == before, f"{key}: a refused call changed something"
        for caller in allowed:
            await self._call(key, method, probe, caller, served=True, allowed=True)

    async def _call(self, key: str, method: str, probe: Probe, caller: Caller, *, served: bool, allowed: bool
                    ) -> None:
        token = self.tokens.issue(caller.principal)
        response = await self.client.request(
            method, self.api_prefix + probe.path, headers={"Authorization": f"Bearer {token}"}, json=probe.json,
            params=probe.params, data=probe.data, files=probe.files,
        )
        code = _code_of(response)
        listed = [found for found in probe.lists if found in response.text]
        if allowed:
            expected = "let through" + (f", listing {len(probe.lists)} objects" if probe.lists else "")
            ok = (response.status_code, code) in probe.passed_codes or (
                response.status_code not in (401, 403, 404) and response.status_code < 500
                and listed == list(probe.lists))
        elif not served:
            expected = "403 role_forbidden"
            ok = (response.status_code, code) == (403, "role_forbidden")
        elif probe.lists:
            expected = "the listing without the consumer's objects"
            ok = response.status_code == 200 and not listed
        elif probe.refused_when is not None:
            expected = "the consumer left alone"
            ok = await probe.refused_when(response)
        else:
            refusals = {"other_consumer", probe.refusal_code} - {None}
            expected = f"404 {probe.refusal_code or ''}, or 403 {' or '.join(sorted(map(str, refusals)))}"
            if response.status_code == 404:
                ok = probe.refusal_code in (None, code)
            else:
                ok = response.status_code == 403 and code in refusals
        self.outcomes.append(Outcome(key, caller.name, response.status_code, code, expected, ok))


def _code_of(response: Any) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail.get("code") if isinstance(detail, dict) else None


def consumer_user(consumer_id: uuid.UUID, role: ConsumerRole) -> Principal:
    """A user of the consumer with a role inside it (each service's `test_roles.py`)."""
    return Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER, consumer_role=role)


async def check_roles_inside_the_consumer(
    api: Any, method: str, path: str, body: Any, allowed: set[ConsumerRole]
) -> None:
    """Each role inside a consumer calls the route about its own consumer (`{c}` in `path`): exactly the roles not
    `allowed` are refused with 403 `capability_forbidden`."""
    consumer_id = uuid.uuid4()
    for role in ConsumerRole:
        response = await api.call(method, path.format(c=consumer_id), consumer_user(consumer_id, role), json=body)
        refused = response.status_code == 403 and response.json()["detail"]["code"] == "capability_forbidden"
        assert refused == (role not in allowed), (role, response.status_code, response.text)
