"""notify killed (SIGKILL) in the middle of sending a queue of letters, and started again, as a process the way
the end-to-end tests and the local run start it: every letter arrives, and only the letter in flight at a kill
may arrive twice, with the same Message-ID. The test records what it measured in the fault matrix of
docs/operations.md (`devtools.faults_report`)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from devtools.faults_report import FaultRow, record
from devtools.mailcatcher import MailCatcher
from devtools.processes import Process
from notify.settings import NotifySettings
from shared.contracts.identity import RegistrationLinkIssued
from shared.testing import eventually, free_port

pytestmark = pytest.mark.fault

LETTERS = 300
#: notify is killed once so many letters have arrived (not at a multiple of a batch's size)
KILLS_AT = (120, 230)


@pytest.fixture
async def notify_process(notify_settings: NotifySettings, test_env: dict[str, str], mail_catcher: MailCatcher,
                         tmp_path: Path) -> AsyncIterator[Process]:
    port = free_port()
    process = Process(
        "notify", [sys.executable, "-m", "uvicorn", "notify.app:app", "--host", "127.0.0.1", "--port", str(port),
                   "--no-access-log"],
        {**test_env, "CABINET_DATABASE_NAME": str(notify_settings.database_name),
         "CABINET_SMTP_HOST": "127.0.0.1", "CABINET_SMTP_PORT": str(mail_catcher.smtp_port),
         "CABINET_DOCUMENTS_URL": "http://127.0.0.1:9"},  # registration letters have no attachment
        tmp_path / "notify.log", ready_url=f"http://127.0.0.1:{port}/health/ready", ports=(port,),
    )
    yield process
    process.stop()


def registration(email: str) -> RegistrationLinkIssued:
    return RegistrationLinkIssued(
        link_id=uuid4(), consumer_id=uuid4(), account_number="0789", consumer_name="Кооператив Автомобіліст-2",
        email=email, link_url=f"https://cabinet.example.ua/registration/{uuid4()}",
        expires_at=datetime.now(UTC) + timedelta(days=3),
    )


async def until_caught(mail_catcher: MailCatcher, count: int, within: float) -> None:
    async def caught() -> bool:
        return len(mail_catcher.store.all()) >= count

    # looked at often: notify is killed as soon after the count-th letter as can be
    await eventually(caught, within=within, interval=0.005, what=f"{count} letters caught")


async def test_notify_killed_while_sending_sends_every_letter_and_repeats_at_most_the_one_in_flight(
    notify_process: Process, broker: Any, mail_catcher: MailCatcher, request: pytest.FixtureRequest,
) -> None:
    addresses = [f"kill-{n}-{uuid4().hex[:6]}@example.com" for n in range(LETTERS)]
    notify_process.start()
    await asyncio.to_thread(notify_process.wait_ready)
    await eventually(broker.consumers)  # its queue is bound: what is published now reaches it
    for address in addresses:
        await broker.publish(registration(address))
    for kill_at in KILLS_AT:
        await until_caught(mail_catcher, kill_at, within=60)
        notify_process.kill()  # SIGKILL: no shutdown, a letter possibly between the SMTP server and the commit
        killed = time.monotonic()
        notify_process.start()
        await asyncio.to_thread(notify_process.wait_ready)

    async def every_address_mailed() -> bool:
        return {r for letter in mail_catcher.store.all() for r in letter.recipients} >= set(addresses)

    with contextlib.suppress(AssertionError):  # what is lost is recorded below, then the test fails
        await eventually(every_address_mailed, within=60, interval=0.05)
    recovered_in = time.monotonic() - killed
    await asyncio.sleep(2)  # whatever was to come twice has come
    caught = mail_catcher.store.all()
    per_address = Counter(recipient for letter in caught for recipient in letter.recipients)
    record(FaultRow(test=request.node.nodeid,
                    fault=f"notify killed (SIGKILL) {len(KILLS_AT)} times while sending, started again each time",
                    running=f"notify (a process) sending {LETTERS} letters queued from events",
                    unit="letters", sent=LETTERS, lost=sum(1 for address in addresses if not per_address[address]),
                    doubled=len(caught) - len(per_address), recovered_in=recovered_in))

    assert set(per_address) == set(addresses)
    assert len(caught) - LETTERS <= len(KILLS_AT), f"{len(caught)} letters to {LETTERS} addresses"
    for address, count in per_address.items():
        if count > 1:  # the letter in flight at a kill: the same letter, recognisably
            assert len({letter.message["Message-ID"] for letter in caught if address in letter.recipients}) == 1
