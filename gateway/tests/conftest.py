"""Gateway tests: pages and their security, run in-process; identity is not started here.

Calls that would reach identity go to a port where nothing listens, so what is tested is the gateway's own
behaviour (refusals before any call, the "temporarily unavailable" page). The flows through the real identity
service are covered by the end-to-end tests.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("CABINET_SERVICE_TOKEN_SECRET", "gateway-tests-secret-0123456789abcdef")
os.environ.setdefault("CABINET_LOG_FORMAT", "console")

from gateway.app import create_app
from gateway.settings import GatewaySettings


def _closed_port() -> int:
    """A local port nobody listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_settings(public_base_url: str) -> GatewaySettings:
    return GatewaySettings(
        public_base_url=public_base_url,
        identity_url=f"http://127.0.0.1:{_closed_port()}",
        service_timeout_seconds=2.0,
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings("http://testserver")), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def https_client() -> Iterator[TestClient]:
    settings = make_settings("https://cabinet.example.ua")
    with TestClient(create_app(settings), base_url="https://cabinet.example.ua") as test_client:
        yield test_client
