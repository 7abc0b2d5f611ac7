"""Applying payments to invoices (manual «Деньги → Платежи»): pure rules, no I/O.

- A payment goes first to the invoices its purpose names ("оплата за е/е сч № 0789/7/1 от 25.07.2013"), when they
  are among the consumer's open ones, then to the oldest open invoices; what is left stays with the payment as the
  consumer's **credit** (overpayment) and is applied to invoices issued later, oldest credit first.
- Every allocation belongs to one payment, also when it was made later from that payment's credit; so a payment's
  amount is always the sum of its allocations plus its credit, and a reversal (the bank returned the payment)
  takes back exactly what the payment paid. The invoices it reopens then take the credit other payments have.
- Saldo = invoiced − paid: positive is debt, negative overpayment.

Money is `Decimal` in UAH; amounts are split in whole kopecks because payments and balances are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Protocol
from uuid import UUID

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice of one consumer with what is left to pay on it."""

    id: UUID
    #: `<account>/<month>/<seq>` or `…/П<n>`
    number: str
    #: the formation date: oldest first; invoices formed the same day keep the order they are given in
    formed_on: date
    #: total − paid; nothing is allocated to an invoice whose balance is not positive
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: UUID
    invoice_number: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AllocationResult:
    allocations: tuple[Allocation, ...]
    #: what was not allocated: stays with the payment as the consumer's credit
    credit: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), ZERO)


@dataclass(frozen=True, slots=True)
class Credit:
    """The unallocated part of one payment."""

    payment_id: UUID
    #: oldest credit is used first; the same day keeps the given order
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CreditAllocation:
    """Part of a payment's credit applied to an invoice: an allocation of that payment."""

    payment_id: UUID
    allocation: Allocation


@dataclass(frozen=True, slots=True)
class CreditResult:
    allocations: tuple[CreditAllocation, ...]
    #: what is left of each credit, in the order given (spent ones have amount 0)
    credits: tuple[Credit, ...]
    #: the invoices with their balances after the credit (all given, in the order given)
    invoices: tuple[OpenInvoice, ...]


class PaymentFacts(Protocol):
    """What identifies a payment's effect: a stored payment and an incoming message both have these."""

    @property
    def account_number(self) -> str: ...

    @property
    def amount(self) -> Decimal: ...

    @property
    def paid_on(self) -> date: ...


#: the facts that must agree when a RES system delivers the same payment id again
_MATERIAL_FACTS = ("account_number", "amount", "paid_on")


def conflicting_facts(stored: PaymentFacts, again: PaymentFacts) -> tuple[str, ...]:
    """The facts in which a payment delivered again under the same id differs from the one stored.

    Empty: the same payment (it changes nothing and is acknowledged like the first time); otherwise the
    repeated message is refused, naming these fields.
    """
    return tuple(name for name in _MATERIAL_FACTS if getattr(stored, name) != getattr(again, name))


def allocate_payment(
    amount: Decimal, open_invoices: Sequence[OpenInvoice], *, named: Sequence[str] = ()
) -> AllocationResult:
    """Split a payment over a consumer's invoices: the `named` ones first (in the order named; invoice numbers as
    `invoice_numbers_in` returns them), then the oldest open; the rest is credit.

    `open_invoices` are the consumer's own, so a number naming another consumer's invoice finds nothing here
    and the payment simply goes to the oldest open ones.
    """
    if amount <= 0:
        raise ValueError(f"a payment amount is positive, not {amount}")
    remaining = amount
    allocations = []
    for invoice in _payment_order(open_invoices, named):
        if remaining <= 0:
            break
        if invoice.balance <= 0:
            continue
        share = min(invoice.balance, remaining)
        allocations.append(Allocation(invoice.id, invoice.number, share))
        remaining -= share
    return AllocationResult(tuple(allocations), remaining)


def apply_credit(credits: Sequence[Credit], open_invoices: Sequence[OpenInvoice]) -> CreditResult:
    """Apply the consumer's credit (oldest first) to open invoices (oldest first): when an invoice is issued,
    and when a reversal reopens invoices."""
    balances = {invoice.id: invoice.balance for invoice in open_invoices}
    applied: list[CreditAllocation] = []
    left: dict[int, Credit] = {}
    for index, credit in sorted(enumerate(credits), key=lambda item: (item[1].paid_on, item[0])):
        remaining = credit.amount
        if remaining > 0 and any(balance > 0 for balance in balances.values()):
            result = allocate_payment(remaining, [replace(i, balance=balances[i.id]) for i in open_invoices])
            for allocation in result.allocations:
                balances[allocation.invoice_id] -= allocation.amount
                applied.append(CreditAllocation(credit.payment_id, allocation))
            remaining = result.credit
        left[index] = replace(credit, amount=remaining)
    return CreditResult(
        tuple(applied),
        tuple(left[index] for index in range(len(credits))),
        tuple(replace(invoice, balance=balances[invoice.id]) for invoice in open_invoices),
    )


