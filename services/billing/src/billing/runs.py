"""Billing runs: staff start one (`Runs`) and follow it; it goes on in the background (`RunWorker`), its work list
issued batch by batch, each batch one transaction that also records the run's progress, so the progress seen is
always what was committed.

The run's row is locked while a batch is worked on: two workers on one run (a replica taking over a run whose
worker stopped reporting) take turns and never issue a batch twice. A worker that fails on a batch tries it a
few times, then records its consumers as skipped (`error`) and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.periods import is_due, period_of
from billing.invoices import period_asked
from billing.issuing import Issuer
from billing.models import BillingRun
from billing.repositories import consumers as consumer_repository
from billing.repositories import runs as run_repository
from billing.runtime import Runtime
from shared import background
from shared.auth import Principal
from shared.db import Database
from shared.errors import NotFound
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

BATCH_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 2.0


class Runs:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def start(self, principal: Principal, period: str | None,
                    consumer_ids: Sequence[uuid.UUID] | None) -> BillingRun:
        """A run's work list: the consumers named, or every consumer not invoiced for the period whose billing day
        of it has come — of the staff member's branch: the run works on that branch's consumers only (another
        branch's, named, are skipped as unknown). The caller launches the run's `RunWorker` once it is committed."""
        today = self.runtime.today()
        period = period_asked(period, period_of(today), today)
        branch_id = principal.branch_scope()
        if consumer_ids is None:
            last_day_due = 31 if period < period_of(today) else today.day
            work = await run_repository.uninvoiced_consumer_ids(self.session, period, last_day_due, branch_id)
        else:
            work = list(dict.fromkeys(consumer_ids))
        now = self.runtime.now()
        return await run_repository.add_run(self.session, BillingRun(
            id=uuid.uuid4(), period=period, state="running", consumer_ids=work, total=len(work), processed=0,
            issued=0, skipped=[],
            requested_by=principal.user_id, branch_id=branch_id, started_at=now, heartbeat_at=now,
        ))

    async def documents(self, principal: Principal, run_id: uuid.UUID) -> run_repository.RunDocuments:
        """How far the documents of the run's invoices got (the console shows it while the PDFs are stored)."""
        await self.one(principal, run_id)
        return await run_repository.run_documents(self.session, run_id)

    async def one(self, principal: Principal, run_id: uuid.UUID) -> BillingRun:
        found = await run_repository.run(self.session, run_id)
        # another branch's run (or an administrator's run over every branch) is not a staff member's to follow
        if found is None or principal.branch_scope() not in (None, found.branch_id):
            raise NotFound("no such billing run", code="run_not_found")
        return found


class _CollectorPause:
    """No cyclic garbage collection while batches are worked on. A batch's hundreds of thousands of objects live
    until it ends and form next to no cycles, yet they push collection after collection of the oldest
    generation, each walking the whole heap to find nothing: over a quarter of a run's time. Reference counting frees
    them when the batch ends; the first collection after it finds what cycles there are. Batches of several
    runs may overlap in one process: the collector resumes when the last ends (if it was running before)."""

    def __init__(self) -> None:
        self._batches = 0
        self._resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self._batches == 0:
            self._resume = gc.isenabled()
            gc.disable()
        self._batches += 1
        try:
            yield
        finally:
            self._batches -= 1
            if self._batches == 0 and self._resume:
                gc.enable()


_collector_paused = _CollectorPause()


def _skip(consumer_id: uuid.UUID, account_number: str, reason: str) -> dict[str, Any]:
    return {"consumer_id": str(consumer_id), "account_number": account_number, "reason": reason}


class RunWorker:
    def __init__(self, database: Database, runtime: Runtime) -> None:
        self.database = database
        self.runtime = runtime
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def launch(self, run_id: uuid.UUID) -> None:
        if run_id in self._tasks:
            return
        task = asyncio.create_task(self.work(run_id), name=f"billing-run-{run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run_id, None))

    async def take_over_stale(self) -> None:
        """Runs whose worker stopped reporting (its process ended) are carried on here."""
        now = self.runtime.now()
        stale_before = now - timedelta(seconds=self.runtime.settings.billing_run_stale_seconds)
        async with self.database.transaction() as session:
            claimed = await run_repository.claim_stale_runs(session, stale_before, now)
        for run_id in claimed:
            logger.warning("taking over billing run %s", run_id, extra=log_fields(run_id=str(run_id)))
            await self.launch(run_id)

    async def stop(self) -> None:
        await background.stop(*self._tasks.values())

    async def work(self, run_id: uuid.UUID) -> None:
        """Works on the run until it is done (in the background after `launch`)."""
        failures = 0
        while True:
            try:
                if await self._step(run_id, give_up=failures >= BATCH_ATTEMPTS):
                    return
                failures = 0
            except Exception:
                if background.cancelling():
                    raise
                failures += 1
                logger.exception("billing run %s: a batch failed (attempt %d)", run_id, failures,
                                 extra=log_fields(run_id=str(run_id)))
                await asyncio.sleep(RETRY_DELAY_SECONDS * failures)

    async def _step(self, run_id: uuid.UUID, *, give_up: bool) -> bool:
        """Works on the run's next batch; True when the run is done."""
        with _collector_paused():
            return await self._work_on_batch(run_id, give_up=give_up)

    async def _work_on_batch(self, run_id: uuid.UUID, *, give_up: bool) -> bool:
        async with self.database.transaction() as session:
            run = await run_repository.run(session, run_id, lock=True)
            if run is None or run.state == "done":
                return True
            batch = await run_repository.run_batch(session, run_id, run.processed,
                                                   self.runtime.settings.billing_run_batch)
            if batch:
                issued, skipped = (0, [_skip(consumer_id, "", "error") for consumer_id in batch]) if give_up \
                    else await self._issue(session, run, batch)
                run.processed += len(batch)
                run.issued += issued
                run.skipped = [*run.skipped, *skipped]
            now = self.runtime.now()
            run.heartbeat_at = now
            if run.processed >= run.total:
                run.state = "done"
                run.finished_at = now
                logger.info("billing run %s done: %d issued, %d skipped", run_id, run.issued, len(run.skipped),
                            extra=log_fields(run_id=str(run_id), period=run.period))
            return run.state == "done"

    async def _issue(self, session: AsyncSession, run: BillingRun,
                     batch: list[uuid.UUID]) -> tuple[int, list[dict[str, Any]]]:
        # a run works on its branch's consumers: another branch's is as unknown to it
        consumers = {consumer.id: consumer for consumer in await consumer_repository.lock_consumers(session, batch)
                     if run.branch_id in (None, consumer.branch_id)}
        today = self.runtime.today()
        due = [consumer for consumer in consumers.values() if is_due(run.period, consumer.billing_day, today)]
        outcome = await Issuer(session, self.runtime).issue_regular(due, run.period)
        refused = {refusal.consumer.id: refusal.reason for refusal in outcome.refused}
        skipped = []
        for consumer_id in batch:
            consumer = consumers.get(consumer_id)
            if consumer is None:
                skipped.append(_skip(consumer_id, "", "consumer_unknown"))
            elif consumer_id in outcome.issued:
                continue
            elif consumer_id in outcome.existing:
                skipped.append(_skip(consumer_id, consumer.account_number, "invoiced"))
            elif consumer_id in refused:
                skipped.append(_skip(consumer_id, consumer.account_number, refused[consumer_id]))
            else:
                skipped.append(_skip(consumer_id, consumer.account_number, "not_due"))
        return len(outcome.issued), skipped
