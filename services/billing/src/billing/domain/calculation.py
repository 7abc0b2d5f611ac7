"""The calculation of an invoice (docs/api-billing.md «Calculation and invoices»; manual «Счета»).

Volume per register and zone = meter difference (`shared.meters`, roll-over aware: 10^digits − previous + current)
× CT ratio × VT ratio, exact. Line amount = volume × zone price (tariff × zone coefficient), rounded to kopecks once
per line (ROUND_HALF_UP). Amount without VAT = sum of the lines; VAT = 20 % of it rounded down to kopecks
(`shared.vat`, as every document of the cabinet rounds it); total = the two added. So the lines add up to the totals
exactly, as in the manual's 346.56 + 69.31 = 415.87.

Nothing is rounded before the line amount: volumes and zone prices are kept exact (a context wide enough for
12-digit registers times 8-digit ratios times prices).
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from uuid import UUID

from shared.meters import meter_volume
from shared.vat import vat_of

CENT = Decimal("0.01")
ACTIVE = "active"
REACTIVE = "reactive"
#: reactive energy is not priced by time of day: its lines take the class's reactive tariff as it is
REACTIVE_COEFFICIENT = Decimal(1)
_EXACT = decimal.Context(prec=100, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation, decimal.Overflow])

Slot = tuple[str, int]
#: a line's identity across an invoice and its corrections: point, register, zone
LineKey = tuple[UUID, str, int]


class PriceMissing(LookupError):
    """No tariff (or zone coefficient) was in force for the period."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"no {field} {value} in force")
        self.field = field
        self.value = value


@dataclass(frozen=True)
class Meter:
    """A metering point as billing needs it."""

    point_id: UUID
    meter_serial: str
    zones: int
    digits: int
    ct_ratio: Decimal
    vt_ratio: Decimal
    registers: tuple[str, ...]
    tariff_class: str
    active: bool = True

    def slots(self) -> tuple[Slot, ...]:
        """The registers and zones a period's readings must cover: active energy first, zones in order."""
        return _slots(self.registers, self.zones)


@functools.cache  # a handful of meter kinds, thousands of meters in a billing run
def _slots(registers: tuple[str, ...], zones: int) -> tuple[Slot, ...]:
    ordered = [energy for energy in (ACTIVE, REACTIVE) if energy in registers]
    return tuple((energy, zone) for energy in ordered for zone in range(1, zones + 1))


class MeterReading(NamedTuple):
    """A named tuple, like `Line`."""

    point_id: UUID
    energy: str
    zone: int
    previous: Decimal
    current: Decimal
    rollover: bool


@dataclass(frozen=True)
class TariffPrice:
    tariff_class: str
    energy: str
    price: Decimal
    effective_from: date


@dataclass(frozen=True)
class Coefficient:
    zones: int
    zone: int
    coefficient: Decimal
    effective_from: date


def _in_force(history: Sequence[tuple[date, Decimal]], day: date) -> Decimal | None:
    """The value with the latest effective date not after `day` (history sorted by date)."""
    found = None
    for effective_from, value in history:
        if effective_from > day:
            break
        found = value
    return found


class PriceList:
    """Tariffs and zone coefficients with their histories; answers what was in force on a day."""

    def __init__(self, tariffs: Iterable[TariffPrice], coefficients: Iterable[Coefficient]) -> None:
        self._tariffs: dict[tuple[str, str], list[tuple[date, Decimal]]] = {}
        for tariff in tariffs:
            self._tariffs.setdefault((tariff.tariff_class, tariff.energy), []).append(
                (tariff.effective_from, tariff.price))
        self._coefficients: dict[tuple[int, int], list[tuple[date, Decimal]]] = {}
        for coefficient in coefficients:
            self._coefficients.setdefault((coefficient.zones, coefficient.zone), []).append(
                (coefficient.effective_from, coefficient.coefficient))
        for history in (*self._tariffs.values(), *self._coefficients.values()):
            history.sort()
        self._zone_prices: dict[tuple[str, str, int, int, date], tuple[Decimal, Decimal, Decimal]] = {}

    def tariff(self, tariff_class: str, energy: str, day: date) -> Decimal:
        price = _in_force(self._tariffs.get((tariff_class, energy), ()), day)
        if price is None:
            raise PriceMissing("tariff_class", f"{tariff_class}/{energy}")
        return price

    def coefficient(self, energy: str, zones: int, zone: int, day: date) -> Decimal:
        if energy == REACTIVE:
            return REACTIVE_COEFFICIENT
        coefficient = _in_force(self._coefficients.get((zones, zone), ()), day)
        if coefficient is None:
            raise PriceMissing("zones", f"{zones}/{zone}")
        return coefficient

    def zone_price(self, tariff_class: str, energy: str, zones: int, zone: int, day: date) -> tuple[
            Decimal, Decimal, Decimal]:
        """The tariff, the zone coefficient and the zone price (the two multiplied, exact) of a line; kept once
        worked out, as a billing run's batch prices thousands of lines with a handful of them."""
        key = (tariff_class, energy, zones, zone, day)
        found = self._zone_prices.get(key)
        if found is None:
            tariff = self.tariff(tariff_class, energy, day)
            coefficient = self.coefficient(energy, zones, zone, day)
            found = self._zone_prices[key] = (tariff, coefficient, _EXACT.multiply(tariff, coefficient))
        return found


