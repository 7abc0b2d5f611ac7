"""The metering app on a database of its own (real PostgreSQL) and a bus namespace of its own (real RabbitMQ).

`api` calls it over ASGI with service tokens the way the gateway does and looks into its database; `clock` sets the
business date the app sees; `broker` publishes as the other contexts do and reads metering's dead letters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractIncomingMessage
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from metering.app import create_app
from metering.consumers import keep_consumer
from metering.settings import MeteringSettings
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens
from shared.bus import Topology
from shared.bus.topology import declare_exchange
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.base import REGISTRY, Event
from shared.contracts.identity import ConsumerAccountCreated
from shared.testing import BRANCH_ID, ServiceApi, delete_bus, staff_of, wait_for_consumer

#: the tables a refused request must leave alone
#: the RES system the tests' readings come from
RES_SYSTEM = "roe-donetsk"
TABLES = ("metering_points", "acts", "act_lines", "accepted_readings", "res_submissions", "outbox")


class Clock:
    """The time the app sees: noon in Kyiv of the day set."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, tzinfo=BUSINESS_TIME_ZONE)

    def set(self, year: int, month: int, day: int) -> None:
        self.now = datetime.combine(date(year, month, day), time(12), tzinfo=BUSINESS_TIME_ZONE)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str,
) -> MeteringSettings:
    url = make_url(await database_factory("metering"))
    return MeteringSettings(
        postgres_url=postgres_url, database_name=url.database, amqp_url=amqp_url, bus_namespace=bus_namespace,
        service_token_secret=service_token_secret, log_format="console",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(settings: MeteringSettings, amqp_url: str, clock: Clock) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    app.state.metering.clock = clock
    topology = Topology(settings.bus_namespace, "metering")
    async with app.router.lifespan_context(app):
        await wait_for_consumer(amqp_url, topology.queue)
        yield app
    await delete_bus(amqp_url, settings.bus_namespace, ["metering"])


def staff() -> Principal:
    return staff_of()


def consumer_user(consumer_id: uuid.UUID) -> Principal:
    return Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER,
                     consumer_role=ConsumerRole.DIRECTOR)


def account(consumer_id: uuid.UUID | None = None, **changes: Any) -> ConsumerAccountCreated:
    fields: dict[str, Any] = {
        "consumer_id": consumer_id or uuid.uuid4(), "account_number": f"{uuid.uuid4().int % 10**8:08d}",
        "name": 'Кооператив "Автомобіліст-2"', "edrpou": "12345678", "branch_id": BRANCH_ID,
        "branch_name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "agreement_email": "demo@cabinet.local", "billing_day": 25,
        "self_calculation": True, "e_signature": True,
    }
    return ConsumerAccountCreated(**(fields | changes))


def installation(zones: int | str, registers: list[str], value: str = "0") -> list[dict[str, Any]]:
    """`value` at every register and zone of a meter of this shape; none for a wrong shape (whose own code is the
    one a test expects)."""
    if str(zones) not in ("1", "2", "3") or sorted(registers) not in (["active"], ["active", "reactive"]):
        return []
    return [{"energy": energy, "zone": zone, "value": value}
            for energy in ("active", "reactive") if energy in registers for zone in range(1, int(zones) + 1)]


def point_body(**changes: Any) -> dict[str, Any]:
    """A point's body; installed at 0 unless `installation_readings` are given."""
    body: dict[str, Any] = {
        "meter_serial": f"SN-{uuid.uuid4().hex[:10]}", "zones": 2, "digits": 5, "ct_ratio": "40", "vt_ratio": "1",
        "location": "consumer_site", "consumer_reads": True, "registers": ["active"], "tariff_class": "class2_general",
    } | changes
    return {"installation_readings": installation(body["zones"], body["registers"])} | body


class Api(ServiceApi):
    """The metering API as the gateway calls it, and a look into the service's database."""

    staff = staticmethod(staff)
    consumer_user = staticmethod(consumer_user)
    account = staticmethod(account)
    point_body = staticmethod(point_body)
    installation = staticmethod(installation)

    def __init__(self, app: FastAPI, tokens: ServiceTokens) -> None:
        super().__init__(app, tokens, "metering")

    async def refused(self, status: int, method: str, path: str, principal: Principal, **kwargs: Any
                      ) -> dict[str, Any]:
        """The error body of a call that must fail with `status` and change nothing."""
        before = await self.snapshot()
        response = await self.call(method, path, principal, **kwargs)
        assert response.status_code == status, response.text
        assert await self.snapshot() == before
        detail: dict[str, Any] = response.json()["detail"]
        return detail

    async def add_consumer(self, event: ConsumerAccountCreated | None = None) -> ConsumerAccountCreated:
        """A consumer account as identity's event makes it (the handler's use case, without the broker)."""
        event = event or account()
        async with self.database.transaction() as session:
            await keep_consumer(session, event)
        return event

    async def add_point(self, consumer_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
        point: dict[str, Any] = await self.ok("POST", f"/consumers/{consumer_id}/points", staff(),
                                              json=point_body(**changes))
        return point

    async def snapshot(self) -> dict[str, int]:
        return {table: int(await self.scalar(f"SELECT count(*) FROM {table}")) for table in TABLES}  # noqa: S608


@pytest.fixture
async def api(app: FastAPI, service_token_secret: str) -> AsyncIterator[Api]:
    api = Api(app, ServiceTokens(service_token_secret, issuer="gateway"))
    async with api.client:
        yield api


@dataclass
class Broker:
    """The test's side of the bus: publishes as identity, billing, documents, signature and RES systems do."""

    connection: AbstractConnection
    channel: AbstractChannel
    exchange: AbstractExchange
    topology: Topology

    async def publish(self, event: Event | None = None, *, body: bytes | None = None,
                      message_type: str | None = None, message_id: str | None = None) -> str:
        message_id = message_id or str(uuid.uuid4())
        message_type = message_type or (event.message_type() if event else "unknown.v1")
        contract = REGISTRY.get(message_type)
        # a RES system's message: its routing key names the RES system that sends it
        routing_key = contract.routing_key(RES_SYSTEM) if contract and contract.routed_per_partner else message_type
        await self.exchange.publish(
            aio_pika.Message(
                body=body if body is not None else (event.model_dump_json().encode() if event else b"{}"),
                message_id=message_id, type=message_type, content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )
        return message_id

    async def dead_letters(self) -> list[AbstractIncomingMessage]:
        queue = await self.channel.declare_queue(self.topology.dead_letter_queue, passive=True)
        found = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(message)
        return found


@pytest.fixture
async def broker(app: FastAPI, amqp_url: str, bus_namespace: str) -> AsyncIterator[Broker]:
    topology = Topology(bus_namespace, "metering")
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    yield Broker(connection, channel, await declare_exchange(channel, topology), topology)
    await connection.close()
