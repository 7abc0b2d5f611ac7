"""Bus throughput: events/s from the outbox through RabbitMQ into an inbox handler that writes to its database,
beside a bare aio-pika publish→consume loop (quorum queue, confirms, persistent messages) in the same run.

Both loops run as the system does: the producing side and the consuming side in two processes. The bus is
measured twice: draining an outbox filled beforehand (the path from the outbox on), and with the producer
writing its events while the relay publishes them in the same process (a service under load).

    python bench/bus.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import ClassVar

import aio_pika
import sqlalchemy as sa
from sqlalchemy import MetaData

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from shared.bus import Bus, MessageContext, Subscriptions, Topology, add, on_batch
from shared.bus.tables import add_bus_tables
from shared.contracts.base import Event
from shared.db import Database, create_database_if_missing, drop_database, on_commit

POSTGRES = os.environ.get("CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP = os.environ.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PUBLISH_WINDOW = 500
PRODUCER_TRANSACTION = 100
BODY = b'{"metering_point": 1, "value": "12345.6"}'


class ReadingAccepted(Event):
    event_name: ClassVar[str] = "bench.reading_accepted"
    metering_point: int
    value: str


metadata = MetaData()
add_bus_tables(metadata)
sink = sa.Table("accepted_readings", metadata, sa.Column("metering_point", sa.Integer),
                sa.Column("value", sa.Text))


# --- bare aio-pika -----------------------------------------------------------------------------------------

async def _bare_consume(queue_name: str, count: int, ready: ProcessEvent, done: multiprocessing.Queue) -> None:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=256)
        queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        received = 0
        finished = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                finished.set()

        await queue.consume(on_message)
        ready.set()
        await finished.wait()
        done.put(time.time())


async def _bare_publish(queue_name: str, count: int) -> None:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for window in range(0, count, PUBLISH_WINDOW):
            await asyncio.gather(*(
                channel.default_exchange.publish(
                    aio_pika.Message(BODY, message_id=str(i), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue_name)
                for i in range(window, min(window + PUBLISH_WINDOW, count))
            ))


def _run_bare_consumer(queue_name: str, count: int, ready: ProcessEvent, done: multiprocessing.Queue) -> None:
    asyncio.run(_bare_consume(queue_name, count, ready, done))


def bare_loop(count: int) -> float:
    queue_name = f"bench.bare.{secrets.token_hex(4)}"
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Queue()
    consumer = context.Process(target=_run_bare_consumer, args=(queue_name, count, ready, done))
    consumer.start()
    ready.wait(60)
    started = time.time()
    asyncio.run(_bare_publish(queue_name, count))
    finished = done.get(timeout=600)
    consumer.join()

    async def delete() -> None:
        connection = await aio_pika.connect(AMQP)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue_name)

    asyncio.run(delete())
    return count / (finished - started)


# --- our bus -----------------------------------------------------------------------------------------------

#: readings whose transaction committed, counted in memory as the bare loop counts its messages (polling the table
#: would take the consumer's process and the database from the bus being measured)
committed = 0


async def accept(events: list[ReadingAccepted], contexts: list[MessageContext]) -> None:
    await contexts[0].session.execute(
        sa.insert(sink), [{"metering_point": e.metering_point, "value": e.value} for e in events]
    )

    def count() -> None:
        global committed
        committed += len(events)

    on_commit(contexts[0].session, count)


async def _bus_consume(url: str, namespace: str, count: int, ready: ProcessEvent,
                       done: multiprocessing.Queue) -> None:
    database = Database(url)
    bus = Bus(amqp_url=AMQP, database=database, topology=Topology(namespace, "consumer"),
              subscriptions=Subscriptions(on_batch(ReadingAccepted, accept)), prefetch=256)
    await bus.start()
    while not bus.connected:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # its queue is declared
    ready.set()
    while committed < count:
        await asyncio.sleep(0.005)
    finished = time.time()
    async with database.sessionmaker() as session:
        handled = int((await session.execute(sa.select(sa.func.count()).select_from(sink))).scalar_one())
    done.put((finished, handled))
    await bus.stop()
    await database.dispose()


def _run_bus_consumer(url: str, namespace: str, count: int, ready: ProcessEvent,
                      done: multiprocessing.Queue) -> None:
    asyncio.run(_bus_consume(url, namespace, count, ready, done))


async def _fill_outbox(database: Database, count: int) -> None:
    for start in range(0, count, PRODUCER_TRANSACTION):
        async with database.transaction() as session:
            await add(session, *(ReadingAccepted(metering_point=n, value="12345.6")
                                 for n in range(start, min(start + PRODUCER_TRANSACTION, count))))


async def _bus_produce(url: str, namespace: str, count: int, prefilled: bool) -> float:
    """Returns when the relay started; with `prefilled`, the outbox was filled before that."""
    database = Database(url)
    if prefilled:
        await _fill_outbox(database, count)
    await _settle_database(database)
    bus = Bus(amqp_url=AMQP, database=database, topology=Topology(namespace, "producer"))
    started = time.time()
    await bus.start()
    if not prefilled:
        await _fill_outbox(database, count)
    return_when_empty = sa.select(sa.func.count()).select_from(sa.table("outbox", sa.column("published_at"))).where(
        sa.column("published_at").is_(None))
    while True:
        async with database.sessionmaker() as session:
            if not (await session.execute(return_when_empty)).scalar_one():
                break
        await asyncio.sleep(0.05)
    await bus.stop()
    await database.dispose()
    return started


async def _settle_database(database: Database) -> None:
    """Write out what the bench's own set-up dirtied (new databases, a filled outbox), so that flushing it does not
    fall into the measured seconds of the bus, which the bare loop would not share."""
    async with database.engine.connect() as connection:
        await connection.execute(sa.text("CHECKPOINT"))


def our_bus(count: int, *, prefilled: bool) -> float:
    namespace = f"bench{secrets.token_hex(3)}"
    producer_url = f"{POSTGRES}/bench_producer_{secrets.token_hex(4)}"
    consumer_url = f"{POSTGRES}/bench_consumer_{secrets.token_hex(4)}"

    async def prepare() -> None:
        for url in (producer_url, consumer_url):
            await create_database_if_missing(url)
            database = Database(url)
            async with database.engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
            await database.dispose()

    asyncio.run(prepare())
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Queue()
    consumer = context.Process(target=_run_bus_consumer, args=(consumer_url, namespace, count, ready, done))
    consumer.start()
    ready.wait(60)
    started = asyncio.run(_bus_produce(producer_url, namespace, count, prefilled))
    finished, handled = done.get(timeout=600)
    consumer.join()
    assert handled == count, f"every event handled exactly once: {handled} of {count}"

    async def cleanup() -> None:
        connection = await aio_pika.connect(AMQP)
        async with connection:
            channel = await connection.channel()
            for name in Topology(namespace, "consumer").all_queues():
                await channel.queue_delete(name)
            await channel.exchange_delete(Topology(namespace, "consumer").exchange)
        for url in (producer_url, consumer_url):
            await drop_database(url)

    asyncio.run(cleanup())
    return count / (finished - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the three loops, interleaved; the broker's pace drifts between runs")
    args = parser.parse_args()
    print(machine())
    bare: list[float] = []
    drained: list[float] = []
    continuous: list[float] = []
    for round_number in range(1, args.rounds + 1):
        bare.append(bare_loop(args.events))
        drained.append(our_bus(args.events, prefilled=True))
        continuous.append(our_bus(args.events, prefilled=False))
        print(f"round {round_number}: bare {bare[-1]:5.0f} msg/s, bus from a filled outbox {drained[-1]:5.0f} "
              f"events/s ({drained[-1] / bare[-1]:.2f}), while producing {continuous[-1]:5.0f} "
              f"({continuous[-1] / bare[-1]:.2f})")
    bare_median = statistics.median(bare)
    print(f"medians of {args.rounds} rounds of {args.events} events:")
    print(f"bare aio-pika publish→consume (quorum, confirms, persistent):  {bare_median:7.0f} messages/s")
    print("bus: outbox→relay→RabbitMQ→inbox handler with a DB write,")
    for what, figures in (("from a filled outbox:                                     ", drained),
                          ("while the producer keeps writing the outbox (same process):", continuous)):
        print(f"     {what} {statistics.median(figures):7.0f} events/s"
              f"   ratio {statistics.median(figures) / bare_median:.2f}")
    print("aim: bus at least 1.0 of the bare loop from a filled outbox, 0.9 while the producer writes")


if __name__ == "__main__":
    main()
