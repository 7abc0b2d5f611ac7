"""Every page of the cabinet and of the console fits the window, in real Chromium (issue #12).

The pages are the gateway's own GET routes (`gateway.app.PAGE_MODULES`): those without path parameters, and one
instance of each parameterised one, so a new page cannot be forgotten — a route whose parameter this test has no
value for fails it. Files (CSV, Excel, PDF, XML) are left out by their content type.

The data are what half a year of life leaves: a consumer with a long name, six months of invoices and their
payments and tax invoices (`devtools.demo`, as the local run loads them), acts, letters with long subjects and a
reply, messages to the developers, a removed and a registered certificate, a payment for an unknown account, a
billing run. Each page is read by whoever opens it: the consumer, the supplier's staff, and a visitor who is not
signed in.

At 1280×800 nothing may scroll sideways: neither the page (`scrollWidth > clientWidth`) nor a table inside its
box. At 375 px the page does not scroll sideways either, and every table either reflows to the width (cards) or
scrolls inside its own box with every link and button in it reachable (a box that scrolls can be scrolled from
the keyboard: axe-core finds no serious or critical violation at either width). Amounts and dates never break
inside. The pages are photographed at both widths into test-artifacts/fit/.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page, ViewportSize, expect

from devtools import demo as demo_history
from devtools.processes import System
from devtools.res_simulator import publish_payments
from gateway.app import PAGE_MODULES
from journeys import (
    Mailbox,
    complete_registration,
    consumer_certificate,
    identity_admin,
    register_certificate,
    send_form,
    serious_violations,
    sign_in,
)
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.res import PaymentReceived
from shared.testing import run_in_thread, until

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "test-artifacts" / "fit"
WIDTHS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
PASSWORD = "довгі назви не ламають сторінку"
#: a name as long as real ones are: the legal form spelt out, quotes within quotes, a long compound word
NAME = ("Товариство з обмеженою відповідальністю «Науково-виробниче підприємство "
        "«Харківенергоспецремонтмонтаж-Південь»» (відокремлений підрозділ № 12)")
SUBJECTS = (
    "Прошу пояснити нарахування за реактивну електроенергію у рахунку за минулий місяць та надати розрахунок "
    "за кожною точкою обліку окремо",
    "Зміна контактної особи",
    "Щодо переоформлення договору постачання електричної енергії на нову юридичну адресу підприємства",
)
#: this test's page ⇒ the value of each path parameter (filled in by the fixture); another parameter fails it
PARAMETERS = ("consumer_id", "point_id", "letter_id", "document_id", "run_id", "token", "extension",
              "signature_id", "tax_invoice_id")

pytestmark = pytest.mark.timeout(900)


@dataclass
class Visitors:
    consumer: Page
    staff: Page
    administrator: Page
    anonymous: Page
    values: dict[str, str]


def page_routes() -> list[str]:
    """The path of every GET route of the gateway's pages."""
    return sorted({route.path for module in PAGE_MODULES for route in module.router.routes
                   if isinstance(route, APIRoute) and "GET" in (route.methods or ())})


