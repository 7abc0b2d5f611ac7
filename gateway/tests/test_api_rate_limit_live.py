"""The public API's limit of calls per access token is one for every gateway replica: identity keeps each token's
bucket in its own database (`identity.access_tokens.AccessTokens.admit`), so two gateway apps in this process,
pointed at one real identity, share it — three calls through one, and the fourth through the other is refused.
Each call is in the consumer's audit trail with the status it was answered with."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.timeout(600)

PASSWORD = "odyn-limit-na-vsi-repliky-shliuzu"


def test_the_limit_of_calls_holds_across_two_gateway_apps(
    start_live_system: Any, run_id: str, service_token_secret: str
) -> None:
    with start_live_system(("identity", "billing"), f"gwl{run_id}") as live:
        consumer = live.register("0789", live.demo["activation_code"], "avto2limit", PASSWORD)
        created = consumer.post("/settings/access-tokens", {
            "name": "1С: Бухгалтерія", "scopes": "payments:read", "expires_in_days": "30"})
        assert created.status_code == 201, created.text
        secret = re.search(r"data-secret>([^<]+)<", created.text)
        assert secret
        headers = {"Authorization": f"Bearer {secret.group(1)}"}
        settings = GatewaySettings(
            public_base_url="http://testserver", identity_url=live.layout.url("identity"),
            billing_url=live.layout.url("billing"), service_token_secret=service_token_secret,
            api_calls_per_minute=3,
        )
        with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
            answered = [first.get("/api/v1/saldo", headers=headers).status_code for _ in range(3)]
            assert 429 not in answered, answered
            refused = second.get("/api/v1/saldo", headers=headers)
            assert refused.status_code == 429, refused.text
            assert refused.json()["detail"]["code"] == "rate_limited"
            assert int(refused.headers["Retry-After"]) >= 1

        # the trail has every admitted call, with its answer (the refused one was never admitted)
        trail = consumer.get("/settings/audit?kind=api")
        assert trail.status_code == 200
        calls = re.findall(r'<tr data-audit-entry="\d+" data-kind="api_call">(.*?)</tr>', trail.text, re.DOTALL)
        assert len(calls) == 3
        assert all("GET /saldo" in call and "Ключ «1С: Бухгалтерія»" in call for call in calls)
        assert sorted(int(status) for call in calls for status in re.findall(r"Відповідь: (\d+)", call)) == sorted(
            answered)
