"""The documents service notify fetches attachments from: the real app, on its own PostgreSQL database and a bucket
of its own on a real S3 server (moto's `moto_server`, started here on a free port, or `CABINET_TEST_S3_ENDPOINT`),
served over HTTP on a port fixed for the test, so it can be stopped and started again at the same address."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from minio import Minio

from documents.app import create_app as create_documents_app
from documents.settings import DocumentsSettings

S3_ACCESS_KEY = "cabinet-test"
S3_SECRET_KEY = "cabinet-test-secret"
RunDocuments = Callable[[], contextlib.AbstractAsyncContextManager[FastAPI]]


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
def run_documents(documents_settings: DocumentsSettings, documents_url: str) -> RunDocuments:
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

    return running