def instance(path: str, values: dict[str, str]) -> str:
    unknown = [name for name in re.findall(r"\{(\w+)\}", path) if name not in values]
    assert not unknown, f"{path}: give this test a value of {unknown} to visit the page (PARAMETERS)"
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def _new_page(browser: Browser, system: System) -> Page:
    context = browser.new_context(base_url=system.layout.url("gateway"), locale="uk-UA", viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def _uuid_in(page: Page, path: str, pattern: str) -> str:
    found = re.search(pattern, page.request.get(path).text())
    assert found, f"{path}: nothing matches {pattern}"
    return found.group(1)


def _history(system: System, amqp_url: str, service_token_secret: str, consumer_id: str, suffix: str) -> None:
    """Six months of readings, invoices and payments, loaded as the local run loads the demo consumer's (nobody
    signs this consumer's: its signers are the demo consumer's)."""
    result = run_in_thread(demo_history.load(system, service_token_secret, consumer_id, signers=None,
                                             serial_suffix=f"-{suffix}"))
    assert result["loaded"] and len(result["invoices"]) == demo_history.HISTORY_MONTHS, result


def _letters(consumer: Page, staff: Page) -> str:
    """Three letters with long subjects and texts; the supplier answers the first. Returns its id."""
    ids = []
    for number, subject in enumerate(SUBJECTS):
        answer = send_form(consumer, "/letters/new", {
            "addressee_type": "settlements", "letter_type": "question", "subject": subject,
            "text": f"Добрий день! {subject}. " * 3 + f"Лист № {number + 1}.",
        })
        assert answer.status == 303, answer.text()
        ids.append(answer.headers["location"].split("?")[0].rsplit("/", 1)[1])
    replied = send_form(staff, f"/console/letters/{ids[0]}/replies", {"reply": "Розрахунок надіслано листом. " * 8})
    assert replied.status == 303, replied.text()
    return ids[0]


@pytest.fixture(scope="module")
def visitors(browser: Browser, system: System, demo: dict[str, Any], tariffs: None, mailbox: Mailbox,
             amqp_url: str, service_token_secret: str, trust: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visitors]:
    suffix = secrets.token_hex(3)
    account_number = str(30000 + int(suffix, 16) % 30000)
    email = f"dovhi-{suffix}@avto.example"
    staff, administrator, consumer, anonymous = (_new_page(browser, system) for _ in range(4))
    sign_in(staff, demo["staff_login"], demo["staff_password"])
    # the supplier's administrator: parked payments (of no branch's consumer) are theirs to review
    identity_admin(system, "add-admin", "--login", f"holovnyi{suffix}", "--email", f"holovnyi{suffix}@cabinet.local",
                   "--password", PASSWORD)
    sign_in(administrator, f"holovnyi{suffix}", PASSWORD)
    created = send_form(staff, "/console/consumers/new", {
        "account_number": account_number, "name": NAME, "edrpou": "12345678", "branch_id": demo["branch_id"],
        "agreement_email": email, "billing_day": "25", "self_calculation": "1", "e_signature": "1",
    })
    assert created.status == 201, created.text()
    code = re.search(r'activation-code__value"><code>([^<]+)<', created.text())
    consumer_id = re.search(r'href="/console/consumers/([0-9a-f-]{36})"', created.text())
    assert code and consumer_id
    values = {"consumer_id": consumer_id.group(1), "token": secrets.token_urlsafe(32), "extension": "csv"}
    _history(system, amqp_url, service_token_secret, values["consumer_id"], suffix)

    [letter] = mailbox.wait_for(email)
    complete_registration(consumer, mailbox.link(letter, "/registration/complete/"), code=code.group(1),
                          login=f"dovhi{suffix}", password=PASSWORD)
    sign_in(consumer, f"dovhi{suffix}", PASSWORD)
    expect(consumer.locator("header")).to_contain_text(account_number)

    values["letter_id"] = _letters(consumer, staff)
    for page_url in ("/invoices", "/readings?period=2024-05&view=table&" + "a" * 150):
        answer = send_form(consumer, "/feedback", {"page": page_url, "message": "Не видно колонки з підписом. " * 6})
        assert answer.status in (200, 303), answer.text()
    # a certificate removed by its owner, and then registered again: both stay listed
    certificate = consumer_certificate(trust, tmp_path_factory.mktemp("certificates"),
                                       # a certificate's names have at most 64 bytes
                                       common_name="Пономаренко-Вишневецька Олена",
                                       organization="ТОВ «Харківенергоспецремонт»", edrpou="12345678")
    register_certificate(consumer, str(certificate))
    removal = consumer.locator("form[action$='/removal']").first.get_attribute("action") or ""
    assert send_form(consumer, removal, {}).status == 303
    register_certificate(consumer, str(certificate))
    register_certificate(staff, trust["demo_staff_cert_file"])
    # a payment for an account the supplier does not know waits for review in the console
    iban, bank, mfo = demo_history.PAYER_BANK
    parked = PaymentReceived(
        res_payment_id=f"fit-{suffix}", account_number=f"99{account_number}", amount=Decimal("12345.67"),
        paid_on=datetime.now(BUSINESS_TIME_ZONE).date(), payer_iban=iban, bank=bank, mfo=mfo,
        document_number="@2PL000017",
        purpose="Оплата за електроенергію згідно договору № 17/2024 від 01.01.2024, у т.ч. ПДВ 20% — 2057.61 грн",
    )
    assert run_in_thread(publish_payments(amqp_url, system.layout.bus_namespace, [parked])) == 1
    until(lambda: administrator.request.get("/console/payments").text().count("@2PL000017"),
          "billing parks the payment")

    console = f"/console/consumers/{values['consumer_id']}"
    values["point_id"] = _uuid_in(staff, f"{console}/points", rf'href="{console}/points/([0-9a-f-]{{36}})"')
    values["document_id"] = until(
        lambda: re.search(r'href="/documents/([0-9a-f-]{36})"', consumer.request.get("/documents").text()),
        "documents has the invoices' PDFs").group(1)
    values["tax_invoice_id"] = until(
        lambda: re.search(r'href="/tax-invoices/([0-9a-f-]{36})/xml"', consumer.request.get("/tax-invoices").text()),
        "billing has the tax invoices").group(1)
    run = send_form(staff, "/console/billing/runs", {"period": datetime.now(BUSINESS_TIME_ZONE).strftime("%Y-%m")})
    assert run.status == 303, run.text()
    values["run_id"] = run.headers["location"].rsplit("/", 1)[1]
    values["signature_id"] = str(uuid.uuid4())  # a signature's file: a download, never a page
    assert set(values) == set(PARAMETERS), set(values) ^ set(PARAMETERS)
    yield Visitors(consumer, staff, administrator, anonymous, values)
    for page in (consumer, staff, administrator, anonymous):
        page.context.close()


# What is measured in the page, `(phone) => problems` (none when the page fits). A page too wide names the
# outermost elements that stick out; a table is named by its caption. Amounts, dates and other figures (.money,
# .date, .nowrap) are written on one line whatever the width.
_FITS = """(phone) => {
  const problems = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  const outside = (element) => element.getBoundingClientRect().right > width + 1;
  const describe = (element) => element.tagName.toLowerCase() + [...element.classList].map(c => "." + c).join("");
  const named = (table) => `table «${(table.caption || table).textContent.trim().slice(0, 40)}»`;
  if (root.scrollWidth > width) {
    const culprits = [...document.body.querySelectorAll("*")]
      .filter(element => outside(element) && !outside(element.parentElement)).slice(0, 3).map(describe);
    problems.push(`the page is ${root.scrollWidth}px wide in ${width}px: ${culprits.join(", ")}`);
  }
  const actions = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const table of document.querySelectorAll("main table")) {
    if (!table.checkVisibility()) continue;
    if (!phone) {
      const box = table.parentElement;
      if (box.scrollWidth > box.clientWidth + 1)
        problems.push(`${named(table)} is ${box.scrollWidth}px wide in ${box.clientWidth}px`);
      continue;
    }
    // a phone: the table reflows, or scrolls in a box of its own with every action in it reachable
    let box = table.parentElement;
    while (box && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    const reflowed = getComputedStyle(table).display !== "table";
    if (!reflowed && !box) { problems.push(`${named(table)} neither reflows nor scrolls in its box`); continue; }
    const frame = reflowed ? {left: 0, right: width} : box.getBoundingClientRect();
    if (frame.right > width + 1) problems.push(`${named(table)}: its box ends at ${frame.right}px`);
    // a card's cell holds what it shows: nothing runs into the cell beside it
    for (const cell of reflowed ? table.querySelectorAll("td") : []) {
      if (cell.checkVisibility() && cell.scrollWidth > cell.clientWidth + 1)
        problems.push(`${named(table)}: «${cell.textContent.trim().slice(0, 30)}» sticks out of its cell`);
    }
    for (const action of table.querySelectorAll(actions)) {
      if (!action.checkVisibility()) continue;
      action.scrollIntoView({block: "nearest", inline: "nearest"});
      const rect = action.getBoundingClientRect();
      if (rect.left < Math.max(frame.left, 0) - 1 || rect.right > Math.min(frame.right, width) + 1)
        problems.push(`${named(table)}: «${action.textContent.trim().slice(0, 30)}» is out of reach`);
    }
    if (box) box.scrollLeft = 0;
  }
  window.scrollTo(0, 0);
  for (const element of document.querySelectorAll("main .money, main .nowrap, main .date")) {
    if (!element.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(element);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.bottom)));
    if (lines.size > 1) problems.push(`«${element.textContent.trim()}» breaks over ${lines.size} lines`);
  }
  return problems;
}"""


def _measure(page: Page, path: str, photo: str) -> list[str]:
    """The page with everything folded in it unfolded (a chart's figures, a form in a list's row), as a visitor
    may open them."""
    page.evaluate("() => document.querySelectorAll('main details').forEach(details => { details.open = true; })")
    problems = []
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        found = page.evaluate(_FITS, width == "phone")
        found += [f"{violation['help']} ({violation['id']}): {', '.join(violation['nodes'])}"
                  for violation in serious_violations(page)]
        problems += [f"{path} at {viewport['width']}px: {problem}" for problem in found]
        page.screenshot(path=str(PHOTOS / f"{photo}-{width}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["desktop"])
    return problems


def _photo_name(who: str, route: str) -> str:
    return who + (re.sub(r"[^a-z0-9]+", "-", re.sub(r"\{\w+\}", "x", route)).rstrip("-") or "-home")


def _answer(page: Page, path: str) -> tuple[bool, int]:
    """Whether the path answers this visitor with a page (not a file, not a redirect), and its status."""
    answer = page.request.get(path, max_redirects=0)
    return answer.headers.get("content-type", "").startswith("text/html") and answer.status < 300, answer.status


def test_every_page_fits_at_1280_and_375_pixels(visitors: Visitors) -> None:
    PHOTOS.mkdir(parents=True, exist_ok=True)
    routes = page_routes()
    assert "/invoices" in routes and "/console/consumers/{consumer_id}/tax-invoices" in routes
    problems: list[str] = []
    measured: dict[str, list[str]] = {}
    for route in routes:
        path = instance(route, visitors.values)
        # each visitor the page opens for; a page that opens for nobody (an address with a made-up token) is
        # measured as its own visitor sees it: the explanation is a page too
        own = "staff" if route.startswith("/console") else "consumer"
        for who, page in (("consumer", visitors.consumer), ("staff", visitors.staff),
                          ("administrator", visitors.administrator), ("anonymous", visitors.anonymous)):
            if who == "administrator" and "staff" in measured.get(route, ()):
                continue  # the console as staff see it, measured already; the administrator's own pages remain
            is_page, status = _answer(page, path)
            if not is_page and not (who == own and status >= 400 and route not in measured):
                continue
            page.goto(path)
            problems += _measure(page, path, _photo_name(who, route))
            measured.setdefault(route, []).append(who)
    print("\n".join(f"{route}: {', '.join(who)}" for route, who in measured.items()))
    assert len(measured) > 40, measured
    assert not problems, "\n".join(problems)
