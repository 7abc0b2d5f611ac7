"""Billing run throughput: consumers with two two-zone metering points each, from accepted readings to issued
invoices (last month's, today: the billing day past).

1. calculation: the billing run's batches as the service works them — consumers locked, readings and tariffs read,
   the pure calculation, then invoices, lines, tax invoices (each with the request for its PDF, kept in its row)
   and the events per invoice (`billing.invoice_issued`, `documents.render_requested`) written to PostgreSQL; no bus.
2. whole run: the billing service (in this process: run worker, outbox relay, consumer) and the documents service (a
   process of its own, rendering with --render-processes worker processes, storing into moto's S3), on RabbitMQ, from
   the start of the run until billing has every invoice's stored PDF (`documents.document_stored` handled). A tax
   invoice is its XML, there as soon as the run issued it; its PDF is drawn on its first download: a few are asked
   for at the end, and the time of a first download and of a second one is printed. With the signature service (a
   process of its own, the local test CA's seal, `devtools.testca`), until every invoice is sealed too and billing
   knows it (`signature.document_status_changed`).

Each stage's wall time is printed, with the load average (the machine may be shared).

The supplier's details come from the identity service (in this process, through an in-process transport).

    python bench/billing.py [--consumers 10000] [--render-processes <cores>] [--skip-pdfs | --skip-calculation]
                            [--no-seal]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

BENCH_DIR = Path(__file__).resolve().parent
# this script shares its name with the service's package, which must win the import: bench/ goes last
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR] + [str(BENCH_DIR)]
from common import free_port, machine, start_moto

from billing.app import create_app
from billing.copies import Copies
from billing.models import Consumer, MeteringPoint, TaxInvoice
from billing.runs import Runs, RunWorker
from billing.runtime import Runtime
from billing.settings import BillingSettings
from billing.tariffs import NewTariff, Tariffs
from billing.tax import TaxInvoicing
from devtools.testca import ensure_local_trust
from identity.app import create_app as create_identity_app
from identity.settings import IdentitySettings
from identity.staff import Staff
from shared import migrations
from shared.auth import Principal, Role
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.metering import ReadingLine, ReadingsAccepted
from shared.db import Database, drop_database
from shared.migrations import migrations_dir_of
from shared.testing import delete_bus

POSTGRES = os.environ.get("CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP = os.environ.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SECRET = secrets.token_urlsafe(32)
#: today, and last month as the period: the seal signs only what is issued today
TODAY = datetime.now(BUSINESS_TIME_ZONE)
PERIOD = (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
#: an administrator: the run works on every branch's consumers
STAFF = Principal(user_id=uuid.uuid4(), role=Role.ADMIN)
BRANCH = {"name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "edrpou": "31793056", "iban": "UA213052990000000026001234567",
          "address": "м. Київ, вул. Лейпцизька, 15", "phone": "+380 44 000 00 00", "email": "pem@cabinet.local"}
SEED_BATCH = 1000


@asynccontextmanager
async def identity_service(namespace: str) -> AsyncIterator[tuple[FastAPI, uuid.UUID, str]]:
    """Identity in this process with the supplier's branch, served over HTTP too (the signature service asks it for
    the branches' EDRPOUs the seal must carry); its URL."""
    settings = IdentitySettings(postgres_url=POSTGRES, database_name=f"bench_identity_{secrets.token_hex(4)}",
                                amqp_url=AMQP, bus_namespace=namespace, service_token_secret=SECRET,
                                log_level="WARNING")
    app = create_identity_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with app.state.database.transaction() as session:
                branch = await Staff(session, app.state.identity).create_branch(**BRANCH)
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                                   log_level="warning", access_log=False))
            serving = asyncio.create_task(server.serve())
            try:
                yield app, branch.id, f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
                await serving
    finally:
        await drop_database(settings.database_url)


def billing_settings(namespace: str) -> BillingSettings:
    return BillingSettings(postgres_url=POSTGRES, database_name=f"bench_billing_{secrets.token_hex(4)}",
                           amqp_url=AMQP, bus_namespace=namespace, service_token_secret=SECRET, log_level="WARNING")


