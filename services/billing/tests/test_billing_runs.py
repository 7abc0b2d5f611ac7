"""Staff forming invoices for every consumer due at once: a billing run in the background with its progress, the
billing day's work list, and a run a stopped worker left behind carried on."""

from __future__ import annotations

import gc
import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from billing.models import BillingRun
from billing.runs import _CollectorPause
from shared.testing import eventually

PERIOD = "2013-08"


async def until_done(api: Any, run_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        run: dict[str, Any] = await api.ok("GET", f"/billing-runs/{run_id}", api.staff())
        return run if run["state"] == "done" else None

    finished: dict[str, Any] = await eventually(done)
    return finished


async def ready_consumer(api: Any, account: str, *, billing_day: int = 25, read: bool = True) -> uuid.UUID:
    consumer_id = await api.add_consumer(account, billing_day=billing_day, self_calculation=False)
    day, night = await api.add_point(consumer_id, f"{account}-A", zones=2), await api.add_point(
        consumer_id, f"{account}-B", zones=2, ct="40")
    if read:
        await api.accept(consumer_id, PERIOD, [(day, "active", 1, "100", "200"), (day, "active", 2, "50", "60"),
                                               (night, "active", 1, "1", "2"), (night, "active", 2, "3", "4")])
    return consumer_id


async def test_a_run_invoices_every_consumer_due_and_says_why_others_were_not(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    ready = [await ready_consumer(api, f"10{index}") for index in range(4)]
    unread = await ready_consumer(api, "2000", read=False)
    not_yet = await ready_consumer(api, "3000", billing_day=28)  # the 28th has not come on the 26th
    invoiced = await ready_consumer(api, "4000")
    await api.call("POST", f"/consumers/{invoiced}/invoices", api.staff(), json={"period": PERIOD})

    started = await api.call("POST", "/billing-runs", api.staff(), json={"period": PERIOD})
    assert started.status_code == 202, started.text
    assert (started.json()["state"], started.json()["total"]) == ("running", 5)  # ready ones and the unread one
    run = await until_done(api, started.json()["id"])
    assert (run["total"], run["processed"], run["issued"]) == (5, 5, 4)
    assert run["skipped"] == [{"consumer_id": str(unread), "account_number": "2000", "reason": "readings_missing"}]
    assert run["finished_at"] is not None
    numbers = await api.scalar("SELECT array_agg(number ORDER BY number) FROM invoices")
    assert numbers == ["100/8/1", "101/8/1", "102/8/1", "103/8/1", "4000/8/1"]
    assert len(await api.renders("invoice")) == 5
    # the documents' progress: the run's invoices, their PDFs as documents stores them, the seal's signatures
    progress = f"/billing-runs/{run['id']}/documents"
    assert await api.ok("GET", progress, api.staff()) == {"invoices": 4, "pdfs": 0, "sealed": 0, "tax_invoices": 4}
    *_, runs_last = await api.store_invoice_pdfs()  # the first is 4000's, invoiced before the run
    async with api.database.transaction() as session:
        await session.execute(sa.text("INSERT INTO document_signatures VALUES (:document_id, 'signed_by_supplier', "
                                      "now())"), {"document_id": runs_last})
    assert await api.ok("GET", progress, api.staff()) == {"invoices": 4, "pdfs": 4, "sealed": 1, "tax_invoices": 4}
    assert (await api.call("GET", progress, api.consumer_user(ready[0]))).status_code == 403

    # named consumers: each is accounted for
    stranger = uuid.uuid4()
    started = await api.call("POST", "/billing-runs", api.staff(), json={
        "period": PERIOD, "consumer_ids": [str(ready[0]), str(unread), str(not_yet), str(stranger)]})
    run = await until_done(api, started.json()["id"])
    assert (run["total"], run["issued"]) == (4, 0)
    assert [(item["account_number"], item["reason"]) for item in run["skipped"]] == [
        ("100", "invoiced"), ("2000", "readings_missing"), ("3000", "not_due"), ("", "consumer_unknown")]

    due = await api.ok("GET", "/due", api.staff(), params={"period": PERIOD})
    assert [(item["account_number"], item["ready"], item["invoice_number"], len(item["missing"])) for item in due] == [
        ("100", True, "100/8/1", 0), ("101", True, "101/8/1", 0), ("102", True, "102/8/1", 0),
        ("103", True, "103/8/1", 0), ("2000", False, None, 2), ("4000", True, "4000/8/1", 0)]
    consumer = await api.call("POST", "/billing-runs", api.consumer_user(ready[0]), json={})
    assert consumer.status_code == 403


async def test_a_run_whose_worker_stopped_is_carried_on(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumers = [await ready_consumer(api, f"5{index}") for index in range(5)]
    now = api.runtime.now()
    run_id = uuid.uuid4()
    async with api.database.transaction() as session:
        # a run another replica began and stopped reporting on after its first batch
        session.add(BillingRun(id=run_id, period=PERIOD, state="running", consumer_ids=consumers,
                               total=len(consumers), processed=3,
                               issued=3, skipped=[], requested_by=None, branch_id=api.branch_id,
                               started_at=now - timedelta(minutes=10), heartbeat_at=now - timedelta(minutes=5)))
    await api.app.state.billing_runs.take_over_stale()
    run = await until_done(api, str(run_id))
    assert (run["processed"], run["issued"]) == (5, 5)
    async with api.database.sessionmaker() as session:
        issued = (await session.execute(sa.text("SELECT consumer_id FROM invoices"))).scalars().all()
    assert set(issued) == set(consumers[3:])


async def test_a_run_without_a_period_takes_the_current_month(api: Any) -> None:
    api.set_today(date(2013, 8, 25))
    started = await api.ok("POST", "/billing-runs", api.staff(), json={})
    assert (started["period"], started["total"]) == (PERIOD, 0)
    assert (await until_done(api, started["id"]))["issued"] == 0
    refused = await api.call("POST", "/billing-runs", api.staff(), json={"period": "2013-09"})
    assert refused.status_code == 422 and refused.json()["detail"]["fields"] == {"period": "period_invalid"}
    missing = await api.call("GET", f"/billing-runs/{uuid.uuid4()}", api.staff())
    assert missing.status_code == 404


def test_batches_pause_the_garbage_collector_until_the_last_ends_and_leave_it_as_they_found_it() -> None:
    pause = _CollectorPause()
    assert gc.isenabled()
    try:
        with pause():
            assert not gc.isenabled()
            with pause():  # another run's batch, overlapping
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        gc.disable()  # whoever turned it off before keeps it off
        with pause():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
