import uuid

import httpx
import jwt
import pytest
from fastapi import APIRouter, FastAPI

from shared.auth import CurrentPrincipal, Principal, Role, ServiceTokens, require_roles
from shared.errors import Unauthorized, install_error_handlers

SECRET = "s" * 40


def test_a_token_carries_who_acts():
    tokens = ServiceTokens(SECRET)
    principal = Principal(user_id=uuid.uuid4(), consumer_id=uuid.uuid4(), role=Role.CONSUMER, ip="10.0.0.7")
    assert tokens.verify(tokens.issue(principal)) == principal


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
