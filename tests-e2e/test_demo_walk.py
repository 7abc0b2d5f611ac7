"""The README's demo, walked as a newcomer walks it (issue 12), in real Chromium by visible labels.

The system is loaded by the demo loader `make run` uses (`devtools.demo.load_demo`): consumer № 0789 with half a
year behind it — each month's readings, the act signed by both parties, the invoice formed on the billing day and
signed by both, its tax invoice, its payment a few days later — and the open period, where the substation meter's
reading is in and the consumer's own meter waits. The newcomer follows the registration letter, signs in, finds
that history dated as it happened and nothing waiting, registers the demo certificate, enters their meter, signs
the act with the demo key, presses «Розрахувати», finds the new invoice on top, downloads its PDF, signs it; a RES
system pays it over the bus; the saldo is 0 and the new tax invoice is complete. The supplier's staff see the act
the consumer signed waiting for them, and none of the history.

If this test fails, the README's demo is broken.
"""

from __future__ import annotations

import io
import re
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from devtools.demo import (
    HISTORY_MONTHS,
    OWN_METER,
    PAID_AFTER,
    PAYER_BANK,
    SUBSTATION_METER,
    load_demo,
    readings_of,
)
from devtools.processes import System
from devtools.res_simulator import publish_payments
from journeys import Mailbox, complete_registration, register_certificate, reload_until, sign_in, sign_in_browser
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.res import PaymentReceived
from shared.testing import run_in_thread

LOGIN, PASSWORD = "avtomobilist", "кооператив на розі зеленої вулиці"

pytestmark = pytest.mark.timeout(900)


def _digits(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]", "", text)


@pytest.fixture(scope="module")
def story(system: System, trust: dict[str, str], demo: dict[str, Any], mailbox: Mailbox) -> dict[str, Any]:
    """What `make run` loads, loaded the same way, and how long that took."""
    letters = len(mailbox.letters(demo["agreement_email"]))
    started = time.monotonic()
    loaded = load_demo(system, trust, demo["staff_password"])
    loaded["seconds"] = time.monotonic() - started
    print(f"\nthe demo's history loaded in {loaded['seconds']:.1f} s: {loaded['history']}")
    # `make run` again: the history stays as it is; a fresh activation code and letter are issued
    again = load_demo(system, trust, demo["staff_password"])
    assert again["history"] == {"loaded": False} and again["activation_code"] != loaded["activation_code"]
    # both registration letters are in (the newcomer follows the newest; nothing arrives after)
    mailbox.wait_for(demo["agreement_email"], "Реєстрація", count=letters + 2)
    return {**again, "history": loaded["history"]}


@pytest.fixture(scope="module")
def newcomer(browser: Browser, system: System, story: dict[str, Any], mailbox: Mailbox) -> Any:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", accept_downloads=True,
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20000)
    newest = mailbox.letters(story["agreement_email"])[0]  # the mail catcher answers newest first
    complete_registration(page, mailbox.link(newest, "/registration/complete/"), code=story["activation_code"],
                          login=LOGIN, password=PASSWORD)
    sign_in(page, LOGIN, PASSWORD)
    yield page
    context.close()


def _dates(text: str) -> list[date]:
    return [datetime.strptime(found, "%d.%m.%Y").date() for found in re.findall(r"\d\d\.\d\d\.\d{4}", text)]


def test_the_history_is_dated_month_by_month_signed_and_paid(newcomer: Page, story: dict[str, Any]) -> None:
    page = newcomer
    assert story["history"]["loaded"] and story["history"]["payments"] == HISTORY_MONTHS
    # home: nothing waits for a signature, nothing owed, the readings window open
    page.goto("/")
    expect(page.locator("main")).to_contain_text("Жоден документ не чекає на ваш підпис.")
    expect(page.locator(".saldo__amount")).to_have_text("Заборгованості та переплати немає.")
    expect(page.locator("[data-window='open'], .window--open").first).to_be_visible()

    # «Рахунки»: six invoices, each formed on its month's billing day (the 25th, month after month), paid in full,
    # signed by both parties
    page.goto("/invoices")
    rows = page.locator("tr[data-invoice]")
    expect(rows).to_have_count(HISTORY_MONTHS)
    formed = []
    for text in rows.all_inner_texts():
        formed_on, pay_by = _dates(text)[:2]
        formed.append(formed_on)
        assert formed_on.day == 25 and pay_by > formed_on, text
        assert "Підписано обома сторонами" in text, text
    assert [(day.year * 12 + day.month) for day in formed] == [
        formed[0].year * 12 + formed[0].month - step for step in range(HISTORY_MONTHS)]
    # the payment pays each invoice off: no balance is left
    for row in range(HISTORY_MONTHS):
        cells = rows.nth(row).locator("td.money").all_inner_texts()
        assert len(cells) == 3 and cells[0] == cells[1] and _digits(cells[2]) == "0.00", cells

    # «Договори та документи»: the consumer's acts signed by both, the supplier's own records need no signature,
    # tax invoices signed by the supplier; every document dated its month's 25th; nothing offered for signing
    page.goto("/documents")
    listing = page.locator("main table")
    expect(listing).to_contain_text("Підпис не потрібен")
    expect(listing).to_contain_text("Підписано обома сторонами")
    expect(listing).to_contain_text("Підписано постачальником")
    expect(listing.get_by_role("link", name=re.compile("^Підписати"))).to_have_count(0)
    expect(listing).not_to_contain_text(datetime.now(BUSINESS_TIME_ZONE).strftime("%d.%m.%Y"))

    # «Платежі»: a payment per invoice, a few days after it
    page.goto("/payments")
    expect(page.locator("tr[data-payment]")).to_have_count(HISTORY_MONTHS)
    paid_on = sorted(_dates(row)[0] for row in page.locator("tr[data-payment]").all_inner_texts())
    assert paid_on == sorted(day + PAID_AFTER for day in formed), paid_on


