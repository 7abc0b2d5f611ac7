import uuid
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from shared.auth import (
    Capability,
    ConsumerRole,
    CurrentPrincipal,
    Principal,
    Role,
    ServiceTokens,
    StaffOnly,
    check_routes_name_roles,
    require_roles,
    roles_of,
)
from shared.errors import Forbidden, Unauthorized, install_error_handlers

SECRET = "s" * 40


def test_a_token_carries_who_acts():
    tokens = ServiceTokens(SECRET)
    principal = Principal(user_id=uuid.uuid4(), consumer_id=uuid.uuid4(), role=Role.CONSUMER, ip="10.0.0.7",
                          branch_id=uuid.uuid4())
    assert tokens.verify(tokens.issue(principal)) == principal
    staff = Principal(user_id=uuid.uuid4(), role=Role.STAFF, branch_id=uuid.uuid4(), session_id=uuid.uuid4())
    assert tokens.verify(tokens.issue(staff)) == staff


BRANCH, OTHER_BRANCH, CONSUMER, OTHER_CONSUMER = (uuid.uuid4() for _ in range(4))


@pytest.mark.parametrize(("principal", "sees", "scope"), [
    (Principal(role=Role.CONSUMER, consumer_id=CONSUMER, branch_id=BRANCH), [True, False, False], Forbidden),
    (Principal(role=Role.STAFF, branch_id=BRANCH), [True, True, False], BRANCH),
    (Principal(role=Role.STAFF, branch_id=OTHER_BRANCH), [False, False, False], OTHER_BRANCH),
    # a staff token that names no branch sees no consumer at all
    (Principal(role=Role.STAFF), [False, False, False], Forbidden),
    (Principal(role=Role.ADMIN), [True, True, True], None),
    (Principal(role=Role.SERVICE), [True, True, True], None),
    (Principal(role=Role.ANONYMOUS, branch_id=BRANCH), [False, False, False], Forbidden),
])
def test_one_rule_says_who_sees_which_consumer(principal, sees, scope):
    """Of the branch's consumer, another consumer of the branch, and a consumer whose branch is not known yet."""
    assert [principal.may_see(CONSUMER, BRANCH), principal.may_see(OTHER_CONSUMER, BRANCH),
            principal.may_see(OTHER_CONSUMER, None)] == sees
    if scope is Forbidden:
        with pytest.raises(Forbidden):
            principal.branch_scope()
    else:
        assert principal.branch_scope() == scope


def test_a_route_that_names_no_roles_is_not_served():
    router = APIRouter()

    @router.get("/api/v1/named")
    async def named(_: StaffOnly) -> None: ...

    @router.get("/api/v1/nested", dependencies=[__import__("fastapi").Depends(require_roles(Role.ADMIN, Role.STAFF))])
    async def nested(_: StaffOnly) -> None: ...

    @router.get("/api/v1/silent")
    async def silent(_: CurrentPrincipal) -> None: ...

    routes = {route.path: route for route in router.routes if isinstance(route, APIRoute)}
    assert roles_of(routes["/api/v1/named"]) == {Role.STAFF, Role.ADMIN}
    assert roles_of(routes["/api/v1/nested"]) == {Role.STAFF, Role.ADMIN}
    assert roles_of(routes["/api/v1/silent"]) is None
    with pytest.raises(RuntimeError, match="GET /api/v1/silent"):
        check_routes_name_roles([router])


@pytest.mark.parametrize("forge", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: ServiceTokens("other" * 10).issue(Principal(role=Role.ADMIN)),
    lambda token: ServiceTokens(SECRET).issue(Principal(role=Role.ADMIN), ttl=-5),
    lambda token: jwt.encode({"role": "admin", "iss": "x", "aud": "cabinet"}, SECRET, algorithm="HS256"),
    lambda token: jwt.encode({"role": "admin"}, "", algorithm="none"),
])
def test_forged_expired_or_incomplete_tokens_are_refused(forge):
    tokens = ServiceTokens(SECRET)
    with pytest.raises(Unauthorized):
        tokens.verify(forge(tokens.issue(Principal(role=Role.CONSUMER))))


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError):
        ServiceTokens("short")


