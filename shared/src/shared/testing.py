"""Pytest fixtures for integration tests against real PostgreSQL and RabbitMQ (a pytest plugin).

The servers come from `CABINET_TEST_POSTGRES_URL` / `CABINET_TEST_AMQP_URL` when set (the local servers, as in
CI), otherwise from testcontainers where a Docker engine exists. S3 is moto's server over real HTTP, started
here, or the one `CABINET_TEST_S3_ENDPOINT` names. Every test run works in databases and a bus
namespace of its own, named with a random suffix, so parallel runs on one machine never meet.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import httpx
import jsonschema
import pytest
import sqlalchemy as sa

from shared.auth import Principal, Role, ServiceTokens
from shared.bus.topology import Topology
from shared.db import Database, create_database_if_missing, drop_database

T = TypeVar("T")

#: the supplier branch the services' tests' consumers belong to unless a test says otherwise, and another one
BRANCH_ID = uuid.UUID("0b7a2c5e-1d3f-4e5a-9b8c-000000000001")
OTHER_BRANCH_ID = uuid.UUID("0b7a2c5e-1d3f-4e5a-9b8c-000000000002")


def staff_of(branch_id: uuid.UUID = BRANCH_ID, **fields: Any) -> Principal:
    """A staff member of a branch (the tests' own by default), as the gateway names them in a service token."""
    return Principal(user_id=uuid.uuid4(), role=Role.STAFF, branch_id=branch_id, **fields)


def _from_container(kind: str) -> str:
    if not shutil.which("docker"):
        pytest.skip(f"set CABINET_TEST_{kind.upper()}_URL or provide a Docker engine for testcontainers")
    if kind == "postgres":
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver="asyncpg").start()
        return container.get_connection_url().rsplit("/", 1)[0]
    from testcontainers.rabbitmq import RabbitMqContainer

    rabbit = RabbitMqContainer("rabbitmq:3.13").start()
    return f"amqp://guest:guest@{rabbit.get_container_host_ip()}:{rabbit.get_exposed_port(5672)}/"


async def queue_has_consumer(amqp_url: str, queue: str) -> bool:
    """Whether a service's consumer is on its queue (and so its bindings are in place: publishing now reaches it)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        try:
            channel = await connection.channel()
            declared = await channel.declare_queue(queue, passive=True)
            return bool(declared.declaration_result.consumer_count)
        except aio_pika.exceptions.ChannelClosed:
            return False


async def wait_for_consumer(amqp_url: str, queue: str) -> None:
    await eventually(lambda: queue_has_consumer(amqp_url, queue), within=20.0, interval=0.05,
                     what=f"a consumer on {queue}")


def payload_validator(asyncapi: dict[str, Any], message_type: str) -> jsonschema.Validator:
    """A validator of a message's body by an AsyncAPI document's payload schema for it (e.g. the RES bus contract's,
    docs/res-bus-contract.asyncapi.json), formats (dates, UUIDs) checked."""
    [message] = [m for m in asyncapi["components"]["messages"].values() if m["name"] == message_type]
    # the payload's `#/components/...` pointers resolve in the root schema, which carries the components
    return jsonschema.Draft7Validator({"$ref": message["payload"]["$ref"], "components": asyncapi["components"]},
                                      format_checker=jsonschema.FormatChecker())


def run_in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to its end from synchronous test code (a sync fixture, a Playwright test): pytest-asyncio
    keeps a loop running in this thread, so the coroutine gets a loop of its own in another thread."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


async def delete_bus(amqp_url: str, namespace: str, services: Iterable[str]) -> None:
    """Deletes the exchange of a test's bus namespace and every queue of the named services in it.

    Queues left behind pile up on the machine's broker run after run (each quorum queue is a process of its own),
    so every test that declares some removes them. A broker that is restarting is waited for a while; one that
    never answers leaves a warning, not a hung test.
    """
    topologies = [Topology(namespace, service) for service in services]
    deadline = time.monotonic() + 60
    while True:
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 1)):
                connection = await aio_pika.connect(amqp_url)
                async with connection:
                    channel = await connection.channel()
                    for topology in topologies:
                        for queue in topology.all_queues():
                            await channel.queue_delete(queue)
                    await channel.exchange_delete(Topology(namespace, "any").exchange)
            return
        except (OSError, aio_pika.exceptions.AMQPConnectionError):  # TimeoutError is an OSError
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
    warnings.warn(f"broker unreachable: bus namespace {namespace} left behind", stacklevel=2)


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float = 30.0, interval: float = 0.1,
                     what: str = "the condition") -> T:
    """Polls `check` until it returns something truthy (at most `within` seconds); returns that. What a test waits
    for is a condition (a row, a letter, a consumer on its queue), never a time: a sleep only shows that nothing
    happened within it."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what} (last: {result!r})")
        await asyncio.sleep(interval)


