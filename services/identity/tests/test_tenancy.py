"""Tenancy of every identity route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer account's details, users and activation codes, nor change it or make one in a branch not
theirs; its own branch's staff do. The callers are real users: identity checks every token against its users."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from identity.endpoints import router
from shared.testing_tenancy import Probe, TenancyCheck, callers


async def test_every_route_keeps_to_the_consumer_and_its_branch(api: Any, world: Any) -> None:
    started = time.monotonic()
    own = world.consumer["id"]
    own_user = await api.register(world)
    other = await api.ok("POST", "/consumers", world.staff_a, json=api.new_consumer_body(
        world.branch_a["id"], account_number="0790", edrpou="12345684", agreement_email="other@cabinet.local"))
    other_link = (await api.outbox("identity.registration_link_issued.v1"))[-1]["link_url"]
    other_user = await api.register(world, "inshyi", token=api.link_token(other_link), code=other["activation_code"])
    everyone = callers(
        uuid.UUID(own), uuid.UUID(other["consumer"]["id"]), uuid.UUID(world.branch_a["id"]),
        uuid.UUID(world.branch_b["id"]), own_consumer=uuid.UUID(own_user["id"]),
        other_consumer=uuid.UUID(other_user["id"]), own_staff=world.staff_a.user_id,
        other_staff=world.staff_b.user_id, admin=world.admin.user_id,
    )
    accounts = iter(range(800, 900))

    def probe(path: str, **fields: Any) -> Callable[[], Awaitable[Probe]]:
        async def make() -> Probe:
            return Probe(path, **fields)
        return make

    async def new_consumer() -> Probe:
        # a consumer of the own branch: another branch's staff may not make one there
        return Probe("/api/v1/consumers", json=api.new_consumer_body(
            world.branch_a["id"], account_number=f"0{next(accounts)}"), refusal_code="branch_forbidden")

    probes = {
        "GET /api/v1/consumers": probe("/api/v1/consumers", lists=(own,)),
        "POST /api/v1/consumers": new_consumer,
        "GET /api/v1/consumers/{consumer_id}": probe(f"/api/v1/consumers/{own}"),
        "PATCH /api/v1/consumers/{consumer_id}": probe(f"/api/v1/consumers/{own}", json={"billing_day": 20}),
        "POST /api/v1/consumers/{consumer_id}/activation-codes": probe(f"/api/v1/consumers/{own}/activation-codes"),
        "GET /api/v1/consumers/{consumer_id}/audit": probe(f"/api/v1/consumers/{own}/audit"),
    }
    public = "public: a secret (password, link token, activation code) guards it, not the caller; throttled"
    own_user_only = "the signed-in user's own account, checked against the stored user (principal_mismatch)"
    own_consumer_users = ("the signed-in director's own consumer's users, checked against the stored user; another "
                          "consumer's user or invitation is answered as missing (test_colleagues)")
    exempt = {
        "POST /api/v1/sessions": public,
        "POST /api/v1/sessions/resolve": public,
        "DELETE /api/v1/sessions/current": public,
        "GET /api/v1/registration/links/{token}": public,
        "GET /api/v1/registration/links/{token}/login-availability": public,
        "POST /api/v1/registration/complete": public,
        "POST /api/v1/registration/resend": public,
        "POST /api/v1/email-changes/confirm": public,
        "GET /api/v1/me": own_user_only,
        "POST /api/v1/me/email": own_user_only,
        "DELETE /api/v1/me/email/pending": own_user_only,
        "POST /api/v1/me/login": own_user_only,
        "POST /api/v1/me/password": own_user_only,
        "GET /api/v1/me/access-tokens": own_user_only,
        "POST /api/v1/me/access-tokens": own_user_only,
        "DELETE /api/v1/me/access-tokens/{token_id}": own_user_only,
        "GET /api/v1/me/colleagues": own_consumer_users,
        "POST /api/v1/me/colleagues/invitations": own_consumer_users,
        "DELETE /api/v1/me/colleagues/invitations/{invitation_id}": own_consumer_users,
        "PATCH /api/v1/me/colleagues/{user_id}": own_consumer_users,
        "DELETE /api/v1/me/colleagues/{user_id}": own_consumer_users,
        "GET /api/v1/invitations/{token}": public,
        "POST /api/v1/invitations/accept": public,
        "POST /api/v1/api-calls": "services only (the gateway): the token, a secret, names its user",
        "PUT /api/v1/api-calls/{call_id}/status": "services only (the gateway): the status of a call it admitted",
        "GET /api/v1/branches": "the branches' own details, printed on every invoice: no consumer's data",
    }

    async def snapshot() -> dict[str, Any]:
        return await api.snapshot() | {
            "billing days": await api.scalar("SELECT string_agg(billing_day::text, ',') FROM consumer_accounts")}

    check = TenancyCheck(api.client, api.tokens, everyone, snapshot=snapshot)
    outcomes = await check.run([router], probes, exempt)
    assert len(outcomes) == len(probes) * 7
    print(f"identity tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
