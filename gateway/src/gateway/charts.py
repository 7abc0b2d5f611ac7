"""Consumption and invoiced amounts by month, laid out as bar charts the pages draw as inline SVG.

Pure logic, no calls. The figures come from billing's invoices: each line is the volume of one meter, energy and
zone in a period; a correcting invoice's lines are differences, so adding every invoice of a period gives what was
finally invoiced. Geometry is computed here (exact decimals, rounded to a tenth of a pixel), so a template only
places rectangles, and the same figures fill the table shown beside each chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from gateway.billing_client import Invoice

#: months a chart shows, the newest last
MONTHS: Final = 12
WIDTH: Final = 720
HEIGHT: Final = 260
_LEFT: Final = 72
_RIGHT: Final = 8
_TOP: Final = 12
_BOTTOM: Final = 36
#: the part of a month's slot its bars take
_FILL: Final = Decimal("0.8")
_TENTH: Final = Decimal("0.1")
_STEPS: Final = tuple(Decimal(step) for step in ("1", "1.2", "1.5", "2", "2.5", "3", "4", "5", "6", "8", "10"))
_TICKS: Final = 4


@dataclass(frozen=True)
class Series:
    """One bar colour: a meter's zone (consumption) or the invoiced total."""

    index: int
    meter_serial: str = ""
    zones: int = 1
    zone: int = 1
    #: period → value, for the table
    values: tuple[tuple[str, Decimal], ...] = ()

    def value(self, period: str) -> Decimal | None:
        return dict(self.values).get(period)


@dataclass(frozen=True)
class Bar:
    series: int
    period: str
    value: Decimal
    x: str
    y: str
    width: str
    height: str


@dataclass(frozen=True)
class Tick:
    value: Decimal
    y: str


@dataclass(frozen=True)
class PeriodLabel:
    period: str
    #: `08.2013`, the same in every language
    text: str
    x: str


@dataclass(frozen=True)
class Chart:
    periods: list[str]
    series: list[Series]
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[PeriodLabel]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT
    baseline: str = str(HEIGHT - _BOTTOM)
    right_edge: int = WIDTH - _RIGHT

    def __bool__(self) -> bool:
        return bool(self.periods)


def _px(value: Decimal) -> str:
    return str(value.quantize(_TENTH, rounding=ROUND_HALF_UP))


def axis_maximum(highest: Decimal) -> Decimal:
    """The top of the axis: the tick count times the smallest round step (1, 1.2, 1.5, 2 … 8 × 10ⁿ) that reaches the
    highest value, so the bars fill most of the height and the ticks are easy to read."""
    if highest <= 0:
        return Decimal(_TICKS)
    raw_step = highest / _TICKS
    magnitude = Decimal(10) ** (raw_step.adjusted())
    for step in _STEPS:
        if step * magnitude >= raw_step:
            return step * magnitude * _TICKS
    raise AssertionError("the 10 step always covers")  # pragma: no cover


def _layout(periods: list[str], series: list[Series]) -> Chart:
    plot_width = Decimal(WIDTH - _LEFT - _RIGHT)
    plot_height = Decimal(HEIGHT - _TOP - _BOTTOM)
    baseline = Decimal(HEIGHT - _BOTTOM)
    highest = max((value for item in series for _, value in item.values), default=Decimal(0))
    top = axis_maximum(highest)
    slot = plot_width / len(periods) if periods else plot_width
    bar_width = slot * _FILL / max(len(series), 1)
    bars: list[Bar] = []
    labels: list[PeriodLabel] = []
    for position, period in enumerate(periods):
        slot_start = _LEFT + slot * position + slot * (1 - _FILL) / 2
        labels.append(PeriodLabel(period, f"{period[5:7]}.{period[:4]}", _px(_LEFT + slot * position + slot / 2)))
        for item in series:
            value = item.value(period)
            if value is None:
                continue
            # a period credited by a correction below zero is drawn as nothing; the table tells the figure
            height = plot_height * max(value, Decimal(0)) / top
            bars.append(Bar(
                item.index, period, value, _px(slot_start + bar_width * item.index), _px(baseline - height),
                _px(bar_width), _px(height),
            ))
    ticks = [Tick(top * step / _TICKS, _px(baseline - plot_height * step / _TICKS)) for step in range(_TICKS + 1)]
    return Chart(periods, series, bars, ticks, labels)


def _last_periods(periods: Iterable[str]) -> list[str]:
    return sorted(set(periods))[-MONTHS:]


def consumption_chart(invoices: Iterable[Invoice], energy: str = "active") -> Chart:
    """Volume by month for each meter and zone of one energy (kWh for active), over the last invoiced months."""
    volumes: dict[tuple[str, int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for invoice in invoices:
        for line in invoice.lines:
            if line.energy == energy:
                volumes[(line.meter_serial, line.zones or 1, line.zone)][invoice.period] += line.volume
    periods = _last_periods(period for by_period in volumes.values() for period in by_period)
    shown = [
        (key, tuple((period, by_period[period]) for period in periods if period in by_period))
        for key, by_period in sorted(volumes.items())
    ]
    series = [
        Series(index, serial, zones, zone, values)
        for index, ((serial, zones, zone), values) in enumerate(item for item in shown if item[1])
    ]
    return _layout(periods, series)


def amounts_chart(invoices: Iterable[Invoice]) -> Chart:
    """The total invoiced (with VAT, corrections included) by month, over the last invoiced months."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        totals[invoice.period] += invoice.total
    periods = _last_periods(totals)
    if not periods:
        return _layout([], [])
    return _layout(periods, [Series(0, values=tuple((period, totals[period]) for period in periods))])
