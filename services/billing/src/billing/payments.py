"""Payments (manual «Деньги → Платежи»; docs/res-bus-contract.md): received from RES systems and answered, returned,
parked ones assigned or returned by staff; a consumer's payments and saldo.

A payment is taken **exactly once in effect**: its `res_payment_id` is unique in `payments`, and whoever handles
a delivery first locks the consumers of the account numbers concerned, then looks the id up. A second delivery
(another message id, another replica, the same batch) finds the first and is answered again with the payment's
present state; one with another account, amount or day, or from another RES system, is refused (`conflict`) — the
first stands. A return of a payment the RES system did not send is refused (`unknown_payment`). Both are ordinary
answers, not dead letters: the RES system hears them and nothing is wrong in the cabinet. A malformed message never
reaches this module: the bus dead-letters it and `refusal` answers it.

Every answer goes to the RES system the payment came from alone (the routing key of its message named it, and the
payment keeps it), never to the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from billing import metrics
from billing.access import visible_consumer
from billing.domain.allocation import ZERO, Allocation, conflicting_facts, invoice_numbers_in
from billing.ledger import APPLIED, PARKED, RETURNED, Ledger
from billing.models import Payment
from billing.repositories import consumers as consumer_repository
from billing.repositories import payments as payment_repository
from billing.repositories.ledger import allocations_of
from billing.runtime import Runtime
from shared.auth import Principal
from shared.bus import outbox
from shared.bus.subscriptions import id_in_refused_body
from shared.contracts.base import Event
from shared.contracts.billing import Allocation as AllocationOut
from shared.contracts.billing import PaymentAccepted, PaymentParked, PaymentRefused, PaymentReversed
from shared.contracts.res import PaymentReceived, PaymentReturned
from shared.errors import Conflict, Invalid, NotFound

UNKNOWN_ACCOUNT = "unknown_account"
#: how far back the payments listing goes by default: this year and the two before (the manual's «Эти три года»)
LISTED_YEARS = 3
REASON_MAX_LENGTH = 420


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a payment's or return's message: the RES system its routing key named, and its `message_id` as
    sent (None when it set none)."""

    res_system: str
    message_id: str | None


class PaymentMoved(Exception):
    """A parked payment was assigned while its return waited for it; the return is tried again (then the
    consumer's lock is taken first, as everywhere)."""


@dataclass(slots=True)
class NewPayment:
    """A payment met for the first time, before its row is written: plain, since a batch makes hundreds (an ORM
    object each would cost more than the rest of its handling)."""

    id: uuid.UUID
    res_payment_id: str
    res_system: str
    consumer_id: uuid.UUID | None
    account_number: str
    amount: Decimal
    paid_on: date
    payer_iban: str
    bank: str
    mfo: str
    purpose: str
    document_number: str
    state: str
    credit: Decimal
    received_at: datetime
    returned_on: date | None = None
    return_reason: str | None = None


#: a payment stored or about to be
AnyPayment = Payment | NewPayment


@dataclass(frozen=True)
class PaymentDetails:
    payment: Payment
    allocations: Sequence[Allocation]


@dataclass(frozen=True)
class Saldo:
    saldo: Decimal
    open_invoices: int
    next_pay_by: date | None
    next_pay_by_amount: Decimal | None


def refusal(body: bytes, problems: Sequence[str], message_id: str | None) -> list[Event]:
    """The answer to a payment or return message that breaks the contract: `invalid`, with what is wrong."""
    return [PaymentRefused(res_payment_id=id_in_refused_body(body, "res_payment_id"), message_id=message_id,
                           reason="invalid", errors=tuple(problems))]


def _accepted(payment: AnyPayment, allocations: Sequence[Allocation], saldo: Decimal) -> PaymentAccepted:
    assert payment.consumer_id is not None
    return PaymentAccepted(
        res_payment_id=payment.res_payment_id, payment_id=payment.id, consumer_id=payment.consumer_id,
        account_number=payment.account_number, amount=payment.amount,
        allocations=tuple(AllocationOut(invoice_id=allocation.invoice_id, invoice_number=allocation.invoice_number,
                                        amount=allocation.amount) for allocation in allocations),
        credit=payment.credit, saldo=saldo,
    )


def _parked(payment: AnyPayment) -> PaymentParked:
    return PaymentParked(res_payment_id=payment.res_payment_id, payment_id=payment.id,
                         account_number=payment.account_number, amount=payment.amount, reason=UNKNOWN_ACCOUNT)


def _refused(event: PaymentReceived | PaymentReturned, sender: Sender,
             reason: Literal["conflict", "unknown_payment"], *errors: str) -> PaymentRefused:
    return PaymentRefused(res_payment_id=event.res_payment_id, message_id=sender.message_id, reason=reason,
                          errors=errors)


async def _answer(session: AsyncSession, answers: Sequence[tuple[str | None, Event]]) -> None:
    """Answers, each to its RES system (in order for each)."""
    by_res_system: dict[str | None, list[Event]] = {}
    for res_system, answer in answers:
        by_res_system.setdefault(res_system, []).append(answer)
    for res_system, events in by_res_system.items():
        await outbox.add(session, *events, partner=res_system)


