"""Faults in the middle of a stream of payments, for real: the billing process killed (SIGKILL) and started again,
RabbitMQ stopped and started again, one node of a three-node RabbitMQ cluster killed (SIGKILL), PostgreSQL
crashed under billing and started again. Every way every payment is applied exactly once, to the kopeck, and
answered.

The brokers and the database so treated are the test's own (`devtools.nodes`), never the machine's, which other
tests use.
Each test records what it measured in the fault matrix of docs/operations.md (`devtools.faults_report`)."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from prometheus_client import REGISTRY

from billing.settings import BillingSettings
from devtools.faults_report import FaultRow, record
from devtools.nodes import PostgresServer, RabbitNode, postgresql, rabbitmq
from devtools.processes import Process
from devtools.res_simulator import Answers, publish_events, publish_payments
from shared.bus import Topology
from shared.bus.topology import QUORUM
from shared.contracts.billing import PaymentAccepted
from shared.contracts.res import PaymentReceived
from shared.db import Database, create_database_if_missing
from shared.testing import delete_bus, eventually, free_port, wait_for_consumer

pytestmark = pytest.mark.fault

CONSUMERS = 40
PAYMENTS = 4000
PERIODS = (("2013-06", 0, 100), ("2013-07", 100, 250), ("2013-08", 250, 490))


def stream(accounts: list[str]) -> list[PaymentReceived]:
    """Payments of every size for the consumers, some naming an invoice, enough to leave some credit."""
    return [PaymentReceived(
        res_payment_id=f"FAULT-{n}", account_number=accounts[n % len(accounts)],
        amount=Decimal(1 + n % 997) / 100 + n % 7, paid_on=date(2013, 8, 28),
        payer_iban="UA263351060000026007233566001", bank="Банк", mfo="335106", document_number=str(n),
        purpose=f"рах. № {accounts[n % len(accounts)]}/7/1" if n % 3 == 0 else "оплата за е/е",
    ) for n in range(PAYMENTS)]


async def invoiced_consumers(api: Any, first_account: int, count: int) -> list[str]:
    """Consumers with three invoices each (849.07 owed); their account numbers."""
    accounts = [str(first_account + index) for index in range(count)]
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    for account in accounts:
        consumer_id = await api.add_consumer(account)
        point = await api.add_point(consumer_id, f"M{account}")
        for period, previous, current in PERIODS:
            await api.bill(consumer_id, point, period, previous, current)
    return accounts


async def accepted(answers: Answers, into: set[str], count: int, within: float) -> None:
    """Collects accepted payments' ids (answers may come twice) until `count` are known."""
    while len(into) < count:
        answer = await answers.next(within)
        assert answer is not None, f"{len(into)} of {count} payments answered"
        if isinstance(answer, PaymentAccepted):
            into.add(answer.res_payment_id)


async def until_received(scalar: Callable[..., Awaitable[Any]], count: int) -> int:
    """Until billing has taken `count` payments (how many it has then): the fault strikes in the middle of the
    stream."""
    async def received() -> int | None:
        taken: int = await scalar("SELECT count(*) FROM payments")
        return taken if taken >= count else None

    taken: int = await eventually(received, within=60, interval=0.01)
    return taken


async def lost_and_doubled(scalar: Callable[..., Awaitable[Any]], sent: int) -> tuple[int, int]:
    """Payments sent but not applied; payments whose money went out more than once (allocated beyond the amount)."""
    applied = await scalar("SELECT count(*) FROM payments WHERE state = 'applied'")
    doubled = await scalar("SELECT count(*) FROM payments p WHERE p.credit + coalesce("
                           "(SELECT sum(a.amount) FROM allocations a WHERE a.payment_id = p.id), 0) > p.amount")
    return sent - applied, doubled


