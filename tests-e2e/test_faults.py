"""Faults survived by the running system: the broker stopped, notify down, SMTP refusing — each for real.

The broker stopped is a RabbitMQ node of the test's own (`devtools.nodes`) under a system of its own (notify,
identity and the gateway, on ports beside the session's system), never the machine's broker. Each test records
what it measured in the fault matrix of docs/operations.md (`devtools.faults_report`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from devtools.faults_report import FaultRow, record
from devtools.nodes import RabbitNode, rabbitmq
from devtools.processes import Layout, System, drop_system
from journeys import Mailbox, create_consumer, load_demo, page_on, sign_in
from shared.testing import run_in_thread

pytestmark = pytest.mark.fault

#: how long a letter may take to arrive once the fault is over
LETTER_WITHIN = 90.0


def new_consumer(page: Page, demo: dict) -> str:
    suffix = secrets.token_hex(3)
    email = f"fault-{suffix}@avto.example"
    sign_in(page, demo["staff_login"], demo["staff_password"])
    create_consumer(page, account_number=str(10000 + int(suffix, 16) % 80000), name=f"ТОВ «Збій {suffix}»",
                    agreement_email=email)
    return email


def assert_exactly_one_letter_stays(mailbox: Mailbox, email: str, *, since: float, request: pytest.FixtureRequest,
                                    fault: str, running: str) -> None:
    """The registration letter arrives once the fault is over (`since`), and no second one follows; the fault
    matrix gets what was seen before it is asserted."""
    deadline = since + LETTER_WITHIN
    while not mailbox.letters(email) and time.monotonic() < deadline:
        time.sleep(0.2)
    recovered_in = time.monotonic() - since
    time.sleep(3)
    letters = len(mailbox.letters(email))
    record(FaultRow(test=request.node.nodeid, fault=fault, running=running, unit="letter", sent=1,
                    lost=1 if letters == 0 else 0, doubled=max(letters - 1, 0), recovered_in=recovered_in))
    assert letters == 1


@dataclass(frozen=True)
class OnOwnBroker:
    broker: RabbitNode
    system: System
    demo: dict[str, Any]

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox(self.system.layout.mail_url)


@pytest.fixture
def on_own_broker(layout: Layout, shared_env: dict[str, str], postgres_url: str, tmp_path: Path,
                  ) -> Iterator[OnOwnBroker]:
    """identity, notify and the gateway on a RabbitMQ node of their own, on ports 50 above the session's system."""
    own = layout.beside(50, "rq")
    services = ("notify", "identity")
    with rabbitmq(tmp_path) as [broker]:
        system = System(own, {**shared_env, "CABINET_AMQP_URL": broker.amqp_url},
                        log_dir=tmp_path / "logs")
        try:
            system.start(services)
            yield OnOwnBroker(broker, system, load_demo(system))
        finally:
            system.stop()
            run_in_thread(drop_system(own, postgres_url, broker.amqp_url, services))


def test_registration_while_the_broker_is_stopped_sends_the_letter_when_it_is_back(
    browser: Browser, on_own_broker: OnOwnBroker, request: pytest.FixtureRequest
) -> None:
    broker, mailbox = on_own_broker.broker, on_own_broker.mailbox
    with page_on(browser, on_own_broker.system) as page:
        broker.stop_app()
        try:
            email = new_consumer(page, on_own_broker.demo)  # the consumer is created: the broker is not needed
            time.sleep(2)
            assert mailbox.letters(email) == []
        finally:
            broker.start_app()
    assert_exactly_one_letter_stays(
        mailbox, email, since=time.monotonic(), request=request,
        fault="RabbitMQ stopped (`rabbitmqctl stop_app`) while staff create a consumer, started again",
        running="identity, notify, gateway; the registration letter waiting in identity's outbox")


def test_registration_while_notify_is_down_sends_the_letter_once_it_is_back(
    page: Page, mailbox: Mailbox, demo: dict, system: Any, request: pytest.FixtureRequest
) -> None:
    notify = system.service("notify")
    notify.kill()
    try:
        email = new_consumer(page, demo)
        time.sleep(2)
        assert mailbox.letters(email) == []
    finally:
        notify.start()
        notify.wait_ready()
    assert_exactly_one_letter_stays(
        mailbox, email, since=time.monotonic(), request=request,
        fault="notify killed (SIGKILL) while staff create a consumer, started again",
        running="the whole system; the registration letter waiting in notify's queue")


def test_letter_goes_out_after_the_smtp_server_stops_refusing(page: Page, mailbox: Mailbox, demo: dict,
                                                              request: pytest.FixtureRequest) -> None:
    mailbox.refuse(451)
    try:
        email = new_consumer(page, demo)
        time.sleep(3)
        assert mailbox.letters(email) == []
    finally:
        mailbox.accept()
    assert_exactly_one_letter_stays(
        mailbox, email, since=time.monotonic(), request=request,
        fault="the SMTP server refusing mail (451) while staff create a consumer, then taking it",
        running="the whole system; the letter retried with back-off by notify")
