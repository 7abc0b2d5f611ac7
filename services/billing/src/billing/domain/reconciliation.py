"""The reconciliation act (акт звірки взаєморозрахунків): a consumer's account with the supplier over a period, as
the supplier's books have it.

The books are billing's ledger: what the consumer owes is everything invoiced less everything paid and not
returned (`billing.ledger`'s saldo). On the supplier's side an invoice (a correcting one that raises the amount) and
a returned payment are **debit** (the consumer owes more); a payment and a correcting invoice that lowers the amount
are **credit**. A balance is positive when the consumer owes the supplier, negative when the supplier owes the
consumer (an overpayment).

The ageing of the debt at the period's end takes the payments as paying the oldest invoices first: what is owed
is the newest invoices' (`days past due` counted from each one's pay-by date).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")
#: the ageing buckets: days past due up to (inclusive); the last has no bound
AGEING_BOUNDS = (30, 60, 90)


class Kind(StrEnum):
    INVOICE = "invoice"
    CORRECTING_INVOICE = "correcting_invoice"
    PAYMENT = "payment"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class Operation:
    """One entry of the consumer's account: `amount` adds to what the consumer owes (negative: takes from it)."""

    on: date
    kind: Kind
    #: the invoice's number, the payment's document number
    document: str
    amount: Decimal
    #: an invoice's pay-by date (for the ageing)
    pay_by: date | None = None

    @property
    def debit(self) -> Decimal:
        return self.amount if self.amount > 0 else ZERO

    @property
    def credit(self) -> Decimal:
        return -self.amount if self.amount < 0 else ZERO


@dataclass(frozen=True, slots=True)
class Ageing:
    """The debt at the period's end by days past due (what is not due yet apart)."""

    not_due: Decimal = ZERO
    up_to_30: Decimal = ZERO
    up_to_60: Decimal = ZERO
    up_to_90: Decimal = ZERO
    over_90: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.not_due + self.up_to_30 + self.up_to_60 + self.up_to_90 + self.over_90


@dataclass(frozen=True, slots=True)
class Reconciliation:
    start: date
    end: date
    opening: Decimal
    operations: Sequence[Operation]
    ageing: Ageing

    @property
    def debit_turnover(self) -> Decimal:
        return sum((operation.debit for operation in self.operations), ZERO)

    @property
    def credit_turnover(self) -> Decimal:
        return sum((operation.credit for operation in self.operations), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit_turnover - self.credit_turnover


def reconcile(operations: Iterable[Operation], start: date, end: date) -> Reconciliation:
    """The act over [start, end] from every operation of the account up to `end` or later (later ones are left
    out); operations of one day keep the order given."""
    history = sorted((operation for operation in operations if operation.on <= end), key=lambda op: op.on)
    opening = sum((operation.amount for operation in history if operation.on < start), ZERO)
    within = [operation for operation in history if operation.on >= start]
    closing = opening + sum((operation.amount for operation in within), ZERO)
    return Reconciliation(start, end, opening, within, ageing(history, closing, end))


def ageing(history: Sequence[Operation], closing: Decimal, end: date) -> Ageing:
    """The closing debt spread over the newest invoices (payments having paid the oldest first)."""
    buckets = [ZERO] * (len(AGEING_BOUNDS) + 2)
    left = closing
    for operation in reversed(history):
        if left <= 0:
            break
        if operation.pay_by is None or operation.amount <= 0:
            continue
        share = min(left, operation.amount)
        left -= share
        buckets[_bucket((end - operation.pay_by).days)] += share
    # what no invoice explains (a payment returned before the day it was paid) counts as the oldest debt
    buckets[-1] += max(left, ZERO)
    return Ageing(*buckets)


def _bucket(days_past_due: int) -> int:
    if days_past_due <= 0:
        return 0
    return 1 + next((index for index, bound in enumerate(AGEING_BOUNDS) if days_past_due <= bound),
                    len(AGEING_BOUNDS))
