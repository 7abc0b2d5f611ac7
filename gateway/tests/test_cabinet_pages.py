"""The cabinet's frame and sections without services: the navigation and site map, the consumption and amount
charts, the CSV and Excel files."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute
from openpyxl import load_workbook

from gateway.app import PAGE_MODULES
from gateway.billing_client import Allocation, Invoice, InvoiceLine, Payment, Reconciliation
from gateway.charts import MONTHS, amounts_chart, axis_maximum, consumption_chart
from gateway.exports import invoices_table, payments_table, reconciliation_table, to_csv, to_xlsx
from gateway.i18n import load_catalogues
from gateway.navigation import Section, navigation_for, site_map_for
from shared.auth import ConsumerRole, Role

CATALOGUES = load_catalogues()
UK = CATALOGUES["uk"]
#: pages of visitors who are not signed in, the home page the site map starts from
NOT_IN_THE_SITE_MAP = {"/", "/login", "/registration/resend"}


def _paths(sections: list[Section]) -> set[str]:
    return {path for section in sections for path in (section.path, *_paths(list(section.children)))}


def test_the_bar_has_the_manuals_sections_in_its_order() -> None:
    assert [UK.gettext(section.label) for section in navigation_for(Role.CONSUMER)] == [
        "Товар", "Гроші", "Договори та документи", "Опис", "Постачальник", "Карта сайту",
    ]
    supplier = next(section for section in navigation_for(Role.CONSUMER) if section.path == "/supplier")
    assert [UK.gettext(page.label) for page in supplier.children] == [
        "Реквізити постачальника", "Написати лист", "Листування",
    ]
    staff = [section.path for section in navigation_for(Role.STAFF)]
    assert staff == ["/console", "/console/billing", "/console/signatures", "/console/letters", "/help", "/sitemap"]


def test_the_bar_shows_each_role_inside_the_consumer_what_it_opens() -> None:
    def bar(role: ConsumerRole) -> dict[str, tuple[str, list[str]]]:
        return {UK.gettext(section.label): (section.path, [page.path for page in section.children])
                for section in navigation_for(Role.CONSUMER, role)}

    engineer, accountant = bar(ConsumerRole.ENGINEER), bar(ConsumerRole.ACCOUNTANT)
    assert "Гроші" not in engineer and "Товар" not in accountant
    # the engineer signs readings acts: the certificates are theirs, the documents list is not
    assert engineer["Договори та документи"] == ("/signature/certificates", ["/signature/certificates", "/eds"])
    assert accountant["Договори та документи"] == (
        "/documents", ["/documents", "/signature/certificates", "/eds"])
    assert "/settings/audit" not in _paths(site_map_for(Role.CONSUMER, ConsumerRole.ACCOUNTANT))
    assert "/settings/audit" in _paths(site_map_for(Role.CONSUMER, ConsumerRole.DIRECTOR))

def test_the_site_map_lists_every_page() -> None:
    pages = {
        route.path for module in PAGE_MODULES for route in module.router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path
        and not route.path.startswith("/api/")
    }
    listed = _paths(site_map_for(Role.CONSUMER)) | _paths(site_map_for(Role.STAFF)) | _paths(site_map_for(Role.ADMIN))
    assert pages - NOT_IN_THE_SITE_MAP <= listed, sorted(pages - NOT_IN_THE_SITE_MAP - listed)
    assert listed <= pages, "the site map links only to pages there are"
    # each side sees its own pages only
    assert "/console/letters" not in _paths(site_map_for(Role.CONSUMER))
    assert "/letters/new" not in _paths(site_map_for(Role.STAFF))
    # parked payments belong to no branch: administrators review them
    assert "/console/payments" in _paths(site_map_for(Role.ADMIN))
    assert "/console/payments" not in _paths(site_map_for(Role.STAFF))


# --- charts --------------------------------------------------------------------------------------------------

def _line(serial: str, zone: int, volume: str, energy: str = "active", zones: int = 2) -> InvoiceLine:
    return InvoiceLine(point_id=uuid4(), meter_serial=serial, energy=energy, zones=zones, zone=zone,
                       previous=Decimal(0), current=Decimal(volume), ct_ratio=Decimal(1), vt_ratio=Decimal(1),
                       volume=Decimal(volume), price=Decimal("2"), amount=Decimal(volume) * 2)


def _invoice(period: str, total: str, lines: list[InvoiceLine], **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": uuid4(), "consumer_id": uuid4(), "account_number": "0789", "number": f"0789/{period[5:]}/1",
        "kind": "regular", "period": period, "formed_on": date(int(period[:4]), int(period[5:]), 25),
        "pay_by": date(int(period[:4]), int(period[5:]), 28), "amount_excl_vat": Decimal(total),
        "vat": Decimal(0), "total": Decimal(total), "paid": Decimal(0), "balance": Decimal(total), "lines": lines,
    }
    return Invoice(**(fields | changes))


def test_consumption_adds_corrections_per_meter_and_zone_of_active_energy() -> None:
    invoices = [
        _invoice("2013-07", "100", [_line("A", 1, "300"), _line("A", 2, "100"), _line("A", 1, "40", "reactive")]),
        _invoice("2013-08", "120", [_line("A", 1, "320"), _line("B", 1, "5", zones=1)]),
        # the correction of July's invoice: its lines are the differences
        _invoice("2013-07", "-10", [_line("A", 1, "-20")], kind="correcting", number="0789/7/1/П1"),
    ]
    chart = consumption_chart(invoices)
    assert chart.periods == ["2013-07", "2013-08"]
    assert [(s.meter_serial, s.zone, dict(s.values)) for s in chart.series] == [
        ("A", 1, {"2013-07": Decimal(280), "2013-08": Decimal(320)}),
        ("A", 2, {"2013-07": Decimal(100)}),
        ("B", 1, {"2013-08": Decimal(5)}),
    ]
    # 320 is the highest: the axis goes to 320 in four steps of 80, the bar of 100 is 5/16 of the plot's height
    assert [tick.value for tick in chart.ticks] == [0, 80, 160, 240, 320]
    bar = next(bar for bar in chart.bars if bar.value == 100)
    assert Decimal(bar.height) == Decimal("66.3")  # (260 − 12 − 36) × 100 / 320
    assert abs(Decimal(bar.y) + Decimal(bar.height) - Decimal(chart.baseline)) <= Decimal("0.1")
    assert [label.text for label in chart.labels] == ["07.2013", "08.2013"]


def test_amounts_show_the_last_months_and_nothing_without_invoices() -> None:
    invoices = [_invoice(f"{2012 + month // 12}-{month % 12 + 1:02d}", "10", []) for month in range(15)]
    chart = amounts_chart(invoices)
    assert len(chart.periods) == MONTHS and chart.periods[-1] == "2013-03"
    assert not amounts_chart([]) and not consumption_chart([])


@pytest.mark.parametrize(("highest", "top"), [("0", "4"), ("1", "1"), ("99", "100"), ("101", "120"),
                                               ("40800", "48000"), ("0.004", "0.004")])
def test_the_axis_ends_at_a_round_number_above_the_highest_bar(highest: str, top: str) -> None:
    assert axis_maximum(Decimal(highest)) == Decimal(top)


# --- files ---------------------------------------------------------------------------------------------------

PAYMENT = Payment(
    id=uuid4(), res_payment_id="res-1", consumer_id=uuid4(), account_number="0789", paid_on=date(2013, 7, 31),
    document_number="@2PL998327", amount=Decimal("376.1"), payer_iban="UA213223130000026007233566001",
    bank="Ощадбанк", mfo="335106", purpose="=HYPERLINK(\"http://evil\") оплата", state="applied",
    allocations=[Allocation(invoice_id=uuid4(), invoice_number="0789/7/1", amount=Decimal("376.1"))],
    credit=Decimal("0"), received_at="2013-08-01T06:00:00+00:00",
)


def test_csv_keeps_money_exact_dates_as_the_cabinet_writes_them_and_formulas_out() -> None:
    invoice = _invoice("2013-08", "1238.88", [], paid=Decimal("1000"), balance=Decimal("238.88"))
    content = to_csv(invoices_table([invoice], UK), UK)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Номер рахунку", "Розрахунковий місяць", "Дата формування"]
    assert rows[1][:9] == ["0789/08/1", "2013-08", "25.08.2013", "28.08.2013", "1238.88", "0.00", "1238.88",
                           "1000.00", "238.88"]
    payments = list(csv.reader(io.StringIO(to_csv(payments_table([PAYMENT], UK), UK).decode("utf-8-sig"))))
    assert payments[1][2] == "376.10" and payments[1][6].startswith("'=HYPERLINK")
    assert payments[1][8] == "0789/7/1: 376.10"


def test_excel_has_numbers_with_two_decimals_dates_and_no_formulas() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(payments_table([PAYMENT], UK), UK)))
    sheet = workbook.active
    assert sheet is not None and sheet.title == "Платежі"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Дата платежу", "Платіжний документ", "Сума, грн"]
    paid_on, _, amount, *_rest = sheet[2]
    assert paid_on.is_date and paid_on.value.date() == date(2013, 7, 31) and paid_on.number_format == "DD.MM.YYYY"
    assert amount.data_type == "n" and amount.value == pytest.approx(376.10) and amount.number_format == "#,##0.00"
    purpose = sheet.cell(row=2, column=7)
    assert purpose.data_type == "s" and purpose.value.startswith("=HYPERLINK")


def test_the_reconciliation_act_downloads_as_the_page_shows_it() -> None:
    act = Reconciliation.model_validate({
        "start": "2013-07-01", "end": "2013-08-26", "opening": "-50.00", "debit_turnover": "259.92",
        "credit_turnover": "0.00", "closing": "209.92", "debtor": "consumer",
        "operations": [{"on": "2013-07-26", "kind": "invoice", "document": "0789/7/1", "debit": "259.92",
                        "credit": "0.00"}],
        "ageing": dict.fromkeys(("not_due", "days_0_30", "days_31_60", "days_61_90", "over_90"), "0")})
    rows = list(csv.reader(io.StringIO(to_csv(reconciliation_table(act, UK), UK).decode("utf-8-sig"))))
    assert rows == [["Дата", "Документ", "Дебет, грн", "Кредит, грн"],
                    ["01.07.2013", "Сальдо на початок", "", "50.00"],
                    ["26.07.2013", "Рахунок № 0789/7/1", "259.92", ""],
                    ["", "Обороти за період", "259.92", "0.00"],
                    ["26.08.2013", "Сальдо на кінець", "209.92", ""]]
    sheet = load_workbook(io.BytesIO(to_xlsx(reconciliation_table(act, UK), UK))).active
    assert sheet is not None and sheet.title == "Акт звірки"
    assert sheet.cell(row=5, column=3).value == pytest.approx(209.92)
