"""Metering points: the rules of their fields as staff enter them, the meter's installation readings among them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from metering.domain.readings import Energy, Problem, RegisterZone, parse_value

MAX_SERIAL_LENGTH = 32
MAX_ZONES = 3
MAX_DIGITS = 12
#: the field of the installation readings; a line's own fields are `installation_readings[<i>].<field>`
INSTALLATION = "installation_readings"
#: a transformer ratio as the contract carries it: positive, up to 8 digits before the point and 4 after
_RATIO = re.compile(r"\d{1,8}(\.\d{1,4})?", re.ASCII)
_TARIFF_CLASS = re.compile(r"[a-z0-9_]{1,40}")


class Location(StrEnum):
    CONSUMER_SITE = "consumer_site"
    RES_SUBSTATION = "res_substation"


@dataclass(frozen=True)
class InstallationLine:
    """What the meter showed at one register (the energy it counts) and zone when it was installed, as sent."""

    energy: str
    zone: int
    value: str


@dataclass(frozen=True)
class PointFields:
    meter_serial: str
    zones: int
    digits: int
    ct_ratio: Decimal
    vt_ratio: Decimal
    location: Location
    consumer_reads: bool
    #: `active` first, then `reactive` when the meter has it
    registers: tuple[str, ...]
    tariff_class: str
    #: a value for every register and zone: the first period's volume is counted from it, not from 0
    installation: Mapping[RegisterZone, Decimal]


@dataclass(frozen=True)
class RawPoint:
    """A point's fields as sent (None: not given)."""

    meter_serial: str | None = None
    #: whole numbers; text as typed is taken when it is one
    zones: int | str | None = None
    digits: int | str | None = None
    ct_ratio: str | None = None
    vt_ratio: str | None = None
    location: str | None = None
    consumer_reads: bool | None = None
    registers: Sequence[str] | None = None
    tariff_class: str | None = None
    installation_readings: Sequence[InstallationLine] | None = None


def clean_point(raw: RawPoint) -> PointFields | dict[str, str]:
    """The point's fields from what staff sent, or each bad field's reason code."""
    problems: dict[str, str] = {}
    serial = (raw.meter_serial or "").strip()
    if not serial:
        problems["meter_serial"] = "required"
    elif len(serial) > MAX_SERIAL_LENGTH:
        problems["meter_serial"] = "too_long"
    zones, digits = _whole(raw.zones), _whole(raw.digits)
    if zones is None or not 1 <= zones <= MAX_ZONES:
        problems["zones"] = "zones_invalid"
    if digits is None or not 1 <= digits <= MAX_DIGITS:
        problems["digits"] = "digits_invalid"
    ct_ratio, vt_ratio = _ratio(raw.ct_ratio), _ratio(raw.vt_ratio)
    if ct_ratio is None:
        problems["ct_ratio"] = "ratio_invalid"
    if vt_ratio is None:
        problems["vt_ratio"] = "ratio_invalid"
    if raw.location not in set(Location):
        problems["location"] = "location_invalid"
    if raw.consumer_reads is None:
        problems["consumer_reads"] = "required"
    registers = _registers(raw.registers)
    if registers is None:
        problems["registers"] = "registers_invalid"
    if raw.tariff_class is None or not _TARIFF_CLASS.fullmatch(raw.tariff_class):
        problems["tariff_class"] = "tariff_class_invalid"
    meter_known = "zones" not in problems and "digits" not in problems and registers is not None
    installation, installation_problems = _installation(
        raw.installation_readings, zones if meter_known else None, digits if meter_known else None, registers
    )
    problems |= installation_problems
    if problems:
        return problems
    assert zones and digits and ct_ratio and vt_ratio and raw.location and registers and raw.tariff_class
    return PointFields(
        meter_serial=serial, zones=zones, digits=digits, ct_ratio=ct_ratio, vt_ratio=vt_ratio,
        location=Location(raw.location), consumer_reads=bool(raw.consumer_reads), registers=registers,
        tariff_class=raw.tariff_class, installation=installation,
    )


def _installation(
    raw: Sequence[InstallationLine] | None, zones: int | None, digits: int | None, registers: tuple[str, ...] | None,
) -> tuple[dict[RegisterZone, Decimal], dict[str, str]]:
    """The installation values, each checked as a reading is, and the problems found.

    `zones`, `digits` and `registers` are None while wrong themselves: the lines are then checked as far as they can
    be, and whether one is missing cannot be told.
    """
    if raw is None:
        return {}, {INSTALLATION: "required"}
    values: dict[RegisterZone, Decimal] = {}
    problems: dict[str, str] = {}
    placed: set[RegisterZone] = set()
    for index, line in enumerate(raw):
        field = f"{INSTALLATION}[{index}]"
        energy_known = line.energy in (registers or set(Energy))
        zone_known = 1 <= line.zone <= (zones or MAX_ZONES)
        if not energy_known:
            problems[f"{field}.energy"] = Problem.ENERGY_INVALID
        if not zone_known:
            problems[f"{field}.zone"] = Problem.ZONE_INVALID
        value = parse_value(line.value, digits or MAX_DIGITS) if line.value.strip() else "required"
        if isinstance(value, str):
            problems[f"{field}.value"] = value
        if not (energy_known and zone_known):
            continue
        key = (line.energy, line.zone)
        if key in placed:
            problems.setdefault(INSTALLATION, Problem.LINE_REPEATED)
        placed.add(key)
        if isinstance(value, Decimal):
            values[key] = value
    if not problems and zones and registers and placed != {
        (register, zone) for register in registers for zone in range(1, zones + 1)
    }:
        problems[INSTALLATION] = Problem.LINES_MISSING
    return values, problems


def _whole(raw: int | str | None) -> int | None:
    if isinstance(raw, str):
        text = raw.strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None
    return raw


def _ratio(raw: str | None) -> Decimal | None:
    if raw is None or not _RATIO.fullmatch(raw.strip()):
        return None
    ratio = Decimal(raw.strip())
    return ratio if ratio > 0 else None


def _registers(raw: Sequence[str] | None) -> tuple[str, ...] | None:
    """The registers in their one order; `active` is always read (it is what is billed)."""
    if raw is None:
        return None
    names = list(raw)
    if len(names) != len(set(names)) or not set(names) <= set(Energy) or Energy.ACTIVE not in names:
        return None
    return tuple(energy for energy in Energy if energy in names)