async def seed(database: Database, runtime: Runtime, branch_id: uuid.UUID, consumers: int) -> list[uuid.UUID]:
    """Consumers with two two-zone points each, their accepted readings of the period, the class's tariff."""
    async with database.transaction() as session:
        await Tariffs(session).add(STAFF, NewTariff("class2_general", "active", Decimal("1.444000"),
                                                    date(2013, 1, 1), "2 клас напруги"))
    ids = [uuid.uuid4() for _ in range(consumers)]
    for start in range(0, consumers, SEED_BATCH):
        batch = ids[start:start + SEED_BATCH]
        points = {consumer_id: (uuid.uuid4(), uuid.uuid4()) for consumer_id in batch}
        async with database.transaction() as session:
            await session.execute(sa.insert(Consumer), [
                {"id": consumer_id, "account_number": f"{start + index:05d}", "name": f"ТОВ «Споживач {index}»",
                 "edrpou": "12345678", "branch_id": branch_id, "branch_name": BRANCH["name"], "billing_day": 25,
                 "self_calculation": False} for index, consumer_id in enumerate(batch)])
            await session.execute(sa.insert(MeteringPoint), [
                {"id": point_id, "consumer_id": consumer_id, "meter_serial": f"M{point_id.hex[:10]}", "zones": 2,
                 "digits": 6, "ct_ratio": Decimal(40), "vt_ratio": Decimal(1), "registers": ["active"],
                 "tariff_class": "class2_general", "active": True}
                for consumer_id, pair in points.items() for point_id in pair])
            await Copies(session, runtime).accept_readings([
                ReadingsAccepted(act_id=uuid.uuid4(), consumer_id=consumer_id, period=PERIOD, source="consumer",
                                 readings=tuple(
                                     ReadingLine(point_id=point_id, energy="active", zone=zone,
                                                 previous=Decimal(1000 * zone), current=Decimal(1000 * zone + 37 + n))
                                     for n, point_id in enumerate(pair) for zone in (1, 2)))
                for consumer_id, pair in points.items()])
    return ids


async def start_run(database: Database, runtime: Runtime) -> uuid.UUID:
    async with database.transaction() as session:
        run = await Runs(session, runtime).start(STAFF, PERIOD, None)
    return run.id


async def scalar(database: Database, sql: str) -> int:
    async with database.sessionmaker() as session:
        return int((await session.execute(sa.text(sql))).scalar_one())


async def calculation_only(consumers: int, identity: FastAPI, branch_id: uuid.UUID) -> float:
    settings = billing_settings(f"bench{secrets.token_hex(4)}")
    await migrations.upgrade(migrations_dir_of("billing"), settings.database_url)
    database = Database(settings.database_url, pool_size=4)
    runtime = Runtime.create(settings, identity_transport=httpx.ASGITransport(app=identity))
    runtime.now = lambda: TODAY
    try:
        await seed(database, runtime, branch_id, consumers)
        run_id = await start_run(database, runtime)
        started = time.perf_counter()
        await RunWorker(database, runtime).work(run_id)
        elapsed = time.perf_counter() - started
        issued = await scalar(database, "SELECT count(*) FROM invoices")
        assert issued == consumers, f"{issued} of {consumers} issued"
        return issued / elapsed
    finally:
        await runtime.close()
        await database.dispose()
        await drop_database(settings.database_url)


def start_service(name: str, namespace: str, settings: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, str]:
    """A service's process on the bench's database server and broker: the process, its database's name, its URL."""
    port = free_port()
    database = f"bench_{name}_{secrets.token_hex(4)}"
    env = {**os.environ, "CABINET_POSTGRES_URL": POSTGRES, "CABINET_AMQP_URL": AMQP, "CABINET_BUS_NAMESPACE": namespace,
           "CABINET_DATABASE_NAME": database, "CABINET_SERVICE_TOKEN_SECRET": SECRET, "CABINET_LOG_LEVEL": "WARNING",
           **settings}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", f"{name}.app:app", "--port", str(port),
                                "--no-access-log", "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return process, database, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the {name} service did not start")


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