class Line(NamedTuple):
    """A named tuple rather than a frozen dataclass: as immutable and three times as fast to make, and a billing
    run makes hundreds of thousands."""

    point_id: UUID
    meter_serial: str
    tariff_class: str
    energy: str
    zones: int
    zone: int
    previous: Decimal
    current: Decimal
    rollover: bool
    ct_ratio: Decimal
    vt_ratio: Decimal
    volume: Decimal
    tariff_price: Decimal
    coefficient: Decimal
    #: the zone price: tariff × coefficient, exact
    price: Decimal
    amount: Decimal

    @property
    def key(self) -> LineKey:
        return (self.point_id, self.energy, self.zone)


@dataclass(frozen=True)
class Totals:
    amount_excl_vat: Decimal
    vat: Decimal
    total: Decimal

    @classmethod
    def of(cls, amounts: Iterable[Decimal]) -> Totals:
        amount_excl_vat = sum(amounts, Decimal("0.00"))
        vat = vat_of(amount_excl_vat)
        return cls(amount_excl_vat, vat, amount_excl_vat + vat)

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.amount_excl_vat - other.amount_excl_vat, self.vat - other.vat, self.total - other.total)

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.amount_excl_vat + other.amount_excl_vat, self.vat + other.vat, self.total + other.total)


ZERO_TOTALS = Totals(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


@dataclass(frozen=True)
class Calculation:
    lines: tuple[Line, ...]
    totals: Totals


def to_kopecks(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=_EXACT)


def missing_meters(meters: Iterable[Meter], readings: Iterable[MeterReading]) -> list[Meter]:
    """The active meters whose every register and zone has no accepted reading for the period, in serial order."""
    read = {(reading.point_id, reading.energy, reading.zone) for reading in readings}
    return sorted(
        (meter for meter in meters
         if meter.active and any((meter.point_id, *slot) not in read for slot in meter.slots())),
        key=lambda meter: meter.meter_serial,
    )


def calculate(meters: Iterable[Meter], readings: Iterable[MeterReading], prices: PriceList,
              period_start: date) -> Calculation:
    """The invoice of a period: a line for each register and zone of every meter whose readings are complete
    (active or retired: a meter retired after its readings were accepted is still billed for them)."""
    by_slot: Mapping[LineKey, MeterReading] = {
        (reading.point_id, reading.energy, reading.zone): reading for reading in readings
    }
    lines: list[Line] = []
    for meter in sorted(meters, key=lambda meter: meter.meter_serial):
        slots = meter.slots()
        taken = [by_slot.get((meter.point_id, *slot)) for slot in slots]
        if not slots or any(reading is None for reading in taken):
            continue
        ratio = _EXACT.multiply(meter.ct_ratio, meter.vt_ratio)
        for reading in taken:
            assert reading is not None
            tariff_price, coefficient, price = prices.zone_price(meter.tariff_class, reading.energy, meter.zones,
                                                                 reading.zone, period_start)
            difference = meter_volume(reading.previous, reading.current, rollover=reading.rollover,
                                      digits=meter.digits)
            volume = _EXACT.multiply(difference, ratio)
            lines.append(Line(
                point_id=meter.point_id, meter_serial=meter.meter_serial, tariff_class=meter.tariff_class,
                energy=reading.energy, zones=meter.zones, zone=reading.zone, previous=reading.previous,
                current=reading.current, rollover=reading.rollover, ct_ratio=meter.ct_ratio,
                vt_ratio=meter.vt_ratio, volume=volume, tariff_price=tariff_price, coefficient=coefficient,
                price=price, amount=to_kopecks(_EXACT.multiply(volume, price)),
            ))
    return Calculation(tuple(lines), Totals.of(line.amount for line in lines))


def correction(current: Calculation, invoiced: Sequence[Calculation]) -> Calculation | None:
    """A correcting invoice: what the period comes to now less what its invoices (the regular one and earlier
    corrections) charged, line by line and in the totals; None when nothing changed.

    A line carries the current readings and price, and the difference in volume and amount; a line no longer
    billed is taken back whole. Negative amounts are a credit to the consumer.
    """
    charged: dict[LineKey, tuple[Line, Decimal, Decimal]] = {}
    charged_totals = ZERO_TOTALS
    for calculation in invoiced:
        charged_totals = charged_totals + calculation.totals
        for line in calculation.lines:
            _, volume, amount = charged.get(line.key, (line, Decimal(0), Decimal("0.00")))
            charged[line.key] = (line, _EXACT.add(volume, line.volume), amount + line.amount)
    lines: list[Line] = []
    for line in current.lines:
        _, volume, amount = charged.pop(line.key, (line, Decimal(0), Decimal("0.00")))
        lines.append(line._replace(volume=_EXACT.subtract(line.volume, volume), amount=line.amount - amount))
    for last, volume, amount in charged.values():
        lines.append(last._replace(volume=-volume, amount=-amount))
    changed = tuple(line for line in lines if line.volume or line.amount)
    totals = current.totals - charged_totals
    if not changed and totals == ZERO_TOTALS:
        return None
    return Calculation(changed, totals)
