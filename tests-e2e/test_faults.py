"""Faults survived by the running system: the broker stopped, notify down, SMTP refusing — each for real."""

from __future__ import annotations

import secrets
import subprocess
import time
from typing import Any

import pytest
from playwright.sync_api import Page

from journeys import Mailbox, create_consumer, sign_in

pytestmark = pytest.mark.fault


def new_consumer(page: Page, demo: dict) -> str:
    suffix = secrets.token_hex(3)
    email = f"fault-{suffix}@avto.example"
    sign_in(page, demo["staff_login"], demo["staff_password"])
    create_consumer(page, account_number=str(10000 + int(suffix, 16) % 80000), name=f"ТОВ «Збій {suffix}»",
                    agreement_email=email)
    return email


def assert_exactly_one_letter_stays(mailbox: Mailbox, email: str) -> None:
    mailbox.wait_for(email, timeout=90)
    time.sleep(3)
    assert len(mailbox.letters(email)) == 1


def test_registration_while_the_broker_is_stopped_sends_the_letter_when_it_is_back(
    page: Page, mailbox: Mailbox, demo: dict
) -> None:
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
    try:
        email = new_consumer(page, demo)  # the consumer is created: the broker is not needed for that
        time.sleep(2)
        assert mailbox.letters(email) == []
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True)
    assert_exactly_one_letter_stays(mailbox, email)


def test_registration_while_notify_is_down_sends_the_letter_once_it_is_back(
    page: Page, mailbox: Mailbox, demo: dict, system: Any
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
    assert_exactly_one_letter_stays(mailbox, email)


def test_letter_goes_out_after_the_smtp_server_stops_refusing(page: Page, mailbox: Mailbox, demo: dict) -> None:
    mailbox.refuse(451)
    try:
        email = new_consumer(page, demo)
        time.sleep(3)
        assert mailbox.letters(email) == []
    finally:
        mailbox.accept()
    assert_exactly_one_letter_stays(mailbox, email)