async def whole_run(consumers: int, identity: FastAPI, branch_id: uuid.UUID, identity_url: str, s3_endpoint: str,
                    render_processes: int, trust_dir: Path | None) -> None:
    namespace = f"bench{secrets.token_hex(4)}"
    started_services: list[tuple[subprocess.Popen[bytes], str]] = []
    documents, documents_database, documents_url = start_service("documents", namespace, {
        "CABINET_S3_ENDPOINT": s3_endpoint, "CABINET_S3_ACCESS_KEY": "bench", "CABINET_S3_SECRET_KEY": "bench-secret",
        "CABINET_S3_BUCKET": f"bench-{secrets.token_hex(4)}", "CABINET_RENDER_PROCESSES": str(render_processes)})
    started_services.append((documents, documents_database))
    if trust_dir is not None:
        trust = {name: value for name, value in ensure_local_trust(trust_dir).items() if name.startswith("CABINET_")}
        signature, signature_database, _ = start_service("signature", namespace, {
            **trust, "CABINET_DOCUMENTS_URL": documents_url, "CABINET_IDENTITY_URL": identity_url})
        started_services.append((signature, signature_database))
    settings = billing_settings(namespace).model_copy(update={"documents_url": documents_url})
    app = create_app(settings, identity_transport=httpx.ASGITransport(app=identity))
    runtime: Runtime = app.state.billing
    runtime.now = lambda: TODAY
    try:
        async with app.router.lifespan_context(app):
            database: Database = app.state.database
            seeding = time.perf_counter()
            await seed(database, runtime, branch_id, consumers)
            print(f"  seeded {consumers:,} consumers with their readings in {time.perf_counter() - seeding:.1f} s "
                  f"({load()})", flush=True)
            run_id = await start_run(database, runtime)
            started = time.perf_counter()
            await app.state.billing_runs.launch(run_id)
            run_done = None
            progress = started
            pdfs_done = None
            while True:
                if run_done is None and await scalar(
                        database, f"SELECT count(*) FROM billing_runs WHERE id = '{run_id}' AND state = 'done'"):  # noqa: S608
                    run_done = time.perf_counter() - started
                    print(f"  run done (every invoice and tax invoice issued, the tax invoices' XML there): "
                          f"{run_done:.1f} s ({load()})", flush=True)
                stored = await scalar(database, "SELECT count(*) FROM invoices WHERE document_id IS NOT NULL")
                sealed = await scalar(database, "SELECT count(*) FROM document_signatures "
                                                "WHERE status = 'signed_by_supplier'") if trust_dir else stored
                if pdfs_done is None and stored == consumers:
                    pdfs_done = time.perf_counter() - started
                    print(f"  every invoice's PDF stored and known to billing: {pdfs_done:.1f} s "
                          f"({consumers / pdfs_done:,.0f} invoices/s; {load()})", flush=True)
                if stored == sealed == consumers:
                    break
                if time.perf_counter() - progress > 30:
                    progress = time.perf_counter()
                    print(f"  {progress - started:.0f} s: {stored:,} invoice PDFs stored"
                          f"{f', {sealed:,} sealed' if trust_dir else ''} ({load()})", flush=True)
                await asyncio.sleep(0.5)
            done = time.perf_counter() - started
            if trust_dir:
                print(f"  every invoice sealed and billing told: {done:.1f} s ({load()})", flush=True)
            await first_downloads(database, runtime)
            print(f"whole run ({render_processes} render processes, moto S3, RabbitMQ; billing in this process"
                  f"{', the seal' if trust_dir else ''}): {consumers:,} consumers from the run's start to every "
                  f"invoice, tax invoice (XML) and invoice PDF{' sealed' if trust_dir else ''} in {done:.1f} s")
    finally:
        for process, _ in reversed(started_services):  # the signature service calls documents: it stops first
            process.terminate()
            process.wait(timeout=30)
        await drop_database(settings.database_url)
        for _, service_database in started_services:
            await drop_database(f"{POSTGRES}/{service_database}")
        await delete_bus(AMQP, namespace, ["billing", "documents", "signature"])


async def first_downloads(database: Database, runtime: Runtime, count: int = 20) -> None:
    """A few tax invoices' PDFs, drawn on their first download (documents renders and stores them), then again."""
    async with database.sessionmaker() as session:
        ids = list((await session.execute(sa.select(TaxInvoice.id).limit(count))).scalars())
    timings = []
    for tax_invoice_id in ids:
        for _ in range(2):
            started = time.perf_counter()
            async with database.transaction() as session:
                details = await TaxInvoicing(session, runtime).pdf(STAFF, tax_invoice_id)
            assert details.row.document_id is not None
            timings.append(time.perf_counter() - started)
    first, again = timings[0::2], timings[1::2]
    print(f"  a tax invoice's PDF on its first download: {1000 * statistics.median(first):.0f} ms (median of "
          f"{len(first)}), later downloads {1000 * statistics.median(again):.0f} ms")


async def main_async(args: argparse.Namespace) -> None:
    async with identity_service(f"bench{secrets.token_hex(4)}") as (identity, branch_id, identity_url):
        if not args.skip_calculation:
            await calculation_stage(args.consumers, identity, branch_id)
        if args.skip_pdfs:
            return
        moto, endpoint = start_moto()
        try:
            with tempfile.TemporaryDirectory(prefix="bench-trust-") as trust_dir:
                await whole_run(args.consumers, identity, branch_id, identity_url, endpoint, args.render_processes,
                                None if args.no_seal else Path(trust_dir))
        finally:
            moto.terminate()
            try:
                # holding 100,000 PDFs in memory, it takes its time to go
                moto.wait(timeout=60)
            except subprocess.TimeoutExpired:
                moto.kill()
                moto.wait()


async def calculation_stage(consumers: int, identity: FastAPI, branch_id: uuid.UUID) -> None:
    rate = await calculation_only(consumers, identity, branch_id)
    print(f"calculation (run batches of {BillingSettings.model_fields['billing_run_batch'].default}: locks, reads, "
          f"pure calculation, invoices + lines + tax invoices + 2 outbox events per invoice written): "
          f"{rate:,.0f} invoices/s over {consumers:,} consumers ({load()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consumers", type=int, default=10_000)
    parser.add_argument("--render-processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-pdfs", action="store_true", help="measure the calculation only")
    parser.add_argument("--no-seal", action="store_true", help="without the signature service sealing the invoices")
    parser.add_argument("--skip-calculation", action="store_true",
                        help="measure the whole run only (the calculation alone seeds and runs once more)")
    args = parser.parse_args()
    print(machine())
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
