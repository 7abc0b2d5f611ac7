"""Controls drawn in the page's language, and a removed certificate, in real Chromium (issue #12).

Chromium draws `<input type=month>` and file inputs in its own language («November 2026», «Choose File») whatever
the page's: the cabinet offers a list of months and a button of its own words instead, and both work without
JavaScript too. A certificate its owner removes stays listed apart, with the date, and without «Видалити».
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.demo import months_back
from devtools.processes import System
from journeys import (
    Mailbox,
    accessible,
    complete_registration,
    consumer_certificate,
    register_certificate,
    send_form,
    sign_in,
)
from shared.business_calendar import BUSINESS_TIME_ZONE

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "test-artifacts" / "language"
PASSWORD = "місяці й файли нашою мовою"

pytestmark = pytest.mark.timeout(600)


@dataclass
class Consumer:
    login: str
    #: a certificate of the consumer's own signer (the consumer's EDRPOU)
    certificate_file: str


def _context_page(browser: Browser, system: System, *, scripts: bool = True) -> Page:
    # Chromium in English, as the tester's was: the page's language must not depend on the browser's
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="en-US", java_script_enabled=scripts,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.fixture(scope="module")
def consumer(browser: Browser, system: System, demo: dict[str, Any], mailbox: Mailbox, trust: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consumer]:
    suffix = secrets.token_hex(3)
    email = f"movoiu-{suffix}@avto.example"
    staff, page = _context_page(browser, system), _context_page(browser, system)
    sign_in(staff, demo["staff_login"], demo["staff_password"])
    created = send_form(staff, "/console/consumers/new", {
        "account_number": str(90000 + int(suffix, 16) % 9000), "name": f"ТОВ «Мовою-{suffix}»",
        "edrpou": "12345678", "branch_id": demo["branch_id"], "agreement_email": email, "billing_day": "1",
        "e_signature": "1",
    })
    assert created.status == 201, created.text()
    code = re.search(r'activation-code__value"><code>([^<]+)<', created.text())
    assert code
    [letter] = mailbox.wait_for(email)
    complete_registration(page, mailbox.link(letter, "/registration/complete/"), code=code.group(1),
                          login=f"movoiu{suffix}", password=PASSWORD)
    staff.context.close()
    page.context.close()
    certificate = consumer_certificate(trust, tmp_path_factory.mktemp("certificates"),
                                       common_name="Ковальчук Ірина Петрівна", organization=f"ТОВ «Мовою-{suffix}»",
                                       edrpou="12345678")
    yield Consumer(f"movoiu{suffix}", str(certificate))


@contextmanager
def _signed_in(browser: Browser, system: System, consumer: Consumer, *, scripts: bool = True) -> Iterator[Page]:
    page = _context_page(browser, system, scripts=scripts)
    try:
        sign_in(page, consumer.login, PASSWORD)
        expect(page.locator("header")).to_contain_text("ТОВ «Мовою-")
        yield page
    finally:
        page.context.close()


def _photograph(page: Page, name: str) -> None:
    PHOTOS.mkdir(parents=True, exist_ok=True)
    for width, viewport in (("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 375, "height": 812})):
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        page.screenshot(path=str(PHOTOS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.parametrize("scripts", [True, False], ids=["with-scripts", "without-scripts"])
def test_the_billing_month_is_chosen_from_a_list_in_the_pages_language(
    browser: Browser, system: System, consumer: Consumer, scripts: bool
) -> None:
    with _signed_in(browser, system, consumer, scripts=scripts) as page:
        page.goto("/readings")
        picker = page.get_by_label("Розрахунковий місяць")
        expect(picker).to_have_js_property("tagName", "SELECT")
        earlier = months_back(datetime.now(BUSINESS_TIME_ZONE).strftime("%Y-%m"), 3)[0]
        option = picker.locator(f"option[value='{earlier}']")
        label = option.inner_text()
        assert re.fullmatch(r"[а-щьюяєіїґ]+ \d{4}", label), label  # «серпень 2026», never «August 2026»
        picker.select_option(earlier)
        page.get_by_role("button", name="Показати").click()
        expect(page).to_have_url(re.compile(rf"/readings\?period={earlier}$"))
        expect(page.locator("h1")).to_have_text(f"Показання за {label}")
        expect(picker).to_have_value(earlier)
        if scripts:
            accessible(page)
            _photograph(page, "readings-month")


def test_a_file_is_chosen_with_a_button_of_the_pages_words_and_its_name_shown(
    browser: Browser, system: System, consumer: Consumer
) -> None:
    with _signed_in(browser, system, consumer) as page:
        for language, button in (("ru", "Выбрать файл"), ("en", "Choose a file"), ("uk", "Обрати файл")):
            page.goto(f"/lang/{language}?next=/signature/certificates")
            expect(page.locator("#certificate_file-button")).to_have_text(button)
        chosen = page.locator("#certificate_file-chosen")
        expect(chosen).to_have_text("Файл не обрано")
        page.set_input_files("#certificate_file", consumer.certificate_file)
        expect(chosen).to_have_text(Path(consumer.certificate_file).name)
        # the button is the input's label: the browser's own file chooser opens from it
        with page.expect_file_chooser() as chooser:
            page.locator("#certificate_file-button").click()
        assert chooser.value.element.get_attribute("id") == "certificate_file"
        accessible(page)
        _photograph(page, "certificate-file")


def test_without_scripts_the_file_is_still_sent(browser: Browser, system: System, consumer: Consumer) -> None:
    with _signed_in(browser, system, consumer, scripts=False) as page:
        page.goto("/signature/certificates")
        # no script to name the file: the line stays hidden rather than say «no file chosen» of a chosen one
        expect(page.locator("#certificate_file-chosen")).to_be_hidden()
        register_certificate(page, consumer.certificate_file)
        expect(page.locator("main")).to_contain_text(re.compile("Сертифікат зареєстровано|уже зареєстровано"))


def test_a_removed_certificate_stays_listed_apart_without_the_action(
    browser: Browser, system: System, consumer: Consumer
) -> None:
    with _signed_in(browser, system, consumer) as page:
        register_certificate(page, consumer.certificate_file)
        registered = page.get_by_role("table", name="Зареєстровані сертифікати")
        expect(registered.locator("tbody tr")).to_have_count(1)
        serial = registered.locator("tbody tr").get_attribute("data-certificate")
        expect(registered).to_contain_text("Чинний")
        registered.get_by_role("button", name=re.compile("^Видалити")).click()

        expect(page.locator("main")).to_contain_text("Сертифікат видалено з кабінету.")
        expect(page.get_by_role("table", name="Зареєстровані сертифікати")).to_have_count(0)
        removed = page.get_by_role("table", name="Видалені сертифікати")
        row = removed.locator(f"tr[data-certificate='{serial}']")
        expect(row).to_contain_text(datetime.now(BUSINESS_TIME_ZONE).strftime("%d.%m.%Y"))
        expect(row.get_by_role("button")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text("Відкликаний")
        expect(page.locator("main")).to_contain_text("Цими сертифікатами більше не можна підписувати документи.")
        accessible(page)
        _photograph(page, "certificates-removed")
