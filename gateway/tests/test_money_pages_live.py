"""The readings and money pages against the real identity, metering and billing services.

The services run as processes (as in a deployment) on real PostgreSQL and RabbitMQ (`start_live_system` in
conftest.py); the gateway is one of the processes and is driven over HTTP like a browser would (cookies, the csrf
field, redirects). Consumer accounts come from identity's own demo command and the console's form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.testing import until

#: metering and billing first: their queues are bound before identity announces the consumers
SERVICES = ("metering", "billing", "identity")
CONSUMER_PASSWORD = "vesela-kvitka-na-dnipri-42"
TARIFF_CLASS = "gw_class"
#: the demo consumer's billing day (identity.demo)
DEMO_BILLING_DAY = 25

pytestmark = pytest.mark.timeout(900)


@dataclass
class Account:
    consumer_id: str
    account_number: str
    browser: Any


@dataclass
class World:
    live: Any
    staff: Any
    a: Account
    b: Account


def _until_accepted(send: Callable[[], httpx.Response], what: str) -> httpx.Response:
    """A form the services refuse until an event has reached them (a new consumer, accepted readings)."""
    def attempt() -> httpx.Response | None:
        response = send()
        return response if response.status_code == 303 else None

    return until(attempt, what)


@pytest.fixture(scope="module")
def world(start_live_system: Any, run_id: str) -> Iterator[World]:
    with start_live_system(SERVICES, f"gw{run_id}") as live:
        staff = live.staff()
        consumer_b, code_b = live.new_consumer(staff, "0790", "ТОВ «Інший споживач»", "inshyi@cabinet.local")
        a = Account(live.demo["consumer_id"], "0789",
                    live.register("0789", live.demo["activation_code"], "avto2buh", CONSUMER_PASSWORD))
        b = Account(consumer_b, "0790", live.register("0790", code_b, "inshyibuh", CONSUMER_PASSWORD))
        _prepare_tariffs_and_points(staff, a, b)
        yield World(live, staff, a, b)


def _prepare_tariffs_and_points(staff: Any, a: Account, b: Account) -> None:
    """The supplier's side: a tariff with day/night coefficients, and one meter for each consumer."""
    assert staff.post("/console/tariffs", {
        "tariff_class": TARIFF_CLASS, "energy": "active", "price": "2.5", "effective_from": "2020-01-01",
        "title": "Тариф для тестів",
    }).status_code == 303
    for zone, coefficient in (("1", "1.5"), ("2", "0.5")):
        assert staff.post("/console/zone-coefficients", {
            "zones": "2", "zone": zone, "coefficient": coefficient, "effective_from": "2020-01-01",
        }).status_code == 303
    # both meters installed new, showing zeros
    for account, serial in ((a, "GW-A-1"), (b, "GW-B-1")):
        _until_accepted(lambda account=account, serial=serial: staff.post(  # type: ignore[misc]
            f"/console/consumers/{account.consumer_id}/points",
            {"meter_serial": serial, "zones": "2", "digits": "6", "ct_ratio": "40", "vt_ratio": "1",
             "location": "consumer_site", "consumer_reads": "1", "tariff_class": TARIFF_CLASS,
             "installation_active_1": "0", "installation_active_2": "000000"},
        ), f"metering knows consumer {account.account_number}")


def _reading_fields(page: str) -> dict[int, str]:
    """Zone → the name of its active-energy input on the readings page."""
    return {int(zone): name for name, zone in re.findall(r'name="(reading\.[0-9a-f-]{36}\.active\.(\d))"', page)}


def _period(page: str) -> str:
    match = re.search(r'<input type="hidden" name="period" value="(\d{4}-\d{2})">', page)
    assert match, "the readings form carries its period"
    return match.group(1)


def _error_of(page: str, name: str) -> str:
    match = re.search(rf'<p class="field__error" id="{re.escape(name)}-error">([^<]+)</p>', page)
    assert match, f"no error beside {name}"
    return match.group(1)


def test_refused_readings_are_explained_beside_their_fields(world: World) -> None:
    browser = world.a.browser
    page = browser.get("/readings")
    assert page.status_code == 200
    assert 'data-window="open"' in page.text and "GW-A-1" in page.text
    fields = _reading_fields(page.text)
    period = _period(page.text)

    refused = browser.post("/readings", {"period": period, fields[1]: "12a", fields[2]: "1234567"})
    assert refused.status_code == 422
    assert _error_of(refused.text, fields[1]) == "Введіть показання числом, наприклад 12345.6."
    assert _error_of(refused.text, fields[2]).startswith("Забагато цифр")
    assert 'value="12a"' in refused.text  # what was typed stays to be corrected

    partly = browser.post("/readings", {"period": period, fields[1]: "100"})
    assert partly.status_code == 422
    assert _error_of(partly.text, fields[2]) == "Введіть показання кожної зони цього лічильника."

    in_russian = world.live.browser("ru")
    in_russian.http.cookies.update(browser.http.cookies)
    in_russian.language("ru")
    russian = in_russian.post("/readings", {"period": period, fields[1]: "-5", fields[2]: "1"})
    assert russian.status_code == 422
    assert _error_of(russian.text, fields[1]) == "Показание не может быть отрицательным."


