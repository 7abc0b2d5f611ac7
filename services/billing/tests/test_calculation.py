"""The calculation (pure): exact money for one-, two- and three-zone meters, transformer ratios, roll-over, tariffs
changing in history, reactive energy, rounding, and correcting invoices; a property test that lines always add up
to the totals."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.calculation import (
    Calculation,
    Coefficient,
    Meter,
    MeterReading,
    PriceList,
    PriceMissing,
    TariffPrice,
    Totals,
    calculate,
    correction,
    missing_meters,
    to_kopecks,
)
from billing.domain.numbering import correcting_number, regular_number
from billing.domain.periods import billing_date, current_period, first_day, is_due, period_of

AUGUST = date(2013, 8, 1)
COEFFICIENTS = [
    Coefficient(1, 1, Decimal("1.0"), date(2013, 1, 1)),
    Coefficient(2, 1, Decimal("1.5"), date(2013, 1, 1)), Coefficient(2, 2, Decimal("0.4"), date(2013, 1, 1)),
    Coefficient(3, 1, Decimal("1.68"), date(2013, 1, 1)), Coefficient(3, 2, Decimal("1.02"), date(2013, 1, 1)),
    Coefficient(3, 3, Decimal("0.35"), date(2013, 1, 1)),
]


def prices(price: str = "1.444000", *, reactive: str | None = None, since: date = date(2013, 1, 1)) -> PriceList:
    tariffs = [TariffPrice("class2", "active", Decimal(price), since)]
    if reactive:
        tariffs.append(TariffPrice("class2", "reactive", Decimal(reactive), since))
    return PriceList(tariffs, COEFFICIENTS)


def meter(zones: int = 1, *, digits: int = 6, ct: str = "1", vt: str = "1", reactive: bool = False,
          serial: str = "0123456") -> Meter:
    return Meter(uuid.uuid4(), serial, zones, digits, Decimal(ct), Decimal(vt),
                 ("active", "reactive") if reactive else ("active",), "class2")


def reading(of: Meter, zone: int, previous: str, current: str, *, energy: str = "active",
            rollover: bool = False) -> MeterReading:
    return MeterReading(of.point_id, energy, zone, Decimal(previous), Decimal(current), rollover)


def amounts(calculation: Calculation) -> list[Decimal]:
    return [line.amount for line in calculation.lines]


def test_one_zone_meter_gives_the_manuals_invoice() -> None:
    point = meter()
    result = calculate([point], [reading(point, 1, "1000", "1240")], prices(), AUGUST)
    [line] = result.lines
    assert (line.volume, line.price, line.amount) == (Decimal(240), Decimal("1.444"), Decimal("346.56"))
    # 20 % of 346.56 is 69.312: VAT is rounded once, on the sum, and the lines add up to the totals
    assert result.totals == Totals(Decimal("346.56"), Decimal("69.31"), Decimal("415.87"))


def test_two_zone_meter_prices_day_and_night_by_their_coefficients() -> None:
    point = meter(2)
    result = calculate([point], [reading(point, 1, "500", "600"), reading(point, 2, "300", "350")], prices(), AUGUST)
    assert [(line.zone, line.price, line.amount) for line in result.lines] == [
        (1, Decimal("2.166"), Decimal("216.60")), (2, Decimal("0.5776"), Decimal("28.88")),
    ]
    # 20 % of 245.48 is 49.096: VAT is rounded down, as in the manual's rows
    assert result.totals == Totals(Decimal("245.48"), Decimal("49.09"), Decimal("294.57"))


def test_three_zone_meter_rounds_each_line_once() -> None:
    point = meter(3)
    result = calculate([point], [reading(point, 1, "0", "10"), reading(point, 2, "0", "33"),
                                 reading(point, 3, "0", "7")], prices("1.234567"), AUGUST)
    # 20.7407256, 41.55552522 and 3.02468915 rounded line by line, not their sum (65.32080997)
    assert amounts(result) == [Decimal("20.74"), Decimal("41.56"), Decimal("3.02")]
    assert [line.price for line in result.lines] == [Decimal("2.07407256"), Decimal("1.25925834"),
                                                    Decimal("0.43209845")]
    assert result.totals == Totals(Decimal("65.32"), Decimal("13.06"), Decimal("78.38"))


def test_transformer_ratios_multiply_the_meter_difference() -> None:
    point = meter(ct="40", vt="100")  # CT 200/5, VT 10 kV/100 V
    result = calculate([point], [reading(point, 1, "1234.5", "1247.0")], prices(), AUGUST)
    [line] = result.lines
    assert line.volume == Decimal(50000)
    assert result.totals == Totals(Decimal("72200.00"), Decimal("14440.00"), Decimal("86640.00"))


def test_a_meter_rolled_over_counts_past_its_maximum() -> None:
    point = meter(digits=5)
    result = calculate([point], [reading(point, 1, "99950", "30", rollover=True)], prices(), AUGUST)
    assert result.lines[0].volume == Decimal(80)
    assert result.totals.amount_excl_vat == Decimal("115.52")


def test_a_reading_below_the_previous_without_roll_over_is_refused() -> None:
    point = meter()
    with pytest.raises(ValueError, match="below the previous"):
        calculate([point], [reading(point, 1, "1240", "1000")], prices(), AUGUST)


def test_the_tariff_in_force_on_the_first_day_of_the_period_decides() -> None:
    point = meter()
    history = PriceList([
        TariffPrice("class2", "active", Decimal("1.200000"), date(2013, 1, 1)),
        TariffPrice("class2", "active", Decimal("1.500000"), date(2013, 9, 1)),
        TariffPrice("class2", "active", Decimal("1.444000"), date(2013, 8, 1)),
    ], COEFFICIENTS)
    readings = [reading(point, 1, "1000", "1240")]
    by_month = {month: calculate([point], readings, history, date(2013, month, 1)).totals.amount_excl_vat
                for month in (7, 8, 9, 10)}
    assert by_month == {7: Decimal("288.00"), 8: Decimal("346.56"), 9: Decimal("360.00"), 10: Decimal("360.00")}
    with pytest.raises(PriceMissing) as missing:
        calculate([point], readings, history, date(2012, 12, 1))
    assert (missing.value.field, missing.value.value) == ("tariff_class", "class2/active")


def test_zone_coefficients_have_a_history_too() -> None:
    point = meter(2)
    history = PriceList([TariffPrice("class2", "active", Decimal("1"), date(2013, 1, 1))], [
        *COEFFICIENTS, Coefficient(2, 2, Decimal("0.5"), date(2013, 9, 1)),
    ])
    readings = [reading(point, 1, "0", "100"), reading(point, 2, "0", "100")]
    assert amounts(calculate([point], readings, history, AUGUST)) == [Decimal("150.00"), Decimal("40.00")]
    assert amounts(calculate([point], readings, history, date(2013, 9, 1))) == [Decimal("150.00"), Decimal("50.00")]


def test_reactive_energy_is_billed_at_the_reactive_tariff_without_zone_coefficients() -> None:
    point = meter(2, reactive=True)
    result = calculate([point], [
        reading(point, 1, "0", "100"), reading(point, 2, "0", "50"),
        reading(point, 1, "0", "40", energy="reactive"), reading(point, 2, "0", "10", energy="reactive"),
    ], prices(reactive="0.150000"), AUGUST)
    assert [(line.energy, line.zone, line.amount) for line in result.lines] == [
        ("active", 1, Decimal("216.60")), ("active", 2, Decimal("28.88")),
        ("reactive", 1, Decimal("6.00")), ("reactive", 2, Decimal("1.50")),
    ]
    with pytest.raises(PriceMissing):
        calculate([point], [reading(point, zone, "0", "1", energy=energy) for zone in (1, 2)
                            for energy in ("active", "reactive")], prices(), AUGUST)


def test_line_amounts_round_half_up() -> None:
    point = meter()
    result = calculate([point], [reading(point, 1, "0", "1")], prices("1.005000"), AUGUST)
    assert result.lines[0].amount == Decimal("1.01")  # banker's rounding would give 1.00
    assert to_kopecks(Decimal("0.125")) == Decimal("0.13")


def test_meters_without_every_zone_read_are_missing_and_not_billed() -> None:
    read, half_read, unread = meter(1, serial="A"), meter(2, serial="B"), meter(1, serial="C")
    retired = Meter(uuid.uuid4(), "D", 1, 6, Decimal(1), Decimal(1), ("active",), "class2", active=False)
    readings = [reading(read, 1, "0", "10"), reading(half_read, 1, "0", "10")]
    assert missing_meters([unread, half_read, read, retired], readings) == [half_read, unread]
    assert [line.meter_serial for line in calculate([read, half_read, unread], readings, prices(), AUGUST).lines] \
        == ["A"]


def test_a_correction_charges_the_difference_to_what_was_invoiced() -> None:
    point = meter()
    invoiced = calculate([point], [reading(point, 1, "1000", "1240")], prices(), AUGUST)
    corrected = calculate([point], [reading(point, 1, "1000", "1250")], prices(), AUGUST)
    difference = correction(corrected, [invoiced])
    assert difference is not None
    [line] = difference.lines
    assert (line.current, line.volume, line.amount) == (Decimal(1250), Decimal(10), Decimal("14.44"))
    assert difference.totals == Totals(Decimal("14.44"), Decimal("2.89"), Decimal("17.33"))
    # the invoice and its correction come to what the corrected readings do
    assert invoiced.totals + difference.totals == corrected.totals == Totals(
        Decimal("361.00"), Decimal("72.20"), Decimal("433.20"))
    assert correction(corrected, [invoiced, difference]) is None


def test_a_correction_lowering_the_readings_is_a_credit() -> None:
    first, second = meter(serial="A"), meter(serial="B")
    invoiced = calculate([first, second], [reading(first, 1, "0", "100"), reading(second, 1, "0", "50")], prices(),
                         AUGUST)
    # the second meter's readings were entered by mistake: it is taken back whole
    corrected = calculate([first], [reading(first, 1, "0", "90")], prices(), AUGUST)
    difference = correction(corrected, [invoiced])
    assert difference is not None
    assert [(line.meter_serial, line.volume, line.amount) for line in difference.lines] == [
        ("A", Decimal(-10), Decimal("-14.44")), ("B", Decimal(-50), Decimal("-72.20")),
    ]
    assert difference.totals == Totals(Decimal("-86.64"), Decimal("-17.33"), Decimal("-103.97"))


def test_numbers_periods_and_billing_days() -> None:
    assert regular_number("0789", "2013-08") == "0789/8/1"
    assert correcting_number("0064/3/1", 1) == "0064/3/1/П1"
    assert first_day("2013-13") is None and first_day("13-08") is None and first_day("2013-08") == AUGUST
    assert first_day("1899-12") is None and period_of(AUGUST) == "2013-08"
    assert billing_date("2013-08", 25) == date(2013, 8, 25)
    # the rule is shared.business_calendar's: billing writes its period as text
    assert current_period(date(2013, 8, 24), 25) == "2013-07" and current_period(date(2013, 8, 25), 25) == "2013-08"
    assert not is_due("2013-08", 25, date(2013, 8, 24)) and is_due("2013-08", 25, date(2013, 8, 25))


# property: whatever the meters, readings and prices, the lines add up to the totals exactly
values = st.decimals(min_value=0, max_value=Decimal("999999.9999"), places=4)
ratios = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(20000), places=4)
tariffs = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(100), places=6)
coefficients = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(3), places=4)


@st.composite
def billed_meters(draw: st.DrawFn) -> tuple[list[Meter], list[MeterReading]]:
    meters, readings = [], []
    for index in range(draw(st.integers(1, 4))):
        point = Meter(uuid.uuid4(), f"M{index}", draw(st.integers(1, 3)), 6, draw(ratios), draw(ratios),
                      ("active", "reactive") if draw(st.booleans()) else ("active",), "class2")
        meters.append(point)
        for energy, zone in point.slots():
            previous, current = draw(values), draw(values)
            readings.append(MeterReading(point.point_id, energy, zone, previous, current, rollover=current < previous))
    return meters, readings


@st.composite
def price_lists(draw: st.DrawFn) -> PriceList:
    return PriceList(
        [TariffPrice("class2", energy, draw(tariffs), date(2013, 1, 1)) for energy in ("active", "reactive")],
        [Coefficient(zones, zone, draw(coefficients), date(2013, 1, 1))
         for zones in (1, 2, 3) for zone in range(1, zones + 1)],
    )


def assert_adds_up(calculation: Calculation) -> None:
    totals = calculation.totals
    assert sum(amounts(calculation), Decimal(0)) == totals.amount_excl_vat
    assert totals.total == totals.amount_excl_vat + totals.vat
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in (*amounts(calculation), *vars(totals).values()))


@settings(max_examples=300, deadline=None)
@given(billed_meters(), price_lists())
def test_lines_always_add_up_to_the_invoice_total_and_vat(billed: tuple[list[Meter], list[MeterReading]],
                                                          price_list: PriceList) -> None:
    meters, readings = billed
    result = calculate(meters, readings, price_list, AUGUST)
    assert_adds_up(result)
    # VAT is 20 % rounded down to the kopeck: never above it, less than a kopeck below
    exact_vat = result.totals.amount_excl_vat * Decimal("0.20")
    assert result.totals.vat.as_tuple().exponent == -2
    assert Decimal(0) <= exact_vat - result.totals.vat < Decimal("0.01")
    assert len(result.lines) == len(readings)


@settings(max_examples=200, deadline=None)
@given(billed_meters(), billed_meters(), price_lists())
def test_an_invoice_and_its_corrections_always_come_to_the_corrected_calculation(
    before: tuple[list[Meter], list[MeterReading]], after: tuple[list[Meter], list[MeterReading]],
    price_list: PriceList,
) -> None:
    invoiced = calculate(*before, price_list, AUGUST)
    corrected = calculate(*after, price_list, AUGUST)
    difference = correction(corrected, [invoiced])
    if difference is None:
        assert corrected.totals == invoiced.totals
        return
    assert_adds_up(difference)
    assert invoiced.totals + difference.totals == corrected.totals
