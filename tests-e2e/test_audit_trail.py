"""«Налаштування → Журнал дій» in real Chromium: the consumer's user enters readings, and the trail shows that
reading — their login, the meter, the zone, the values — once identity has the event; the supplier's staff of the
consumer's branch find the same entry on the consumer's console page."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from journeys import (
    Mailbox,
    add_metering_point,
    complete_registration,
    create_signing_consumer,
    reading_fields,
    reload_until,
    sign_in,
)

PASSWORD = "журнал пам'ятає кожну дію споживача"


@pytest.fixture
def consumer_page(browser: Browser, system: Any) -> Any:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_the_trail_shows_who_entered_the_readings_to_the_consumer_and_to_staff(
    page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], tariffs: None,
) -> None:
    suffix = secrets.token_hex(3)
    login, serial, email = f"zhurnal{suffix}", f"J{suffix.upper()}", f"zhurnal-{suffix}@avto.example"
    sign_in(page, demo["staff_login"], demo["staff_password"])
    code, consumer_id = create_signing_consumer(
        page, account_number=str(30000 + int(suffix, 16) % 60000), name=f"ТОВ «Журнал-{suffix}»",
        agreement_email=email, edrpou="32855961", e_signature=False,
    )
    add_metering_point(page, consumer_id, meter_serial=serial, zones=1)
    [letter] = mailbox.wait_for(email)
    complete_registration(consumer_page, mailbox.link(letter, "/registration/complete/"), code=code, login=login,
                          password=PASSWORD)
    sign_in(consumer_page, login, PASSWORD)

    consumer_page.goto("/readings")
    reload_until(consumer_page, "input[name^='reading.']", "the meter on the readings page")
    [field] = reading_fields(consumer_page.content()).values()
    consumer_page.locator(f"[name='{field}']").fill("1234.5")
    consumer_page.get_by_role("button", name="Занести показання").click()
    expect(consumer_page.locator("main")).to_contain_text("Показання занесено")

    # Settings lead to the trail; the entry comes with identity's event
    consumer_page.goto("/settings")
    consumer_page.get_by_role("link", name="Відкрити журнал дій").click()
    expect(consumer_page).to_have_url(re.compile(r"/settings/audit$"))
    entry = "tr[data-kind='readings_entered']"
    reload_until(consumer_page, entry, "the readings in the trail")
    row = consumer_page.locator(entry)
    expect(row).to_have_count(1)
    for shown in (login, email, "Внесено показання за", f"{serial}, Активна енергія, кВт·год, Зона 1: 0 → 1 234.5",
                  "Сторінки кабінету"):
        expect(row).to_contain_text(shown)
    expect(row.locator("td").first).to_have_text(re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$"))

    # the filter keeps to the kind chosen
    consumer_page.get_by_label("Що").select_option("api")
    consumer_page.get_by_role("button", name="Показати").click()
    expect(consumer_page.locator("main")).to_contain_text("Записів такого виду ще немає.")

    # the supplier's staff of the consumer's branch: the consumer's page links to the same trail
    page.goto(f"/console/consumers/{consumer_id}")
    page.get_by_role("link", name="Журнал дій").click()
    expect(page).to_have_url(re.compile(rf"/console/consumers/{consumer_id}/audit$"))
    staff_row = page.locator(entry)
    expect(staff_row).to_have_count(1)
    expect(staff_row).to_contain_text(login)
    expect(staff_row).to_contain_text(f"{serial}, Активна енергія, кВт·год, Зона 1: 0 → 1 234.5")
