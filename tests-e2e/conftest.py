"""The whole system as processes, driven through real Chromium.

One system per test session: every service and the gateway on their own ports, databases prefixed with the
run id, a bus namespace of their own, a mail catcher and the S3 test server. Faults are made for real:
processes are stopped or killed, the mail catcher refuses mail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devtools import testca
from devtools.processes import Layout, System, drop_system
from journeys import Mailbox, load_demo, page_on
from shared.testing import run_in_thread

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CABINET_CHROMIUM", "/usr/bin/chromium")
# an assertion about a page waits as long as an action does (the pages' default, page.set_default_timeout): on two
# cores busy with the whole system, a signature's three steps or a bus round trip can take longer than expect's 5 s
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def layout(run_id: str) -> Layout:
    # another base port (CABINET_E2E_BASE_PORT) lets two runs share a machine
    base = int(os.environ.get("CABINET_E2E_BASE_PORT", "18000"))
    return Layout(base_port=base, smtp_port=base - 6975, mail_http_port=base + 25, s3_port=base + 1000,
                  database_prefix=f"e2e{run_id}", bus_namespace=f"e2e{run_id}")


@pytest.fixture(scope="session")
def trust(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The test CA (with its key, to issue more certificates), its CRL, the supplier's seal and demo signers."""
    return testca.ensure_local_trust(tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="session")
def shared_env(postgres_url: str, service_token_secret: str, trust: dict[str, str]) -> dict[str, str]:
    """What every system of the session is started with, but its broker (CABINET_AMQP_URL)."""
    return {"CABINET_POSTGRES_URL": postgres_url, "CABINET_SERVICE_TOKEN_SECRET": service_token_secret,
            **{name: value for name, value in trust.items() if name.startswith("CABINET_")}}


@pytest.fixture(scope="session")
def system(layout: Layout, shared_env: dict[str, str], postgres_url: str, amqp_url: str, run_id: str,
           ) -> Iterator[System]:
    system = System(layout, {**shared_env, "CABINET_AMQP_URL": amqp_url}, log_dir=ARTIFACTS / f"logs-{run_id}")
    try:
        system.start()
        yield system
    finally:
        system.stop()
        run_in_thread(drop_system(layout, postgres_url, amqp_url))


@pytest.fixture(scope="session")
def demo(system: System) -> dict[str, Any]:
    """The demo supplier branch, its staff login and the demo consumer, made by the local run's own command."""
    return load_demo(system)


@pytest.fixture(scope="session")
def tariffs(system: System) -> None:
    """The demo tariff classes `class1_general` and `class2_general` with their price history, as `make run` loads."""
    subprocess.run([sys.executable, "-m", "billing.demo"], env={**os.environ, **system.service("billing").env},
                   capture_output=True, check=True)


@pytest.fixture(scope="session")
def mailbox(system: System) -> Mailbox:
    return Mailbox(system.layout.mail_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, system: System) -> Iterator[Page]:
    with page_on(browser, system) as page:
        yield page
