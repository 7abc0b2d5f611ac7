"""Every section of the consumer cabinet and of the supplier console in real Chromium (issue 6): the frame of the
manual (header, navigation with sub-sections, breadcrumbs, «Повідомлення розробникам»), the home page, readings
and invoices with their charts and files, the supplier and the correspondence with its 1000-character counter,
the help, the site map, and the console's consumers, letters and messages — in Ukrainian, and the main journey
in Russian too.

One consumer is prepared for the whole module: the supplier creates it, gives it a meter and a tariff, enters two
months of readings and forms their invoices; the consumer registers and signs in once. Each page is also checked
with axe-core (tests-e2e/vendor/axe.min.js, from the npm registry) for serious and critical accessibility
violations, and photographed at desktop and phone widths into docs/screenshots/ (docs/ui.md shows them).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, ViewportSize, expect

from journeys import Mailbox, accessible, complete_registration, reading_fields, send_form, sign_in
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.testing import until

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PASSPHRASE = "сонячна станція на даху школи"

pytestmark = pytest.mark.timeout(600)


@dataclass
class Cabinet:
    consumer: Page
    staff: Page
    consumer_id: str
    account_number: str
    name: str
    periods: tuple[str, str]


def _months_back(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12}-{index % 12 + 1:02d}"


def _new_page(browser: Browser, system: Any) -> Page:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", accept_downloads=True,
                                  viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def _prepare(staff: Page, consumer_id: str, suffix: str, periods: tuple[str, str]) -> None:
    """The supplier's side: a tariff (the zone coefficients are the seeded ones: day 1.5, night 0.4), a two-zone
    meter, two months of readings and their invoices (as a settlement manager does for a consumer without the
    self-calculation right)."""
    tariff_class = f"e2e_{suffix}"
    answer = send_form(staff, "/console/tariffs", {"tariff_class": tariff_class, "energy": "active",
                                                   "price": "2.5", "effective_from": "2020-01-01",
                                                   "title": "Тариф розділу"})
    assert answer.status == 303, answer.text()
    console = f"/console/consumers/{consumer_id}"
    point = {"meter_serial": f"E2E-{suffix}", "zones": "2", "digits": "6", "ct_ratio": "1", "vt_ratio": "1",
             "location": "consumer_site", "consumer_reads": "1", "tariff_class": tariff_class,
             "installation_active_1": "0", "installation_active_2": "0"}
    until(lambda: send_form(staff, f"{console}/points", point).status == 303, "metering knows the consumer")

    def invoice_formed(period: str) -> bool:
        return bool(send_form(staff, f"{console}/invoices", {"period": period}).status == 303)

    for period, (day, night) in zip(periods, (("100", "50"), ("180", "90")), strict=True):
        fields = reading_fields(staff.request.get(f"{console}/readings?period={period}").text())
        answer = send_form(staff, f"{console}/readings", {"period": period, fields[1]: day, fields[2]: night})
        assert answer.status == 303, answer.text()
        until(partial(invoice_formed, period), f"billing has the readings of {period}")


@pytest.fixture(scope="module")
def cabinet(browser: Browser, system: Any, demo: dict[str, Any], mailbox: Mailbox) -> Iterator[Cabinet]:
    suffix = secrets.token_hex(3)
    account_number = str(60000 + int(suffix, 16) % 30000)
    name = f"ТОВ «Розділи-{suffix}»"
    agreement_email = f"rozdily-{suffix}@avto.example"
    staff, consumer = _new_page(browser, system), _new_page(browser, system)
    sign_in(staff, demo["staff_login"], demo["staff_password"])
    created = send_form(staff, "/console/consumers/new", {
        "account_number": account_number, "name": name, "edrpou": "32855961", "branch_id": demo["branch_id"],
        "agreement_email": agreement_email, "billing_day": "1",
    })
    assert created.status == 201, created.text()
    code = re.search(r'activation-code__value"><code>([^<]+)<', created.text())
    consumer_id = re.search(r'href="/console/consumers/([0-9a-f-]{36})"', created.text())
    assert code and consumer_id
    today = datetime.now(BUSINESS_TIME_ZONE).date()
    periods = (_months_back(today, 2), _months_back(today, 1))
    _prepare(staff, consumer_id.group(1), suffix, periods)
    [letter] = mailbox.wait_for(agreement_email)
    login = f"rozdily{suffix}"
    complete_registration(consumer, mailbox.link(letter, "/registration/complete/"), code=code.group(1), login=login,
                          password=PASSPHRASE)
    sign_in(consumer, login, PASSPHRASE)
    expect(consumer.locator("header")).to_contain_text(account_number)
    yield Cabinet(consumer, staff, consumer_id.group(1), account_number, name, periods)
    consumer.context.close()
    staff.context.close()


def _photograph(page: Page, name: str) -> None:
    """The page at desktop and phone widths, into docs/screenshots/<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size(VIEWPORTS["desktop"])


