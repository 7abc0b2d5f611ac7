"""A payment reported by a RES system reaches the consumer's cabinet within a second (issue 5), in real Chromium.

The supplier's staff create a consumer with a two-zone meter and form its invoice for a past month in the
console; the consumer registers and signs in. The RES simulator then publishes a part payment of the invoice, as
an integrator's RES system does (docs/res-bus-contract.md): within a second of the broker's confirmation «Платежі»
shows the payment's row; read once each right after, «Рахунки» shows the invoice's paid and balance columns, and
the home page and «Платежі» the saldo, moved by exactly its amount. A second payment delivered twice
(the same RES payment id) shows, and counts, once.

Tariff class `class2_general` (billing's demo prices): 1450 day and 610 night kWh make an invoice of 19 855.15 UAH
(tests-e2e/test_readings_invoice_journey.py), larger than both payments together, even if one were counted twice.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from playwright.sync_api import Page, expect

from devtools.demo import PAYER_BANK, months_back
from devtools.processes import System
from devtools.res_simulator import Answers, publish_payments
from journeys import (
    Mailbox,
    complete_registration,
    create_signing_consumer,
    reading_fields,
    send_form,
    sign_in,
    sign_out,
)
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.base import Event
from shared.contracts.billing import PaymentAccepted
from shared.contracts.res import PaymentReceived
from shared.testing import run_in_thread, until

PASSWORD = "платіжка прийшла раніше за листоношу"
DAY_VOLUME, NIGHT_VOLUME = 1450, 610
FIRST, SECOND = Decimal("1238.88"), Decimal("376.10")
#: issue 5: «within a second» of the broker confirming the publish. Billing takes the message at once (a 5 ms batch
#: linger) and applies it in one transaction, 20–60 ms after the confirmation here even at a load average of 15
#: on the 2 cores; the gateway reads billing directly, no cache. The rest of the second is the browser's: a read
#: of the page takes 0.2–0.45 s under such load (the gateway's answer 0.1–0.2 s of it), and the read that shows
#: the payment may be the second one. Observed 0.12–0.8 s.
WITHIN_SECONDS = 1.0
#: how soon the page is read again while the payment has not shown
POLL_SECONDS = 0.05
T = TypeVar("T")


@dataclass(frozen=True)
class Figures:
    """What the consumer sees of their money: the invoice's columns on «Рахунки» and the saldo on two pages."""

    paid: Decimal
    balance: Decimal
    home_debt: Decimal
    payments_debt: Decimal


def _amount(text: str) -> Decimal:
    """Money as the page writes it (`18 616.27`, within a sentence or alone) as Decimal."""
    match = re.search(r"\d[\d\s\u00a0\u202f]*\.\d\d", text)
    assert match, f"no amount of money in {text!r}"
    return Decimal(re.sub(r"\s", "", match.group()))



def _consumer_with_an_invoice(page: Page, mailbox: Mailbox, demo: dict[str, Any]) -> dict[str, str]:
    """Staff create the consumer and its meter, enter a past month's readings and form its invoice (as for a
    consumer without the self-calculation right), sending the console's forms; the consumer registers and is
    signed in on `page`."""
    suffix = secrets.token_hex(3)
    # six digits: apart from the other journeys' five-digit account numbers
    consumer = {"account_number": str(100000 + int(suffix, 16) % 800000), "email": f"platnyk-{suffix}@avto.example",
                "login": f"platnyk{suffix}"}
    sign_in(page, demo["staff_login"], demo["staff_password"])
    code, consumer_id = create_signing_consumer(
        page, account_number=consumer["account_number"], name=f"ТОВ «Платник-{suffix}»",
        agreement_email=consumer["email"], edrpou="32855961", e_signature=False,
    )
    console = f"/console/consumers/{consumer_id}"
    # a two-zone meter that showed zeros when it was installed
    point = {"meter_serial": f"P{suffix.upper()}", "zones": "2", "digits": "6", "ct_ratio": "1", "vt_ratio": "1",
             "location": "consumer_site", "consumer_reads": "1", "tariff_class": "class2_general",
             "installation_active_1": "0", "installation_active_2": "0"}
    until(lambda: send_form(page, f"{console}/points", point).status == 303, "metering knows the consumer")
    # two months back is before the open readings window whatever the day: staff enter it and form the invoice
    period = months_back(datetime.now(BUSINESS_TIME_ZONE).date().strftime("%Y-%m"), 2)[0]
    fields = reading_fields(page.request.get(f"{console}/readings?period={period}").text())
    entered = send_form(page, f"{console}/readings",
                        {"period": period, fields[1]: str(DAY_VOLUME), fields[2]: str(NIGHT_VOLUME)})
    assert entered.status == 303, entered.text()
    until(lambda: send_form(page, f"{console}/invoices", {"period": period}).status == 303,
          f"billing has the readings of {period}")
    sign_out(page)
    [letter] = mailbox.wait_for(consumer["email"])
    complete_registration(page, mailbox.link(letter, "/registration/complete/"), code=code, login=consumer["login"],
                          password=PASSWORD)
    sign_in(page, consumer["login"], PASSWORD)
    page.goto("/invoices")
    consumer["invoice"] = page.locator("tr[data-invoice]").get_attribute("data-invoice") or ""
    return consumer


