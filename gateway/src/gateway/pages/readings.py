"""«Товар → Показання»: the readings window, the readings form, import from a file, the act of readings transfer
and «Розрахувати» (manual: «Как получить счет?»).

The same page serves supplier staff in the console (`/console/consumers/{id}/readings`, see
pages/console_metering.py): staff enter readings for every meter, outside the window too, correct accepted ones
with a reason and mark paper acts received. The services decide; the page shows their answers beside the fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from gateway.billing_client import MISSING_READINGS, Calculation, MissingReadings
from gateway.charts import Chart, consumption_chart
from gateway.i18n import format_date, format_period, language_of
from gateway.messages import (
    FormErrors,
    explain,
    general_message,
    import_problems,
    period_refusal,
    readings_refusal,
    unsent_readings,
)
from gateway.metering_client import WARNINGS, Readings, VolumeWarning
from gateway.pages.common import (
    AccountPages,
    billing_of,
    metering_of,
    notice_of,
    own_account,
    see_other,
    unless_unavailable,
    valid_period,
)
from gateway.readings_view import (
    CSV_SAMPLE,
    IMPORT_COLUMNS,
    XML_SAMPLE,
    WindowNotice,
    closed_notice,
    correction_points,
    entry_points,
    missing_with_metering_state,
    typed_readings,
    warnings_by_field,
)
from gateway.rendering import pages_of
from gateway.sessions import AnyVisitor, MoneyHandler, ReadingsEditor, ReadingsViewer
from shared.auth import Capability, Principal
from shared.errors import ServiceCallError

router = APIRouter()

#: the import file's limit, as the metering service takes it
MAX_IMPORT_BYTES = 1024 * 1024
IMPORT_SUFFIXES = (".csv", ".xml")


@dataclass
class ReadingsForm:
    """What the readings page shows besides the services' data: typed values and the answers to the last form."""

    values: dict[str, str] = field(default_factory=dict)
    rollovers: set[str] = field(default_factory=set)
    errors: FormErrors = field(default_factory=FormErrors)
    #: field → the high-volume warning waiting for confirmation
    warnings: dict[str, VolumeWarning] = field(default_factory=dict)
    correction_reason: str = ""
    import_errors: FormErrors = field(default_factory=FormErrors)
    import_problems: list[str] = field(default_factory=list)
    import_warnings: list[VolumeWarning] = field(default_factory=list)
    calculation_errors: FormErrors = field(default_factory=FormErrors)
    missing: list[MissingReadings] | None = None


async def _calculation(request: Request, principal: Principal, consumer_id: UUID, period: str) -> Calculation | None:
    """Whether an invoice can be calculated; the readings stay usable when billing does not answer."""
    return await unless_unavailable(request, billing_of(request).calculation(principal, consumer_id, period), "billing")


def readings_page_context(
    readings: Readings, target: AccountPages, calculation: Calculation | None, form: ReadingsForm, *,
    window_notice: WindowNotice | None, chart: Chart | None, notice: str | None, money: bool = True,
    submits: bool = True,
) -> dict[str, Any]:
    """What readings.html draws, from the services' answers (pure: the template tests build pages with it).
    `money`: the visitor's role sees money (the invoice's calculation, the history from the invoices); `submits`: it
    enters readings (else the forms are not drawn)."""
    missing = form.missing if form.missing is not None else calculation.missing if calculation else []
    return {
        "readings": readings,
        "window_notice": window_notice,
        # each meter's inputs belong to the form that sends them: new readings, or staff's corrections
        "entry_ids": {entry.point.id for entry in entry_points(readings, staff=target.staff)} if submits else set(),
        "correction_ids": {entry.point.id for entry in correction_points(readings, staff=target.staff)},
        "serials": {entry.point.id: entry.point.meter_serial for entry in readings.points},
        "calculation": calculation,
        "missing": missing_with_metering_state(missing, readings),
        "form": form,
        "target": target,
        "notice": notice,
        "import_limit": MAX_IMPORT_BYTES,
        "chart": chart,
        "money": money,
    }


