"""The consumers' accounts in one transaction: what payments (and negative correcting invoices) paid on which
invoices, kept in the database as `allocations`, `invoices.paid` and `payments.credit`.

The rules are `billing.domain.allocation`'s; this is where they meet storage, set-based: `load` reads the
unsettled part of many (locked) consumers' accounts in two statements, the rules run in memory, `flush` writes
every change in at most four. Only the unsettled part is ever read — invoices with `paid ≠ total` and payments
with credit left — because the settled part adds nothing to the saldo:

    saldo = Σ totals − Σ applied payments = Σ (total − paid) − Σ credit of payments

A consumer's account is kept settled: credit is applied as soon as there is an open invoice for it (a payment
pays open invoices first, a new invoice takes the credit there is, a reversal's reopened invoices take other
credit), so a consumer never has credit and an open invoice at once.

Whoever uses a consumer's account holds the consumer's row lock (`repositories.consumers.lock_consumers`, ids in
order), so concurrent batches, replicas, billing runs and staff never allocate the same money twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.allocation import (
    ZERO,
    Allocation,
    AllocationResult,
    Credit,
    OpenInvoice,
    allocate_payment,
    apply_credit,
)
from billing.repositories import ledger as ledger_repository

APPLIED = "applied"
PARKED = "parked"
RETURNED = "returned"


class NewToTheAccount(Protocol):
    """A payment as the ledger takes it: a stored one, or one about to be written."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def amount(self) -> Decimal: ...

    @property
    def paid_on(self) -> date: ...


@dataclass
class Books:
    """The unsettled part of one consumer's account."""

    #: invoices with something left to pay, oldest first
    invoices: dict[uuid.UUID, OpenInvoice] = field(default_factory=dict)
    #: what is not allocated yet: payments' credit, and negative correcting invoices' (by the invoice's id)
    credits: dict[uuid.UUID, Credit] = field(default_factory=dict)
    credit_invoices: set[uuid.UUID] = field(default_factory=set)

    @property
    def saldo(self) -> Decimal:
        """Positive: the consumer's debt; negative: their overpayment."""
        owed = sum((invoice.balance for invoice in self.invoices.values()), ZERO)
        return owed - sum((credit.amount for credit in self.credits.values()), ZERO)

    def open_invoices(self) -> list[OpenInvoice]:
        return [invoice for invoice in self.invoices.values() if invoice.balance > 0]


class Ledger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.books: dict[uuid.UUID, Books] = {}
        self._paid: defaultdict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
        self._credit: defaultdict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
        self._allocations: list[dict[str, Any]] = []

    async def load(self, consumer_ids: Iterable[uuid.UUID], *, credited_only: bool = False) -> None:
        """Reads the unsettled accounts of the (locked) consumers not loaded yet; `credited_only`: of those that
        have credit (the others have nothing to settle: issuing looks at a thousand consumers at once)."""
        ids = sorted(set(consumer_ids) - self.books.keys())
        if not ids:
            return
        payments = await ledger_repository.payments_with_credit(self.session, ids)
        if credited_only:
            negative = await ledger_repository.consumers_with_credit_invoices(self.session, ids)
            ids = sorted({row.consumer_id for row in payments} | negative)
            if not ids:
                return
        loaded = {consumer_id: Books() for consumer_id in ids}
        self.books.update(loaded)
        for row in await ledger_repository.unsettled_invoices(self.session, ids):
            books = loaded[row.consumer_id]
            if row.balance > 0:
                books.invoices[row.id] = OpenInvoice(row.id, row.number, row.formed_on, row.balance)
            else:  # a correcting invoice that lowered the amount: credit
                books.credits[row.id] = Credit(row.id, row.formed_on, -row.balance)
                books.credit_invoices.add(row.id)
        for credit in payments:
            assert credit.consumer_id is not None
            loaded[credit.consumer_id].credits[credit.id] = Credit(credit.id, credit.paid_on, credit.credit)
        for books in loaded.values():  # oldest credit first, whichever kind
            if len(books.credits) > 1:
                books.credits = dict(sorted(books.credits.items(), key=lambda item: item[1].paid_on))

    def allocate(self, consumer_id: uuid.UUID, payment: NewToTheAccount, named: Sequence[str]) -> AllocationResult:
        """A payment new to the consumer's account (the caller writes its row with the result's credit)."""
        books = self.books[consumer_id]
        result = allocate_payment(payment.amount, books.open_invoices(), named=named)
        for allocation in result.allocations:
            self._pay(books, allocation, payment_id=payment.id)
        if result.credit > 0:
            books.credits[payment.id] = Credit(payment.id, payment.paid_on, result.credit)
        return result

    def settle(self, consumer_id: uuid.UUID) -> None:
        """Applies the consumer's credit (oldest first) to their open invoices (oldest first)."""
        books = self.books[consumer_id]
        open_invoices = books.open_invoices()
        if not books.credits or not open_invoices:
            return
        result = apply_credit(list(books.credits.values()), open_invoices)
        for used in result.allocations:
            source = used.payment_id
            if source in books.credit_invoices:
                self._pay(books, used.allocation, credit_invoice_id=source)
                self._paid[source] -= used.allocation.amount  # its paid goes down towards its (negative) total
            else:
                self._pay(books, used.allocation, payment_id=source)
                self._credit[source] -= used.allocation.amount
        books.credits = {credit.payment_id: credit for credit in result.credits if credit.amount > 0}

    async def reverse(self, consumer_id: uuid.UUID, payment_id: uuid.UUID) -> Decimal:
        """Takes back everything the (locked, applied) payment paid and what credit it had; the invoices it paid
        take the consumer's other credit. The amount taken back from invoices; the caller marks the payment."""
        books = self.books[consumer_id]
        books.credits.pop(payment_id, None)
        taken_back = ZERO
        for row in await ledger_repository.paid_by(self.session, payment_id):
            invoice = books.invoices.get(row.id) or OpenInvoice(row.id, row.number, row.formed_on, ZERO)
            books.invoices[row.id] = replace(invoice, balance=invoice.balance + row.amount)
            self._paid[row.id] -= row.amount
            taken_back += row.amount
        books.invoices = dict(sorted(books.invoices.items(), key=lambda item: item[1].formed_on))
        await ledger_repository.delete_allocations(self.session, payment_id)
        self.settle(consumer_id)
        return taken_back

    def _pay(self, books: Books, allocation: Allocation, *, payment_id: uuid.UUID | None = None,
             credit_invoice_id: uuid.UUID | None = None) -> None:
        invoice = books.invoices[allocation.invoice_id]
        books.invoices[invoice.id] = replace(invoice, balance=invoice.balance - allocation.amount)
        self._paid[invoice.id] += allocation.amount
        self._allocations.append({"payment_id": payment_id, "credit_invoice_id": credit_invoice_id,
                                  "invoice_id": invoice.id, "amount": allocation.amount})

    async def flush(self) -> None:
        """Writes what changed since the last flush (after the rows of new payments: allocations name them)."""
        await ledger_repository.add_to_column(self.session, "invoices", "paid", self._paid)
        await ledger_repository.add_to_column(self.session, "payments", "credit", self._credit)
        await ledger_repository.insert_allocations(self.session, self._allocations)
        self._paid.clear()
        self._credit.clear()
        self._allocations = []

