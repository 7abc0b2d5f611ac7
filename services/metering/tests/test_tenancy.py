"""Tenancy of every metering route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer's points, readings and acts; its own user and its branch's staff do."""

from __future__ import annotations

import time
from typing import Any

from metering.endpoints import router
from shared.testing import BRANCH_ID, OTHER_BRANCH_ID
from shared.testing_tenancy import Probe, TenancyCheck, callers

PERIOD = "2026-11"  # the open period at the app's clock


async def test_every_route_keeps_to_the_consumer_and_its_branch(api: Any) -> None:
    started = time.monotonic()
    own = await api.add_consumer(api.account(branch_id=BRANCH_ID))
    other = await api.add_consumer(api.account(branch_id=BRANCH_ID))
    consumer = f"/api/v1/consumers/{own.consumer_id}"
    point = await api.add_point(own.consumer_id, zones=1)
    submitted = await api.ok("POST", f"/consumers/{own.consumer_id}/readings", api.consumer_user(own.consumer_id),
                             json={"period": PERIOD, "readings": [
                                 {"point_id": point["id"], "energy": "active", "zone": 1, "value": "5"}]})
    act = submitted["act"]["id"]

    def readings(value: str, **extra: Any) -> dict[str, Any]:
        return {"period": PERIOD, **extra,
                "readings": [{"point_id": point["id"], "energy": "active", "zone": 1, "value": value}]}

    async def fixed(probe: Probe) -> Probe:
        return probe

    async def new_point() -> Probe:
        made = await api.add_point(own.consumer_id, zones=1)
        return Probe(f"/api/v1/points/{made['id']}")

    async def point_change() -> Probe:
        made = await api.add_point(own.consumer_id, zones=1)
        return Probe(f"/api/v1/points/{made['id']}", json={"tariff_class": "class1_general"})

    probes = {
        "GET /api/v1/consumers/{consumer_id}/points": lambda: fixed(Probe(f"{consumer}/points")),
        "POST /api/v1/consumers/{consumer_id}/points": lambda: fixed(Probe(f"{consumer}/points",
                                                                           json=api.point_body(zones=1))),
        "PATCH /api/v1/points/{point_id}": point_change,
        "DELETE /api/v1/points/{point_id}": new_point,
        "GET /api/v1/consumers/{consumer_id}/window": lambda: fixed(Probe(f"{consumer}/window")),
        "GET /api/v1/consumers/{consumer_id}/readings": lambda: fixed(Probe(f"{consumer}/readings")),
        "POST /api/v1/consumers/{consumer_id}/readings": lambda: fixed(Probe(f"{consumer}/readings",
                                                                             json=readings("7", confirm=True))),
        "POST /api/v1/consumers/{consumer_id}/readings/import": lambda: fixed(Probe(
            f"{consumer}/readings/import", data={"period": PERIOD, "confirm": "true"},
            files={"file": ("readings.csv", f"meter_serial;energy;zone;value\n{point['meter_serial']};active;1;8\n"
                            .encode(), "text/csv")})),
        "POST /api/v1/consumers/{consumer_id}/readings/corrections": lambda: fixed(Probe(
            f"{consumer}/readings/corrections", json={**readings("9"), "reason": "Перевірка на місці"})),
        "GET /api/v1/consumers/{consumer_id}/acts": lambda: fixed(Probe(f"{consumer}/acts")),
        "GET /api/v1/acts/{act_id}": lambda: fixed(Probe(f"/api/v1/acts/{act}")),
        "POST /api/v1/acts/{act_id}/paper-received": lambda: fixed(Probe(f"/api/v1/acts/{act}/paper-received")),
    }
    check = TenancyCheck(api.client, api.tokens, callers(own.consumer_id, other.consumer_id, BRANCH_ID,
                                                         OTHER_BRANCH_ID), snapshot=api.snapshot)
    outcomes = await check.run([router], probes, exempt={})
    assert len(outcomes) == len(probes) * 7
    print(f"metering tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