def test_the_newcomer_enters_signs_calculates_signs_and_a_res_payment_settles_it(
    newcomer: Page, story: dict[str, Any], system: System, amqp_url: str, trust: dict[str, str], browser: Browser,
    demo: dict[str, Any],
) -> None:
    page = newcomer
    # the window is open for the consumer's own meter; the substation's reading is in and needs no signature
    page.goto("/readings")
    expect(page.locator("[data-window='open']")).to_be_visible()
    own, substation = page.locator(f"[data-meter='{OWN_METER}']"), page.locator(f"[data-meter='{SUBSTATION_METER}']")
    expect(own.locator("input[inputmode='decimal']")).to_have_count(2)
    expect(substation.locator("input")).to_have_count(0)
    expect(substation).to_contain_text("Прийнято до розрахунку")
    expect(page.locator("#act")).to_contain_text("Власний запис постачальника: його ніхто не підписує.")

    # the demo certificate, registered as the README says
    register_certificate(page, trust["demo_consumer_cert_file"])
    expect(page.locator("main")).to_contain_text("Сертифікат зареєстровано")

    # the own meter's readings of this month, as the meter shows them
    page.goto("/readings")
    values = readings_of(HISTORY_MONTHS + 1, OWN_METER)
    for (_, _, zone), value in values.items():
        own.locator(f"input[name$='.active.{zone}']").fill(str(value))
    page.get_by_role("button", name="Занести показання").click()
    expect(page.locator(".alert, [role='status']").first).to_be_visible()
    reload_until(page, "[data-act-state='awaiting_signature']", "the act waiting for the consumer's signature")
    # the invoice box says why it cannot be calculated yet: the act is not signed
    expect(page.locator("#calculation")).to_contain_text("акт передачі показань ще не підписано")

    # the act signed with the demo key, in the browser
    page.locator("#act").get_by_role("link", name=re.compile("^Підписати")).click()
    password = Path(trust["demo_consumer_key_password_file"]).read_text().strip()
    sign_in_browser(page, trust["demo_consumer_key_file"], password)
    expect(page.locator("#sign-result")).to_have_text("Документ підписано.")

    # «Розрахувати» → «Рахунки», the new invoice on top, formed today
    page.goto("/readings")
    reload_until(page, "form[action='/readings/calculation'] button", "«Розрахувати» for the accepted readings")
    page.get_by_role("button", name="Розрахувати").click()
    expect(page).to_have_url(re.compile(r"/invoices"))
    today = datetime.now(BUSINESS_TIME_ZONE).date()
    top = page.locator("tr[data-invoice]").first
    expect(top).to_contain_text(today.strftime("%d.%m.%Y"))
    number = re.search(r"0789/\d+/1", top.inner_text())
    assert number, top.inner_text()
    new = f"tr[data-invoice='{number.group(0)}']"

    # its PDF, with its number and total
    reload_until(page, f"{new} a[href$='/content']", "the invoice's PDF")
    total_text = page.locator(new).locator("td.money").nth(0).inner_text()
    with page.expect_download() as download:
        page.locator(f"{new} a[href$='/content']").click()
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages)
    assert number.group(0) in pdf_text and _digits(total_text) in _digits(pdf_text), (number, total_text)

    # sealed by the supplier today; the consumer signs it: signed by both parties
    reload_until(page, f"{new}:has-text('Підписано постачальником') a[href$='#sign']",
                 "the supplier's seal on the new invoice, and «Підписати»")
    page.locator(f"{new} a[href$='#sign']").click()
    sign_in_browser(page, trust["demo_consumer_key_file"], password)
    expect(page.locator("#signature-state")).to_contain_text("Підписано обома сторонами")

    # a RES system pays it over the bus; the saldo is 0
    total = Decimal(_digits(total_text))
    iban, bank, mfo = PAYER_BANK
    payment = PaymentReceived(
        res_payment_id=f"walk-{number.group(0)}", account_number="0789", amount=total, paid_on=today,
        payer_iban=iban, bank=bank, mfo=mfo, document_number="2001",
        purpose=f"Оплата за електроенергію згідно рах. № {number.group(0)}, у т.ч. ПДВ 20%",
    )
    assert run_in_thread(publish_payments(amqp_url, system.layout.bus_namespace, [payment])) == 1
    page.goto("/payments")
    reload_until(page, "tr[data-payment='2001']", "the RES payment")
    expect(page.locator(".saldo__amount")).to_have_text("Заборгованості та переплати немає.")

    # its tax invoice: every mandatory field of the form filled in
    page.goto("/tax-invoices")
    reload_until(page, f"tr[data-tax-invoice]:has-text('{number.group(0)}') [data-complete='true']",
                  "the new tax invoice, complete")
    expect(page.locator("tr[data-tax-invoice] [data-complete='false']")).to_have_count(0)
    expect(page.locator("tr[data-tax-invoice]")).to_have_count(HISTORY_MONTHS + 1)

    # the supplier's staff: the act the consumer signed waits for them, none of the history does
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA")
    staff = context.new_page()
    sign_in(staff, demo["staff_login"], demo["staff_password"])
    staff.goto("/console/signatures")
    queue = staff.locator("main table tbody tr").filter(has_text="0789")
    expect(queue).to_have_count(1)
    expect(queue).to_contain_text("Акт приймання-передачі показань")
    context.close()
