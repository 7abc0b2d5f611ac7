"""VAT: 20 % on electricity, rounded down to kopecks on every document."""

from __future__ import annotations

from decimal import Decimal

from shared.vat import VAT_RATE, vat_of


def test_vat_is_rounded_down_to_kopecks() -> None:
    assert Decimal("0.20") == VAT_RATE
    assert vat_of(Decimal("346.56")) == Decimal("69.31")  # the manual's 346.56 + 69.31 = 415.87
    assert vat_of(Decimal("486.83")) == Decimal("97.36")  # half-up would give 97.37
    assert vat_of(Decimal("300.00")) == Decimal("60.00")


def test_a_lowering_correction_rounds_towards_zero() -> None:
    assert vat_of(Decimal("-486.83")) == Decimal("-97.36")


def test_another_rate() -> None:
    assert vat_of(Decimal("250.05"), Decimal("0.07")) == Decimal("17.50")  # 17.5035
