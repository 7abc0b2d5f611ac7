"""What the readings and money pages decide themselves: the typed form, the service's codes put back beside the
fields, the payments' default period, and how the lists read (by year, money and dates) in each language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from gateway.billing_client import Invoice, MissingReadings, Reconciliation
from gateway.billing_view import invoice_can_be_signed, invoice_status, last_years
from gateway.charts import amounts_chart
from gateway.i18n import format_quantity, load_catalogues
from gateway.listing import group_by_year
from gateway.messages import import_problems, readings_refusal, unsent_readings
from gateway.metering_client import (
    InstallationReading,
    InstallationValue,
    LineState,
    Point,
    PointFields,
    PointLocation,
    PointReadings,
    ReadingLine,
    Readings,
    Window,
    WindowState,
)
from gateway.pages.common import AccountPages
from gateway.pages.console_metering import (
    installation_input,
    point_refusal,
    tariff_class_refusal,
    typed_installation,
)
from gateway.pages.money import InvoiceRow, payment_period
from gateway.pages.reconciliation import Period, disagreement_subject
from gateway.readings_view import (
    closed_notice,
    correction_points,
    entry_points,
    field_name,
    line_refusals,
    missing_with_metering_state,
    typed_readings,
)
from gateway.rendering import create_environment, frame_context
from gateway.signing import Party, SignatureStatus
from shared.auth import Role
from shared.errors import ServiceCallError

CATALOGUES = load_catalogues()
UK = CATALOGUES["uk"]


def _point(zones: int = 2, *, consumer_reads: bool = True, active: bool = True) -> Point:
    return Point(
        id=uuid4(), consumer_id=uuid4(), meter_serial="01234567", zones=zones, digits=6, ct_ratio=Decimal(40),
        vt_ratio=Decimal(1), location=PointLocation.CONSUMER_SITE, consumer_reads=consumer_reads,
        registers=["active"], tariff_class="c", active=active, created_at=datetime(2013, 1, 1, tzinfo=UTC),
        installation_readings=[InstallationReading(energy="active", zone=zone, value=Decimal("1200.5"))
                               for zone in range(1, zones + 1)],
    )


def _entry(point: Point, state: LineState = LineState.MISSING) -> PointReadings:
    lines = [ReadingLine(point_id=point.id, meter_serial=point.meter_serial, energy="active", zone=zone,
                         previous=Decimal("100"), state=state) for zone in range(1, point.zones + 1)]
    return PointReadings(point=point, lines=lines)


OPEN = Window(period="2026-11", state=WindowState.OPEN, billing_day=25)


def test_a_meter_left_empty_is_not_sent_and_one_filled_partly_is_refused_here() -> None:
    filled, partly, empty = _entry(_point()), _entry(_point()), _entry(_point())
    form = {
        field_name(filled.point.id, "active", 1): " 12 345,6 ", field_name(filled.point.id, "active", 2): "7",
        field_name(filled.point.id, "active", 2) + ".rollover": "1",
        field_name(partly.point.id, "active", 1): "5",
    }
    typed = typed_readings(form, [filled, partly, empty])
    sent = [(reading.zone, reading.value, reading.rollover) for reading in typed.readings]
    assert sent == [(1, "12345.6", False), (2, "7", True), (1, "5", False)]
    assert typed.problems == {field_name(partly.point.id, "active", 2): "required"}
    assert typed.values[field_name(filled.point.id, "active", 1)] == "12 345,6"
    assert unsent_readings(UK, typed.problems).fields == {
        field_name(partly.point.id, "active", 2): "Введіть показання кожної зони цього лічильника."
    }
    assert unsent_readings(UK, {}).general == "Введіть показання хоча б одного лічильника."


def _readings(*entries: PointReadings, window: Window = OPEN, period: str = "2026-11") -> Readings:
    return Readings(period=period, window=window, points=list(entries))


def test_consumers_enter_only_the_meters_they_read_and_staff_every_one_in_service() -> None:
    own, supplier_read, retired = _entry(_point()), _entry(_point(consumer_reads=False)), _entry(_point(active=False))
    readings = _readings(own, supplier_read, retired)
    assert entry_points(readings, staff=False) == [own]
    assert entry_points(readings, staff=True) == [own, supplier_read]
    assert correction_points(readings, staff=True) == []
    # outside the window (or another period) the consumer enters nothing; staff may
    closed = Window(period="2026-11", state=WindowState.CLOSED, reason="invoice_issued", billing_day=25)
    assert entry_points(_readings(own, window=closed), staff=False) == []
    assert entry_points(_readings(own, period="2026-10"), staff=False) == []
    assert entry_points(_readings(own, window=closed), staff=True) == [own]


def test_accepted_meters_are_corrected_by_staff_and_the_rest_entered() -> None:
    """The demo's month: the substation meter accepted (entered by staff), the consumer's own still open."""
    own, substation = _entry(_point()), _entry(_point(consumer_reads=False), LineState.ACCEPTED)
    pending = _entry(_point(), LineState.PENDING)
    readings = _readings(own, substation, pending)
    assert entry_points(readings, staff=False) == [own, pending]
    assert entry_points(readings, staff=True) == [own, pending]
    assert correction_points(readings, staff=True) == [substation]
    assert correction_points(readings, staff=False) == []


def test_a_meter_waiting_for_its_act_is_missing_because_the_act_is_not_signed() -> None:
    own, substation = _entry(_point(), LineState.PENDING), _entry(_point(consumer_reads=False))
    missing = [MissingReadings(point_id=entry.point.id, meter_serial=entry.point.meter_serial, reason="no_readings")
               for entry in (own, substation)]
    refined = missing_with_metering_state(missing, _readings(own, substation))
    assert [item.reason for item in refined] == ["not_accepted", "no_readings"]


def test_the_services_codes_land_beside_the_lines_they_concern() -> None:
    sent = ["first", "second", "third"]
    refusals, rest = line_refusals(
        {"readings[0].value": "below_previous", "readings.2.value": "not_a_number", "reason": "required"}, sent
    )
    assert [(r.field, r.part, r.code) for r in refusals] == [("first", "value", "below_previous"),
                                                             ("third", "value", "not_a_number")]
    assert rest == {"reason": "required"}
    # a line the gateway did not send is about the readings as a whole
    assert line_refusals({"readings[7].value": "negative"}, sent) == ([], {"readings": "negative"})

    errors = readings_refusal(ServiceCallError(422, {
        "code": "readings_invalid",
        "fields": {"readings[1].value": "rollover_not_possible", "readings": "line_repeated", "reason": "required"},
    }), UK, sent)
    assert errors.fields == {
        "second": (
            "Позначено перехід через нуль, але показання не менше за попереднє. Зніміть позначку «Перехід через нуль»."
        ),
        "correction_reason": "Напишіть, чому показання виправляються.",
    }
    assert errors.general == "Виправте позначені нижче показання. Зону вказано двічі. Вкажіть одне значення на зону."


def test_a_refused_file_lists_every_bad_line() -> None:
    error = ServiceCallError(422, {"code": "import_invalid", "lines": [
        {"line": 3, "field": "value", "code": "not_a_number"},
        {"line": 5, "field": "meter_serial", "code": "point_not_found"},
    ]})
    assert import_problems(error, CATALOGUES["ru"]) == [
        "Строка 3: Введите показание числом, например 12345.6.",
        "Строка 5: В вашем лицевом счёте нет счётчика с таким номером.",
    ]


def test_a_closed_window_says_why_and_when_it_opens() -> None:
    invoiced = Window(period="2013-08", state="closed", reason="invoice_issued", opens_on=date(2013, 9, 25),
                      billing_day=25)
    notice = closed_notice(invoiced, "серпень 2013", "25.09.2013")
    assert notice is not None
    assert UK.gettext(notice.message) % notice.params == (
        "Рахунок за серпень 2013 виставлено, тож показання за цей період заносити вже не можна. Показання за "
        "наступний період можна буде занести з 25.09.2013."
    )
    early = invoiced.model_copy(update={"reason": "before_billing_day"})
    notice = closed_notice(early, "—", "25.09.2013")
    assert notice is not None and "25-го числа" in UK.gettext(notice.message) % notice.params
    assert closed_notice(invoiced.model_copy(update={"state": "open"}), "—", "—") is None


def _installation(*values: str) -> list[InstallationValue]:
    return [InstallationValue(energy="active", zone=zone, value=value) for zone, value in enumerate(values, 1)]


def test_point_changes_leave_out_what_did_not_change() -> None:
    point = _point()
    typed = PointFields(meter_serial=" 01234567 ", zones="2", digits="6", ct_ratio="40.0", vt_ratio="1",
                        location="consumer_site", consumer_reads=False, registers=["active"], tariff_class="c",
                        installation_readings=_installation("1200.50", "01200.5"))
    assert typed.changes(point) == {"consumer_reads": False}
    # an installation reading changed: all are sent, for the service to take them together
    retyped = typed.model_copy(update={"consumer_reads": True, "installation_readings": _installation(
        "1200.5", "1300")})
    assert retyped.changes(point) == {"installation_readings": [
        {"energy": "active", "zone": 1, "value": "1200.5"}, {"energy": "active", "zone": 2, "value": "1300"}]}
    one_zone = retyped.model_copy(update={"zones": "1", "installation_readings": _installation("1200.5")})
    assert one_zone.changes(point) == {"zones": 1, "installation_readings": [
        {"energy": "active", "zone": 1, "value": "1200.5"}]}


def test_installation_readings_are_taken_for_the_zones_and_registers_chosen() -> None:
    form = {installation_input(energy, zone): f"{energy[0]}{zone}" for energy in ("active", "reactive")
            for zone in (1, 2, 3)} | {installation_input("active", 2): ""}
    assert [(line.energy, line.zone, line.value) for line in typed_installation(form, "2", ["active", "reactive"])
            ] == [("active", 1, "a1"), ("active", 2, ""), ("reactive", 1, "r1"), ("reactive", 2, "r2")]
    # zones that are no number of zones: every zone's, for the service to refuse the zones
    assert [line.zone for line in typed_installation(form, "4", ["active"])] == [1, 2, 3]


def test_the_services_codes_of_installation_readings_go_beside_their_inputs() -> None:
    typed = PointFields(meter_serial="", zones="2", digits="5", ct_ratio="1", vt_ratio="1",
                        location="consumer_site", consumer_reads=True, registers=["active"], tariff_class="c",
                        installation_readings=_installation("", "100000"))
    errors = point_refusal(ServiceCallError(422, {"code": "invalid", "fields": {
        "meter_serial": "required", "installation_readings[0].value": "required",
        "installation_readings[1].value": "too_many_digits"}}), UK, typed)
    assert errors.fields == {
        "meter_serial": "Заповніть це поле.",
        installation_input("active", 1): "Введіть показання кожної зони цього лічильника.",
        installation_input("active", 2): UK.gettext(
            "Too many digits: more than the meter shows before the decimal point, or more than 4 after it."),
    }
    assert errors.general == "Виправте позначені нижче поля."
    whole = point_refusal(ServiceCallError(422, {"code": "invalid", "fields": {
        "installation_readings": "lines_missing"}}), UK, typed)
    assert whole.fields == {"installation": UK.gettext("Give the readings of every zone and register of each meter.")}


@pytest.mark.parametrize(("today", "start"), [(date(2026, 11, 24), date(2023, 11, 24)),
                                              (date(2024, 2, 29), date(2021, 2, 28))])
def test_payments_default_to_the_last_three_years(today: date, start: date) -> None:
    assert last_years(today) == (start, today)


def test_the_payments_period_is_typed_as_the_page_writes_dates() -> None:
    # the fields show dd.mm.yyyy (a date input would be drawn in the browser's own language and order)
    start, end, errors = payment_period(UK, "25.08.2013", " 2014-01-31 ")
    assert (start, end, errors.fields) == (date(2013, 8, 25), date(2014, 1, 31), {})
    start, end, errors = payment_period(UK, "31.02.2013", "")
    assert errors.fields == {"from": "Введіть дату у форматі дд.мм.рррр."}
    assert end - start > timedelta(days=1000)  # the default three years stand meanwhile


def test_a_meters_tariff_class_is_one_billing_knows_and_billing_down_is_said() -> None:
    names = {"class2_general": "Непобутові споживачі, 2 клас напруги"}
    assert not tariff_class_refusal(UK, "class2_general", names)
    unknown = tariff_class_refusal(UK, "Class 2", names)
    assert unknown.fields == {"tariff_class": "Оберіть клас тарифу зі списку."}
    down = tariff_class_refusal(UK, "class2_general", None)
    assert down.general == down.fields["tariff_class"]
    assert down.general.startswith("Класи тарифів зараз не вдається отримати") and "кілька хвилин" in down.general


def test_quantities_keep_their_decimals() -> None:
    assert format_quantity(Decimal("12345.6000")) == "12 345.6"
    assert format_quantity(Decimal("4.321650")) == "4.32165"
    assert format_quantity(Decimal("40")) == "40"


def _invoice(number: str, formed_on: date, total: str, **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": uuid4(), "consumer_id": uuid4(), "account_number": "0064", "number": number, "kind": "regular",
        "period": "2014-01", "formed_on": formed_on, "pay_by": date(2014, 2, 26), "amount_excl_vat": Decimal("0"),
        "vat": Decimal("0"), "total": Decimal(total), "paid": Decimal(total), "balance": Decimal("0"),
        "document_id": uuid4(),
    }
    return Invoice(**(fields | changes))


def test_an_invoice_is_signed_once_its_document_exists() -> None:
    pending = _invoice("0064/1/1", date(2014, 1, 15), "1", document_id=None)
    assert invoice_status(pending) is None and not invoice_can_be_signed(pending, Party.CONSUMER)
    sealed = _invoice("0064/1/1", date(2014, 1, 15), "1", signature_status="signed_by_supplier")
    assert invoice_can_be_signed(sealed, Party.CONSUMER) and not invoice_can_be_signed(sealed, Party.SUPPLIER)
    assert invoice_status(_invoice("0064/1/1", date(2014, 1, 15), "1")) == SignatureStatus.NOT_SIGNED


@pytest.mark.parametrize(("language", "heading", "pay_by"), [("uk", "Рахунки", "Сплатити до"),
                                                             ("ru", "Счета", "Оплатить до"),
                                                             ("en", "Invoices", "Pay by")])
def test_invoices_are_grouped_by_year_newest_first_with_the_manuals_formats(
    language: str, heading: str, pay_by: str
) -> None:
    invoices = [_invoice("0064/1/1", date(2014, 1, 15), "297.34"),
                _invoice("0064/3/1/П1", date(2014, 3, 15), "1238.88"),
                _invoice("0789/8/1", date(2013, 8, 25), "415.87")]
    rows = [InvoiceRow(invoice, invoice_status(invoice), False) for invoice in invoices]
    context = frame_context(language=language, translations=CATALOGUES[language], csrf_token="c" * 43,
                            visitor_user=None, role=Role.CONSUMER, path="/invoices")
    context |= {"groups": group_by_year(rows, lambda row: row.invoice.formed_on),
                "target": AccountPages(uuid4(), "", staff=False), "notice": None, "chart": amounts_chart(invoices)}
    page = create_environment().get_template("invoices.html").render(context)
    assert f"<h1>{heading}</h1>" in page and pay_by in page
    order = re.findall(r'colspan="9">(\d{4})<|data-invoice="([^"]+)"', page)
    assert [year or number for year, number in order] == ["2014", "0064/3/1/П1", "0064/1/1", "2013", "0789/8/1"]
    # each cell also names its column for a phone's narrow screen, in the page's language
    accrued = CATALOGUES[language].gettext("Accrued, UAH")
    assert f'<td class="number money" data-label="{accrued}">1 238.88</td>' in page
    assert re.search(r'<td class="date" data-label="[^"]+">15.03.2014</td>', page)


CONSUMER_ID = uuid4()


@pytest.mark.parametrize("path", [
    "/readings", "/invoices", "/payments", "/tax-invoices", "/tariffs", f"/tax-invoices/{uuid4()}/xml",
    f"/console/consumers/{CONSUMER_ID}/points", f"/console/consumers/{CONSUMER_ID}/readings", "/console/tariffs",
    "/console/billing", f"/console/billing/runs/{uuid4()}", "/console/payments", "/reconciliation",
    "/reconciliation.xlsx", f"/console/consumers/{CONSUMER_ID}/reconciliation",
    f"/console/consumers/{CONSUMER_ID}/reconciliation.csv",
])
def test_the_pages_need_a_session(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", [
    "/readings", "/readings/import", "/readings/calculation", f"/console/consumers/{CONSUMER_ID}/points",
    f"/console/consumers/{CONSUMER_ID}/readings/corrections", f"/console/consumers/{CONSUMER_ID}/invoices",
    "/console/tariffs", "/console/zone-coefficients", "/console/billing/runs",
    f"/console/payments/{uuid4()}/assignment", f"/console/payments/{uuid4()}/return", "/reconciliation/acts",
    "/reconciliation/disagreement", f"/console/consumers/{CONSUMER_ID}/reconciliation/acts",
])
def test_every_form_is_protected(client: TestClient, path: str) -> None:
    client.get("/login")
    response = client.post(path, data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert "Форма застаріла" in response.text


def test_the_import_format_is_described_to_everyone(client: TestClient) -> None:
    page = client.get("/help/readings-import")
    assert page.status_code == 200
    assert "Опис імпорту показань" in page.text and "meter_serial;energy;zone;value;rollover" in page.text


def test_the_reconciliation_period_is_typed_as_the_page_writes_dates_and_the_letter_names_it() -> None:
    uk = load_catalogues()["uk"]
    period = Period(uk, "01.07.2013", "2013-08-26")
    assert (period.start, period.end, period.errors.fields) == (date(2013, 7, 1), date(2013, 8, 26), {})
    assert period.query() == "from=2013-07-01&to=2013-08-26"
    assert Period(uk, None, "").query() == ""  # billing's default: this year up to today
    mistyped = Period(uk, "31.02.2013", "")
    assert set(mistyped.errors.fields) == {"from"} and mistyped.errors.general
    act = Reconciliation.model_validate({
        "start": "2013-07-01", "end": "2013-08-26", "opening": "0", "operations": [], "debit_turnover": "0",
        "credit_turnover": "0", "closing": "0", "debtor": "nobody",
        "ageing": dict.fromkeys(("not_due", "days_0_30", "days_31_60", "days_61_90", "over_90"), "0")})
    assert disagreement_subject(uk, act) == "Розбіжності за актом звірки за 01.07.2013–26.08.2013"
