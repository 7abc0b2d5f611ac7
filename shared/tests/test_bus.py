"""The bus against real PostgreSQL and RabbitMQ: outbox → relay → queue → inbox handler, retries, dead letters."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar

import aio_pika
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy import MetaData

from shared.bus import Bus, MessageContext, PermanentError, Subscriptions, Topology, add, on, on_batch
from shared.bus.tables import OUTBOX, add_bus_tables
from shared.contracts.base import Event
from shared.db import Database
from shared.testing import delete_bus, eventually, wait_for_consumer


class Pinged(Event):
    event_name: ClassVar[str] = "test.pinged"
    number: int


class Exploded(Event):
    event_name: ClassVar[str] = "test.exploded"
    permanent: bool = False


metadata = MetaData()
add_bus_tables(metadata)
handled = sa.Table("handled", metadata, sa.Column("number", sa.Integer, nullable=False))


@pytest.fixture
async def database(database_factory) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    db = Database(await database_factory("bus"))
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    await db.dispose()


@pytest.fixture
async def cleanup_broker(amqp_url: str, bus_namespace: str) -> AsyncIterator[None]:
    yield
    await delete_bus(amqp_url, bus_namespace, ["test"])


async def count_handled(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(handled))).scalar_one())


def make_bus(database: Database, amqp_url: str, namespace: str, subscriptions: Subscriptions) -> Bus:
    return Bus(amqp_url=amqp_url, database=database, topology=Topology(namespace, "test"),
               subscriptions=subscriptions, prefetch=64)


async def record(event: Pinged, context: MessageContext) -> None:
    await context.session.execute(sa.insert(handled).values(number=event.number))


async def test_events_flow_from_outbox_to_handler_once_each(database, amqp_url, bus_namespace, cleanup_broker):
    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, record)))
    await bus.start()
    try:
        for start in range(0, 300, 100):
            async with database.transaction() as session:
                await add(session, *(Pinged(number=n) for n in range(start, start + 100)))

        async def all_handled() -> bool:
            return await count_handled(database) == 300

        await eventually(all_handled)
        async with database.sessionmaker() as session:
            unpublished = (await session.execute(
                sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            )).scalar_one()
            numbers = sorted(r[0] for r in await session.execute(sa.select(handled.c.number)))
        assert unpublished == 0
        assert numbers == list(range(300))
    finally:
        await bus.stop()


async def test_rolled_back_transaction_publishes_nothing(database, amqp_url, bus_namespace, cleanup_broker):
    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, record)))
    await bus.start()
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await add(session, Pinged(number=1))
                raise RuntimeError("the state change failed")
        async with database.transaction() as session:
            await add(session, Pinged(number=2))

        async def one_handled() -> bool:
            return await count_handled(database) == 1

        await eventually(one_handled)
        async with database.sessionmaker() as session:
            # the rolled-back event never reached the outbox, so nothing more is on its way
            assert (await session.execute(sa.select(sa.func.count()).select_from(OUTBOX))).scalar_one() == 1
            assert [r[0] for r in await session.execute(sa.select(handled.c.number))] == [2]
    finally:
        await bus.stop()


async def test_redelivered_message_is_handled_once(database, amqp_url, bus_namespace, cleanup_broker):
    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, record)))
    await bus.start()
    try:
        await wait_for_consumer(amqp_url, bus.topology.queue)  # its queue is bound: what is published now reaches it
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(f"{bus_namespace}.events")
            message_id = str(uuid.uuid4())
            for _ in range(3):
                await exchange.publish(
                    aio_pika.Message(json.dumps({"number": 7}).encode(), message_id=message_id,
                                     type=Pinged.message_type(), content_type="application/json"),
                    routing_key=Pinged.message_type(),
                )

        async def handled_once() -> bool:
            return await count_handled(database) == 1

        await eventually(handled_once)
        await asyncio.sleep(0.5)  # the copies are not handled: they would be within this time
        assert await count_handled(database) == 1
    finally:
        await bus.stop()


async def test_malformed_and_permanently_failing_messages_are_dead_lettered_with_reason(
    database, amqp_url, bus_namespace, cleanup_broker
):
    async def explode(event: Exploded, context: MessageContext) -> None:
        raise PermanentError("this invoice does not exist")

    bus = make_bus(database, amqp_url, bus_namespace,
                   Subscriptions(on(Pinged, record), on(Exploded, explode)))
    await bus.start()
    try:
        await wait_for_consumer(amqp_url, bus.topology.queue)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(f"{bus_namespace}.events")
            await exchange.publish(
                aio_pika.Message(b'{"number": "not a number"}', message_id="bad-1", type=Pinged.message_type()),
                routing_key=Pinged.message_type(),
            )
            async with database.transaction() as session:
                await add(session, Exploded(permanent=True), Pinged(number=5))

            async def good_one_handled() -> bool:
                return await count_handled(database) == 1

            await eventually(good_one_handled)
            dlq = await channel.declare_queue(f"{bus_namespace}.test.dlq", passive=True)
            reasons = {}
            for _ in range(2):
                message = await _get(dlq)
                reasons[message.type] = message.headers["x-dead-letter-reason"]
                await message.ack()
        assert "number" in reasons[Pinged.message_type()]
        assert "this invoice does not exist" in reasons[Exploded.message_type()]
    finally:
        await bus.stop()


async def _get(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    return await eventually(lambda: queue.get(fail=False), within=10.0, what=f"a message on {queue.name}")


async def test_failing_handler_is_retried_with_backoff_then_succeeds(database, amqp_url, bus_namespace,
                                                                    cleanup_broker):
    failures = {"left": 1}

    async def flaky(event: Pinged, context: MessageContext) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the SMTP server went away")
        await record(event, context)

    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, flaky)))
    await bus.start()
    try:
        async with database.transaction() as session:
            await add(session, Pinged(number=9))

        async def handled_after_retry() -> bool:
            return await count_handled(database) == 1

        await eventually(handled_after_retry, within=15)
        assert failures["left"] == 0
    finally:
        await bus.stop()


async def test_service_writes_events_while_broker_is_unreachable_and_they_leave_later(
    database, amqp_url, bus_namespace, cleanup_broker
):
    """A bus pointed at a closed port stands for a stopped broker; events wait in the outbox."""
    down = Bus(amqp_url="amqp://guest:guest@127.0.0.1:1/", database=database,
               topology=Topology(bus_namespace, "test"), subscriptions=Subscriptions(on(Pinged, record)))
    await down.start()
    async with database.transaction() as session:
        await add(session, Pinged(number=11))
    await asyncio.sleep(0.5)  # the bus tries to connect and cannot
    assert not down.connected
    await down.stop()
    assert await count_handled(database) == 0

    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, record)))
    await bus.start()
    try:
        async def handled() -> bool:
            return await count_handled(database) == 1

        await eventually(handled)
    finally:
        await bus.stop()


class Refused(Event):
    event_name: ClassVar[str] = "test.refused"
    message_id: str
    why: str


async def test_a_message_breaking_its_contract_is_answered_once_and_dead_lettered(
    database, amqp_url, bus_namespace, cleanup_broker
):
    def refuse(body: bytes, problems: Sequence[str], message_id: str | None) -> list[Event]:
        return [Refused(message_id=str(message_id), why="; ".join(problems))]

    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on(Pinged, record, refusal=refuse)))
    await bus.start()
    try:
        await wait_for_consumer(amqp_url, bus.topology.queue)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(f"{bus_namespace}.events")
            answers = await channel.declare_queue(exclusive=True)
            await answers.bind(exchange, Refused.message_type())
            for _ in range(2):  # delivered twice: answered once
                await exchange.publish(
                    aio_pika.Message(b'{"number": "x"}', message_id="bad-2", type=Pinged.message_type()),
                    routing_key=Pinged.message_type(),
                )
            answer = await _get(answers)
            body = json.loads(answer.body)
            assert body["message_id"] == "bad-2" and "number" in body["why"]
            dlq = await channel.declare_queue(f"{bus_namespace}.test.dlq", passive=True)
            for _ in range(2):
                assert "number" in (await _get(dlq)).headers["x-dead-letter-reason"]
            await asyncio.sleep(0.5)  # no second answer: it would have come within this time
            assert await answers.get(fail=False) is None
    finally:
        await bus.stop()


async def rabbitmqctl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec("rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    output, error = await process.communicate()
    assert process.returncode == 0, error.decode()
    return output.decode()


async def close_connection_of(service: str) -> None:
    """The broker closes the bus's connection (the connection name is the service's), as it does when it restarts."""
    listed = await rabbitmqctl("list_connections", "-q", "pid", "client_properties")
    pids = [line.split("\t", 1)[0] for line in listed.splitlines() if f'{{"connection_name","{service}"}}' in line]
    assert len(pids) == 1, listed
    await rabbitmqctl("close_connection", pids[0], "closed by a test")


@pytest.mark.parametrize("lost", ["connection closed by the broker", "queue deleted"])
async def test_the_consumer_comes_back_after_its_channel_or_consumer_is_lost(database, amqp_url, bus_namespace,
                                                                              lost):
    """Nothing restores a consumer of a lost channel or one the broker cancelled: the bus consumes again on a new
    channel (the deliveries of the lost one are never acknowledged on it: their tags belong to the lost channel)."""
    service = f"test-{secrets.token_hex(3)}"  # a connection name of its own: only this bus's connection is closed
    topology = Topology(bus_namespace, service)
    bus = Bus(amqp_url=amqp_url, database=database, topology=topology, subscriptions=Subscriptions(on(Pinged, record)),
              prefetch=64)
    await bus.start()
    try:
        async with database.transaction() as session:
            await add(session, Pinged(number=1))

        async def handled(count: int) -> bool:
            return await count_handled(database) == count

        await eventually(lambda: handled(1))
        if lost == "queue deleted":  # the broker cancels the consumer
            connection = await aio_pika.connect(amqp_url)
            async with connection:
                await (await connection.channel()).queue_delete(topology.queue)
        else:
            await close_connection_of(service)
        # a deleted queue is bound again before the next event is published; a closed connection's queue keeps the
        # event until the consumer is back
        await wait_for_consumer(amqp_url, topology.queue)
        async with database.transaction() as session:
            await add(session, Pinged(number=2))
        await eventually(lambda: handled(2), within=20)
    finally:
        await bus.stop()
        await delete_bus(amqp_url, bus_namespace, [service])


async def test_a_poison_message_in_a_batch_is_dead_lettered_alone_and_the_others_handled(
    database, amqp_url, bus_namespace, cleanup_broker
):
    """A batch handler that fails for one event fails the batch's transaction: its messages are then handled one by
    one, so the poison one is dead-lettered with its reason, and no other is lost or held back."""
    batch_sizes: list[int] = []

    async def record_all(events: list[Pinged], contexts: list[MessageContext]) -> None:
        batch_sizes.append(len(events))
        if any(event.number == 13 for event in events):
            raise PermanentError("payment 13 names an account that never existed")
        await contexts[0].session.execute(sa.insert(handled), [{"number": event.number} for event in events])

    bus = make_bus(database, amqp_url, bus_namespace, Subscriptions(on_batch(Pinged, record_all)))
    await bus.start()
    try:
        async with database.transaction() as session:
            await add(session, *(Pinged(number=n) for n in range(100)))

        async def all_others_handled() -> bool:
            return await count_handled(database) == 99

        await eventually(all_others_handled)
        assert max(batch_sizes) > 1  # handled in batches, not one by one from the start
        async with database.sessionmaker() as session:
            numbers = sorted(r[0] for r in await session.execute(sa.select(handled.c.number)))
        assert numbers == [n for n in range(100) if n != 13]
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            dlq = await (await connection.channel()).declare_queue(f"{bus_namespace}.test.dlq", passive=True)
            poison = await _get(dlq)
            await poison.ack()
            assert json.loads(poison.body)["number"] == 13
            assert poison.headers["x-dead-letter-kind"] == "rejected"
            assert "payment 13 names an account that never existed" in str(poison.headers["x-dead-letter-reason"])
            await asyncio.sleep(0.5)  # no other message follows it: one would be there within this time
            assert await dlq.get(fail=False) is None
    finally:
        await bus.stop()


async def test_a_batch_committed_as_the_broker_closes_the_connection_is_handled_exactly_once(
    database, amqp_url, bus_namespace
):
    """The broker closes the connection while a batch is in its transaction: the transaction commits, the batch's
    acknowledgement cannot go, and the broker delivers its messages again on the new connection; the inbox knows
    them, so each is handled once."""
    service = f"test-{secrets.token_hex(3)}"  # a connection name of its own: only this bus's connection is closed
    closed: list[int] = []

    async def record_all(events: list[Pinged], contexts: list[MessageContext]) -> None:
        await contexts[0].session.execute(sa.insert(handled), [{"number": event.number} for event in events])
        if not closed:
            closed.append(len(events))
            await close_connection_of(service)

    bus = Bus(amqp_url=amqp_url, database=database, topology=Topology(bus_namespace, service),
              subscriptions=Subscriptions(on_batch(Pinged, record_all)), prefetch=64)
    await bus.start()
    try:
        async with database.transaction() as session:
            await add(session, *(Pinged(number=n) for n in range(200)))

        async def all_handled() -> bool:
            duplicates = REGISTRY.get_sample_value("cabinet_events_consumed_total", {
                "service": service, "message_type": Pinged.message_type(), "outcome": "duplicate"}) or 0
            return await count_handled(database) >= 200 and duplicates >= closed[0]

        await eventually(all_handled, within=60)
        async with database.sessionmaker() as session:
            numbers = sorted(r[0] for r in await session.execute(sa.select(handled.c.number)))
        assert numbers == list(range(200))  # each once, the batch delivered again included
        assert closed[0] > 1
    finally:
        await bus.stop()
        await delete_bus(amqp_url, bus_namespace, [service])
