"""Gateway tests: pages and their security, run in-process without services (the `client` fixtures), and pages
whose flows cross services against the real ones started as processes (`start_live_system`).

In-process, calls that would reach identity go to a port where nothing listens, so what is tested is the
gateway's own behaviour (refusals before any call, the "temporarily unavailable" page).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

os.environ.setdefault("CABINET_SERVICE_TOKEN_SECRET", "gateway-tests-secret-0123456789abcdef")
os.environ.setdefault("CABINET_LOG_FORMAT", "console")

from devtools.processes import Layout, System, drop_system
from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.testing import run_in_thread


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


# --- the gateway with real services, as processes ------------------------------------------------------------
# Pages whose flows cross services are tested against the real ones: each started as in a deployment, on real
# PostgreSQL and RabbitMQ, with databases and a bus namespace of the test run's own, and the gateway driven over
# HTTP as a browser drives it (cookies, the csrf field, redirects). Services not started are simply not there
# (their ports are closed), which is how a page meets a service that is down.

STAFF_PASSWORD = "correct horse battery staple 42"



class LiveBrowser:
    """A browser of the cabinet: keeps its cookies and sends the csrf field with every form."""

    def __init__(self, base_url: str, language: str = "uk", *, transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30.0, cookies={"lang": language}, transport=transport)
        self.http.get("/login")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, data={**(data or {}), "csrf_token": self.http.cookies["csrf"]}, **kwargs)

    def log_in(self, login: str, password: str) -> None:
        response = self.post("/login", {"login": login, "password": password})
        assert response.status_code == 303, response.text

    def language(self, code: str) -> None:
        self.http.cookies.set("lang", code)


@dataclass
class LiveSystem:
    layout: Layout
    identity_database: str
    #: identity.demo's answer: the branch, the staff login, the demo consumer and its activation code
    demo: dict[str, Any]
    #: the processes, for what loads data through the services' own use cases (devtools.demo)
    system: System
    STAFF_PASSWORD = STAFF_PASSWORD

    @property
    def gateway(self) -> str:
        return self.layout.url("gateway")

    def browser(self, language: str = "uk", *, transport: httpx.BaseTransport | None = None) -> LiveBrowser:
        return LiveBrowser(self.gateway, language, transport=transport)

    def staff(self) -> LiveBrowser:
        browser = LiveBrowser(self.gateway)
        browser.log_in(self.demo["staff_login"], STAFF_PASSWORD)
        return browser

    def new_consumer(self, staff: LiveBrowser, account_number: str, name: str, email: str, billing_day: int = 1
                     ) -> tuple[str, str]:
        """A consumer of the demo branch, made in the console by `staff`: its id and its activation code."""
        created = staff.post("/console/consumers/new", {
            "account_number": account_number, "name": name, "edrpou": "32855961", "branch_id": self.demo["branch_id"],
            "agreement_email": email, "billing_day": str(billing_day),
        })
        assert created.status_code == 201, created.text
        code = re.search(r'activation-code__value"><code>([^<]+)<', created.text)
        consumer = re.search(r'href="/console/consumers/([0-9a-f-]{36})"', created.text)
        assert code and consumer
        return consumer.group(1), code.group(1)

    def registration_link(self, account_number: str) -> str:
        """The newest registration link of the account, from the letter's event waiting in identity's outbox."""
        return run_in_thread(_registration_links(self.identity_database))[account_number]

    def register(self, account_number: str, activation_code: str, login: str, password: str) -> LiveBrowser:
        """The consumer follows the registration link, completes the registration and signs in."""
        browser = LiveBrowser(self.gateway)
        token = self.registration_link(account_number).rsplit("/", 1)[1]
        response = browser.post(f"/registration/complete/{token}", {
            "activation_code": activation_code, "login": login, "password": password,
            "password_confirmation": password,
        })
        assert response.status_code == 303, response.text
        browser.log_in(login, password)
        return browser


async def _registration_links(identity_database: str) -> dict[str, str]:
    engine = create_async_engine(identity_database, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT body FROM outbox WHERE message_type = 'identity.registration_link_issued.v1' ORDER BY id"
            ))
            return {(body := json.loads(row.body))["account_number"]: body["link_url"] for row in rows}
    finally:
        await engine.dispose()


def _free_base_port() -> int:
    """A base port with the seven ports of a system free after it."""
    for base in range(23_000, 40_000, 10):
        try:
            for offset in range(7):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


@pytest.fixture(scope="session")
def start_live_system(
    postgres_url: str, amqp_url: str, service_token_secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., AbstractContextManager[LiveSystem]]:
    """`with start_live_system(("notify", "identity"), "gw1") as live:` — those services (with `service_env` added to
    their environment) and the gateway (with `gateway_env` added to its), with identity's demo branch, staff member
    and consumer. They start side by side; identity announces nothing before the demo, made once all are ready (their
    queues are bound by then)."""

    @contextmanager
    def start(
        services: tuple[str, ...], prefix: str, gateway_env: dict[str, str] | None = None,
        service_env: dict[str, str] | None = None,
    ) -> Iterator[LiveSystem]:
        layout = Layout(base_port=_free_base_port(), database_prefix=prefix, bus_namespace=prefix)
        env = {"CABINET_POSTGRES_URL": postgres_url, "CABINET_AMQP_URL": amqp_url,
               "CABINET_SERVICE_TOKEN_SECRET": service_token_secret, "CABINET_LOG_FORMAT": "console",
               # notify's letters go nowhere: nothing listens there, and they wait to be retried
               "CABINET_SMTP_PORT": str(_closed_port()), **(service_env or {})}
        log_dir = Path(os.environ.get("CABINET_TEST_LOG_DIR") or tmp_path_factory.mktemp("logs"))
        system = System(layout, env, log_dir=log_dir)
        system.service("gateway").env.update(gateway_env or {})
        try:
            for name in (*services, "gateway"):
                system.service(name).start()
            for name in (*services, "gateway"):
                system.service(name).wait_ready()
            demo = json.loads(subprocess.run(
                [sys.executable, "-m", "identity.demo", "--json", "--staff-password", STAFF_PASSWORD],
                env={**os.environ, **system.service("identity").env}, capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1])
            yield LiveSystem(layout, f"{postgres_url}/{prefix}_identity", demo, system)
        finally:
            system.stop()
            run_in_thread(drop_system(layout, postgres_url, amqp_url, services))

    return start
