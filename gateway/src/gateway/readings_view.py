"""«Показання»: the readings form as the page lays it out, what was typed into it, and the service's answers
put back next to the fields they concern.

Pure logic, no calls. One input per metering point, register and zone; the service checks the values (numbers,
digits, not below the previous reading) and answers with codes keyed by the position of the line it was sent in,
which is mapped back to the field here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID

from gateway.billing_client import MissingReadings
from gateway.i18n import N_
from gateway.metering_client import (
    Act,
    ActState,
    LineState,
    PointLocation,
    PointReadings,
    Reading,
    ReadingLine,
    Readings,
    VolumeWarning,
    Window,
)

#: the zones of each scheme as the supplier names them: one zone, day/night, peak/half-peak/night
ZONE_LABELS: Final = {
    (1, 1): N_("All day"),
    (2, 1): N_("Day"),
    (2, 2): N_("Night"),
    (3, 1): N_("Peak"),
    (3, 2): N_("Half-peak"),
    (3, 3): N_("Night"),
}
_ZONE_FALLBACK: Final = N_("Zone %(zone)d")

LOCATION_LABELS: Final = {
    PointLocation.CONSUMER_SITE: N_("At the consumer's site"),
    PointLocation.RES_SUBSTATION: N_("At the distribution system operator's substation"),
}

REGISTER_LABELS: Final = {"active": N_("Active energy, kWh"), "reactive": N_("Reactive energy, kvarh")}

ACT_STATE_LABELS: Final = {
    ActState.PREPARING: N_("The act is being prepared"),
    ActState.AWAITING_SIGNATURE: N_("Waiting for your electronic signature"),
    ActState.AWAITING_PAPER: N_("Waiting for the signed paper act"),
    ActState.ACCEPTED: N_("Accepted"),
    ActState.SUPERSEDED: N_("Replaced by a newer act"),
}

#: the same as the supplier's staff read them: whose signature is awaited
STAFF_ACT_STATE_LABELS: Final = {
    **ACT_STATE_LABELS, ActState.AWAITING_SIGNATURE: N_("Waiting for the consumer's electronic signature"),
}

#: what the consumer is to do while the act is in this state
ACT_STATE_ADVICE: Final = {
    ActState.PREPARING: N_("The act's document appears here in a minute. Reload the page to see it."),
    ActState.AWAITING_SIGNATURE: N_(
        "Sign the act with your electronic signature: readings without a signed act are not accepted for "
        "calculation."
    ),
    ActState.AWAITING_PAPER: N_(
        "Print the act, sign and stamp it and hand it to the supplier: readings are accepted for calculation once "
        "the supplier receives the signed act."
    ),
}

ACCEPTED_BY_LABELS: Final = {
    "signature": N_("signed with the consumer's electronic signature"),
    "paper": N_("the signed paper act was received"),
    "staff": N_("entered by the supplier"),
    "res": N_("received from the distribution system operator"),
}

_ACCEPTED: Final = N_("Accepted for calculation.")
_ACCEPTED_STAFF: Final = N_("Accepted for calculation. To correct it, change the values and give the reason below.")
_PENDING: Final = N_("Entered. It is accepted for calculation once the act of readings transfer is signed.")
_PENDING_STAFF: Final = N_("Entered; waiting for the act to be signed by the consumer or for its paper copy.")
_MISSING: Final = N_("Not entered yet.")
_READ_BY_SUPPLIER: Final = N_("The supplier reads this meter and enters its readings.")
_MISSING_STAFF_CONSUMER_READS: Final = N_("Not entered yet: the consumer reads this meter.")
_MISSING_STAFF_SUPPLIER_READS: Final = N_("Not entered yet: the supplier reads this meter.")

MISSING_REASON_LABELS: Final = {
    "no_readings": N_("no readings entered"),
    "not_accepted": N_("the act of readings is not signed yet"),
}
_MISSING_FALLBACK: Final = N_("readings are not accepted yet")

#: the import file's columns (docs/api-metering.md) and what each holds, for the help page
IMPORT_COLUMNS: Final = (
    ("meter_serial", N_("the meter's serial number")),
    ("energy", N_("active (or A) for active energy, reactive (or R) for reactive energy")),
    ("zone", N_("the zone: 1 for a single-zone meter; 1 day, 2 night; 1 peak, 2 half-peak, 3 night")),
    ("value", N_("the reading, with a decimal point, at most 4 digits after it")),
    ("rollover", N_("1 when the meter went past its highest value and started again from zero; otherwise empty or 0")),
)
CSV_SAMPLE: Final = """meter_serial;energy;zone;value;rollover
01234567;active;1;12345.6;0
01234567;active;2;6543.2;0
01234567;reactive;1;321;"""
XML_SAMPLE: Final = """<readings period="2026-11">
  <meter serial="01234567">
    <value energy="active" zone="1" rollover="false">12345.6</value>
    <value energy="active" zone="2" rollover="false">6543.2</value>
  </meter>
