"""The supplier console's metering for one consumer: metering points (add, change, take out of service) with their
meters' installation readings, readings entered by the settlement manager (outside the window too), corrections of
accepted readings, paper acts received, and forming the invoice for a consumer without the self-calculation right."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Annotated, Final
from uuid import UUID

from babel.support import Translations
from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.i18n import N_
from gateway.messages import READINGS_MESSAGES, FormErrors, explain, field_message, general_message, reading_message
from gateway.metering_client import InstallationValue, Point, PointFields, PointLocation
from gateway.pages.common import (
    AccountPages,
    billing_of,
    console_account,
    metering_of,
    notice_of,
    see_other,
    unless_unavailable,
    valid_period,
)
from gateway.pages.readings import (
    ReadingsForm,
    calculate_invoice,
    enter_readings,
    import_readings,
    readings_of_period,
    render_readings,
)
from gateway.rendering import pages_of
from gateway.sessions import Staff
from shared.auth import Principal
from shared.errors import ServiceCallError

router = APIRouter(prefix="/console/consumers/{consumer_id}")

#: every register a meter may have, and its zones: the form has an installation reading input for each
REGISTERS: Final = ("active", "reactive")
ZONES: Final = (1, 2, 3)
#: the service's code of one installation reading: `installation_readings[<i>].<part>`
_INSTALLATION_LINE = re.compile(r"installation_readings(?:\[(\d+)\]|\.(\d+))\.(\w+)")
#: where the form shows what concerns the installation readings as a whole
INSTALLATION_FIELD: Final = "installation"
#: billing does not answer: a meter's tariff class cannot be chosen now (waiting helps)
CLASSES_UNAVAILABLE: Final = N_(
    "The tariff classes cannot be read from billing right now, so a meter cannot be added or changed. Please try "
    "again in a few minutes."
)

# no installation readings typed in advance: a meter installed showing 045231 is not to be taken for a new one
_NEW_POINT = PointFields(
    meter_serial="", zones="1", digits="6", ct_ratio="1", vt_ratio="1", location=PointLocation.CONSUMER_SITE,
    consumer_reads=True, registers=["active"], tariff_class="", installation_readings=[],
)


def installation_input(energy: str, zone: int) -> str:
    """The form's input of a register and zone's installation reading."""
    return f"installation_{energy}_{zone}"


def _fields_of(point: Point) -> PointFields:
    return PointFields(
        meter_serial=point.meter_serial, zones=str(point.zones), digits=str(point.digits),
        ct_ratio=str(point.ct_ratio), vt_ratio=str(point.vt_ratio), location=point.location,
        consumer_reads=point.consumer_reads, registers=point.registers, tariff_class=point.tariff_class,
        installation_readings=[InstallationValue(energy=line.energy, zone=line.zone, value=str(line.value))
                               for line in point.installation_readings],
    )


async def tariff_class_names(request: Request, principal: Principal) -> dict[str, str] | None:
    """The tariff classes billing knows, code → name (the newest tariff's title); None when billing cannot be
    asked now."""
    classes = await unless_unavailable(request, billing_of(request).tariffs(principal), "billing")
    return None if classes is None else {item.tariff_class: item.title for item in classes.classes}


async def _points_page(
    request: Request,
    principal: Principal,
    target: AccountPages,
    *,
    values: PointFields = _NEW_POINT,
    editing: Point | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    points, class_names = await asyncio.gather(
        metering_of(request).points(principal, target.consumer_id, include_retired=True),
        tariff_class_names(request, principal),
    )
    if class_names is None and not errors:
        # said before the form is filled in, not only once it is sent
        errors = tariff_class_refusal(pages_of(request).translations(request), values.tariff_class, None)
    context = {
        "points": points,
        "class_names": class_names,
        "target": target,
        "values": values,
        "editing": editing,
        "errors": errors or FormErrors(),
        "locations": list(PointLocation),
        "registers": REGISTERS,
        "zones": ZONES,
        "installation_input": installation_input,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "console_points.html", context, status_code=status_code)


async def _point(request: Request, principal: Principal, consumer_id: UUID, point_id: UUID) -> Point:
    """The consumer's point (metering answers points by consumer; another consumer's is not found here)."""
    points = await metering_of(request).points(principal, consumer_id, include_retired=True)
    for point in points:
        if point.id == point_id:
            return point
    raise HTTPException(404)


def tariff_class_refusal(translations: Translations, chosen: str, class_names: dict[str, str] | None) -> FormErrors:
    """Why the chosen tariff class cannot be sent: billing does not know it, or cannot be asked (nothing is then
    sent: a class billing has no tariff of would leave the meter's invoices uncalculated)."""
    if class_names is None:
        return FormErrors(general=translations.gettext(CLASSES_UNAVAILABLE),
                          fields={"tariff_class": translations.gettext(CLASSES_UNAVAILABLE)})
    if chosen in class_names:
        return FormErrors()
    return FormErrors(general=general_message(translations, "invalid"),
                      fields={"tariff_class": field_message(translations, "tariff_class", "unknown")})


async def _unknown_class(request: Request, principal: Principal, fields: PointFields) -> tuple[FormErrors, int] | None:
    """The form's refusal of a tariff class billing does not know (422) or cannot be asked about (503), if so."""
    class_names = await tariff_class_names(request, principal)
    errors = tariff_class_refusal(pages_of(request).translations(request), fields.tariff_class, class_names)
    return (errors, 503 if class_names is None else 422) if errors else None


async def _typed_point(
    request: Request, meter_serial: str, zones: str, digits: str, ct_ratio: str, vt_ratio: str, location: str,
    consumer_reads: bool, reactive: bool, tariff_class: str,
) -> PointFields:
    # every meter counts active energy; the reactive register is the one that may be added
    registers = ["active", "reactive"] if reactive else ["active"]
    return PointFields(
        meter_serial=meter_serial, zones=zones, digits=digits, ct_ratio=ct_ratio, vt_ratio=vt_ratio,
        location=location, consumer_reads=consumer_reads, registers=registers, tariff_class=tariff_class,
        installation_readings=typed_installation(await request.form(), zones, registers),
    )


def typed_installation(form: Mapping[str, object], zones: str, registers: list[str]) -> list[InstallationValue]:
    """The installation readings of the meter as chosen: its registers and zones (all three while the zones are
    not a number of zones: the service refuses those); an input left empty is sent empty, for the service to ask
    for it."""
    count = int(zones) if zones.strip() in {str(zone) for zone in ZONES} else len(ZONES)
    return [
        InstallationValue(energy=energy, zone=zone, value=str(form.get(installation_input(energy, zone)) or ""))
        for energy in registers for zone in ZONES[:count]
    ]


def point_refusal(error: ServiceCallError, translations: Translations, fields: PointFields) -> FormErrors:
    """The service's refusal, each installation reading's code under its input (the service counts the lines in
    the order the form sent them, which is also the point's own order when they were not sent)."""
    errors = explain(error, translations)
    for key, code in error.fields.items():
        if not key.startswith("installation_readings"):
            continue
        del errors.fields[key]
        match = _INSTALLATION_LINE.fullmatch(key)
        index = int(match.group(1) or match.group(2)) if match else -1
        if match and index < len(fields.installation_readings):
            line = fields.installation_readings[index]
            errors.fields.setdefault(installation_input(line.energy, line.zone),
                                     reading_message(translations, match.group(3), code))
        else:
            errors.fields[INSTALLATION_FIELD] = (translations.gettext(READINGS_MESSAGES[code])
                                                 if code in READINGS_MESSAGES
                                                 else field_message(translations, INSTALLATION_FIELD, code))
    return errors


PointForm = Annotated[str, Form()]


@router.get("/points")
async def points_page(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await _points_page(request, visitor.principal, target)


@router.post("/points")
async def add_point(
    request: Request, visitor: Staff, consumer_id: UUID,
    meter_serial: PointForm = "", zones: PointForm = "", digits: PointForm = "", ct_ratio: PointForm = "",
    vt_ratio: PointForm = "", location: PointForm = "", tariff_class: PointForm = "",
    consumer_reads: Annotated[bool, Form()] = False, reactive: Annotated[bool, Form()] = False,
) -> Response:
    principal = visitor.principal
    target = await console_account(request, principal, consumer_id)
    fields = await _typed_point(request, meter_serial, zones, digits, ct_ratio, vt_ratio, location, consumer_reads,
                                reactive, tariff_class)
    if refused := await _unknown_class(request, principal, fields):
        return await _points_page(request, principal, target, values=fields, errors=refused[0], status_code=refused[1])
    try:
        await metering_of(request).add_point(principal, consumer_id, fields)
    except ServiceCallError as error:
        errors = point_refusal(error, pages_of(request).translations(request), fields)
        return await _points_page(request, principal, target, values=fields, errors=errors,
                                  status_code=error.status_code)
    return see_other(f"{target.base}/points?notice=point_added")


@router.get("/points/{point_id}")
async def point_page(request: Request, visitor: Staff, consumer_id: UUID, point_id: UUID) -> Response:
    principal = visitor.principal
    target = await console_account(request, principal, consumer_id)
    point = await _point(request, principal, consumer_id, point_id)
    return await _points_page(request, principal, target, values=_fields_of(point), editing=point)


@router.post("/points/{point_id}")
async def change_point(
    request: Request, visitor: Staff, consumer_id: UUID, point_id: UUID,
    meter_serial: PointForm = "", zones: PointForm = "", digits: PointForm = "", ct_ratio: PointForm = "",
    vt_ratio: PointForm = "", location: PointForm = "", tariff_class: PointForm = "",
    consumer_reads: Annotated[bool, Form()] = False, reactive: Annotated[bool, Form()] = False,
) -> Response:
    principal = visitor.principal
    target = await console_account(request, principal, consumer_id)
    point = await _point(request, principal, consumer_id, point_id)
    fields = await _typed_point(request, meter_serial, zones, digits, ct_ratio, vt_ratio, location, consumer_reads,
                                reactive, tariff_class)
    if refused := await _unknown_class(request, principal, fields):
        return await _points_page(request, principal, target, values=fields, editing=point, errors=refused[0],
                                  status_code=refused[1])
    try:
        await metering_of(request).change_point(principal, point, fields)
    except ServiceCallError as error:
        errors = point_refusal(error, pages_of(request).translations(request), fields)
        return await _points_page(request, principal, target, values=fields, editing=point, errors=errors,
                                  status_code=error.status_code)
    return see_other(f"{target.base}/points?notice=point_changed")


@router.post("/points/{point_id}/retirement")
async def retire_point(request: Request, visitor: Staff, consumer_id: UUID, point_id: UUID) -> Response:
    principal = visitor.principal
    point = await _point(request, principal, consumer_id, point_id)
    try:
        await metering_of(request).retire_point(principal, point.id)
    except ServiceCallError as error:
        target = await console_account(request, principal, consumer_id)
        errors = explain(error, pages_of(request).translations(request))
        return await _points_page(request, principal, target, values=_fields_of(point), editing=point, errors=errors,
                                  status_code=error.status_code)
    return see_other(f"/console/consumers/{consumer_id}/points?notice=point_retired")


@router.get("/readings")
async def readings_page(request: Request, visitor: Staff, consumer_id: UUID, period: str | None = None) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await readings_of_period(request, visitor.principal, target, period)


@router.post("/readings")
async def submit_readings(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await enter_readings(request, visitor.principal, target, correcting=False)


@router.post("/readings/corrections")
async def correct_readings(request: Request, visitor: Staff, consumer_id: UUID) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await enter_readings(request, visitor.principal, target, correcting=True)


@router.post("/readings/import")
async def import_readings_file(
    request: Request,
    visitor: Staff,
    consumer_id: UUID,
    period: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await import_readings(request, visitor.principal, target, period, file, confirm)


@router.post("/acts/{act_id}/paper-received")
async def paper_act_received(
    request: Request, visitor: Staff, consumer_id: UUID, act_id: UUID, period: Annotated[str, Form()] = ""
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    try:
        act = await metering_of(request).paper_received(visitor.principal, act_id)
    except ServiceCallError as error:
        form_errors = explain(error, pages_of(request).translations(request))
        return await _readings_with_errors(request, visitor.principal, target, period, form_errors, error.status_code)
    return see_other(f"{target.base}/readings?period={act.period}&notice=paper_act_received")


async def _readings_with_errors(
    request: Request, principal: Principal, target: AccountPages, period: str, errors: FormErrors, status_code: int
) -> Response:
    return await render_readings(request, principal, target, valid_period(period), ReadingsForm(errors=errors),
                                 status_code=status_code)


@router.post("/invoices")
async def form_invoice(request: Request, visitor: Staff, consumer_id: UUID,
                       period: Annotated[str, Form()] = "") -> Response:
    """The settlement manager forms the invoice of a consumer without the self-calculation right."""
    target = await console_account(request, visitor.principal, consumer_id)
    return await calculate_invoice(request, visitor.principal, target, period,
                                   formed=f"{target.base}/invoices?notice=invoice_formed")