def test_entered_readings_make_an_act_to_sign(world: World) -> None:
    browser = world.a.browser
    page = browser.get("/readings").text
    fields = _reading_fields(page)
    response = browser.post("/readings", {"period": _period(page), fields[1]: "100", fields[2]: "50,5"})
    assert response.status_code == 303
    shown = browser.get(response.headers["location"]).text
    assert "Показання занесено." in shown
    assert 'data-act-state="preparing"' in shown
    assert re.search(rf'name="{re.escape(fields[2])}"[^>]*value="50.5"', shown)


def test_without_the_right_the_manager_forms_the_invoice(world: World) -> None:
    browser = world.b.browser
    page = browser.get("/readings").text
    assert "Ваші рахунки формує закріплений за вами менеджер з розрахунків" in page
    assert "/readings/calculation" not in page
    refused = browser.post("/readings/calculation", {"period": _period(page)})
    assert refused.status_code == 403
    assert "Ваш договір не передбачає розрахунку рахунків у кабінеті" in refused.text


def test_a_consumer_sees_only_their_own(world: World) -> None:
    a, b = world.a, world.b
    for path in ("/readings", "/invoices", "/tariffs"):
        page = b.browser.get(path)
        assert page.status_code == 200, path
        assert "GW-A-1" not in page.text and "0789/" not in page.text, path
    assert "GW-B-1" in b.browser.get("/readings").text
    # the console's pages of another consumer are the supplier's only
    for path in (f"/console/consumers/{a.consumer_id}/readings", f"/console/consumers/{a.consumer_id}/invoices"):
        assert b.browser.get(path).status_code == 403, path
    # A's meter typed into B's form is not B's to send: nothing of it reaches metering
    a_fields = _reading_fields(a.browser.get("/readings").text)
    page = b.browser.get("/readings").text
    sent = b.browser.post("/readings", {"period": _period(page), a_fields[1]: "1", a_fields[2]: "1"})
    assert sent.status_code == 422
    assert "Введіть показання хоча б одного лічильника." in sent.text


def test_staff_readings_become_an_invoice_shown_by_year_and_the_window_closes(world: World) -> None:
    staff, a = world.staff, world.a
    console = f"/console/consumers/{a.consumer_id}"
    page = staff.get(f"{console}/readings").text
    period = _period(page)
    fields = _reading_fields(page)
    entered = staff.post(f"{console}/readings", {"period": period, fields[1]: "200", fields[2]: "80"})
    assert entered.status_code == 303
    assert "Показання занесено й прийнято." in staff.get(entered.headers["location"]).text
    # billing learns of the accepted readings from the bus
    formed = _until_accepted(lambda: staff.post(f"{console}/invoices", {"period": period}),
                             "billing has the accepted readings")
    assert formed.headers["location"] == f"{console}/invoices?notice=invoice_formed"

    # 200 × 40 kWh at 2.5 × 1.5 and 80 × 40 kWh at 2.5 × 0.5: 34 000.00 without VAT, 40 800.00 with it
    today = datetime.now(BUSINESS_TIME_ZONE).date()
    for language, heading in (("uk", "Рахунки"), ("ru", "Счета"), ("en", "Invoices")):
        a.browser.language(language)
        invoices = a.browser.get("/invoices").text
        assert f"<h1>{heading}</h1>" in invoices
        assert f'<th scope="rowgroup" colspan="9">{today.year}</th>' in invoices
        assert re.search(r'data-invoice="0789/\d{1,2}/1"', invoices)
        assert re.search(r'<td class="number money" data-label="[^"]+">40 800.00</td>', invoices)
        assert re.search(rf'<td class="date" data-label="[^"]+">{today:%d.%m.%Y}</td>', invoices)
    a.browser.language("uk")

    # metering closes the period once billing announces the invoice
    def closed() -> str | None:
        readings = a.browser.get("/readings").text
        return readings if 'data-window="closed"' in readings else None

    readings = until(closed, "the window closes after the invoice")
    if today.day < DEMO_BILLING_DAY:
        # the invoiced period was last month's: the next opens on this month's billing day
        opens_on = today.replace(day=DEMO_BILLING_DAY)
        assert f"Введення відкриється {opens_on:%d.%m.%Y}." in readings
    else:
        assert "виставлено, тож показання за цей період заносити вже не можна" in readings
    assert not _reading_fields(readings), "a closed window shows the readings without inputs"
    assert "GW-A-1" in readings


