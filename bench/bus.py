"""Bus throughput: events/s from the outbox through RabbitMQ into an inbox handler that writes to its database,
beside a bare aio-pika publish→consume loop (quorum queue, confirms, persistent messages) in the same run.

    python bench/bus.py [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
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
from shared.db import Database, create_database_if_missing, drop_database

POSTGRES = os.environ.get("CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP = os.environ.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PUBLISH_WINDOW = 500
PRODUCER_TRANSACTION = 100


class ReadingAccepted(Event):
    event_name: ClassVar[str] = "bench.reading_accepted"
    metering_point: int
    value: str


metadata = MetaData()
add_bus_tables(metadata)
sink = sa.Table("accepted_readings", metadata, sa.Column("metering_point", sa.Integer), sa.Column("value", sa.Text))


async def bare_loop(count: int) -> float:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=256)
        queue = await channel.declare_queue(f"bench.bare.{secrets.token_hex(4)}", durable=True,
                                            arguments={"x-queue-type": "quorum"})
        received = 0
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                done.set()

        await queue.consume(on_message)
        body = b'{"metering_point": 1, "value": "12345.6"}'
        started = time.perf_counter()
        for window in range(0, count, PUBLISH_WINDOW):
            await asyncio.gather(*(
                channel.default_exchange.publish(
                    aio_pika.Message(body, message_id=str(i), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue.name)
                for i in range(window, min(window + PUBLISH_WINDOW, count))
            ))
        await done.wait()
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
    return count / elapsed


async def our_bus(count: int) -> float:
    url = f"{POSTGRES}/bench_bus_{secrets.token_hex(4)}"
    await create_database_if_missing(url)
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)

    async def accept(events: list[ReadingAccepted], contexts: list[MessageContext]) -> None:
        await contexts[0].session.execute(
            sa.insert(sink), [{"metering_point": e.metering_point, "value": e.value} for e in events]
        )

    topology = Topology(f"bench{secrets.token_hex(3)}", "metering")
    bus = Bus(amqp_url=AMQP, database=database, topology=topology,
              subscriptions=Subscriptions(on_batch(ReadingAccepted, accept)), prefetch=256)
    await bus.start()
    while not bus.connected:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # queues declared

    async def handled() -> int:
        async with database.sessionmaker() as session:
            return int((await session.execute(sa.select(sa.func.count()).select_from(sink))).scalar_one())

    started = time.perf_counter()
    for start in range(0, count, PRODUCER_TRANSACTION):
        async with database.transaction() as session:
            await add(session, *(ReadingAccepted(metering_point=n, value="12345.6")
                                 for n in range(start, min(start + PRODUCER_TRANSACTION, count))))
    while await handled() < count:
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    assert await handled() == count, "every event handled exactly once"
    await bus.stop()
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        for name in topology.all_queues():
            await channel.queue_delete(name)
        await channel.exchange_delete(topology.exchange)
    await database.dispose()
    await drop_database(url)
    return count / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    print(machine())
    bare = await bare_loop(args.events)
    ours = await our_bus(args.events)
    print(f"bare aio-pika publish→consume (quorum, confirms, persistent): {bare:8.0f} messages/s")
    print(f"bus outbox→relay→RabbitMQ→inbox handler with a DB write:      {ours:8.0f} events/s")
    print(f"ratio bus/bare: {ours / bare:.2f}  (aim ≥ 0.80)")


if __name__ == "__main__":
    asyncio.run(main())
