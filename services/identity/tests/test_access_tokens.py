"""Personal access tokens: made by a consumer's user (shown once, stored as a hash), listed, revoked; resolved for
the gateway by services only, never once revoked or expired."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.auth import Principal, Role

GATEWAY = Principal(role=Role.SERVICE, issuer="gateway")


def _call(secret: str, per_minute: int = 60) -> dict[str, Any]:
    """A program's call as the gateway's public API tells identity of it."""
    return {"token": secret, "method": "GET", "route": "/saldo", "per_minute": per_minute}


async def _consumer(api: Any, world: Any) -> Principal:
    principal: Principal = api.principal_of(await api.register(world))
    return principal


async def test_a_token_is_made_shown_once_resolved_and_revoked(api: Any, world: Any) -> None:
    consumer = await _consumer(api, world)
    made = await api.ok("POST", "/me/access-tokens", consumer, json={
        "name": "  1С: Бухгалтерія ", "scopes": ["payments:read", "invoices:read", "invoices:read"]})
    secret, token = made["token"], made["access_token"]
    assert secret.startswith("cab_") and len(secret) == 4 + 43
    assert token["name"] == "1С: Бухгалтерія"
    assert token["scopes"] == ["invoices:read", "payments:read"]
    assert token["prefix"] == secret[:8] and token["last_used_at"] is None
    lifetime = datetime.fromisoformat(token["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)
    # only the hash is kept
    assert await api.scalar("SELECT count(*) FROM access_tokens WHERE token_hash = :h",
                            h=hashlib.sha256(secret.encode()).digest()) == 1
    assert "token" not in (await api.ok("GET", "/me/access-tokens", consumer))[0]

    resolved = await api.ok("POST", "/api-calls", GATEWAY, json=_call(secret))
    assert resolved["user"]["id"] == str(consumer.user_id)
    assert resolved["user"]["consumer"]["id"] == world.consumer["id"]
    assert resolved["user"]["branch"]["id"] == world.branch_a["id"]
    assert resolved["access_token"]["scopes"] == ["invoices:read", "payments:read"]
    [listed] = await api.ok("GET", "/me/access-tokens", consumer)
    assert listed["last_used_at"] is not None

    assert (await api.call("DELETE", f"/me/access-tokens/{token['id']}", consumer)).status_code == 204
    refused = await api.call("POST", "/api-calls", GATEWAY, json=_call(secret))
    assert (refused.status_code, refused.json()["detail"]["code"]) == (401, "access_token_invalid")
    assert await api.ok("GET", "/me/access-tokens", consumer) == []
    again = await api.call("DELETE", f"/me/access-tokens/{token['id']}", consumer)
    assert (again.status_code, again.json()["detail"]["code"]) == (404, "access_token_not_found")


async def test_an_expired_or_unknown_token_never_resolves(api: Any, world: Any) -> None:
    consumer = await _consumer(api, world)
    made = await api.ok("POST", "/me/access-tokens", consumer, json={
        "name": "program", "scopes": ["readings:write"], "expires_in_days": 1})
    await api.execute("UPDATE access_tokens SET expires_at = now() - interval '1 second'")
    for secret in (made["token"], "cab_" + "A" * 43, ""):
        refused = await api.call("POST", "/api-calls", GATEWAY, json=_call(secret))
        assert (refused.status_code, refused.json()["detail"]["code"]) == (401, "access_token_invalid")
    # the expired token is still listed, so that its owner sees why the program stopped
    assert [token["name"] for token in await api.ok("GET", "/me/access-tokens", consumer)] == ["program"]


async def test_what_a_token_may_be(api: Any, world: Any) -> None:
    consumer = await _consumer(api, world)
    for body, field, problem in (
        ({"name": " ", "scopes": ["invoices:read"]}, "name", "required"),
        ({"name": "x" * 101, "scopes": ["invoices:read"]}, "name", "too_long"),
        ({"name": "program", "scopes": []}, "scopes", "required"),
        ({"name": "program", "scopes": ["invoices:read"], "expires_in_days": 366}, "expires_in_days", "out_of_range"),
        ({"name": "program", "scopes": ["invoices:read"], "expires_in_days": 0}, "expires_in_days", "out_of_range"),
    ):
        refused = await api.call("POST", "/me/access-tokens", consumer, json=body)
        assert (refused.status_code, refused.json()["detail"]["fields"]) == (422, {field: problem})
    unknown_scope = await api.call("POST", "/me/access-tokens", consumer, json={"name": "p", "scopes": ["admin"]})
    assert unknown_scope.status_code == 422
    a_year = await api.ok("POST", "/me/access-tokens", consumer, json={
        "name": "program", "scopes": ["documents:read"], "expires_in_days": 365})
    assert a_year["access_token"]["scopes"] == ["documents:read"]


async def test_only_a_consumers_user_has_tokens_and_only_services_resolve_them(api: Any, world: Any) -> None:
    consumer = await _consumer(api, world)
    made = await api.ok("POST", "/me/access-tokens", consumer, json={"name": "p", "scopes": ["invoices:read"]})
    for caller in (world.staff_a, world.admin, api.anonymous()):
        assert (await api.call("GET", "/me/access-tokens", caller)).status_code == 403
        assert (await api.call("POST", "/me/access-tokens", caller, json={
            "name": "p", "scopes": ["invoices:read"]})).status_code == 403
    for caller in (consumer, world.staff_a, world.admin, api.anonymous()):
        refused = await api.call("POST", "/api-calls", caller, json=_call(made["token"]))
        assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "role_forbidden")
    # another user of the consumer neither sees nor revokes it
    other = Principal(user_id=uuid.uuid4(), consumer_id=consumer.consumer_id, role=Role.CONSUMER)
    assert (await api.call("DELETE", f"/me/access-tokens/{made['access_token']['id']}", other)).status_code == 401


async def test_a_user_has_at_most_twenty_live_tokens(api: Any, world: Any) -> None:
    consumer = await _consumer(api, world)
    for number in range(20):
        await api.ok("POST", "/me/access-tokens", consumer, json={"name": f"p{number}", "scopes": ["invoices:read"]})
    refused = await api.call("POST", "/me/access-tokens", consumer, json={"name": "p", "scopes": ["invoices:read"]})
    assert (refused.status_code, refused.json()["detail"]["code"]) == (409, "too_many_access_tokens")
