"""The documents service against real servers: its own PostgreSQL database, a RabbitMQ namespace of the test's
own, and a real S3 server — moto's (`moto_server`), started here on a free port, or the one named by
`CABINET_TEST_S3_ENDPOINT` — with a bucket of the test's own."""

from __future__ import annotations

import contextlib
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from minio import Minio

from documents.app import create_app
from documents.repository import keep_consumer
from documents.settings import DocumentsSettings
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens
from shared.testing import BRANCH_ID, delete_bus, staff_of

S3_ACCESS_KEY = "cabinet-test"
S3_SECRET_KEY = "cabinet-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def bucket(s3_endpoint: str) -> Iterator[str]:
    """A bucket name of the test's own; the bucket (made by the service) is emptied and removed after."""
    name = f"test-documents-{secrets.token_hex(4)}"
    yield name
    client = raw_s3_client(s3_endpoint)
    if client.bucket_exists(name):
        for found in client.list_objects(name, recursive=True):
            client.remove_object(name, found.object_name)
        client.remove_bucket(name)


def raw_s3_client(endpoint: str) -> Minio:
    """Straight to the S3 server, past the service (to look at or tamper with what it stored)."""
    return Minio(endpoint.split("://", 1)[-1], access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY,
                 secure=endpoint.startswith("https://"))


@pytest.fixture
def raw_s3(s3_endpoint: str) -> Minio:
    return raw_s3_client(s3_endpoint)


@pytest.fixture
async def documents_settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str, s3_endpoint: str, bucket: str,
) -> DocumentsSettings:
    database_url = await database_factory("documents")
    return DocumentsSettings(
        postgres_url=postgres_url, database_name=database_url.rsplit("/", 1)[1], amqp_url=amqp_url,
        bus_namespace=bus_namespace, service_token_secret=service_token_secret, log_format="console",
        s3_endpoint=s3_endpoint, s3_access_key=S3_ACCESS_KEY, s3_secret_key=S3_SECRET_KEY, s3_bucket=bucket,
        public_base_url="https://cabinet.example",
    )


@pytest.fixture
async def broker_cleanup(amqp_url: str, bus_namespace: str) -> AsyncIterator[None]:
    """Removes the test's exchange and queues after it, waiting a while for a broker that is restarting."""
    yield
    await delete_bus(amqp_url, bus_namespace, ["documents"])


@pytest.fixture
def run_documents(
    documents_settings: DocumentsSettings, broker_cleanup: None
) -> Callable[..., contextlib.AbstractAsyncContextManager[FastAPI]]:
    """`async with run_documents() as app:` — the real service app, started (migrations, bus, bucket) and
    stopped at the end of the block. `run_documents(**settings_changes)` adjusts its settings."""

    @contextlib.asynccontextmanager
    async def running(**changes: Any) -> AsyncIterator[FastAPI]:
        app = create_app(documents_settings.model_copy(update=changes))
        async with app.router.lifespan_context(app):
            yield app

    return running


@pytest.fixture
async def app(run_documents: Callable[..., contextlib.AbstractAsyncContextManager[FastAPI]]) -> AsyncIterator[FastAPI]:
    async with run_documents() as started:
        yield started


@pytest.fixture
async def client_of(service_token_secret: str) -> AsyncIterator[Callable[[FastAPI, Principal], httpx.AsyncClient]]:
    """`client_of(app, principal)`: an HTTP client of a started app, acting as that principal."""
    clients: list[httpx.AsyncClient] = []

    def make(app: FastAPI, principal: Principal) -> httpx.AsyncClient:
        token = ServiceTokens(service_token_secret).issue(principal, ttl=600)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://documents",
                                   headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def client_for(
    app: FastAPI, client_of: Callable[[FastAPI, Principal], httpx.AsyncClient]
) -> Callable[[Principal], httpx.AsyncClient]:
    """`client_for(principal)`: a client of the test's app (the `app` fixture)."""
    return lambda principal: client_of(app, principal)


@pytest.fixture
def service_client(client_for: Callable[[Principal], httpx.AsyncClient]) -> httpx.AsyncClient:
    """As billing or metering would call: a service token."""
    return client_for(Principal(role=Role.SERVICE, issuer="billing"))


@pytest.fixture
def staff_client(client_for: Callable[[Principal], httpx.AsyncClient]) -> httpx.AsyncClient:
    """A staff member of the branch `known_consumer` puts consumers in."""
    return client_for(staff_of())


@pytest.fixture
def known_consumer(app: FastAPI) -> Callable[..., Awaitable[uuid.UUID]]:
    """`await known_consumer(consumer_id, branch_id=BRANCH_ID)`: a consumer documents has heard of from identity (of
    the tests' branch unless another is named), as the handler of identity's event keeps it."""

    async def keep(consumer_id: uuid.UUID, branch_id: uuid.UUID = BRANCH_ID) -> uuid.UUID:
        async with app.state.database.transaction() as session:
            await keep_consumer(session, consumer_id, branch_id=branch_id, as_of=datetime.now(UTC))
        return consumer_id

    return keep


@pytest.fixture
def consumer_client(client_for: Callable[[Principal], httpx.AsyncClient]) -> Callable[[uuid.UUID], httpx.AsyncClient]:
    """`consumer_client(consumer_id)`: a signed-in user of that consumer."""

    def make(consumer_id: uuid.UUID) -> httpx.AsyncClient:
        return client_for(Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER,
                                    consumer_role=ConsumerRole.DIRECTOR))

    return make