async def test_services_refuse_requests_without_a_valid_token_or_role():
    app = FastAPI()
    app.state.service_tokens = ServiceTokens(SECRET)
    install_error_handlers(app)
    router = APIRouter()

    @router.get("/api/v1/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"role": principal.role}

    @router.get("/api/v1/staff-only", dependencies=[__import__("fastapi").Depends(require_roles(Role.STAFF))])
    async def staff_only() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(router)
    tokens = ServiceTokens(SECRET)
    consumer = {"Authorization": f"Bearer {tokens.issue(Principal(role=Role.CONSUMER))}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        assert (await client.get("/api/v1/whoami")).status_code == 401
        assert (await client.get("/api/v1/whoami", headers={"Authorization": "Bearer junk"})).status_code == 401
        answer = await client.get("/api/v1/whoami", headers=consumer)
        assert answer.json() == {"role": "consumer"}
        refused = await client.get("/api/v1/staff-only", headers=consumer)
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "role_forbidden"


def test_a_token_carries_the_role_inside_the_consumer() -> None:
    tokens = ServiceTokens(SECRET)
    engineer = Principal(user_id=uuid.uuid4(), consumer_id=uuid.uuid4(), role=Role.CONSUMER,
                         consumer_role=ConsumerRole.ENGINEER)
    assert tokens.verify(tokens.issue(engineer)).consumer_role == ConsumerRole.ENGINEER


@pytest.mark.parametrize(("role", "may"), [
    (ConsumerRole.DIRECTOR, set(Capability)),
    (ConsumerRole.ACCOUNTANT, {Capability.SEE_MONEY, Capability.HANDLE_MONEY, Capability.SEE_DOCUMENTS,
                               Capability.SIGN_MONEY_DOCUMENTS}),
    (ConsumerRole.ENGINEER, {Capability.SEE_READINGS, Capability.SUBMIT_READINGS, Capability.SIGN_READINGS_ACTS}),
    (ConsumerRole.VIEWER, {Capability.SEE_READINGS, Capability.SEE_MONEY, Capability.SEE_DOCUMENTS}),
    # a consumer's user whose role is not named may do nothing that needs a capability
    (None, set()),
])
def test_each_consumer_role_may_what_the_issue_says(role: ConsumerRole | None, may: set[Capability]) -> None:
    principal = Principal(role=Role.CONSUMER, consumer_id=CONSUMER, consumer_role=role)
    assert {capability for capability in Capability if principal.may(capability)} == may
    signs = {kind for kind in ("invoice", "reconciliation_act", "readings_act") if principal.may_sign(kind)}
    sees = {kind for kind in ("tax_invoice", "readings_act", "contract") if principal.may_see_document(kind)}
    assert signs == ({"invoice", "reconciliation_act"} if Capability.SIGN_MONEY_DOCUMENTS in may else set()) | (
        {"readings_act"} if Capability.SIGN_READINGS_ACTS in may else set())
    assert ("tax_invoice" in sees, "readings_act" in sees, "contract" in sees) == (
        Capability.SEE_MONEY in may, Capability.SEE_READINGS in may, Capability.SEE_DOCUMENTS in may)


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN, Role.SERVICE])
def test_the_supplier_side_is_not_limited_by_consumer_roles(role: Role) -> None:
    assert all(Principal(role=role).may(capability) for capability in Capability)


async def test_a_route_refuses_a_role_without_its_capability() -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.state.service_tokens = tokens = ServiceTokens(SECRET)

    @app.get("/api/v1/payments")
    async def payments(_: Annotated[Principal, Depends(require_roles(Role.CONSUMER,
                                                                     capability=Capability.SEE_MONEY))]) -> dict:
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        for role, status in ((ConsumerRole.ACCOUNTANT, 200), (ConsumerRole.ENGINEER, 403)):
            token = tokens.issue(Principal(role=Role.CONSUMER, consumer_id=CONSUMER, consumer_role=role))
            answer = await client.get("/api/v1/payments", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == status
            if status == 403:
                assert answer.json()["detail"]["code"] == "capability_forbidden"


def test_a_token_is_handed_out_again_only_for_the_same_claims() -> None:
    """A page calls services several times for one visitor: their token is signed once; a principal differing in
    any claim — a colleague's role inside the consumer, a program's token — is never given another's token."""
    tokens = ServiceTokens(SECRET)
    user, consumer = uuid.uuid4(), uuid.uuid4()
    accountant = Principal(user_id=user, consumer_id=consumer, role=Role.CONSUMER,
                           consumer_role=ConsumerRole.ACCOUNTANT)
    director = accountant.model_copy(update={"consumer_role": ConsumerRole.DIRECTOR})
    program = accountant.model_copy(update={"access_token_id": uuid.uuid4()})

    assert tokens.issue(accountant) == tokens.issue(accountant.model_copy())
    assert [tokens.verify(tokens.issue(principal)) for principal in (accountant, director, program)] == [
        accountant.model_copy(update={"issuer": "gateway"}), director, program]