def test_the_console_shows_points_tariffs_and_the_billing_day(world: World) -> None:
    staff, b = world.staff, world.b
    console = f"/console/consumers/{b.consumer_id}"
    points = staff.get(f"{console}/points").text
    point_id = re.search(r'href="/console/consumers/[0-9a-f-]{36}/points/([0-9a-f-]{36})">GW-B-1<', points)
    assert point_id
    assert "Активна енергія, кВт·год: 0 / 0" in points
    # the form comes filled with the point, its installation readings too
    edited = staff.get(f"{console}/points/{point_id.group(1)}").text
    assert re.search(r'id="installation_active_2" [^>]*value="0"', edited)
    changed = staff.post(f"{console}/points/{point_id.group(1)}", {
        "meter_serial": "GW-B-1", "zones": "2", "digits": "7", "ct_ratio": "40", "vt_ratio": "1",
        "location": "consumer_site", "consumer_reads": "1", "tariff_class": TARIFF_CLASS,
        "installation_active_1": "0", "installation_active_2": "0",
    })
    assert changed.status_code == 303
    assert "Точку обліку змінено." in staff.get(changed.headers["location"]).text
    # the tariff class is one of billing's, chosen by its name; another is refused before metering is asked
    assert re.search(rf'<option value="{TARIFF_CLASS}">Тариф для тестів</option>', points)
    unknown = staff.post(f"{console}/points", {
        "meter_serial": "GW-B-9", "zones": "2", "digits": "6", "ct_ratio": "1", "vt_ratio": "1",
        "location": "consumer_site", "tariff_class": "bad_class", "installation_active_1": "0",
        "installation_active_2": "0",
    })
    assert unknown.status_code == 422
    assert _error_of(unknown.text, "tariff_class") == "Оберіть клас тарифу зі списку."
    assert ">GW-B-9<" not in staff.get(f"{console}/points").text
    refused = staff.post(f"{console}/points", {
        "meter_serial": "GW-B-9", "zones": "2", "digits": "6", "ct_ratio": "0", "vt_ratio": "1",
        "location": "consumer_site", "tariff_class": TARIFF_CLASS, "installation_active_1": "045231",
        "installation_active_2": "1000000",
    })
    assert refused.status_code == 422
    assert _error_of(refused.text, "ct_ratio") == "Введіть коефіцієнт трансформації додатним числом, наприклад 40."
    assert re.search(r'id="installation_active_1" [^>]*value="045231"', refused.text)
    assert _error_of(refused.text, "installation_active_2") == (
        "Забагато цифр: більше, ніж показує лічильник до коми, або більше 4 після коми.")
    # staff type what the meter showed: nothing is taken for 0
    refused = staff.post(f"{console}/points", {
        "meter_serial": "GW-B-9", "zones": "4", "digits": "6", "ct_ratio": "1", "vt_ratio": "1",
        "location": "consumer_site", "tariff_class": TARIFF_CLASS,
    })
    assert refused.status_code == 422
    assert "Лічильник має 1, 2 або 3 зони." in refused.text
    assert _error_of(refused.text, "installation_active_1") == "Введіть показання кожної зони цього лічильника."

    tariffs = staff.get("/console/tariffs").text
    assert f"Код класу: {TARIFF_CLASS}" in tariffs and "2.5" in tariffs
    assert TARIFF_CLASS not in world.a.browser.get("/tariffs").text  # consumers read the class's name only
    assert staff.post("/console/tariffs", {
        "tariff_class": TARIFF_CLASS, "energy": "active", "price": "2.5", "effective_from": "2020-01-01", "title": "x",
    }).status_code == 409

    billing_day = staff.get("/console/billing")
    assert billing_day.status_code == 200
    # the month is chosen from a list in the page's language; one billing cannot take is said on the page
    assert re.search(r'<option value="\d{4}-\d{2}" selected>', billing_day.text)
    refused_run = staff.post("/console/billing/runs", {"period": "2013-13"})
    assert refused_run.status_code == 422 and "<h1>Розрахунковий день</h1>" in refused_run.text
    assert _error_of(refused_run.text, "period-picker") == "Оберіть розрахунковий місяць."
    started = staff.post("/console/billing/runs", {"period": ""})
    assert started.status_code == 303 and started.headers["location"].startswith("/console/billing/runs/")
    run = staff.get(started.headers["location"])
    assert run.status_code == 200 and re.search(r'data-run="(running|done)"', run.text)
    # how far the run's documents got (no documents service here: no PDF is stored)
    assert re.search(r'data-pdfs="0" data-invoices="\d+">PDF рахунків збережено: 0 з \d+\.', run.text), run.text
    assert "Податкових накладних складено (XML):" in run.text