</readings>"""

# the service answers a refused line as `readings[3].value` (its own checks) or `readings.3.value` (its request
# validation)
_LINE_FIELD = re.compile(r"readings(?:\[(\d+)\]|\.(\d+))\.(\w+)")


def zone_label(zones: int, zone: int) -> tuple[str, dict[str, int]]:
    """The message id naming a zone and its parameters (a scheme the cabinet does not know: «Zone 4»)."""
    label = ZONE_LABELS.get((zones, zone))
    return (label, {}) if label else (_ZONE_FALLBACK, {"zone": zone})


def missing_reason_label(reason: str) -> str:
    return MISSING_REASON_LABELS.get(reason, _MISSING_FALLBACK)


def field_name(point_id: UUID, energy: str, zone: int) -> str:
    """The form's name for one reading: `reading.<point>.<register>.<zone>` (its roll-over box adds `.rollover`)."""
    return f"reading.{point_id}.{energy}.{zone}"


def rollover_name(point_id: UUID, energy: str, zone: int) -> str:
    return f"{field_name(point_id, energy, zone)}.rollover"


def entry_points(readings: Readings, *, staff: bool) -> list[PointReadings]:
    """The meters whose readings of the period can be entered now: for the consumer, the meters they read
    themselves while the window is open for this period; for supplier staff, every meter in service, at any
    time. Readings accepted already are corrected instead (staff, `correction_points`)."""
    window = readings.window
    if not staff and not (window.is_open and readings.period == window.period):
        return []
    return [entry for entry in readings.points
            if entry.point.active and (staff or entry.point.consumer_reads) and entry.state != LineState.ACCEPTED]


def correction_points(readings: Readings, *, staff: bool) -> list[PointReadings]:
    """The meters whose accepted readings supplier staff may correct (with a reason); nobody else corrects."""
    return [entry for entry in readings.points if entry.state == LineState.ACCEPTED] if staff else []


def missing_with_metering_state(missing: Iterable[MissingReadings], readings: Readings) -> list[MissingReadings]:
    """Billing knows only accepted readings, so it calls a meter whose readings wait for their act's signature
    `no_readings`; metering knows better, and the page says what the consumer is to do: sign the act."""
    pending = {entry.point.id for entry in readings.points if entry.state == LineState.PENDING}
    return [item.model_copy(update={"reason": "not_accepted"}) if item.point_id in pending else item
            for item in missing]


def normalized_value(typed: str) -> str:
    """What was typed, as the service reads numbers: a decimal comma (Ukrainian habit) becomes a point,
    group spaces go. Anything else is left for the service to judge."""
    return "".join(typed.split()).replace(",", ".")


@dataclass
class TypedReadings:
    """The form as sent: the lines to send (in order), what was typed per field, and what the gateway itself
    refuses before sending (a meter filled in only partly)."""

    readings: list[Reading] = field(default_factory=list)
    #: the field of each sent line, in the same order, to put the service's answer back
    fields: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    rollovers: set[str] = field(default_factory=set)
    #: field → the code of what is wrong with it
    problems: dict[str, str] = field(default_factory=dict)


def typed_readings(form: Mapping[str, str], points: Iterable[PointReadings]) -> TypedReadings:
    """The readings typed for these points. A meter left empty is not sent; a meter filled in partly has its
    empty fields marked `required`, since the service takes every zone and register of a meter together."""
    typed = TypedReadings()
    for entry in points:
        filled: list[tuple[ReadingLine, str]] = []
        empty: list[str] = []
        for line in entry.lines:
            name = field_name(line.point_id, line.energy, line.zone)
            value = normalized_value(form.get(name, ""))
            typed.values[name] = form.get(name, "").strip()
            if form.get(rollover_name(line.point_id, line.energy, line.zone)):
                typed.rollovers.add(name)
            if value:
                filled.append((line, value))
            else:
                empty.append(name)
        if filled and empty:
            typed.problems |= dict.fromkeys(empty, "required")
        for line, value in filled:
            name = field_name(line.point_id, line.energy, line.zone)
            typed.readings.append(
                Reading(point_id=line.point_id, energy=line.energy, zone=line.zone, value=value,
                        rollover=name in typed.rollovers)
            )
            typed.fields.append(name)
    return typed


