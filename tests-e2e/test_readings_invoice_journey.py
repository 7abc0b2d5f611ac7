"""From readings to invoice in real Chromium (manual «Как получить счет? Очень просто!»).

The consumer who calculates themselves: enters the readings in the window, signs the act of readings transfer with
their key, presses «Розрахувати», lands on «Рахунки», downloads the invoice and finds its totals in the PDF, and
signs the invoice the supplier's seal has signed already. The manager's journey: a consumer with neither the
self-calculation right nor an electronic signature enters readings; staff mark the paper act received and form
the invoice in the console; the consumer finds it on «Рахунки».

Tariff class `class2_general` (billing's demo prices): 6.84 UAH/kWh from 2024-06; two zones: day × 1.5, night × 0.4.
"""

from __future__ import annotations

import io
import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from stdnum.ua import edrpou as edrpou_number

from devtools import testca
from journeys import (
    Mailbox,
    add_metering_point,
    complete_registration,
    create_signing_consumer,
    reading_fields,
    register_certificate,
    reload_until,
    sign_in,
    sign_in_browser,
)

PASSWORD = "жовтий трамвай їде через сім мостів"
KEY_PASSWORD = "ключ від сейфа 2026"
DAY_VOLUME, NIGHT_VOLUME = 1450, 610
#: 1450 × 6.84 × 1.5 = 14 877.00 and 610 × 6.84 × 0.4 = 1 668.96; VAT 20 % of 16 545.96 rounded down
AMOUNT_EXCL_VAT, VAT, TOTAL = Decimal("16545.96"), Decimal("3309.19"), Decimal("19855.15")


def _random_edrpou() -> str:
    body = f"{secrets.randbelow(9_000_000) + 1_000_000}"
    return body + edrpou_number.calc_check_digit(body)


def _digits(text: str) -> str:
    """Money as the page or the PDF writes it (`16 545.96`, thousands apart by any space) without the spaces."""
    return re.sub(r"[\s\u00a0\u202f]", "", text)


@pytest.fixture
def consumer_page(browser: Browser, system: Any) -> Any:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _new_consumer(page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], *,
                  self_calculation: bool, e_signature: bool) -> dict[str, str]:
    suffix = secrets.token_hex(3)
    consumer = {"account_number": str(30000 + int(suffix, 16) % 60000), "edrpou": _random_edrpou(),
                "name": f"ТОВ «Лічильник-{suffix}»", "email": f"meter-{suffix}@avto.example",
                "login": f"lichylnyk{suffix}", "serial": f"M{suffix.upper()}"}
    sign_in(page, demo["staff_login"], demo["staff_password"])
    # a VAT payer set up as the demo's № 0789: its ІПН starts with its EDRPOU's first seven digits
    consumer["ipn"] = consumer["edrpou"][:7] + "26590"
    code, consumer["id"] = create_signing_consumer(
        page, account_number=consumer["account_number"], name=consumer["name"], agreement_email=consumer["email"],
        edrpou=consumer["edrpou"], self_calculation=self_calculation, e_signature=e_signature, ipn=consumer["ipn"],
    )
    add_metering_point(page, consumer["id"], meter_serial=consumer["serial"])
    [letter] = mailbox.wait_for(consumer["email"])
    complete_registration(consumer_page, mailbox.link(letter, "/registration/complete/"), code=code,
                          login=consumer["login"], password=PASSWORD)
    sign_in(consumer_page, consumer["login"], PASSWORD)
    return consumer


def _enter_readings(page: Page) -> None:
    """«Показання»: the window is open for a new consumer; day and night of the two-zone meter."""
    page.goto("/readings")
    reload_until(page, "input[name^='reading.']", "the meter on the readings page")
    fields = reading_fields(page.content())
    page.locator(f"[name='{fields[1]}']").fill(str(DAY_VOLUME))
    page.locator(f"[name='{fields[2]}']").fill(str(NIGHT_VOLUME))
    page.get_by_role("button", name="Занести показання").click()