def _check(page: Page, name: str) -> None:
    accessible(page)
    _photograph(page, name)


def _nav_texts(page: Page) -> list[str]:
    # text_content: the bar shows its labels in capitals with CSS, the words themselves are as written
    return [text.strip() for text in page.locator("nav.main-nav a").all_text_contents()]


def test_the_frame_and_the_home_page(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/")
    header = page.locator("header")
    expect(header).to_contain_text(f"№ {cabinet.account_number}, ПАТ «ДТЕК ПЕМ-Енерговугілля»")
    expect(header).to_contain_text(cabinet.name)
    expect(header.get_by_role("link", name="Налаштування")).to_be_visible()
    expect(header.get_by_role("button", name="Вихід")).to_be_visible()
    assert _nav_texts(page) == ["Товар", "Гроші", "Договори та документи", "Опис", "Постачальник", "Карта сайту"]
    expect(page.get_by_role("link", name="Повідомлення розробникам")).to_be_visible()
    main = page.locator("main")
    expect(main.get_by_role("link", name="Занести показання").first).to_be_visible()
    expect(main.get_by_role("link", name="Рахунки").first).to_be_visible()
    expect(main.get_by_role("heading", name="Поточне сальдо")).to_be_visible()
    expect(main.get_by_role("heading", name="Очікують вашого підпису")).to_be_visible()
    expect(page.locator("[data-window]")).to_be_visible()

    # keyboard: the first Tab reaches the skip link, which moves on to the page's content
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    _check(page, "home")


def test_sections_have_their_pages_and_breadcrumbs_and_the_site_map_lists_them(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/")
    page.locator("nav.main-nav").get_by_role("link", name="Товар").click()
    expect(page).to_have_url(re.compile(r"/readings$"))
    sub = page.get_by_role("navigation", name="Сторінки розділу «Товар»")
    expect(sub.get_by_role("link", name="Показання")).to_have_attribute("aria-current", "page")
    page.locator("nav.main-nav").get_by_role("link", name="Опис").click()
    help_pages = page.get_by_role("navigation", name="Сторінки розділу «Опис»")
    help_pages.get_by_role("link", name="Визначення термінів").click()
    breadcrumbs = page.get_by_role("navigation", name="Шлях до сторінки")
    expect(breadcrumbs).to_have_text(re.compile(r"Головна\s+Опис\s+Визначення термінів"))

    page.locator("nav.main-nav").get_by_role("link", name="Карта сайту").click()
    site_map = page.locator("main")
    for label in ("Показання", "Рахунки", "Платежі", "Податкові накладні", "Тарифи", "Договори та документи",
                  "Опис роботи", "Визначення термінів", "Супутні закони", "Опис імпорту показань", "Здача звіту",
                  "Реквізити постачальника", "Написати лист", "Листування", "Налаштування",
                  "Повідомлення розробникам"):
        expect(site_map.get_by_role("link", name=label, exact=True).first).to_be_visible()
    _check(page, "sitemap")


def test_readings_show_the_consumption_history(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/readings")
    chart = page.get_by_role("img", name=re.compile("Спожита активна енергія за місяцями"))
    expect(chart).to_be_visible()
    # 100/50 kWh in the first month, 80/40 in the second; the same figures in the table under the chart
    expect(chart.locator("rect.chart__bar")).to_have_count(4)
    page.get_by_text("Показати числа таблицею").first.click()
    table = page.locator("#history table")
    expect(table).to_contain_text("Лічильник № E2E-")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").last).to_contain_text("80")
    _check(page, "readings")


def test_invoices_show_amounts_by_month_and_download_as_csv_and_excel(cabinet: Cabinet, tmp_path: Path) -> None:
    page = cabinet.consumer
    page.goto("/invoices")
    rows = page.locator("tr[data-invoice]")
    expect(rows).to_have_count(2)
    # 100 × 2.5 × 1.5 + 50 × 2.5 × 0.4 = 425.00, with VAT 510.00; then 80 and 40 kWh: 408.00
    expect(page.locator("main")).to_contain_text("510.00")
    expect(page.locator("main")).to_contain_text("408.00")
    expect(page.get_by_role("img", name=re.compile("Нараховано за місяцями"))).to_be_visible()

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Завантажити список (CSV)").click()
    assert csv_download.value.suggested_filename == f"invoices-{cabinet.account_number}.csv"
    csv_file = tmp_path / "invoices.csv"
    csv_download.value.save_as(csv_file)
    lines = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert lines[0][0] == "Номер рахунку"
    assert sorted(line[6] for line in lines[1:]) == ["408.00", "510.00"]

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Завантажити список (Excel)").click()
    xlsx_file = tmp_path / "invoices.xlsx"
    xlsx_download.value.save_as(xlsx_file)
    sheet = load_workbook(xlsx_file).active
    assert sheet is not None
    totals = sorted(row[6].value for row in sheet.iter_rows(min_row=2))
    assert totals == [408, 510] and sheet.cell(row=2, column=7).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=3).is_date
    _check(page, "invoices")


def test_the_saldo_and_what_is_due_on_the_home_page_and_with_the_payments(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/")
    # two invoices, nothing paid: the debt and what is due by when
    expect(page.locator("[data-saldo=debt]")).to_contain_text("Заборгованість: 918.00 грн")
    expect(page.locator("main")).to_contain_text("сплатити до")
    page.goto("/payments")
    expect(page.locator(".saldo__amount")).to_contain_text("918.00")
    expect(page.get_by_role("link", name="Завантажити список (Excel)")).to_have_attribute(
        "href", re.compile(r"^/payments\.xlsx\?from=\d{4}-\d{2}-\d{2}&to="))
    _check(page, "payments")


def test_a_letter_to_the_supplier_counts_its_characters_and_gets_a_reply(cabinet: Cabinet) -> None:
    page, staff = cabinet.consumer, cabinet.staff
    page.goto("/supplier")
    expect(page.locator("main")).to_contain_text("Платіжні реквізити")
    expect(page.locator("main")).to_contain_text("UA")
    _check(page, "supplier")

    page.locator("main").get_by_role("link", name="Написати лист").first.click()
    expect(page.get_by_role("heading", name="Написати лист постачальнику")).to_be_visible()
    descriptions = page.locator("#addressee-descriptions dl")
    expect(descriptions).to_be_hidden()
    page.get_by_text("Показати опис, кому в яких випадках писати").click()
    expect(descriptions).to_be_visible()

    text = page.get_by_label("Текст листа")
    counter = page.locator("#text-counter")
    expect(counter).to_have_text("Зараз залишилося символів: 1000", use_inner_text=True)
    text.press_sequentially("Добрий день!")
    expect(counter).to_have_text("Зараз залишилося символів: 988", use_inner_text=True)
    text.press("Enter")  # a line break counts as one character, as the service counts it
    expect(counter).to_have_text("Зараз залишилося символів: 987", use_inner_text=True)
    # a longer text pasted is not cut without a word: the counter says by how much it is too long, and the
    # service refuses it with its reason under the field, the text kept to be shortened
    text.fill("ї" * 998 + "абвгд")
    assert len(text.input_value()) == 1003
    expect(counter).to_have_text("Понад ліміт символів: 3. Скоротіть текст, щоб його надіслати.", use_inner_text=True)
    page.get_by_label("Тип адресата").select_option("settlements")
    page.get_by_label("Тип листа").select_option("question")
    page.get_by_label("Тема листа").fill("Рахунок за минулий місяць")
    page.get_by_role("button", name="Надіслати").click()
    expect(page.locator("#text-error")).to_have_text("Лист довший за 1000 символів. Скоротіть його, будь ласка.")
    expect(page.get_by_label("Текст листа")).to_have_value("ї" * 998 + "абвгд")
    _check(page, "letter-new")

    page.get_by_label("Текст листа").fill("Прошу пояснити рахунок за минулий місяць.")
    page.get_by_role("button", name="Надіслати").click()
    expect(page.locator("main")).to_contain_text("Лист надіслано постачальнику.")
    expect(page.locator("main")).to_contain_text("Очікує відповіді")
    letter_url = page.url.split("?")[0]
    letter_id = letter_url.rsplit("/", 1)[1]

    # the supplier answers from the inbox
    staff.goto("/console/letters?addressee_type=settlements&state=new")
    row = staff.locator(f"tr[data-letter='{letter_id}']")
    expect(row).to_contain_text(cabinet.account_number)
    row.get_by_role("link", name="Рахунок за минулий місяць").click()
    staff.get_by_label("Текст відповіді").fill("Рахунок сформовано за показаннями двох зон.")
    staff.get_by_role("button", name="Надіслати відповідь").click()
    expect(staff.locator("main")).to_contain_text("Відповідь надіслано.")
    _check(staff, "console-letter")
    staff.get_by_role("button", name="Позначити опрацьованим").click()
    expect(staff.locator("main")).to_contain_text("Лист позначено як опрацьований.")

    page.goto(letter_url)
    expect(page.locator(".reply")).to_contain_text("Рахунок сформовано за показаннями двох зон.")
    page.goto("/letters")
    expect(page.locator(f"tr[data-letter='{letter_id}']")).to_contain_text("Закрито")


def test_a_message_to_the_developers_from_any_page_reaches_the_console(cabinet: Cabinet) -> None:
    page, staff = cabinet.consumer, cabinet.staff
    page.goto("/tariffs")
    page.get_by_role("link", name="Повідомлення розробникам").click()
    expect(page.locator("main")).to_contain_text("/tariffs")
    message = f"Тарифи незрозумілі {secrets.token_hex(2)}"
    page.get_by_label("Ваше повідомлення").fill(message)
    page.get_by_role("button", name="Надіслати").click()
    expect(page.locator("main")).to_contain_text("Дякуємо! Ваше повідомлення передано розробникам.")
    page.get_by_role("link", name="Повернутися на сторінку").click()
    expect(page).to_have_url(re.compile(r"/tariffs$"))

    staff.goto("/console/feedback?unread=true")
    row = staff.locator("tr", has_text=message)
    expect(row).to_contain_text("/tariffs")
    _check(staff, "console-feedback")
    row.get_by_role("button", name="Позначити прочитаним").click()
    expect(staff.locator("main")).to_contain_text("Повідомлення позначено як прочитане.")


def test_the_help_describes_the_cabinet_and_the_report_steps_lead_to_their_pages(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/")
    page.locator("nav.main-nav").get_by_role("link", name="Опис").click()
    expect(page.get_by_role("heading", name="Опис роботи", exact=True)).to_be_visible()
    sub = page.get_by_role("navigation", name="Сторінки розділу «Опис»")
    sub.get_by_role("link", name="Супутні закони").click()
    for law in ("Про ринок електричної енергії", "Правила роздрібного ринку електричної енергії",
                "Про електронні документи та електронний документообіг",
                "Про електронну ідентифікацію та електронні довірчі послуги", "Податковий кодекс України"):
        expect(page.locator("main")).to_contain_text(law)
    sub.get_by_role("link", name="Визначення термінів").click()
    expect(page.locator("main")).to_contain_text("Акт передачі показань")
    sub.get_by_role("link", name="Здача звіту").click()
    steps = page.locator("ol.report-steps > li")
    expect(steps).to_have_count(5)
    _check(page, "help-report")
    steps.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/readings$"))
    page.go_back()
    steps.nth(3).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/invoices$"))
    page.goto("/help/e-signature")
    expect(page.locator("main")).to_contain_text("Зареєструвати сертифікат")


def test_the_main_journey_in_russian(cabinet: Cabinet) -> None:
    page = cabinet.consumer
    page.goto("/")
    page.locator("header").get_by_role("link", name="Русский").click()
    try:
        assert _nav_texts(page) == ["Товар", "Деньги", "Договоры и документы", "Описание", "Поставщик",
                                    "Карта сайта"]
        expect(page.locator("header")).to_contain_text("Настройки")
        expect(page.locator("main").get_by_role("link", name="Занести показания").first).to_be_visible()
        page.locator("main").get_by_role("link", name="Счета").first.click()
        expect(page.get_by_role("heading", name="Счета", exact=True)).to_be_visible()
        expect(page.locator("main")).to_contain_text("510.00")
        page.goto("/letters/new")
        expect(page.locator("#text-counter")).to_have_text("В данный момент осталось символов: 1000",
                                                           use_inner_text=True)
        page.get_by_text("Показать описание, кому в каких случаях писать").click()
        page.get_by_label("Текст письма").press_sequentially("Здравствуйте")
        expect(page.locator("#text-counter")).to_have_text("В данный момент осталось символов: 988",
                                                           use_inner_text=True)
        _check(page, "letter-new-ru")
    finally:
        page.goto("/lang/uk?next=/")


def test_the_console_finds_edits_and_links_a_consumer(cabinet: Cabinet) -> None:
    staff = cabinet.staff
    staff.goto("/console")
    assert _nav_texts(staff)[:4] == ["Споживачі", "Розрахунки", "Підписи", "Листи"]
    staff.get_by_label("Номер особового рахунку, назва або ЄДРПОУ").fill(cabinet.account_number)
    staff.get_by_role("button", name="Знайти").click()
    staff.get_by_role("link", name=cabinet.account_number, exact=True).click()
    main = staff.locator("main")
    for label in ("Точки обліку", "Показання", "Рахунки", "Платежі", "Податкові накладні", "Листи"):
        expect(main.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(main).to_contain_text("rozdily")  # the consumer's user
    _check(staff, "console-consumer")

    main.get_by_role("link", name="Змінити дані споживача").click()
    staff.get_by_label("Розрахунковий день місяця").fill("40")
    staff.get_by_role("button", name="Зберегти зміни").click()
    expect(staff.locator("#billing_day-error")).to_be_visible()
    expect(staff.locator("#billing_day")).to_have_attribute("aria-describedby", re.compile("billing_day-error"))
    staff.get_by_label("Розрахунковий день місяця").fill("2")
    staff.get_by_label("Назва").fill(f"{cabinet.name} (змінено)")
    staff.get_by_role("button", name="Зберегти зміни").click()
    expect(staff.locator("main")).to_contain_text("Дані споживача збережено.")
    expect(staff.locator("main")).to_contain_text(f"{cabinet.name} (змінено)")

    staff.goto("/console/signatures")
    expect(staff.get_by_role("heading", name="Документи, що чекають на підпис постачальника")).to_be_visible()
    staff.goto("/console/letters")
    _check(staff, "console-letters")