@dataclass(frozen=True)
class LineRefusal:
    """The service's refusal of one sent line: the form field and the code (`value: below_previous`)."""

    field: str
    part: str
    code: str


def line_refusals(fields: Mapping[str, str], sent: list[str]) -> tuple[list[LineRefusal], dict[str, str]]:
    """The service's `fields` split into refusals of single lines (mapped to the form's fields) and the rest:
    codes of the readings as a whole (`readings: lines_missing`) and of other fields (`reason: required`)."""
    refusals: list[LineRefusal] = []
    rest: dict[str, str] = {}
    for key, code in fields.items():
        match = _LINE_FIELD.fullmatch(key)
        index = int(match.group(1) or match.group(2)) if match else -1
        if match and 0 <= index < len(sent):
            refusals.append(LineRefusal(sent[index], match.group(3), code))
        else:
            rest["readings" if match else key] = code
    return refusals, rest


def warnings_by_field(warnings: Iterable[VolumeWarning]) -> dict[str, VolumeWarning]:
    return {field_name(warning.point_id, warning.energy, warning.zone): warning for warning in warnings}


@dataclass(frozen=True)
class WindowNotice:
    """Why the form is read-only, and from when it opens: a message id and its parameters."""

    message: str
    params: dict[str, object]


_CLOSED_INVOICED = N_(
    "The invoice for %(period)s has been issued, so its readings can no longer be entered. Readings for the next "
    "period can be entered from %(opens_on)s."
)
_CLOSED_BEFORE_BILLING_DAY = N_(
    "Readings are entered from your billing day (day %(billing_day)d of the month) until the invoice is issued. "
    "The input opens on %(opens_on)s."
)
_CLOSED = N_("Readings cannot be entered now. The input opens on %(opens_on)s.")
# the same to the supplier's staff, who may enter readings while the consumer may not
_STAFF_CLOSED_BEFORE_BILLING_DAY = N_(
    "The consumer enters readings from their billing day (day %(billing_day)d of the month) until the invoice is "
    "issued; their input opens on %(opens_on)s."
)
_STAFF_CLOSED = N_("The consumer cannot enter readings now; their input opens on %(opens_on)s.")


def closed_notice(window: Window, period_label: str, opens_on: str, *, staff: bool = False) -> WindowNotice | None:
    """What a closed window says (to the consumer, or about the consumer to `staff`); None while it is open. Dates
    and periods come formatted by the caller."""
    if window.is_open:
        return None
    if window.reason == "invoice_issued":
        return WindowNotice(_CLOSED_INVOICED, {"period": period_label, "opens_on": opens_on})
    if window.reason == "before_billing_day":
        return WindowNotice(_STAFF_CLOSED_BEFORE_BILLING_DAY if staff else _CLOSED_BEFORE_BILLING_DAY,
                            {"billing_day": window.billing_day, "opens_on": opens_on})
    return WindowNotice(_STAFF_CLOSED if staff else _CLOSED, {"opens_on": opens_on})


def meter_state_label(entry: PointReadings, staff: bool) -> str:
    """The message id saying where a meter's readings of the period stand, to the consumer or to staff."""
    if entry.state == LineState.ACCEPTED:
        return _ACCEPTED_STAFF if staff else _ACCEPTED
    if entry.state == LineState.PENDING:
        return _PENDING_STAFF if staff else _PENDING
    if staff:
        return _MISSING_STAFF_CONSUMER_READS if entry.point.consumer_reads else _MISSING_STAFF_SUPPLIER_READS
    return _MISSING if entry.point.consumer_reads else _READ_BY_SUPPLIER


def act_to_sign(act: Act) -> bool:
    """Whether the consumer's «Підписати» applies: the act's PDF is there and waits for their signature."""
    return act.state == ActState.AWAITING_SIGNATURE and act.document_id is not None


def needs_no_signature(act: Act) -> bool:
    """Readings the supplier entered itself or received from a RES system: its own record, which nobody signs."""
    return act.source in ("staff", "res")