def test_a_consumer_enters_readings_signs_the_act_calculates_and_both_parties_sign_the_invoice(
    page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], tariffs: None,
    trust: dict[str, str], tmp_path: Path,
) -> None:
    consumer = _new_consumer(page, consumer_page, mailbox, demo, self_calculation=True, e_signature=True)
    ca = testca.load_ca(Path(trust["CABINET_TRUST_CA_FILES"]).parent)
    issued = testca.issue_certificate(ca, common_name="Коваль Олена Іванівна", organization=consumer["name"],
                                      edrpou=consumer["edrpou"], title="Директор")
    certificate_file = tmp_path / "consumer.cer"
    certificate_file.write_bytes(issued.certificate.public_bytes(serialization.Encoding.DER))
    key_file = tmp_path / "consumer.key.pem"
    key_file.write_bytes(testca.encrypted_private_key_pem(issued.key, KEY_PASSWORD.encode()))
    register_certificate(consumer_page, str(certificate_file))
    expect(consumer_page.locator("main")).to_contain_text("Сертифікат зареєстровано")

    # nothing to calculate before the readings are in
    _enter_readings(consumer_page)
    act = consumer_page.locator("#act")
    reload_until(consumer_page, "[data-act-state='awaiting_signature']", "the act waiting for the signature")
    expect(act).to_contain_text("Завантажити акт (PDF)")

    # the act is signed with the consumer's key in the browser
    act.get_by_role("link", name=re.compile("^Підписати")).click()
    sign_in_browser(consumer_page, str(key_file), KEY_PASSWORD)
    expect(consumer_page.locator("#sign-result")).to_have_text("Документ підписано.")

    # the signature accepts the readings; billing learns them and «Розрахувати» leads to «Рахунки»
    consumer_page.goto("/readings")
    reload_until(consumer_page, "[data-act-state='accepted']", "the accepted act")
    reload_until(consumer_page, "form[action='/readings/calculation'] button:not([disabled])",
                  "«Розрахувати» for the accepted readings")
    consumer_page.get_by_role("button", name="Розрахувати").click()
    expect(consumer_page).to_have_url(re.compile(r"/invoices"))
    row = consumer_page.locator("main table tbody tr").filter(has_text=f"{consumer['account_number']}/")
    expect(row).to_have_count(1)
    assert _digits(str(TOTAL)) in _digits(row.inner_text())

    # the PDF carries the lines and the totals; the supplier's seal has signed it
    reload_until(consumer_page, "main table tbody tr a[href$='/content']", "the invoice's PDF")
    with consumer_page.expect_download() as download:
        consumer_page.locator("main table tbody tr a[href$='/content']").first.click()
    pdf = Path(download.value.path()).read_bytes()
    text = _digits(" ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages))
    for amount in (AMOUNT_EXCL_VAT, VAT, TOTAL, Decimal("14877.00"), Decimal("1668.96")):
        assert _digits(f"{amount:,.2f}".replace(",", " ")) in text, amount
    assert consumer["serial"] in text
    # the seal signs once the PDF is stored: the page shows it after the signature service has heard of it
    reload_until(consumer_page, "main table tbody tr:has-text('Підписано постачальником') a[href$='#sign']",
                 "the supplier's seal on the invoice, and «Підписати»")
    expect(row).to_contain_text("Підписано постачальником")

    # the consumer signs too: signed by both parties
    consumer_page.locator("main table tbody tr a[href$='#sign']").first.click()
    sign_in_browser(consumer_page, str(key_file), KEY_PASSWORD)
    expect(consumer_page.locator("#sign-result")).to_have_text("Документ підписано.")
    expect(consumer_page.locator("#signature-state")).to_contain_text("Підписано обома сторонами")
    consumer_page.goto("/invoices")
    expect(row).to_contain_text("Підписано обома сторонами")

    # the period's invoice is issued: the readings window is closed and says why
    consumer_page.goto("/readings")
    reload_until(consumer_page, "main:not(:has(input[name^='reading.']))", "the closed readings window")


def test_the_manager_forms_the_invoice_of_a_consumer_without_the_right_and_without_e_signature(
    page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], tariffs: None,
) -> None:
    consumer = _new_consumer(page, consumer_page, mailbox, demo, self_calculation=False, e_signature=False)
    _enter_readings(consumer_page)
    reload_until(consumer_page, "[data-act-state='awaiting_paper']", "the act waiting for its paper copy")
    # no «Розрахувати» for this consumer: the manager forms the invoice
    expect(consumer_page.get_by_role("button", name="Розрахувати")).to_have_count(0)

    # staff receive the signed paper act and form the invoice in the console
    page.goto(f"/console/consumers/{consumer['id']}/readings")
    page.get_by_role("button", name="Підписаний паперовий акт отримано").click()
    reload_until(page, f"form[action='/console/consumers/{consumer['id']}/invoices'] button:not([disabled])",
                  "«Сформувати рахунок» for the accepted readings")
    page.get_by_role("button", name="Сформувати рахунок").click()
    expect(page.locator("main")).to_contain_text(f"{consumer['account_number']}/")

    # the consumer sees it on «Рахунки», with its total
    consumer_page.goto("/invoices")
    row = consumer_page.locator("main table tbody tr").filter(has_text=f"{consumer['account_number']}/")
    expect(row).to_have_count(1)
    assert _digits(str(TOTAL)) in _digits(row.inner_text())

    # the tax invoice is its XML; its PDF is drawn on the first download, and the same one given after that
    consumer_page.goto("/tax-invoices")
    with consumer_page.expect_download() as download:
        consumer_page.locator("main table tbody tr a[href$='/pdf']").first.click()
    first_pdf = Path(download.value.path()).read_bytes()
    tax_invoice = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(first_pdf)).pages)
    assert "ПОДАТКОВА НАКЛАДНА" in tax_invoice.upper() and _digits(str(TOTAL)) in _digits(tax_invoice)
    consumer_page.goto("/tax-invoices")
    with consumer_page.expect_download() as download:
        consumer_page.locator("main table tbody tr a[href$='/content']").first.click()
    assert Path(download.value.path()).read_bytes() == first_pdf
    # the consumer's VAT details came with the account: the check finds every mandatory field of the form filled in
    completeness = consumer_page.locator("main table tbody tr td.completeness").first
    expect(completeness).to_have_attribute("data-complete", "true")
    expect(completeness).to_contain_text("Усі обов’язкові поля заповнено")

    # nothing is signed in the cabinet: the home page says where it is signed instead of that nothing waits
    consumer_page.goto("/")
    expect(consumer_page.locator("[data-signs-on-paper]")).to_contain_text("підписують на папері")
    expect(consumer_page.get_by_text("Жоден документ не чекає на ваш підпис")).to_have_count(0)