async def assert_applied_exactly_once(scalar: Callable[..., Awaitable[Any]], payments: Iterable[PaymentReceived],
                                      ) -> None:
    sent = list(payments)
    paid = sum((payment.amount for payment in sent), Decimal(0))
    assert await lost_and_doubled(scalar, len(sent)) == (0, 0)
    assert await scalar("SELECT sum(amount) FROM payments") == paid
    allocated = await scalar("SELECT sum(amount) FROM allocations")
    assert allocated + await scalar("SELECT sum(credit) FROM payments") == paid
    assert await scalar("SELECT sum(paid) FROM invoices") == await scalar("SELECT sum(amount) FROM allocations")
    assert await scalar("SELECT count(*) FROM invoices WHERE paid > total") == 0
    # credit is left only with consumers who have nothing open
    assert await scalar("SELECT count(DISTINCT p.consumer_id) FROM payments p JOIN invoices i USING (consumer_id) "
                        "WHERE p.credit > 0 AND i.paid < i.total") == 0


async def record_payments(request: pytest.FixtureRequest, scalar: Callable[..., Awaitable[Any]], *, fault: str,
                          running: str, sent: int, recovered_in: float) -> None:
    """The test's row of the fault matrix: what it measured, recorded before it is asserted."""
    lost, doubled = await lost_and_doubled(scalar, sent)
    record(FaultRow(test=request.node.nodeid, fault=fault, running=running, unit="payments", sent=sent, lost=lost,
                    doubled=doubled, recovered_in=recovered_in))


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[RabbitNode]:
    """A RabbitMQ node of the test's own, to stop and start."""
    with rabbitmq(tmp_path) as [node]:
        yield node


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[list[RabbitNode]]:
    """Three RabbitMQ nodes of the test's own in one cluster, as deploy/k8s runs them."""
    with rabbitmq(tmp_path, nodes=3) as nodes:
        yield nodes


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test's own, to crash and start again."""
    with postgresql(tmp_path) as server:
        yield server


@pytest.fixture
def scalar(settings: BillingSettings) -> Callable[..., Awaitable[Any]]:
    async def query(sql: str) -> Any:
        database = Database(settings.database_url, pool_size=1)
        try:
            async with database.sessionmaker() as session:
                return (await session.execute(sa.text(sql))).scalar()
        finally:
            await database.dispose()

    return query