def reverse_payment(
    allocations: Sequence[Allocation], invoices: Sequence[OpenInvoice], other_credits: Sequence[Credit]
) -> CreditResult:
    """Undo a payment: give back to the invoices what its `allocations` paid (those made on receipt and those made
    later from its credit); its remaining credit simply leaves with it.

    `invoices` are the consumer's invoices with their current balances: at least every invoice the payment paid,
    and every other open one; `other_credits` what the consumer's other payments still have unallocated. The
    reopened invoices take that credit at once, as a newly issued invoice would: the result's `allocations` are
    those new allocations of the other payments, its `invoices` the balances after all of it.
    """
    balances = {invoice.id: invoice.balance for invoice in invoices}
    for allocation in allocations:
        if allocation.invoice_id not in balances:
            raise ValueError(f"invoice {allocation.invoice_number} of the payment's allocation was not given")
        balances[allocation.invoice_id] += allocation.amount
    return apply_credit(other_credits, [replace(invoice, balance=balances[invoice.id]) for invoice in invoices])


def _payment_order(open_invoices: Sequence[OpenInvoice], named: Sequence[str]) -> list[OpenInvoice]:
    first: dict[UUID, OpenInvoice] = {}
    if named:  # most purposes name none
        by_number = {_normal_number(invoice.number): invoice for invoice in open_invoices}
        for number in named:
            invoice = by_number.get(_normal_number(number))
            if invoice is not None:
                first.setdefault(invoice.id, invoice)
    rest = sorted((invoice for invoice in open_invoices if invoice.id not in first), key=lambda i: i.formed_on)
    return [*first.values(), *rest]


# Reading invoice numbers out of payment purposes
#
# Purposes are free text typed in bank clients, in Ukrainian, Russian or transliterated, often with Latin letters
# standing in for Cyrillic look-alikes ("cч", "paх."). The text is folded to Cyrillic look-alikes first, then an
# invoice number `<account>/<month>/<seq>[/П<n>]` counts when a keyword ("рах.", "рахунок", "сч", "счет",
# "invoice"...) comes before it, or when its account part is the payer's own account number. A date such as
# 25/07/2013 is no invoice number: the sequence part has at most three digits.

_LOOK_ALIKES = str.maketrans("AaBCcEeHKkMOoPpTXxYy", "АаВСсЕеНКкМОоРрТХхУу")


def _fold(text: str) -> str:
    return text.translate(_LOOK_ALIKES).replace("\xa0", " ").lower()


_KEYWORDS = ("рахунок", "рахунку", "рахунка", "рахунком", "рах", "р-к", "р/ф", "с/ф", "счет", "счёт", "счета",
             "счету", "сч", "invoice", "inv", "rakhunok", "rah")
_KEYWORD = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(_fold(k)) for k in _KEYWORDS) + r")(?![\w])")
# a further number in a list after a named one: "сч № 0789/7/1, 0789/8/1"
_LIST_GAP = re.compile(r"\s*(?:" + "|".join(re.escape(_fold(w)) for w in (",", ";", "+", "&", "та", "і", "и", "and"))
                       + r")\s*(?:" + "|".join(re.escape(_fold(w)) for w in ("№", "N", "No", "#")) + r")?\s*\.?\s*")
# `\d` with re.ASCII: only 0-9 make an invoice number
_NUMBER = re.compile(r"(?<![\w/])(\d{1,20})\s?/\s?(\d{1,2})\s?/\s?(\d{1,3})(?:\s?/\s?([пр])\s?(\d{1,3}))?(?![\w/])",
                     re.ASCII | re.IGNORECASE)
#: how far before a number its keyword may stand: "рахунок № ", "сч. N "
_KEYWORD_REACH = 16


def invoice_numbers_in(purpose: str, *, account_number: str | None = None) -> tuple[str, ...]:
    """The invoice numbers a payment's purpose names, in order, normalized (`0789/7/1`, `0064/3/1/П1`).

    `account_number` (the payer's account) also admits numbers of that account written without a keyword.
    """
    text = _fold(purpose)
    own_account = account_number.lstrip("0") if account_number else None
    found: list[str] = []
    previous_end: int | None = None
    for match in _NUMBER.finditer(text):
        account, month, sequence, correction_letter, correction = match.groups()
        if not 1 <= int(month) <= 12:
            continue
        before = text[max(previous_end or 0, match.start() - _KEYWORD_REACH):match.start()]
        in_list = previous_end is not None and _LIST_GAP.fullmatch(text[previous_end:match.start()]) is not None
        if not (_KEYWORD.search(before) or in_list or account.lstrip("0") == own_account):
            continue
        number = f"{account}/{int(month)}/{int(sequence)}"
        if correction_letter:
            number += f"/П{int(correction)}"
        if number not in found:
            found.append(number)
        previous_end = match.end()
    return tuple(found)


_CORRECTION_LETTERS = ("П", "п", "P", "p", "Р", "р")


@lru_cache(maxsize=65536)  # every payment compares its purpose's numbers with the consumer's open invoices
def _normal_number(number: str) -> str:
    """Numbers compare without spaces, leading zeros, or a Latin P for П."""
    parts = number.replace(" ", "").split("/")
    if len(parts) < 3:
        return number.strip()
    head = [part.lstrip("0") or "0" for part in parts[:3]]
    tail = ["П" + part[1:] if part[:1] in _CORRECTION_LETTERS else part for part in parts[3:]]
    return "/".join(head + tail)