def test_a_readings_file_far_too_large_is_refused_at_once_in_the_visitors_words(
    page: Page, consumer_page: Page, mailbox: Mailbox, demo: dict[str, Any], tmp_path: Path,
) -> None:
    consumer = _new_consumer(page, consumer_page, mailbox, demo, self_calculation=True, e_signature=False)
    consumer_page.goto("/readings")
    reload_until(consumer_page, "#import-file", "the import form")
    photo = tmp_path / "readings.csv"  # a scan picked by mistake: thirty times what the form takes
    photo.write_bytes(b"1" * 30 * 1024 * 1024)
    consumer_page.set_input_files("#import-file", str(photo))
    consumer_page.get_by_role("button", name="Імпортувати").click()
    expect(consumer_page.locator("h1")).to_have_text("Файл завеликий")
    expect(consumer_page.locator("main")).to_contain_text("не більше 1 МБ")
    expect(consumer_page.locator("header")).to_contain_text(consumer["account_number"])  # still signed in
    consumer_page.screenshot(path=str(tmp_path / "too-large.png"))
    consumer_page.get_by_role("link", name="Повернутися на сторінку").click()
    expect(consumer_page).to_have_url(re.compile(r"/readings"))
    expect(consumer_page.locator("#import-file")).to_be_visible()