async def render_readings(
    request: Request,
    principal: Principal,
    target: AccountPages,
    period: str | None,
    form: ReadingsForm | None = None,
    *,
    status_code: int = 200,
) -> Response:
    readings = await metering_of(request).readings(principal, target.consumer_id, period)
    # an engineer's page shows no money: neither the invoice's calculation nor the history drawn from the invoices
    money = principal.may(Capability.SEE_MONEY)
    calculation = await _calculation(request, principal, target.consumer_id, readings.period) if money else None
    # the consumption history is drawn from the invoices; the readings page does without it when billing fails
    invoices = await unless_unavailable(
        request, billing_of(request).invoices(principal, target.consumer_id), "billing") if money else None
    language = language_of(request)
    window = readings.window
    window_notice = closed_notice(
        window, format_period(window.period, language), format_date(window.opens_on) if window.opens_on else "—",
        staff=target.staff,
    )
    context = readings_page_context(
        readings, target, calculation, form or ReadingsForm(), window_notice=window_notice,
        chart=consumption_chart(invoices.items) if invoices is not None else None, notice=notice_of(request),
        money=money, submits=principal.may(Capability.SUBMIT_READINGS),
    )
    return pages_of(request).render(request, "readings.html", context, status_code=status_code)


async def readings_of_period(
    request: Request, principal: Principal, target: AccountPages, period: str | None
) -> Response:
    """The readings page of the month in its address; a month the services would not take (typed in by hand) is
    the current one's page, saying so."""
    if period is None or valid_period(period) is not None:
        return await render_readings(request, principal, target, period)
    form = ReadingsForm(errors=period_refusal(pages_of(request).translations(request)))
    return await render_readings(request, principal, target, None, form, status_code=422)


async def enter_readings(
    request: Request, principal: Principal, target: AccountPages, *, correcting: bool
) -> Response:
    """The readings form sent: checked here for what only the page knows (a meter filled in partly), then by
    metering; refusals, and volumes far above the usual, come back beside the fields."""
    submitted = await request.form()
    values = {name: value for name, value in submitted.items() if isinstance(value, str)}
    period = values.get("period", "")
    reason = values.get("correction_reason", "").strip()
    translations = pages_of(request).translations(request)
    if period and valid_period(period) is None:
        # the form's hidden month, altered: nothing is asked of metering with it
        form = ReadingsForm(errors=period_refusal(translations))
        return await render_readings(request, principal, target, None, form, status_code=422)
    metering = metering_of(request)
    readings = await metering.readings(principal, target.consumer_id, period or None)
    points = (correction_points if correcting else entry_points)(readings, staff=target.staff)
    typed = typed_readings(values, points)
    form = ReadingsForm(values=typed.values, rollovers=typed.rollovers, correction_reason=reason)
    if typed.problems or not typed.readings:
        form.errors = unsent_readings(translations, typed.problems)
        return await render_readings(request, principal, target, readings.period, form, status_code=422)
    try:
        if correcting:
            await metering.correct(principal, target.consumer_id, readings.period, reason, typed.readings)
        else:
            await metering.submit(
                principal, target.consumer_id, readings.period, typed.readings, confirm=bool(values.get("confirm"))
            )
    except ServiceCallError as error:
        if error.status_code >= 500:
            raise
        form.errors = readings_refusal(error, translations, typed.fields)
        if error.code == "confirmation_needed":
            form.warnings = warnings_by_field(WARNINGS.validate_python(error.detail.get("warnings") or []))
        return await render_readings(request, principal, target, readings.period, form, status_code=error.status_code)
    notice = "readings_corrected" if correcting else "readings_entered_by_staff" if target.staff else "readings_entered"
    return see_other(f"{target.base}/readings?period={readings.period}&notice={notice}")


