"""Tenancy of every billing route (`shared.testing_tenancy`): another branch's staff and another consumer's user
reach none of a consumer's calculation, invoices, payments, saldo, reconciliation act and tax invoices, nor invoice
it in a billing run; parked payments, which name no consumer and so no branch, are administrators' alone."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from billing.endpoints import router
from shared.testing import OTHER_BRANCH_ID, eventually
from shared.testing_tenancy import Probe, TenancyCheck, callers

PERIOD = "2013-08"
#: tables a refused call must leave as they were (a billing run is started, for the starting staff member's branch)
TABLES = ("invoices", "payments", "allocations", "tax_invoices", "outbox")


async def test_every_route_keeps_to_the_consumer_and_its_branch(api: Any, res: Any) -> None:
    started = time.monotonic()
    settings = api.runtime.settings
    settings.seller_ipn, settings.seller_tax_office = "317930526591", "0425"
    settings.seller_compiler_name, settings.seller_compiler_tax_number = "Ґалаґан Юлія Миколаївна", "2345678901"
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    own = await api.add_consumer("0789", ipn="123456726591")
    other = await api.add_consumer("0790")
    point = await api.add_point(own, "0123456")
    invoice = (await api.bill(own, point, PERIOD, 0, 100))["id"]
    await api.accept(own, "2013-07", [(point, "active", 1, "0", "0")])
    [tax_invoice] = (await api.ok("GET", f"/consumers/{own}/tax-invoices", api.staff()))["items"]
    # its PDF drawn already (documents, which draws it on the first request, is not running here)
    async with api.database.transaction() as session:
        await session.execute(sa.text("UPDATE tax_invoices SET document_id = gen_random_uuid()"))
    await res.publish(api.payment("DON-1", "10.00"), api.payment("DON-2", "5.00", account_number="9999"),
                      api.payment("DON-3", "6.00", account_number="9998"))
    await res.answered(3)
    parked = [item["id"] for item in await api.ok("GET", "/payments/parked", api.admin())]
    run = await api.ok("POST", "/billing-runs", api.staff(), json={"period": PERIOD, "consumer_ids": [str(own)]})
    consumer = f"/api/v1/consumers/{own}"

    async def skipped_as_unknown(response: Any) -> bool:
        """Another branch's staff may start a run, which skips this consumer as one it does not know."""
        if response.status_code != 202:
            return False

        async def finished() -> dict[str, Any] | None:
            run: dict[str, Any] = await api.ok("GET", f"/billing-runs/{response.json()['id']}", api.admin())
            return run if run["state"] == "done" else None

        done = await eventually(finished)
        return bool(done["skipped"] == [{"consumer_id": str(own), "account_number": "",
                                         "reason": "consumer_unknown"}] and done["issued"] == 0)

    def probe(path: str, **fields: Any) -> Any:
        async def make() -> Probe:
            return Probe(path, **fields)
        return make

    probes = {
        "GET /api/v1/tariffs": probe("/api/v1/tariffs", params={"consumer_id": str(own)}),
        "GET /api/v1/consumers/{consumer_id}/calculation": probe(f"{consumer}/calculation",
                                                                  params={"period": PERIOD}),
        "POST /api/v1/consumers/{consumer_id}/invoices": probe(f"{consumer}/invoices", json={"period": PERIOD}),
        "GET /api/v1/consumers/{consumer_id}/invoices": probe(f"{consumer}/invoices"),
        "GET /api/v1/invoices/{invoice_id}": probe(f"/api/v1/invoices/{invoice}"),
        "GET /api/v1/due": probe("/api/v1/due", params={"period": PERIOD}, lists=(str(own),)),
        "POST /api/v1/billing-runs": probe("/api/v1/billing-runs", json={"period": PERIOD,
                                                                         "consumer_ids": [str(own)]},
                                           refused_when=skipped_as_unknown),
        "GET /api/v1/billing-runs/{run_id}": probe(f"/api/v1/billing-runs/{run['id']}"),
        "GET /api/v1/billing-runs/{run_id}/documents": probe(f"/api/v1/billing-runs/{run['id']}/documents"),
        "GET /api/v1/consumers/{consumer_id}/payments": probe(f"{consumer}/payments"),
        "GET /api/v1/consumers/{consumer_id}/saldo": probe(f"{consumer}/saldo"),
        "GET /api/v1/consumers/{consumer_id}/reconciliation": probe(f"{consumer}/reconciliation"),
        "POST /api/v1/consumers/{consumer_id}/reconciliation/acts": probe(f"{consumer}/reconciliation/acts",
                                                                          json={"from": "2013-01-01"}),
        "GET /api/v1/payments/parked": probe("/api/v1/payments/parked", lists=tuple(parked)),
        "POST /api/v1/payments/{payment_id}/assignment": probe(f"/api/v1/payments/{parked[0]}/assignment",
                                                               json={"consumer_id": str(own)}),
        "POST /api/v1/payments/{payment_id}/return": probe(f"/api/v1/payments/{parked[1]}/return",
                                                           json={"reason": "невідомий особовий рахунок"}),
        "GET /api/v1/consumers/{consumer_id}/tax-invoices": probe(f"{consumer}/tax-invoices"),
        "GET /api/v1/tax-invoices/{tax_invoice_id}": probe(f"/api/v1/tax-invoices/{tax_invoice['id']}"),
        "GET /api/v1/tax-invoices/{tax_invoice_id}/xml": probe(f"/api/v1/tax-invoices/{tax_invoice['id']}/xml"),
        "POST /api/v1/tax-invoices/{tax_invoice_id}/pdf": probe(f"/api/v1/tax-invoices/{tax_invoice['id']}/pdf"),
        "POST /api/v1/tax-invoices/{tax_invoice_id}/registration": probe(
            f"/api/v1/tax-invoices/{tax_invoice['id']}/registration", json={"registration": "registered"}),
    }
    exempt = {
        "POST /api/v1/tariffs": "the supplier's price list, the same for every branch's consumers",
        "GET /api/v1/zone-coefficients": "the regulator's zone coefficients, the same for every consumer",
        "POST /api/v1/zone-coefficients": "the regulator's zone coefficients, the same for every consumer",
    }

    async def snapshot() -> dict[str, int]:
        return {table: int(await api.scalar(f"SELECT count(*) FROM {table}")) for table in TABLES}  # noqa: S608

    check = TenancyCheck(api.client, api.tokens, callers(own, other, api.branch_id, OTHER_BRANCH_ID),
                         snapshot=snapshot)
    outcomes = await check.run([router], probes, exempt)
    assert len(outcomes) == len(probes) * 7
    print(f"billing tenancy: {len(outcomes)} calls in {time.monotonic() - started:.1f}s")
    assert uuid.UUID(run["id"])
