"""Invoice numbers (manual «Счета»): `<account>/<month>/<seq>` (`0789/8/1`); a correcting invoice adds `/П<n>`
(`0064/3/1/П1`)."""

from __future__ import annotations

from billing.domain.periods import month_number

#: a consumer has one regular invoice per period, so its sequence number within the month is always 1
REGULAR_SEQUENCE = 1


def regular_number(account_number: str, period: str) -> str:
    return f"{account_number}/{month_number(period)}/{REGULAR_SEQUENCE}"


def correcting_number(corrected_number: str, correction_no: int) -> str:
    return f"{corrected_number}/П{correction_no}"