async def import_readings(
    request: Request, principal: Principal, target: AccountPages, period: str, upload: UploadFile | None,
    confirm: bool,
) -> Response:
    translations = pages_of(request).translations(request)
    form = ReadingsForm()
    content = await upload.read(MAX_IMPORT_BYTES + 1) if upload is not None else b""
    file_name = (upload.filename or "") if upload is not None else ""
    code = (
        "import_missing" if not content
        else "import_too_large" if len(content) > MAX_IMPORT_BYTES
        else "import_file_type" if not file_name.lower().endswith(IMPORT_SUFFIXES)
        else None
    )
    if code is not None or valid_period(period) is None:
        form.import_errors = (FormErrors(general=general_message(translations, code)) if code is not None
                              else period_refusal(translations))
        return await render_readings(request, principal, target, valid_period(period), form, status_code=422)
    try:
        await metering_of(request).import_file(
            principal, target.consumer_id, period, file_name, content, confirm=confirm
        )
    except ServiceCallError as error:
        form.import_errors = explain(error, translations)
        if error.code == "import_invalid":
            form.import_problems = import_problems(error, translations)
        if error.code == "confirmation_needed":
            form.import_warnings = WARNINGS.validate_python(error.detail.get("warnings") or [])
        return await render_readings(request, principal, target, valid_period(period), form,
                                     status_code=error.status_code)
    return see_other(f"{target.base}/readings?period={period}&notice=readings_imported")


async def calculate_invoice(
    request: Request, principal: Principal, target: AccountPages, period: str, *, formed: str
) -> Response:
    """Billing forms the period's invoice (the consumer's «Розрахувати», or staff for the consumer), then the visitor
    goes on to `formed`; a refusal, and for `readings_missing` which meters, is shown on the readings page."""
    translations = pages_of(request).translations(request)
    if valid_period(period) is None:
        form = ReadingsForm(calculation_errors=period_refusal(translations))
        return await render_readings(request, principal, target, None, form, status_code=422)
    try:
        await billing_of(request).form_invoice(principal, target.consumer_id, period)
    except ServiceCallError as error:
        form = ReadingsForm(calculation_errors=explain(error, translations))
        if error.code == "readings_missing":
            form.missing = MISSING_READINGS.validate_python(error.detail.get("missing") or [])
        return await render_readings(request, principal, target, period, form, status_code=error.status_code)
    return see_other(formed)


@router.get("/readings")
async def readings_page(request: Request, visitor: ReadingsViewer, period: str | None = None) -> Response:
    return await readings_of_period(request, visitor.principal, own_account(visitor.principal), period)


@router.post("/readings")
async def submit_readings(request: Request, visitor: ReadingsEditor) -> Response:
    return await enter_readings(request, visitor.principal, own_account(visitor.principal), correcting=False)


@router.post("/readings/import")
async def import_readings_file(
    request: Request,
    visitor: ReadingsEditor,
    period: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    return await import_readings(request, visitor.principal, own_account(visitor.principal), period, file, confirm)


@router.post("/readings/calculation")
async def calculate(request: Request, visitor: MoneyHandler, period: Annotated[str, Form()] = "") -> Response:
    """«Розрахувати»: billing forms the period's invoice and the consumer goes on to «Рахунки»."""
    return await calculate_invoice(request, visitor.principal, own_account(visitor.principal), period,
                                   formed="/invoices?notice=invoice_formed")


@router.get("/help/readings-import")
async def import_format(request: Request, visitor: AnyVisitor) -> Response:
    """«Опис імпорту показань»: the file formats the import takes (docs/api-metering.md)."""
    context = {"limit": MAX_IMPORT_BYTES, "columns": IMPORT_COLUMNS, "csv_sample": CSV_SAMPLE, "xml_sample": XML_SAMPLE}
    return pages_of(request).render(request, "readings_import.html", context)