@pytest.fixture
async def billing_process(settings: BillingSettings, test_env: dict[str, str], tmp_path: Path, amqp_url: str,
                          ) -> AsyncIterator[Process]:
    port = free_port()
    process = Process("billing", [sys.executable, "-m", "uvicorn", "billing.app:app", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-access-log"],
                      {**test_env, "CABINET_DATABASE_NAME": str(settings.database_name),
                       "CABINET_IDENTITY_URL": "http://127.0.0.1:9"},  # payments need no supplier details
                      tmp_path / "billing.log", ready_url=f"http://127.0.0.1:{port}/health/ready", ports=(port,))
    yield process
    process.stop()
    await delete_bus(amqp_url, settings.bus_namespace, ["billing"])


async def test_billing_killed_mid_stream_applies_every_payment_exactly_once(
    billing_process: Process, start_billing: Callable[[BillingSettings], AbstractAsyncContextManager[FastAPI]],
    api_of: Callable[[FastAPI], Any], settings: BillingSettings, amqp_url: str, bus_namespace: str,
    scalar: Callable[..., Awaitable[Any]], request: pytest.FixtureRequest,
) -> None:
    # the invoices are issued by billing in this process, on a bus namespace of its own: it takes no payment
    async with start_billing(settings.model_copy(update={"bus_namespace": f"{bus_namespace}seed"})) as app:
        api = api_of(app)
        async with api.client:
            accounts = await invoiced_consumers(api, 7000, CONSUMERS)
    payments = stream(accounts)
    billing_process.start()
    await asyncio.to_thread(billing_process.wait_ready)
    await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
    answered: set[str] = set()
    async with Answers(amqp_url, bus_namespace) as answers:
        # a RES system sending a statement at 2,000 payments a second: the stream still flows when billing dies
        publishing = asyncio.create_task(publish_payments(amqp_url, bus_namespace, payments, rate=2000))
        killed_at = await until_received(scalar, PAYMENTS // 5)
        billing_process.kill()  # SIGKILL: no shutdown; a batch in its transaction, outbox rows unpublished
        killed = time.monotonic()
        assert not publishing.done(), "the stream had been sent before billing was killed"
        assert await publishing == PAYMENTS
        billing_process.start()
        await asyncio.to_thread(billing_process.wait_ready)
        await accepted(answers, answered, PAYMENTS, within=60)
    await record_payments(request, scalar, fault="billing killed (SIGKILL) and started again",
                          running=f"billing (a process) taking {PAYMENTS:,} payments at 2,000/s from a RES system",
                          sent=PAYMENTS, recovered_in=time.monotonic() - killed)
    assert killed_at < PAYMENTS
    await assert_applied_exactly_once(scalar, payments)


async def test_rabbitmq_restarted_mid_stream_applies_every_payment_exactly_once(
    own_broker: RabbitNode, settings: BillingSettings, bus_namespace: str, request: pytest.FixtureRequest,
    start_billing: Callable[[BillingSettings], AbstractAsyncContextManager[FastAPI]], api_of: Callable[[FastAPI], Any],
) -> None:
    amqp_url = own_broker.amqp_url
    async with start_billing(settings.model_copy(update={"amqp_url": amqp_url})) as app:
        api = api_of(app)
        async with api.client:
            accounts = await invoiced_consumers(api, 8000, CONSUMERS // 4)
            await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
            payments = stream(accounts)
            first, rest = payments[:PAYMENTS // 4], payments[PAYMENTS // 4:]
            # a durable answers queue, as a real RES system keeps: answers wait in it while the broker is down
            queue = f"{bus_namespace}.res.fault-{secrets.token_hex(3)}.answers"
            answered: set[str] = set()
            async with Answers(amqp_url, bus_namespace, queue=queue) as answers:
                assert await publish_events(amqp_url, bus_namespace, first) == len(first)
                await accepted(answers, answered, len(first) // 2, within=60)
                # the consumers' rows held by another transaction: billing's next batch waits inside its own
                async with api.database.transaction() as session:
                    await session.execute(sa.text("SELECT id FROM consumers ORDER BY id FOR UPDATE"))
                    assert await publish_events(amqp_url, bus_namespace, rest) == len(rest)
                    await eventually(lambda: api.scalar(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"))
                    await asyncio.to_thread(own_broker.stop_app)
                # the batch commits now, with the broker away: its messages cannot be acknowledged, its answers
                # not sent
                try:
                    stopped_at = await api.scalar("SELECT count(*) FROM payments")
                    await asyncio.sleep(2)
                finally:
                    await asyncio.to_thread(own_broker.start_app)
            back = time.monotonic()
            async with Answers(amqp_url, bus_namespace, queue=queue) as answers:
                await accepted(answers, answered, PAYMENTS, within=60)
            await record_payments(
                request, api.scalar, fault="RabbitMQ stopped (`rabbitmqctl stop_app`) for 2 s and started again",
                running=f"billing taking {PAYMENTS:,} payments from a RES system, a batch waiting on a lock",
                sent=PAYMENTS, recovered_in=time.monotonic() - back)
            assert len(first) <= stopped_at < PAYMENTS
            await assert_applied_exactly_once(api.scalar, payments)
            assert await api.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


def retried() -> float:
    """Payments billing's consumer could not handle and sent to a retry queue, in this process so far."""
    return REGISTRY.get_sample_value("cabinet_events_retried_total",
                                     {"service": "billing", "message_type": PaymentReceived.message_type()}) or 0.0


async def queue_leader(node: RabbitNode, queue: str) -> str:
    listed = json.loads(await asyncio.to_thread(node.ctl, "list_queues", "name", "leader", "--formatter", "json"))
    return str(next(item["leader"] for item in listed if item["name"] == queue))


async def test_a_broker_node_killed_mid_stream_loses_and_doubles_no_payment(
    own_cluster: list[RabbitNode], settings: BillingSettings, bus_namespace: str, request: pytest.FixtureRequest,
    start_billing: Callable[[BillingSettings], AbstractAsyncContextManager[FastAPI]], api_of: Callable[[FastAPI], Any],
) -> None:
    served, _, doomed = own_cluster
    queue = Topology(bus_namespace, "billing").queue
    answers_queue = f"{bus_namespace}.res.fault-{secrets.token_hex(3)}.answers"
    # billing's queue and the RES system's answers led by the node that dies (a quorum queue's first leader is the
    # node its declarer is connected to); billing and the RES system are connected to another
    connection = await aio_pika.connect(doomed.amqp_url)
    async with connection:
        await (await connection.channel()).declare_queue(queue, durable=True, arguments=QUORUM)
    async with Answers(doomed.amqp_url, bus_namespace, queue=answers_queue):
        pass
    async with start_billing(settings.model_copy(update={"amqp_url": served.amqp_url})) as app:
        api = api_of(app)
        async with api.client:
            accounts = await invoiced_consumers(api, 9000, CONSUMERS)
            await wait_for_consumer(served.amqp_url, queue)
            assert await queue_leader(served, queue) == doomed.node
            payments = stream(accounts)
            answered: set[str] = set()
            async with Answers(served.amqp_url, bus_namespace, queue=answers_queue) as answers:
                publishing = asyncio.create_task(
                    publish_payments(served.amqp_url, bus_namespace, payments, rate=2000))
                await until_received(api.scalar, PAYMENTS // 5)
                doomed.kill()  # SIGKILL: the leader of both queues gone without a word
                killed = time.monotonic()
                assert not publishing.done(), "the stream had been sent before the node was killed"
                assert await publishing == PAYMENTS
                await accepted(answers, answered, PAYMENTS, within=60)
            await record_payments(
                request, api.scalar, fault="one node of three of a RabbitMQ cluster killed (SIGKILL): the leader "
                "of billing's quorum queue and of the answers' queue",
                running=f"billing taking {PAYMENTS:,} payments at 2,000/s from a RES system, both connected to "
                "another node", sent=PAYMENTS, recovered_in=time.monotonic() - killed)
            assert await queue_leader(served, queue) != doomed.node
            await assert_applied_exactly_once(api.scalar, payments)
            assert await api.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_postgresql_crashed_under_billing_mid_stream_loses_and_doubles_no_payment(
    own_postgres: PostgresServer, settings: BillingSettings, amqp_url: str, bus_namespace: str,
    request: pytest.FixtureRequest, start_billing: Callable[[BillingSettings], AbstractAsyncContextManager[FastAPI]],
    api_of: Callable[[FastAPI], Any],
) -> None:
    on_own = settings.model_copy(update={"postgres_url": own_postgres.url})
    await create_database_if_missing(on_own.database_url)
    async with start_billing(on_own) as app:
        api = api_of(app)
        async with api.client:
            accounts = await invoiced_consumers(api, 9500, CONSUMERS)
            await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
            payments = stream(accounts)
            answered: set[str] = set()
            retried_before = retried()
            async with Answers(amqp_url, bus_namespace) as answers:
                publishing = asyncio.create_task(publish_payments(amqp_url, bus_namespace, payments, rate=2000))
                await until_received(api.scalar, PAYMENTS // 5)
                # as `pg_ctl stop -m immediate` or a crash: no checkpoint, every connection cut, recovery from the WAL
                await asyncio.to_thread(own_postgres.crash)
                assert not publishing.done(), "the stream had been sent before PostgreSQL crashed"
                await asyncio.sleep(2)
                own_postgres.launch()
                await asyncio.to_thread(own_postgres.wait_ready)
                back = time.monotonic()
                assert await publishing == PAYMENTS
                await accepted(answers, answered, PAYMENTS, within=180)
            await record_payments(
                request, api.scalar, fault="PostgreSQL crashed (immediate stop) under billing, started 2 s later",
                running=f"billing taking {PAYMENTS:,} payments at 2,000/s from a RES system",
                sent=PAYMENTS, recovered_in=time.monotonic() - back)
            assert retried() > retried_before, "no payment met the database away"
            await assert_applied_exactly_once(api.scalar, payments)
            assert await api.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
