"""Payments end to end: a RES system (the simulator's `publish_payments`) sends 100,000 payments for 1,000
consumers with issued invoices; measured from the first publish until every payment's answer
(`billing.payment_accepted.v1`) has come back, then each payment is checked applied once with its amount and the
money to the kopeck (the run fails loudly otherwise). Rounds of it interleave with the bare aio-pika
publish→consume loop of bench/bus.py (quorum queue, confirms, persistent); a payment is two messages (the RES
system's in, billing's answer out), so the ratio is to half the bare loop's rate.

Billing runs as a process of its own (`uvicorn billing.app:app`), as deployed, consuming with the default prefetch
(`CABINET_BUS_PREFETCH`, 256). The invoices are issued beforehand by billing runs in this process (three months of
two-zone readings per consumer; the supplier's details from identity in this process). A third of the payments
name an invoice in their purpose; they come round-robin over the consumers, so every delivered batch touches
hundreds of consumers; by the end most invoices are paid and the last payments stay as credit.

    python bench/payments.py [--payments 100000] [--consumers 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import aio_pika
import httpx
import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
# bench/billing.py shares its name with the service's package, which must win the import: bench/ goes last
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR] + [str(BENCH_DIR)]
from common import machine

from billing.app import create_app
from billing.copies import Copies
from billing.models import Consumer, MeteringPoint
from billing.runs import Runs, RunWorker
from billing.runtime import Runtime
from billing.tariffs import NewTariff, Tariffs
from devtools.processes import Process
from devtools.res_simulator import Answers, publish_payments
from shared.bus import Topology
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.billing import PaymentAccepted
from shared.contracts.metering import ReadingLine, ReadingsAccepted
from shared.contracts.res import PaymentReceived
from shared.db import Database, drop_database
from shared.testing import free_port, wait_for_consumer

_spec = importlib.util.spec_from_file_location("bench_billing", BENCH_DIR / "billing.py")
assert _spec and _spec.loader
bench_billing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_billing)  # the identity service and settings of bench/billing.py

PERIODS = ("2013-06", "2013-07", "2013-08")
SEED_BATCH = 500
#: a RES system's answer for every payment within this many seconds of the previous one, or the run failed
ANSWER_TIMEOUT = 120.0


class NotExactlyOnce(AssertionError):
    """The payments were not each applied once, or the money does not add up: the run proves nothing."""


def business_day(period: str) -> datetime:
    return datetime(int(period[:4]), int(period[5:]), 26, 9, 0, tzinfo=BUSINESS_TIME_ZONE)


async def seed(database: Database, runtime: Runtime, branch_id: uuid.UUID, consumers: int) -> list[str]:
    """Consumers with a two-zone meter (CT 30) read for three months and invoiced by billing runs, 19,753.92 UAH a
    month each; their account numbers."""
    async with database.transaction() as session:
        await Tariffs(session).add(bench_billing.STAFF, NewTariff(
            "class2_general", "active", Decimal("1.444000"), date(2013, 1, 1), "2 клас напруги"))
    accounts = [f"{10000 + index}" for index in range(consumers)]
    for start in range(0, consumers, SEED_BATCH):
        batch = {uuid.uuid4(): (account, uuid.uuid4()) for account in accounts[start:start + SEED_BATCH]}
        async with database.transaction() as session:
            await session.execute(sa.insert(Consumer), [
                {"id": consumer_id, "account_number": account, "name": f"ТОВ «Споживач {account}»",
                 "edrpou": "12345678", "branch_id": branch_id, "branch_name": bench_billing.BRANCH["name"],
                 "billing_day": 25, "self_calculation": False} for consumer_id, (account, _) in batch.items()])
            await session.execute(sa.insert(MeteringPoint), [
                {"id": point_id, "consumer_id": consumer_id, "meter_serial": f"M{account}", "zones": 2, "digits": 8,
                 "ct_ratio": Decimal(30), "vt_ratio": Decimal(1), "registers": ["active"],
                 "tariff_class": "class2_general", "active": True}
                for consumer_id, (account, point_id) in batch.items()])
            await Copies(session, runtime).accept_readings([
                ReadingsAccepted(act_id=uuid.uuid4(), consumer_id=consumer_id, period=period, source="consumer",
                                 readings=tuple(
                                     ReadingLine(point_id=point_id, energy="active", zone=zone,
                                                 previous=Decimal(month * 200 + zone * 10_000),
                                                 current=Decimal((month + 1) * 200 + zone * 10_000))
                                     for zone in (1, 2)))
                for consumer_id, (_, point_id) in batch.items() for month, period in enumerate(PERIODS)])
    for period in PERIODS:  # each month's billing run on its billing day
        runtime.now = functools.partial(business_day, period)
        async with database.transaction() as session:
            run = await Runs(session, runtime).start(bench_billing.STAFF, period, None)
        await RunWorker(database, runtime).work(run.id)
    # what the runs announced (invoices issued, PDFs and tax invoices asked for) is not what is measured here
    async with database.transaction() as session:
        await session.execute(sa.text("DELETE FROM outbox"))
    return accounts


def statement(accounts: list[str], count: int) -> list[PaymentReceived]:
    rng = random.Random(20130731)
    return [PaymentReceived(
        res_payment_id=f"BENCH-{n}", account_number=accounts[n % len(accounts)],
        amount=Decimal(rng.randint(10_000, 120_000)) / 100, paid_on=date(2013, 8, 28),
        payer_iban="UA263351060000026007233566001", bank="АТ «Ощадбанк»", mfo="335106", document_number=f"@{n}",
        purpose=(f"оплата за е/е рах. № {accounts[n % len(accounts)]}/{rng.choice((6, 7, 8))}/1" if n % 3 == 0
                 else "оплата за електроенергію, у т.ч. ПДВ"),
    ) for n in range(count)]


def start_billing(namespace: str, database_name: str, log_dir: Path) -> Process:
    port = free_port()
    process = Process("billing", [sys.executable, "-m", "uvicorn", "billing.app:app", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-access-log", "--log-level", "warning"],
                      {"CABINET_POSTGRES_URL": bench_billing.POSTGRES, "CABINET_AMQP_URL": bench_billing.AMQP,
                       "CABINET_BUS_NAMESPACE": namespace, "CABINET_DATABASE_NAME": database_name,
                       "CABINET_SERVICE_TOKEN_SECRET": bench_billing.SECRET, "CABINET_LOG_LEVEL": "WARNING",
                       "CABINET_IDENTITY_URL": "http://127.0.0.1:9"},  # payments need no supplier details
                      log_dir / "billing.log", ready_url=f"http://127.0.0.1:{port}/health/ready")
    process.start()
    process.wait_ready()
    return process


async def scalar(database: Database, sql: str) -> Decimal:
    async with database.sessionmaker() as session:
        return Decimal((await session.execute(sa.text(sql))).scalar_one())


async def end_to_end(payments: int, consumers: int, log_dir: Path) -> tuple[float, Counter[str]]:
    namespace = f"bench{secrets.token_hex(4)}"
    settings = bench_billing.billing_settings(namespace)
    try:
        async with bench_billing.identity_service(f"{namespace}id") as (identity, branch_id, _):
            app = create_app(settings.model_copy(update={"bus_namespace": f"{namespace}seed"}),
                             identity_transport=httpx.ASGITransport(app=identity))
            async with app.router.lifespan_context(app):
                accounts = await seed(app.state.database, app.state.billing, branch_id, consumers)
        sent = statement(accounts, payments)
        billing = start_billing(namespace, str(settings.database_name), log_dir)
        try:
            await wait_for_consumer(bench_billing.AMQP, Topology(namespace, "billing").queue)
            answers: Counter[str] = Counter()
            accepted: set[str] = set()
            async with Answers(bench_billing.AMQP, namespace) as listener:
                started = time.perf_counter()
                publishing = asyncio.create_task(publish_payments(bench_billing.AMQP, namespace, sent))
                while len(accepted) < payments:
                    answer = await listener.next(ANSWER_TIMEOUT)
                    if answer is None:
                        raise NotExactlyOnce(f"{len(accepted):,} of {payments:,} payments accepted, then no answer "
                                             f"for {ANSWER_TIMEOUT:.0f} s (answers: {dict(answers)})")
                    answers[answer.message_type()] += 1
                    if isinstance(answer, PaymentAccepted):
                        accepted.add(answer.res_payment_id)
                elapsed = time.perf_counter() - started
                assert await publishing == payments
                # an answer repeated would be a payment handled twice (none is delivered again in this run)
                late = await listener.next(1.0)
                if late is not None or sum(answers.values()) != payments:
                    raise NotExactlyOnce(f"{sum(answers.values()) + (late is not None):,} answers to {payments:,} "
                                         f"payments: {dict(answers)}{f', then {late!r}' if late else ''}")
        finally:
            billing.stop()
        await check(Database(settings.database_url, pool_size=1), sent)
        return payments / elapsed, answers
    finally:
        await drop_database(settings.database_url)
        connection = await aio_pika.connect(bench_billing.AMQP)
        async with connection:
            channel = await connection.channel()
            for name in (f"{namespace}seed", namespace):
                for queue in Topology(name, "billing").all_queues():
                    await channel.queue_delete(queue)


async def check(database: Database, sent: list[PaymentReceived]) -> None:
    """Every payment applied once with its own amount, and the money adds up to the kopeck; raises
    `NotExactlyOnce` naming each thing that does not hold."""
    paid = sum((payment.amount for payment in sent), Decimal(0))
    try:
        async with database.sessionmaker() as session:
            stored = {row.res_payment_id: (row.amount, row.state) for row in await session.execute(
                sa.text("SELECT res_payment_id, amount, state FROM payments"))}
        expected = {payment.res_payment_id: (payment.amount, "applied") for payment in sent}
        allocated = await scalar(database, "SELECT coalesce(sum(amount), 0) FROM allocations")
        credit = await scalar(database, "SELECT coalesce(sum(credit), 0) FROM payments")
        invoices_paid = await scalar(database, "SELECT sum(paid) FROM invoices")
        failures = [what for what, holds in (
            (f"{len(stored):,} payments stored for {len(sent):,} sent", len(stored) == len(sent)),
            (f"{sum(1 for key in expected if stored.get(key) != expected[key]):,} payments missing, not applied "
             "or with another amount", stored == expected),
            (f"allocated {allocated} + credit {credit} ≠ paid {paid}", allocated + credit == paid),
            (f"invoices paid {invoices_paid} ≠ allocated {allocated}", invoices_paid == allocated),
            ("invoices paid over their total",
             not await scalar(database, "SELECT count(*) FROM invoices WHERE paid > total")),
        ) if not holds]
        if failures:
            raise NotExactlyOnce("payments not applied exactly once to the kopeck: " + "; ".join(failures))
        invoiced = await scalar(database, "SELECT sum(total) FROM invoices")
        settled = await scalar(database, "SELECT count(*) FROM invoices WHERE paid = total")
        invoices = await scalar(database, "SELECT count(*) FROM invoices")
        print(f"checked: {len(sent):,} payments, each applied once with its amount; {paid:,.2f} UAH = "
              f"{allocated:,.2f} allocated to invoices + {credit:,.2f} credit; invoiced {invoiced:,.2f} UAH, "
              f"{settled:,.0f} of {invoices:,.0f} invoices paid in full")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of the bare loop and the payments, interleaved (the broker's pace drifts)")
    args = parser.parse_args()
    print(machine())
    from bus import bare_loop  # after billing's imports: bench/bus.py puts bench/ first on the path

    bare: list[float] = []
    rates: list[float] = []
    for round_number in range(1, args.rounds + 1):
        bare.append(bare_loop(args.payments))
        with tempfile.TemporaryDirectory() as log_dir:
            rate, answers = asyncio.run(end_to_end(args.payments, args.consumers, Path(log_dir)))
        rates.append(rate)
        # a payment is two messages: the RES system's in, billing's answer out
        print(f"round {round_number}: bare {bare[-1]:6,.0f} msg/s, payments {rate:6,.0f}/s "
              f"(ratio to bare/2 {rate / (bare[-1] / 2):.2f}); answers {dict(answers)}")
    bare_median, rate_median = statistics.median(bare), statistics.median(rates)
    print(f"medians of {args.rounds} rounds of {args.payments:,} payments for {args.consumers:,} consumers:")
    print(f"bare aio-pika publish→consume (quorum, confirms, persistent):   {bare_median:7,.0f} messages/s")
    print(f"payments end to end (publish → applied → answer received):     {rate_median:7,.0f} payments/s"
          f"   ratio to bare/2 {rate_median / (bare_median / 2):.2f}")
    print(f"aim: at least 2,000 payments/s and 0.90 of bare/2 (billing in a process of its own, prefetch "
          f"{os.environ.get('CABINET_BUS_PREFETCH', '256')})")


if __name__ == "__main__":
    main()
