"""«Налаштування → Журнал дій» in real Chromium: the consumer's user enters readings, and the trail shows that
reading — their login, the meter, the zone, the values — once identity has the event; the supplier's staff of the
consumer's branch find the same entry on the consumer's console page. The key the consumer makes for their
accounting program and the program's call are there too; the page is photographed into docs/screenshots/."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
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
    send_form,
    sign_in,
)

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
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

    # the accounting program gets a key, and calls the public API with it
    created = send_form(consumer_page, "/settings/access-tokens", {
        "name": "1С: Бухгалтерія", "scopes": "payments:read", "expires_in_days": "90"})
    assert created.status == 201, created.text()
    secret = re.search(r"data-secret>([^<]+)<", created.text())
    assert secret
    called = consumer_page.request.get("/api/v1/saldo", headers={"Authorization": f"Bearer {secret.group(1)}"})

    # Settings lead to the trail; the readings come with identity's event
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

    for kind, shown in (("access_token_created", "Створено ключ доступу Ключ «1С: Бухгалтерія»"),
                        ("api_call", f"GET /saldo Ключ «1С: Бухгалтерія», починається з {secret.group(1)[:8]}…")):
        expect(consumer_page.locator(f"tr[data-kind='{kind}']")).to_contain_text(shown)
    expect(consumer_page.locator("tr[data-kind='api_call']")).to_contain_text(f"Відповідь: {called.status}")
    expect(consumer_page.locator("tr[data-kind='api_call']")).to_contain_text("Програма (API)")
    # newest first: the call, the key, the readings
    kinds = [row.get_attribute("data-kind") for row in consumer_page.locator("tr[data-kind]").all()]
    assert kinds == ["api_call", "access_token_created", "readings_entered"], kinds
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    consumer_page.set_viewport_size({"width": 1280, "height": 800})
    consumer_page.screenshot(path=str(SCREENSHOTS / "audit-trail-desktop.png"), full_page=True)

    # the filter keeps to the kind chosen
    consumer_page.get_by_label("Що").select_option("documents")
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
