"""Issue 2's journey in real Chromium: the supplier creates a consumer, the letter arrives, the consumer
registers with the code from the console, signs in and changes the e-mail through the verification letter."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import Browser, Page, expect

from journeys import Mailbox, create_consumer, sign_in, sign_out

PASSPHRASE = "зелений трамвай їде через сім мостів"


def test_supplier_creates_consumer_who_registers_signs_in_and_changes_email(
    page: Page, browser: Browser, mailbox: Mailbox, demo: dict, system: Any
) -> None:
    suffix = secrets.token_hex(3)
    account_number = str(4000 + int(suffix, 16) % 5000)
    agreement_email = f"buh-{suffix}@avto.example"
    new_email = f"director-{suffix}@avto.example"
    login = f"avto{suffix}"

    # the supplier's contract department creates the account and hands over the code
    sign_in(page, demo["staff_login"], demo["staff_password"])
    expect(page).to_have_url(re.compile(r"/console"))
    code = create_consumer(page, account_number=account_number, name=f'ТОВ "Автомобіліст-{suffix}"',
                           agreement_email=agreement_email)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    sign_out(page)

    # the registration letter reaches the agreement address, Ukrainian first, Russian below
    [letter] = mailbox.wait_for(agreement_email)
    assert "Для продовження реєстрації перейдіть за посиланням" in letter["text"]
    assert "Для продолжения регистрации" in letter["text"]
    registration_link = mailbox.link(letter, "/registration/complete/")

    consumer = browser.new_context(locale="uk-UA", base_url=system.layout.url("gateway")).new_page()
    consumer.goto(registration_link)
    expect(consumer.get_by_role("heading", name="Завершення реєстрації")).to_be_visible()
    consumer.get_by_label("Код активації").fill(code.lower().replace("-", " "))
    consumer.get_by_label("Логін").fill(login)
    consumer.get_by_role("button", name="Перевірити, чи вільний логін").click()
    expect(consumer.locator("#login-check-result")).to_contain_text("вільний")
    consumer.get_by_label("Пароль", exact=True).fill(PASSPHRASE)
    consumer.get_by_label("Підтвердження пароля").fill(PASSPHRASE)
    consumer.get_by_role("button", name="Зареєструватися").click()

    # the link is single-use
    consumer.goto(registration_link)
    expect(consumer.locator("main")).to_contain_text("уже завершено")

    sign_in(consumer, login, PASSPHRASE)
    header = consumer.locator("header")
    expect(header).to_contain_text(account_number)
    expect(header).to_contain_text(f"Автомобіліст-{suffix}")

    # settings: a new e-mail waits for its verification link; the old one stays in force until then
    consumer.goto("/settings")
    consumer.locator("#email-new_email").fill(new_email)
    consumer.locator("#email-current_password").fill(PASSPHRASE)
    consumer.locator("form[action='/settings/email'] button[type=submit]").click()
    expect(consumer.locator("main")).to_contain_text(new_email)
    [verification] = mailbox.wait_for(new_email)
    consumer.goto(mailbox.link(verification, "/settings/email/confirm/"))
    expect(consumer.locator("main")).to_contain_text(new_email)
    consumer.goto("/settings")
    expect(consumer.locator("main")).to_contain_text(new_email)
    # both addresses are told that the change took effect
    mailbox.wait_for(agreement_email, count=2)
    consumer.context.close()
