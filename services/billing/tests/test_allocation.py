"""Applying payments: invoice numbers read from purposes, allocation, credit, reversal — by example, and by
property over any sequence of invoices, payments, repeated deliveries and reversals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.allocation import (
    Allocation,
    Credit,
    OpenInvoice,
    allocate_payment,
    apply_credit,
    conflicting_facts,
    invoice_numbers_in,
    reverse_payment,
)
from shared.contracts.res import PaymentReceived

D = Decimal


def invoice(number: str, formed_on: date, balance: str) -> OpenInvoice:
    return OpenInvoice(uuid.uuid4(), number, formed_on, D(balance))


JUNE = invoice("0789/6/1", date(2013, 6, 25), "471.68")
JULY = invoice("0789/7/1", date(2013, 7, 25), "376.10")
AUGUST = invoice("0789/8/1", date(2013, 8, 25), "415.87")


# invoice numbers in purposes

@pytest.mark.parametrize(
    ("purpose", "numbers"),
    [
        # the manual's payment
        ("оплата за акт электр согл сч № 0789/7/1 от 25.07.2013 плат-к Кооператив Автомобилист-2, ч/з Куниин Леонид "
         "Маркович, ПАТ ДТЕК ПЕМ-Енергогюль,260353011531", ("0789/7/1",)),
        ("оплата за е/е сч № 0789/7/1 от 25.07.2013", ("0789/7/1",)),
        ("рах. №0789/7/1/П1", ("0789/7/1/П1",)),
        ("рахунок 0789/7/1", ("0789/7/1",)),
        ("Сплата згідно рахунку № 0064/3/1/П1 від 15.03.2014, у т.ч. ПДВ", ("0064/3/1/П1",)),
        # Latin look-alikes typed for Cyrillic ("c", "o", "p", "a", "x"), Latin P for П, leading zeros
        ("oплата за е/е cч N 0789/07/01 вiд 25/07/2013", ("0789/7/1",)),
        ("paх.0064/3/1/P1", ("0064/3/1/П1",)),
        ("Oplata rah. 0789/8/1", ("0789/8/1",)),
        ("invoice No. 0789/8/1", ("0789/8/1",)),
        ("СЧЕТ 0789 / 8 / 1", ("0789/8/1",)),
        # several invoices in one purpose, in the order named
        ("рах. 0789/8/1, 0789/7/1 та 0789/6/1", ("0789/8/1", "0789/7/1", "0789/6/1")),
        # no invoice: dates, a month that is none, a longer path, numbers without a keyword
        ("оплата за електроенергію 25/07/2013", ()),
        ("рах 0789/13/1", ()),
        ("счет № 0789/7/1/2013", ()),
        ("оплата 0789/7/1", ()),
        ("", ()),
    ],
)
def test_invoice_numbers_are_read_from_purposes(purpose: str, numbers: tuple[str, ...]) -> None:
    assert invoice_numbers_in(purpose) == numbers


def test_the_payers_own_account_makes_a_number_count_without_a_keyword() -> None:
    assert invoice_numbers_in("оплата 0789/7/1 від 25/07/2013", account_number="0789") == ("0789/7/1",)
    assert invoice_numbers_in("оплата 0064/7/1", account_number="0789") == ()


# allocation

def test_a_payment_goes_to_the_named_invoice_first_then_the_oldest() -> None:
    result = allocate_payment(D("500.00"), [JUNE, JULY, AUGUST], named=["0789/7/1"])
    assert [(a.invoice_number, a.amount) for a in result.allocations] == [("0789/7/1", D("376.10")),
                                                                          ("0789/6/1", D("123.90"))]
    assert result.credit == D("0.00")
    assert result.allocated == D("500.00")


def test_without_a_name_the_oldest_invoice_is_paid_first_and_a_partial_payment_leaves_a_balance() -> None:
    result = allocate_payment(D("100.00"), [AUGUST, JULY, JUNE])
    assert result.allocations == (Allocation(JUNE.id, "0789/6/1", D("100.00")),)
    assert result.credit == D("0.00")


def test_an_overpayment_stays_as_credit() -> None:
    result = allocate_payment(D("1300.00"), [JUNE, JULY, AUGUST])
    assert [a.amount for a in result.allocations] == [D("471.68"), D("376.10"), D("415.87")]
    assert result.credit == D("36.35")
    assert allocate_payment(D("10.00"), []).credit == D("10.00")


def test_a_named_invoice_that_is_paid_or_not_the_consumers_is_passed_over() -> None:
    paid_july = replace(JULY, balance=D("0.00"))
    result = allocate_payment(D("50.00"), [JUNE, paid_july, AUGUST], named=["0789/7/1", "0064/3/1"])
    assert result.allocations == (Allocation(JUNE.id, "0789/6/1", D("50.00")),)


def test_named_numbers_match_however_they_are_written() -> None:
    correction = invoice("0064/3/1/П1", date(2014, 3, 15), "10.00")
    older = invoice("0064/2/1", date(2014, 2, 15), "10.00")
    result = allocate_payment(D("10.00"), [older, correction], named=invoice_numbers_in("paх. 0064/03/01/P1"))
    assert result.allocations == (Allocation(correction.id, "0064/3/1/П1", D("10.00")),)


def test_a_payment_is_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        allocate_payment(D("0.00"), [JUNE])


# credit and reversal

def test_credit_is_applied_to_a_new_invoice_oldest_credit_first() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    credits = [Credit(second, date(2013, 8, 2), D("400.00")), Credit(first, date(2013, 8, 1), D("100.00"))]
    result = apply_credit(credits, [AUGUST])
    assert [(c.payment_id, c.allocation.amount) for c in result.allocations] == [(first, D("100.00")),
                                                                                 (second, D("315.87"))]
    assert [c.amount for c in result.credits] == [D("84.13"), D("0.00")]
    assert result.invoices == (replace(AUGUST, balance=D("0.00")),)


def test_a_reversal_reopens_what_the_payment_paid_and_other_credit_fills_it() -> None:
    other = uuid.uuid4()
    paid_june, paid_july = replace(JUNE, balance=D("0.00")), replace(JULY, balance=D("0.00"))
    allocations = [Allocation(JUNE.id, JUNE.number, D("471.68")), Allocation(JULY.id, JULY.number, D("100.00"))]
    result = reverse_payment(allocations, [paid_june, paid_july], [Credit(other, date(2013, 8, 1), D("500.00"))])
    assert [(c.payment_id, c.allocation.invoice_number, c.allocation.amount) for c in result.allocations] == [
        (other, "0789/6/1", D("471.68")), (other, "0789/7/1", D("28.32"))]
    assert [i.balance for i in result.invoices] == [D("0.00"), D("71.68")]
    assert result.credits[0].amount == D("0.00")


def test_a_reversal_needs_every_invoice_the_payment_paid() -> None:
    with pytest.raises(ValueError, match="0789/6/1"):
        reverse_payment([Allocation(JUNE.id, JUNE.number, D("1.00"))], [JULY], [])


# repeated deliveries

def payment(**changes: Any) -> PaymentReceived:
    data: dict[str, Any] = {
        "res_payment_id": "RES-1", "account_number": "0789", "amount": "376.10", "paid_on": "2013-07-31",
        "payer_iban": "UA213223130000026007233566001", "bank": "Ощадбанк", "mfo": "335106",
        "purpose": "оплата за е/е сч № 0789/7/1 от 25.07.2013", "document_number": "@2PL998327",
    }
    return PaymentReceived.model_validate({**data, **changes})


def test_a_payment_delivered_again_is_the_same_unless_its_facts_differ() -> None:
    assert conflicting_facts(payment(), payment(purpose="оплата", bank="ОЩАДБАНК")) == ()
    assert conflicting_facts(payment(), payment(amount="376.01")) == ("amount",)
    assert conflicting_facts(payment(), payment(account_number="0064", paid_on="2013-08-01")) == (
        "account_number", "paid_on")


# the property: a small pure ledger run through the functions above

@dataclass
class Payment:
    id: uuid.UUID
    amount: Decimal
    paid_on: date
    allocations: list[Allocation] = field(default_factory=list)
    credit: Decimal = Decimal("0.00")
    reversed: bool = False


@dataclass
class Ledger:
    totals: dict[uuid.UUID, tuple[str, date, Decimal]] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    refused: int = 0
    day: date = date(2013, 1, 1)

    def tick(self) -> date:
        self.day += timedelta(days=1)
        return self.day

    def active(self) -> list[Payment]:
        return [p for p in self.payments.values() if not p.reversed]

    def paid(self, invoice_id: uuid.UUID) -> Decimal:
        return sum((a.amount for p in self.active() for a in p.allocations if a.invoice_id == invoice_id), D("0.00"))

    def invoices(self) -> list[OpenInvoice]:
        return [OpenInvoice(invoice_id, number, formed_on, total - self.paid(invoice_id))
                for invoice_id, (number, formed_on, total) in self.totals.items()]

    def credits(self, *, but: Payment | None = None) -> list[Payment]:
        return [p for p in self.active() if p is not but and p.credit > 0]

    def take_credit(self, payments: list[Payment], invoices: list[OpenInvoice]) -> None:
        by_id = {p.id: p for p in payments}
        result = apply_credit([Credit(p.id, p.paid_on, p.credit) for p in payments], invoices)
        self._record(by_id, result.allocations, result.credits)

    def _record(self, by_id: dict[uuid.UUID, Payment], allocations: Any, credits: Any) -> None:
        for applied in allocations:
            by_id[applied.payment_id].allocations.append(applied.allocation)
        for credit in credits:
            by_id[credit.payment_id].credit = credit.amount

    def issue(self, total: Decimal) -> None:
        invoice_id = uuid.uuid4()
        formed_on = self.tick()
        self.totals[invoice_id] = (f"0789/{len(self.totals) % 12 + 1}/{len(self.totals) // 12 + 1}", formed_on,
                                   total)
        self.take_credit(self.credits(), [OpenInvoice(invoice_id, self.totals[invoice_id][0], formed_on, total)])

    def receive(self, res_payment_id: str, amount: Decimal, named: int | None) -> None:
        known = self.payments.get(res_payment_id)
        if known is not None:
            # the same id again: no effect; with another amount it is refused
            self.refused += amount != known.amount
            return
        numbers = [self.totals[i][0] for i in self.totals]
        purpose = f"оплата за е/е рах. № {numbers[named % len(numbers)]}" if named is not None and numbers else ""
        result = allocate_payment(amount, self.invoices(), named=invoice_numbers_in(purpose))
        self.payments[res_payment_id] = Payment(uuid.uuid4(), amount, self.tick(), list(result.allocations),
                                                result.credit)

    def reverse(self, res_payment_id: str) -> None:
        returned = self.payments.get(res_payment_id)
        if returned is None or returned.reversed:
            return
        others = self.credits(but=returned)
        result = reverse_payment(returned.allocations, self.invoices(),
                                 [Credit(p.id, p.paid_on, p.credit) for p in others])
        returned.reversed, returned.allocations, returned.credit = True, [], D("0.00")
        self._record({p.id: p for p in others}, result.allocations, result.credits)


cents = st.integers(min_value=1, max_value=60_000).map(lambda c: Decimal(c).scaleb(-2))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), cents),
        # few ids and amounts, so that the same payment is delivered again, with the same or another amount
        st.tuples(st.just("receive"), st.sampled_from(["A", "B", "C", "D", "E"]),
                  st.sampled_from([D("100.00"), D("415.87"), D("1000.00")]) | cents,
                  st.none() | st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("reverse"), st.sampled_from(["A", "B", "C", "D", "E"])),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_money_is_never_lost_nor_made_whatever_happens(steps: list[tuple[Any, ...]]) -> None:
    ledger = Ledger()
    for step in steps:
        getattr(ledger, step[0])(*step[1:])
        active = ledger.active()
        invoices = ledger.invoices()
        # every payment is its allocations plus its credit; together: payments = allocations + credit
        for p in active:
            assert p.amount == sum((a.amount for a in p.allocations), D("0.00")) + p.credit
            assert p.credit >= 0 and all(a.amount > 0 for a in p.allocations)
        # no invoice is paid above its amount
        for i in invoices:
            assert 0 <= i.balance <= ledger.totals[i.id][2]
        # saldo = invoiced − paid agrees with open balances less credit
        open_balance = sum((i.balance for i in invoices), D("0.00"))
        credit = sum((p.credit for p in active), D("0.00"))
        invoiced = sum((t for _, _, t in ledger.totals.values()), D("0.00"))
        assert invoiced - sum((p.amount for p in active), D("0.00")) == open_balance - credit
        # credit never waits while an invoice is open
        assert credit == 0 or open_balance == 0
    # a repeated id counts once
    assert len(ledger.payments) <= 5