def _payment(consumer: dict[str, str], amount: Decimal, document_number: str) -> PaymentReceived:
    iban, bank, mfo = PAYER_BANK
    return PaymentReceived(
        res_payment_id=f"e2e-{consumer['account_number']}-{document_number}", account_number=consumer["account_number"],
        amount=amount, paid_on=datetime.now(BUSINESS_TIME_ZONE).date(), payer_iban=iban, bank=bank, mfo=mfo,
        document_number=document_number,
        purpose=f"Часткова оплата за електроенергію згідно рах. № {consumer['invoice']}, у т.ч. ПДВ 20%",
    )


def _open(page: Page, path: str) -> None:
    # the page's document, without waiting for its styles and scripts: the figures are in it
    page.goto(path, wait_until="domcontentloaded")


def _figures(page: Page, invoice: str) -> Figures:
    """The invoice's columns on «Рахунки», the saldo on the home page and on «Платежі», each page read once."""
    _open(page, "/invoices")
    # the row's money: accrued, paid, balance
    money = page.locator(f"tr[data-invoice='{invoice}'] td.money")
    paid, balance = _amount(money.nth(1).text_content() or ""), _amount(money.nth(2).text_content() or "")
    _open(page, "/")
    home_debt = _amount(page.locator("[data-saldo=debt]").text_content() or "")
    _open(page, "/payments")
    return Figures(paid, balance, home_debt, _amount(page.locator(".saldo__amount").text_content() or ""))


def _payments_until_shown(page: Page, selector: str, since: float, timeout: float = 30.0) -> float:
    """Seconds from `since` (a time.monotonic()) until «Платежі», read again and again, shows `selector`."""
    _open(page, "/payments")
    while page.locator(selector).count() == 0:
        if time.monotonic() - since > timeout:
            raise AssertionError(f"«Платежі» did not show {selector} within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
        _open(page, "/payments")
    return time.monotonic() - since


def _assert_moved_by(before: Figures, after: Figures, amount: Decimal) -> None:
    assert after.paid - before.paid == amount, (before, after)
    assert before.balance - after.balance == amount, (before, after)
    assert before.home_debt - after.home_debt == amount, (before, after)
    assert before.payments_debt - after.payments_debt == amount, (before, after)


async def _delivered_twice(amqp_url: str, namespace: str, payment: PaymentReceived) -> list[Event]:
    """The same payment published twice, as a RES system re-sending a statement does; billing's two answers."""
    async with Answers(amqp_url, namespace) as answers:
        await publish_payments(amqp_url, namespace, [payment])
        await publish_payments(amqp_url, namespace, [payment])
        received: list[Event] = []
        while len(received) < 2:
            answer = await answers.next(within=30)
            assert answer is not None, f"billing answered {len(received)} of the 2 deliveries of the payment"
            if getattr(answer, "res_payment_id", None) == payment.res_payment_id:
                received.append(answer)
    return received


def test_a_payment_from_res_shows_within_a_second_on_payments_invoices_and_the_saldo_and_a_repeat_shows_once(
    page: Page, system: System, amqp_url: str, mailbox: Mailbox, demo: dict[str, Any], tariffs: None,
) -> None:
    consumer = _consumer_with_an_invoice(page, mailbox, demo)
    namespace = system.layout.bus_namespace
    _open(page, "/payments")
    expect(page.locator("main")).to_contain_text("За цей період платежів немає.")
    before = _figures(page, consumer["invoice"])
    assert before.paid == 0 and before.balance == before.home_debt == before.payments_debt > FIRST + 2 * SECOND

    first = _payment(consumer, FIRST, f"@2PL{secrets.randbelow(10**6):06d}")
    assert run_in_thread(publish_payments(amqp_url, namespace, [first])) == 1
    confirmed = time.monotonic()
    row = f"tr[data-payment='{first.document_number}']"
    on_payments = _payments_until_shown(page, row, confirmed)
    payment_row = page.locator(row)
    expect(payment_row.locator("td.money")).to_have_text("1 238.88")
    expect(payment_row).to_contain_text(f"{consumer['invoice']}: 1 238.88")
    expect(payment_row).to_contain_text(first.paid_on.strftime("%d.%m.%Y"))
    # the very read that first shows the payment shows the saldo after it (one snapshot of billing's)
    assert _amount(page.locator(".saldo__amount").text_content() or "") == before.payments_debt - FIRST
    paid = _figures(page, consumer["invoice"])
    on_every_page = time.monotonic() - confirmed
    print(f"\npublish confirmed → «Платежі» shows the payment: {on_payments:.3f} s; "
          f"then «Рахунки», the home page and «Платежі» read once each: {on_every_page:.3f} s")
    assert on_payments <= WITHIN_SECONDS
    _assert_moved_by(before, paid, FIRST)

    second = _payment(consumer, SECOND, f"@2PL{secrets.randbelow(10**6):06d}")
    answers = run_in_thread(_delivered_twice(amqp_url, namespace, second))
    accepted = [answer for answer in answers if isinstance(answer, PaymentAccepted)]
    # the repeat is answered with the payment's present state: the same payment, the saldo after it once
    assert len(accepted) == 2 and len({answer.payment_id for answer in accepted}) == 1, answers
    assert {answer.saldo for answer in accepted} == {paid.payments_debt - SECOND}, answers
    _open(page, "/payments")
    expect(page.locator(f"tr[data-payment='{second.document_number}']")).to_have_count(1)
    expect(page.locator("tr[data-payment]")).to_have_count(2)
    _assert_moved_by(paid, _figures(page, consumer["invoice"]), SECOND)