def until(attempt: Callable[[], T | None], what: str, *, within: float = 60.0, interval: float = 0.3) -> T:
    """`eventually` for synchronous tests (the live system's, the browser's): calls `attempt` until it answers
    something truthy (at most `within` seconds) and returns that. Events travel through the bus: what one service
    published, another knows a moment later."""
    deadline = time.monotonic() + within
    while True:
        result = attempt()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what} (last: {result!r})")
        time.sleep(interval)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server (no database part), e.g. `postgresql+asyncpg://postgres@127.0.0.1:5432`."""
    return os.environ.get("CABINET_TEST_POSTGRES_URL") or _from_container("postgres")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return os.environ.get("CABINET_TEST_AMQP_URL") or _from_container("rabbitmq")


@pytest.fixture(scope="session")
def run_id() -> str:
    return secrets.token_hex(4)


@pytest.fixture(scope="session")
def service_token_secret() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def bus_namespace(run_id: str) -> str:
    """A bus namespace per test: its exchange and queues meet nobody else's."""
    return f"test{run_id}{secrets.token_hex(3)}"


@pytest.fixture
async def database_factory(postgres_url: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """`url = await database_factory("identity")` makes an empty database; all are dropped after the test."""
    made: list[str] = []

    async def make(label: str) -> str:
        url = f"{postgres_url}/test_{label}_{secrets.token_hex(4)}"
        await create_database_if_missing(url)
        made.append(url)
        return url

    yield make
    for url in made:
        await drop_database(url)


@pytest.fixture
def test_env(
    postgres_url: str, amqp_url: str, bus_namespace: str, service_token_secret: str
) -> Iterator[dict[str, str]]:
    """Environment for service processes started by a test."""
    yield {
        "CABINET_POSTGRES_URL": postgres_url,
        "CABINET_AMQP_URL": amqp_url,
        "CABINET_BUS_NAMESPACE": bus_namespace,
        "CABINET_SERVICE_TOKEN_SECRET": service_token_secret,
        "CABINET_LOG_FORMAT": "console",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`http://host:port` of a real S3 server: moto's, started here on a free port, or `CABINET_TEST_S3_ENDPOINT`."""
    external = os.environ.get("CABINET_TEST_S3_ENDPOINT")
    if external:
        yield external
        return
    executable = Path(sys.executable).with_name("moto_server")
    command = str(executable) if executable.exists() else shutil.which("moto_server")
    if command is None:
        pytest.skip("moto_server not found: install moto[server] or set CABINET_TEST_S3_ENDPOINT")
    url = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(  # noqa: S603 - the test's own server
        [command, "-H", "127.0.0.1", "-p", url.rsplit(":", 1)[1]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def assert_migrations_match_models(url: str, service: str, metadata: object, check_constraints: set[str]) -> None:
    """A service's hand-written revisions build exactly the tables its models describe (CHECK constraints, which
    autogenerate does not compare, by name), downgrade to the bus tables alone, and upgrade again."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import pool, text
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared import migrations

    migrations_dir = migrations.migrations_dir_of(service)
    await migrations.upgrade(migrations_dir, url)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:

            def differences(sync_connection: Connection) -> list[object]:
                context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
                return list(compare_metadata(context, metadata))  # type: ignore[arg-type]

            assert await connection.run_sync(differences) == []
            checks = set(
                (await connection.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'c'")))
                .scalars()
                .all()
            )
            assert {name for name in checks if name.startswith("ck_")} == check_constraints

        async with engine.begin() as connection:

            def downgrade(sync_connection: Connection) -> None:
                config = migrations.alembic_config(migrations_dir, url)
                config.attributes["connection"] = sync_connection
                command.downgrade(config, "0001")

            await connection.run_sync(downgrade)
            tables = set(
                (await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
                .scalars()
                .all()
            )
        assert tables == {"alembic_version", "outbox", "inbox"}
        await migrations.upgrade(migrations_dir, url)  # and back up again
    finally:
        await engine.dispose()


class ServiceApi:
    """A service's API as the gateway calls it (a service token for the principal, in process), and a look into the
    service's database: what each service's tests' `Api` builds on."""

    def __init__(self, app: Any, tokens: ServiceTokens, service: str) -> None:
        self.app = app
        self.database: Database = app.state.database
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{service}")
        self.tokens = tokens

    @staticmethod
    def anonymous() -> Principal:
        """Who calls when a test names nobody."""
        return Principal(role=Role.ANONYMOUS)

    async def call(self, method: str, path: str, principal: Principal | None = None, **kwargs: Any) -> httpx.Response:
        token = self.tokens.issue(principal or self.anonymous())
        return await self.client.request(method, f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                                         **kwargs)

    async def ok(self, method: str, path: str, principal: Principal | None = None, **kwargs: Any) -> Any:
        """The answer's body of a call that must succeed (None when it has none)."""
        response = await self.call(method, path, principal, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    async def outbox(self, message_type: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the events in the outbox, in order of writing; of one message type if given."""
        async with self.database.sessionmaker() as session:
            rows = (await session.execute(sa.text("SELECT message_type, body FROM outbox ORDER BY id"))).all()
        return [json.loads(row.body) for row in rows if message_type in (None, row.message_type)]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.database.sessionmaker() as session:
            return (await session.execute(sa.text(sql), params)).scalar()
