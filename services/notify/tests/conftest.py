"""The notify app running for real: on its own PostgreSQL database and bus namespace, with the mail catcher's SMTP
server on free ports, and the test's own side of the bus (`broker`: publishes as identity would, looks at notify's
queues).

The documents service notify fetches attachments from: the real app, on its own PostgreSQL database and a bucket
of its own on a real S3 server (moto's `moto_server`, started here on a free port, or `CABINET_TEST_S3_ENDPOINT`),
served over HTTP on a port fixed for the test, so it can be stopped and started again at the same address."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aio_pika
import httpx
import pytest
import uvicorn
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from fastapi import FastAPI
from minio import Minio

from devtools.mailcatcher import MailCatcher
from documents.app import create_app as create_documents_app
from documents.settings import DocumentsSettings
from notify.app import create_app
from notify.settings import NotifySettings
from shared.bus import Topology
from shared.bus.topology import declare_exchange
from shared.contracts.base import Event
from shared.testing import delete_bus, eventually

S3_ACCESS_KEY = "cabinet-test"
S3_SECRET_KEY = "cabinet-test-secret"
RunDocuments = Callable[[], contextlib.AbstractAsyncContextManager[FastAPI]]
RunNotify = Callable[..., contextlib.AbstractAsyncContextManager[FastAPI]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def raw_s3(s3_endpoint: str) -> Minio:
    """Straight to the S3 server, past the documents service (to take its bytes away for a while)."""
    return Minio(s3_endpoint.split("://", 1)[-1], access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY,
                 secure=s3_endpoint.startswith("https://"))


@pytest.fixture
def bucket(raw_s3: Minio) -> Iterator[str]:
    """A bucket of the test's own; the documents service makes it, the test removes it."""
    name = f"test-notify-documents-{secrets.token_hex(4)}"
    yield name
    if raw_s3.bucket_exists(name):
        for found in raw_s3.list_objects(name, recursive=True):
            raw_s3.remove_object(name, found.object_name)
        raw_s3.remove_bucket(name)


@pytest.fixture
def documents_url() -> str:
    """Where notify finds the documents service; nothing listens there until `run_documents` starts it."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture
async def documents_settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str, s3_endpoint: str, bucket: str,
) -> DocumentsSettings:
    """On notify's bus namespace: what documents publishes reaches notify."""
    database_url = await database_factory("documents")
    return DocumentsSettings(
        postgres_url=postgres_url, database_name=database_url.rsplit("/", 1)[1], amqp_url=amqp_url,
        bus_namespace=bus_namespace, service_token_secret=service_token_secret, log_format="console",
        s3_endpoint=s3_endpoint, s3_access_key=S3_ACCESS_KEY, s3_secret_key=S3_SECRET_KEY, s3_bucket=bucket,
        public_base_url="https://cabinet.example.ua",
    )


@pytest.fixture
async def run_documents(documents_settings: DocumentsSettings, documents_url: str) -> AsyncIterator[RunDocuments]:
    """`async with run_documents() as app:` — the documents service started and serving at `documents_url`;
    stopped (the port closed) at the end of the block."""
    port = int(documents_url.rsplit(":", 1)[1])

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[FastAPI]:
        app = create_documents_app(documents_settings)
        async with app.router.lifespan_context(app):
            server = uvicorn.Server(uvicorn.Config(
                app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
            ))
            serving = asyncio.create_task(server.serve(), name="documents-http")
            while not server.started:
                if serving.done():
                    await serving  # raises what stopped it (e.g. the port is taken)
                    raise RuntimeError("the documents service stopped at start")
                await asyncio.sleep(0.01)
            try:
                yield app
            finally:
                server.should_exit = True
                await serving

    yield running
    await delete_bus(documents_settings.amqp_url, documents_settings.bus_namespace, ["documents"])


@pytest.fixture
async def mail_catcher() -> AsyncIterator[MailCatcher]:
    catcher = MailCatcher(smtp_port=0, http_port=0)
    await catcher.start()
    yield catcher
    await catcher.stop()


@pytest.fixture
async def mailbox(mail_catcher: MailCatcher) -> AsyncIterator[httpx.AsyncClient]:
    """The mail catcher's HTTP API."""
    async with httpx.AsyncClient(base_url=mail_catcher.http_url, timeout=10) as client:
        yield client


@pytest.fixture
async def notify_settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str, mail_catcher: MailCatcher, documents_url: str,
) -> NotifySettings:
    database_url = await database_factory("notify")
    return NotifySettings(
        postgres_url=postgres_url, database_name=database_url.rsplit("/", 1)[1], amqp_url=amqp_url,
        bus_namespace=bus_namespace, service_token_secret=service_token_secret, log_format="console",
        smtp_host="127.0.0.1", smtp_port=mail_catcher.smtp_port,
        letter_poll_seconds=0.5, letter_retry_base_seconds=0.3, letter_retry_max_seconds=1.0,
        documents_url=documents_url,
    )


@dataclass
class Broker:
    """The test's side of the bus: publishes as identity would, and looks at notify's queues."""

    connection: AbstractConnection
    channel: AbstractChannel
    exchange: AbstractExchange
    topology: Topology

    async def publish(
        self, event: Event | None = None, *, message_id: str | None = None, body: bytes | None = None,
        message_type: str | None = None, straight_to_queue: bool = False,
    ) -> str:
        message_id = message_id or str(uuid4())
        message_type = message_type or (event.message_type() if event else "unknown.v1")
        message = aio_pika.Message(
            body=body if body is not None else (event.model_dump_json().encode() if event else b"{}"),
            message_id=message_id, type=message_type, content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, timestamp=datetime.now(UTC), app_id="identity",
        )
        if straight_to_queue:
            # what reaches the queue whatever its routing: e.g. a type notify is not bound to
            await self.channel.default_exchange.publish(message, routing_key=self.topology.queue)
        else:
            await self.exchange.publish(message, routing_key=message_type)
        return message_id

    async def consumers(self) -> int:
        """Consumers on notify's queue; 0 when the queue does not exist yet."""
        try:
            async with self.connection.channel() as probe:
                queue = await probe.declare_queue(self.topology.queue, passive=True)
                return int(queue.declaration_result.consumer_count or 0)
        except aio_pika.exceptions.ChannelClosed:
            return 0

    async def dead_letters(self) -> list[aio_pika.abc.AbstractIncomingMessage]:
        queue = await self.channel.declare_queue(self.topology.dead_letter_queue, passive=True)
        found = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(message)
        return found


@pytest.fixture
async def broker(amqp_url: str, bus_namespace: str) -> AsyncIterator[Broker]:
    topology = Topology(bus_namespace, "notify")
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await declare_exchange(channel, topology)
    yield Broker(connection, channel, exchange, topology)
    await connection.close()
    await delete_bus(amqp_url, bus_namespace, ["notify"])


@pytest.fixture
def run_notify(
    notify_settings: NotifySettings, broker: Broker
) -> RunNotify:
    """`async with run_notify() as app:` — the real service app, started (migrations, bus, sender) and
    consuming; stopped at the end of the block. `run_notify(**settings_changes)` adjusts its settings."""

    @contextlib.asynccontextmanager
    async def running(**changes: Any) -> AsyncIterator[FastAPI]:
        app = create_app(notify_settings.model_copy(update=changes))
        async with app.router.lifespan_context(app):
            await eventually(broker.consumers)
            yield app

    return running
