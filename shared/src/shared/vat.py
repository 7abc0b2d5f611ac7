"""Value added tax: the rate on electricity and how VAT is rounded, the same on every document the cabinet issues.

VAT is rounded down to kopecks: that is what gives every row of the manual's tax invoices, 486.83 → 97.36 included
(half-up would give 97.37); towards zero for a correction that lowers an amount.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_DOWN, Decimal

#: VAT on electricity (Tax Code of Ukraine, art. 193)
VAT_RATE = Decimal("0.20")
_KOPECK = Decimal("0.01")
_EXACT = decimal.Context(prec=100, traps=[decimal.InvalidOperation, decimal.Overflow])


def vat_of(amount_excl_vat: Decimal, rate: Decimal = VAT_RATE) -> Decimal:
    """The VAT of an amount without VAT, rounded down to kopecks."""
    return _EXACT.multiply(amount_excl_vat, rate).quantize(_KOPECK, rounding=ROUND_DOWN, context=_EXACT)
