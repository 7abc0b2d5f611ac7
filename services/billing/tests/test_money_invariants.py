"""The money invariants, by property, on the service's own path (its use cases on the real database): for any
sequence of invoices, corrections (up and down), payments (one by one or several in one batch, naming an invoice or
not), deliveries again (the same or conflicting) and returns, after every step

- every applied payment is its allocations plus its credit; a returned one has neither;
- every invoice's `paid` is what allocations paid on it (less what a negative one's credit paid elsewhere), and
  never above its total (nor, for a negative correcting invoice, below it);
- the saldo is everything invoiced less everything paid, and what the model of the test says was paid, and the
  reconciliation act's closing balance to the kopeck;
- credit and an open invoice never stay side by side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.invoices import Invoices
from billing.payments import Payments, Sender
from shared.contracts.billing import PaymentRefused
from shared.contracts.res import PaymentReceived, PaymentReturned

D = Decimal
KOPECK = D("0.01")
#: the RES system every payment of the model comes from
RES = "roe-donetsk"

operations = st.lists(st.one_of(
    st.tuples(st.just("invoice"), st.integers(1, 400)),  # kWh of the next period
    st.tuples(st.just("correct"), st.integers(-150, 150)),  # kWh more or less for the last period invoiced
    # payments in one delivered batch: kopecks, and whether the purpose names the newest invoice
    st.tuples(st.just("pay"), st.lists(st.tuples(st.integers(1, 80_000), st.booleans()), min_size=1, max_size=4)),
    st.tuples(st.just("again"), st.integers(0, 20), st.booleans()),  # a payment delivered again, conflicting?
    st.tuples(st.just("return"), st.integers(0, 20)),  # the bank returns a payment
), min_size=1, max_size=14)


@dataclass
class Model:
    """What the test itself knows was paid."""

    consumer_id: uuid.UUID
    account: str
    point: uuid.UUID
    periods: list[tuple[str, int, int]] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    payments: list[PaymentReceived] = field(default_factory=list)
    returned: set[str] = field(default_factory=set)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments if p.res_payment_id not in self.returned), D("0.00"))


@pytest.fixture
async def tariff(api: Any) -> None:
    await api.add_tariff("class2_general", "active", "1.444000", date(2000, 1, 1))


async def run(api: Any, model: Model, operation: tuple[Any, ...]) -> None:
    kind = operation[0]
    if kind == "invoice":
        number = len(model.periods)
        period = f"{2001 + number // 12}-{number % 12 + 1:02d}"
        previous = model.periods[-1][2] if model.periods else 0
        model.periods.append((period, previous, previous + operation[1]))
        api.set_today(date(int(period[:4]), int(period[5:]), 26))
        await api.accept(model.consumer_id, period, [(model.point, "active", 1, str(previous), str(previous +
                                                                                                 operation[1]))])
        async with api.database.transaction() as session:
            details, _ = await Invoices(session, api.runtime).issue(api.staff(), model.consumer_id, period)
        model.numbers.append(details.invoice.number)
    elif kind == "correct" and model.periods:
        period, previous, current = model.periods[-1]
        current = max(previous, current + operation[1])
        model.periods[-1] = (period, previous, current)
        await api.accept(model.consumer_id, period, [(model.point, "active", 1, str(previous), str(current))],
                         correction_reason="corrected")
    elif kind == "pay":
        batch = [PaymentReceived(
            res_payment_id=f"{model.account}-{len(model.payments) + index}", account_number=model.account,
            amount=D(kopecks) * KOPECK, paid_on=api.runtime.today(), payer_iban="UA263351060000026007233566001",
            bank="Банк", mfo="335106", document_number="1",
            purpose=f"оплата за е/е рах. № {model.numbers[-1]}" if named and model.numbers else "аванс",
        ) for index, (kopecks, named) in enumerate(operation[1])]
        async with api.database.transaction() as session:
            await Payments(session, api.runtime).receive(batch, [Sender(RES, str(uuid.uuid4())) for _ in batch])
        model.payments += batch
    elif kind == "again" and model.payments:
        sent = model.payments[operation[1] % len(model.payments)]
        conflicting = operation[2]
        again = sent.model_copy(update={"amount": sent.amount + KOPECK} if conflicting else {"purpose": "ще раз"})
        async with api.database.transaction() as session:
            await Payments(session, api.runtime).receive([again], [Sender(RES, str(uuid.uuid4()))])
        answer = await api.scalar("SELECT message_type FROM outbox ORDER BY id DESC LIMIT 1")
        assert (answer == PaymentRefused.message_type()) == conflicting
    elif kind == "return" and model.payments:
        sent = model.payments[operation[1] % len(model.payments)]
        async with api.database.transaction() as session:
            await Payments(session, api.runtime).give_back(PaymentReturned(
                res_payment_id=sent.res_payment_id, returned_on=api.runtime.today(), reason="повернено"),
                Sender(RES, str(uuid.uuid4())))
        model.returned.add(sent.res_payment_id)


async def check(api: Any, model: Model) -> None:
    consumer = {"consumer": model.consumer_id}
    assert await api.scalar(
        "SELECT count(*) FROM payments p WHERE consumer_id = :consumer AND p.amount <> p.credit + "
        "(SELECT coalesce(sum(amount), 0) FROM allocations a WHERE a.payment_id = p.id) AND state = 'applied'",
        **consumer) == 0
    assert await api.scalar(
        "SELECT count(*) FROM payments p WHERE consumer_id = :consumer AND state = 'returned' AND (credit <> 0 OR "
        "EXISTS (SELECT FROM allocations a WHERE a.payment_id = p.id))", **consumer) == 0
    assert await api.scalar(
        "SELECT count(*) FROM invoices i WHERE consumer_id = :consumer AND (paid <> "
        "(SELECT coalesce(sum(amount), 0) FROM allocations a WHERE a.invoice_id = i.id) - "
        "(SELECT coalesce(sum(amount), 0) FROM allocations a WHERE a.credit_invoice_id = i.id) "
        "OR (total >= 0 AND NOT paid BETWEEN 0 AND total) OR (total < 0 AND NOT paid BETWEEN total AND 0))",
        **consumer) == 0
    applied = await api.scalar("SELECT coalesce(sum(amount), 0) FROM payments WHERE consumer_id = :consumer "
                               "AND state = 'applied'", **consumer)
    assert applied == model.paid
    invoiced = await api.scalar("SELECT coalesce(sum(total), 0) FROM invoices WHERE consumer_id = :consumer",
                                **consumer)
    saldo = await api.ok("GET", f"/consumers/{model.consumer_id}/saldo", api.staff())
    assert D(saldo["saldo"]) == invoiced - applied
    act = await api.ok("GET", f"/consumers/{model.consumer_id}/reconciliation", api.staff(),
                       params={"from": "2000-01-01"})
    assert (act["opening"], act["closing"]) == ("0.00", saldo["saldo"])
    credit = await api.scalar(
        "SELECT (SELECT coalesce(sum(credit), 0) FROM payments WHERE consumer_id = :consumer) + "
        "(SELECT coalesce(sum(paid - total), 0) FROM invoices WHERE consumer_id = :consumer AND total < paid)",
        **consumer)
    assert credit == 0 or saldo["open_invoices"] == 0, (credit, saldo)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=operations)
async def test_money_adds_up_after_any_sequence(api: Any, tariff: None, steps: list[tuple[Any, ...]]) -> None:
    account = str(uuid.uuid4().int)[:12]
    consumer_id = await api.add_consumer(account)
    model = Model(consumer_id, account, await api.add_point(consumer_id, f"M{account}", digits=12))
    for step in steps:
        await run(api, model, step)
        await check(api, model)