def _reversed(payment: AnyPayment, saldo: Decimal | None) -> PaymentReversed:
    return PaymentReversed(res_payment_id=payment.res_payment_id, payment_id=payment.id,
                           consumer_id=payment.consumer_id, amount=payment.amount,
                           reason=payment.return_reason or "", saldo=saldo)


_COLUMNS = tuple(column.key for column in Payment.__table__.columns)


def _row(payment: NewPayment) -> dict[str, Any]:
    return {name: getattr(payment, name) for name in _COLUMNS}


class Payments:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    # from RES systems
    async def receive(self, events: Sequence[PaymentReceived], senders: Sequence[Sender]) -> None:
        """A delivered batch of payments, in order: applied, parked, answered again or refused; one statement per
        table."""
        accounts = await payment_repository.lock_consumers_by_account(self.session, {e.account_number for e in events})
        stored: dict[str, AnyPayment] = dict(await payment_repository.payments_by_res_id(
            self.session, {event.res_payment_id for event in events}))
        ledger = Ledger(self.session)
        # the consumers of payments delivered again too, for the saldo their answers carry
        await ledger.load([*accounts.values(), *(p.consumer_id for p in stored.values() if p.consumer_id)])
        now = self.runtime.now()
        new: list[NewPayment] = []
        repeated: list[AnyPayment] = []
        answers: list[tuple[str | None, Event]] = []
        refused = 0
        for event, sender in zip(events, senders, strict=True):
            known = stored.get(event.res_payment_id)
            if known is not None and known.res_system != sender.res_system:
                # another RES system's payment: nothing of it is told, not even its details
                answers.append((sender.res_system, _refused(event, sender, "conflict", (
                    f"res_payment_id: {event.res_payment_id} is another RES system's payment id; begin your ids "
                    "with your system's code"))))
                refused += 1
            elif known is not None and (conflicts := conflicting_facts(known, event)):
                answers.append((sender.res_system, _refused(event, sender, "conflict", *(
                    f"{name}: {getattr(event, name)} differs from the {getattr(known, name)} received before under "
                    "this id" for name in conflicts))))
                refused += 1
            elif known is not None:
                repeated.append(known)
            else:
                payment = NewPayment(
                    uuid.uuid4(), event.res_payment_id, sender.res_system, accounts.get(event.account_number),
                    event.account_number, event.amount, event.paid_on, event.payer_iban, event.bank, event.mfo,
                    event.purpose, event.document_number, PARKED, ZERO, now,
                )
                stored[event.res_payment_id] = payment
                new.append(payment)
                answers.append((payment.res_system, self._apply(payment, ledger)))
        await payment_repository.insert_payments(self.session, [_row(payment) for payment in new])
        await ledger.flush()
        answers += await self._present_state(repeated, ledger)
        await _answer(self.session, answers)
        metrics.payments_received(self.session, [p.amount for p in new if p.state == APPLIED],
                                  [p.amount for p in new if p.state == PARKED], len(repeated), refused)

    @staticmethod
    def _apply(payment: NewPayment, ledger: Ledger) -> Event:
        """A new payment allocated to its consumer's invoices, or parked when no consumer has its account."""
        if payment.consumer_id is None:
            return _parked(payment)
        payment.state = APPLIED
        result = ledger.allocate(payment.consumer_id, payment,
                                 invoice_numbers_in(payment.purpose, account_number=payment.account_number))
        payment.credit = result.credit
        return _accepted(payment, result.allocations, ledger.books[payment.consumer_id].saldo)

    async def _present_state(self, payments: Sequence[AnyPayment], ledger: Ledger) -> list[tuple[str | None, Event]]:
        """The answers to payments delivered again: what each is now."""
        allocations = await allocations_of(self.session, [p.id for p in payments if p.state == APPLIED])
        answers: list[tuple[str | None, Event]] = []
        for payment in payments:
            books = ledger.books.get(payment.consumer_id) if payment.consumer_id else None
            if payment.state == PARKED:
                answers.append((payment.res_system, _parked(payment)))
            elif payment.state == RETURNED:
                answers.append((payment.res_system, _reversed(payment, books.saldo if books else None)))
            else:
                assert books is not None
                answers.append((payment.res_system, _accepted(payment, allocations.get(payment.id, []), books.saldo)))
        return answers

    async def give_back(self, event: PaymentReturned, sender: Sender) -> None:
        """`res.payment_returned.v1`: the payment's allocations undone (once, however often it comes)."""
        known = (await payment_repository.payments_by_res_id(self.session, [event.res_payment_id])).get(
            event.res_payment_id)
        if known is None or known.res_system != sender.res_system:
            # a return may come before its payment's own answer (section 6 of the contract): sent again later, it
            # finds the payment; another RES system's payment is not its to return, nor to learn of
            await _answer(self.session, [(sender.res_system, _refused(event, sender, "unknown_payment", (
                f"res_payment_id: no payment {event.res_payment_id} was received from {sender.res_system}")))])
            metrics.payments_received(self.session, [], [], 0, refused=1)
            return
        consumer_id = known.consumer_id
        if consumer_id is not None:
            await consumer_repository.lock_consumers(self.session, [consumer_id])
        payment = await payment_repository.payment(self.session, known.id, lock=True)
        assert payment is not None
        if payment.consumer_id != consumer_id:
            raise PaymentMoved(f"payment {payment.res_payment_id} was assigned to a consumer meanwhile")
        if payment.state != RETURNED:
            payment.returned_on = event.returned_on
            payment.return_reason = event.reason
        await outbox.add(self.session, _reversed(payment, await self._undo(payment)), partner=payment.res_system)

    async def _undo(self, payment: Payment) -> Decimal | None:
        """Marks the (locked) payment returned, its allocations undone; the consumer's saldo after it."""
        if payment.consumer_id is None:
            payment.state = RETURNED
            return None
        ledger = Ledger(self.session)
        await ledger.load([payment.consumer_id])
        if payment.state == APPLIED:
            await ledger.reverse(payment.consumer_id, payment.id)
            await ledger.flush()
            payment.state = RETURNED
            payment.credit = ZERO
        return ledger.books[payment.consumer_id].saldo

    # staff
    async def parked(self) -> list[PaymentDetails]:
        return [PaymentDetails(payment, ()) for payment in await payment_repository.parked_payments(self.session)]

    async def assign(self, payment_id: uuid.UUID, consumer_id: uuid.UUID) -> PaymentDetails:
        """A parked payment applied to the consumer staff found for it (`billing.payment_accepted.v1`)."""
        locked = await consumer_repository.lock_consumers(self.session, [consumer_id])
        if not locked:
            raise Invalid("no such consumer", fields={"consumer_id": "consumer_not_found"})
        payment = await self._payment(payment_id)
        if payment.state != PARKED:
            raise Conflict("only a parked payment is assigned", code="payment_not_parked")
        ledger = Ledger(self.session)
        await ledger.load([consumer_id])
        result = ledger.allocate(consumer_id, payment,
                                 invoice_numbers_in(payment.purpose, account_number=locked[0].account_number))
        await ledger.flush()
        payment.consumer_id, payment.state, payment.credit = consumer_id, APPLIED, result.credit
        await outbox.add(self.session, _accepted(payment, result.allocations, ledger.books[consumer_id].saldo),
                         partner=payment.res_system)
        return PaymentDetails(payment, result.allocations)

    async def return_parked(self, payment_id: uuid.UUID, reason: str) -> PaymentDetails:
        """A parked payment sent back to the payer (`billing.payment_reversed.v1`); asked again, the same."""
        reason = " ".join(reason.split())
        if not 0 < len(reason) <= REASON_MAX_LENGTH:
            raise Invalid("say why the payment is returned", fields={"reason": "reason_invalid"})
        payment = await self._payment(payment_id)
        if payment.state == APPLIED:
            raise Conflict("the payment is applied to a consumer's invoices; the bank returns it",
                           code="payment_not_parked")
        if payment.state == PARKED:
            payment.returned_on, payment.return_reason = self.runtime.today(), reason
            await outbox.add(self.session, _reversed(payment, await self._undo(payment)), partner=payment.res_system)
        return PaymentDetails(payment, ())

    async def _payment(self, payment_id: uuid.UUID) -> Payment:
        payment = await payment_repository.payment(self.session, payment_id, lock=True)
        if payment is None:
            raise NotFound("no such payment", code="payment_not_found")
        return payment

    # a consumer's
    async def listing(self, principal: Principal, consumer_id: uuid.UUID, start: date | None,
                      end: date | None) -> tuple[Saldo, list[PaymentDetails]]:
        """The consumer's saldo and payments paid between the dates (default: the last three years), newest first.

        Both are read in one snapshot: a payment applied meanwhile is either listed and in the saldo, or neither.
        """
        await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        start = start or date(self.runtime.today().year - LISTED_YEARS + 1, 1, 1)
        end = end or date.max
        if start > end:
            raise Invalid("the period ends before it starts", fields={"from": "range_invalid"})
        saldo = await self.saldo(principal, consumer_id)
        payments = await payment_repository.payments_of(self.session, consumer_id, start, end)
        allocations = await allocations_of(self.session, [payment.id for payment in payments])
        return saldo, [PaymentDetails(payment, allocations.get(payment.id, [])) for payment in payments]

    async def saldo(self, principal: Principal, consumer_id: uuid.UUID) -> Saldo:
        await visible_consumer(self.session, principal, consumer_id)
        ledger = Ledger(self.session)
        await ledger.load([consumer_id])
        open_invoices = await payment_repository.open_invoices_of(self.session, consumer_id)
        next_pay_by = open_invoices[0].pay_by if open_invoices else None
        due_next = [invoice.total - invoice.paid for invoice in open_invoices if invoice.pay_by == next_pay_by]
        return Saldo(ledger.books[consumer_id].saldo, len(open_invoices), next_pay_by,
                     sum(due_next, ZERO) if open_invoices else None)
