"""The reconciliation act: by property, for any invoices, corrections, payments and returns, its balances are the
account's (the closing one what the ledger's saldo is: everything invoiced less everything paid and not returned),
and a period's closing balance is the next one's opening; on the service, the manual's invoices with a payment and
a returned one give the act an accountant expects, validated and issued as a document both parties sign."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.reconciliation import ZERO, Kind, Operation, reconcile
from billing.payments import Payments, Sender
from shared.contracts.res import PaymentReturned

D = Decimal
FIRST_DAY = date(2013, 1, 1)
JUNE, JULY, AUGUST = "2013-06", "2013-07", "2013-08"

kopecks = st.integers(1, 500_000).map(lambda amount: D(amount) / 100)
days = st.integers(0, 400).map(lambda offset: FIRST_DAY + timedelta(days=offset))


@st.composite
def accounts(draw: st.DrawFn) -> tuple[list[Operation], Decimal]:
    """An account's operations (payments some of which are returned later) and what the ledger's saldo is."""
    operations: list[Operation] = []
    saldo = ZERO
    for kind in draw(st.lists(st.sampled_from(["invoice", "lower", "raise", "pay", "pay and return"]), max_size=30)):
        on, amount = draw(days), draw(kopecks)
        if kind == "invoice":
            operations.append(Operation(on, Kind.INVOICE, "0789-1", amount, on + timedelta(days=10)))
            saldo += amount
        elif kind in ("lower", "raise"):
            signed = -amount if kind == "lower" else amount
            operations.append(Operation(on, Kind.CORRECTING_INVOICE, "0789-1/П1", signed, on + timedelta(days=10)))
            saldo += signed
        else:
            operations.append(Operation(on, Kind.PAYMENT, "@2PL998327", -amount))
            if kind == "pay and return":
                operations.append(Operation(on + timedelta(days=draw(st.integers(0, 60))), Kind.RETURN,
                                            "@2PL998327", amount))
            else:
                saldo -= amount
    return operations, saldo


@given(account=accounts(), split=days, end_offset=st.integers(0, 30))
def test_the_act_adds_up_to_the_ledgers_saldo_and_periods_join(account: tuple[list[Operation], Decimal],
                                                                 split: date, end_offset: int) -> None:
    operations, saldo = account
    end = max([split, *(operation.on for operation in operations)]) + timedelta(days=end_offset)
    whole = reconcile(operations, FIRST_DAY, end)
    assert whole.opening == 0 and whole.closing == saldo
    assert whole.closing == whole.opening + whole.debit_turnover - whole.credit_turnover
    assert all(operation.debit >= 0 and operation.credit >= 0 for operation in whole.operations)
    assert [operation.on for operation in whole.operations] == sorted(operation.on for operation in operations)
    before = reconcile(operations, FIRST_DAY, split - timedelta(days=1))
    after = reconcile(operations, split, end)
    assert before.closing == after.opening and after.closing == saldo
    assert whole.ageing.total == max(saldo, ZERO)
    assert min(whole.ageing.not_due, whole.ageing.up_to_30, whole.ageing.up_to_60, whole.ageing.up_to_90,
               whole.ageing.over_90) >= 0


def test_the_debt_is_the_newest_invoices_aged_by_their_pay_by_dates() -> None:
    invoice = Kind.INVOICE
    operations = [Operation(date(2013, 1, 26), invoice, "1", D("100.00"), date(2013, 2, 5)),
                  Operation(date(2013, 3, 26), invoice, "2", D("200.00"), date(2013, 4, 5)),
                  Operation(date(2013, 5, 26), invoice, "3", D("300.00"), date(2013, 6, 5)),
                  Operation(date(2013, 6, 1), Kind.PAYMENT, "п1", D("-50.00")),
                  Operation(date(2013, 6, 26), invoice, "4", D("400.00"), date(2013, 7, 6))]
    ageing = reconcile(operations, date(2013, 1, 1), date(2013, 7, 6)).ageing
    # 950 owed: July's 400 due today, May's 300 31 days past due, March's 200 92 days, January's 50 of 100
    assert (ageing.not_due, ageing.up_to_30, ageing.up_to_60, ageing.up_to_90, ageing.over_90) == (
        D("400.00"), ZERO, D("300.00"), ZERO, D("250.00"))


@pytest.fixture
async def manuals_account(api: Any) -> uuid.UUID:
    """№ 0789: June 173.28, July 259.92, August 415.87 (the manual's invoices); 200.00 paid on 10 July; 100.00 paid
    on 1 August and returned by the bank on 20 August; today 26 August."""
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer("0789")
    point = await api.add_point(consumer_id, "0123456")
    await api.bill(consumer_id, point, JUNE, 0, 100)
    await api.bill(consumer_id, point, JULY, 100, 250)
    paid = [api.payment("DON-1", "200.00", paid_on=date(2013, 7, 10)),
            api.payment("DON-2", "100.00", paid_on=date(2013, 8, 1))]
    async with api.database.transaction() as session:
        await Payments(session, api.runtime).receive(paid, [Sender("roe-donetsk", None)] * 2)
    async with api.database.transaction() as session:
        await Payments(session, api.runtime).give_back(PaymentReturned(
            res_payment_id="DON-2", returned_on=date(2013, 8, 20), reason="рахунок закрито"),
            Sender("roe-donetsk", None))
    await api.bill(consumer_id, point, AUGUST, 250, 490)
    return consumer_id


async def test_the_manuals_account_gives_the_act_an_accountant_expects(api: Any, manuals_account: uuid.UUID) -> None:
    path = f"/consumers/{manuals_account}/reconciliation"
    act = await api.ok("GET", path, api.consumer_user(manuals_account), params={"from": "2013-07-01",
                                                                                  "to": "2013-08-26"})
    assert act["opening"] == "173.28"
    assert [(row["on"], row["kind"], row["document"], row["debit"], row["credit"]) for row in act["operations"]] == [
        ("2013-07-10", "payment", "@2PL998327", "0.00", "200.00"),
        ("2013-07-26", "invoice", "0789/7/1", "259.92", "0.00"),
        ("2013-08-01", "payment", "@2PL998327", "0.00", "100.00"),
        ("2013-08-20", "return", "@2PL998327", "100.00", "0.00"),
        ("2013-08-26", "invoice", "0789/8/1", "415.87", "0.00"),
    ]
    assert (act["debit_turnover"], act["credit_turnover"], act["closing"], act["debtor"]) == (
        "775.79", "300.00", "649.07", "consumer")
    # August's invoice is due on 5 September; July's was due on 5 August
    assert act["ageing"] == {"not_due": "415.87", "days_0_30": "233.20", "days_31_60": "0.00",
                             "days_61_90": "0.00", "over_90": "0.00"}
    saldo = await api.ok("GET", f"/consumers/{manuals_account}/saldo", api.staff())
    assert saldo["saldo"] == act["closing"]
    june = await api.ok("GET", path, api.staff(), params={"from": "2013-06-01", "to": "2013-06-30"})
    assert (june["opening"], june["closing"], june["ageing"]["not_due"]) == ("0.00", "173.28", "173.28")
    assert (await api.ok("GET", path, api.admin()))["closing"] == "649.07"  # this year up to today


@pytest.mark.parametrize(("params", "fields"), [
    ({"from": "2013-08-01", "to": "2013-07-01"}, {"from": "range_invalid"}),
    ({"from": "2013-08-01", "to": "2013-08-27"}, {"to": "date_in_future"}),
])
async def test_a_period_backwards_or_in_the_future_is_refused(api: Any, manuals_account: uuid.UUID,
                                                              params: dict[str, str], fields: dict[str, str]) -> None:
    refused = await api.call("GET", f"/consumers/{manuals_account}/reconciliation", api.staff(), params=params)
    assert refused.status_code == 422 and refused.json()["detail"]["fields"] == fields
    posted = await api.call("POST", f"/consumers/{manuals_account}/reconciliation/acts", api.staff(), json=params)
    assert posted.status_code == 422 and posted.json()["detail"]["fields"] == fields
    malformed = await api.call("GET", f"/consumers/{manuals_account}/reconciliation", api.staff(),
                               params={"from": "1 July"})
    assert malformed.status_code == 422


async def test_the_act_is_issued_once_as_a_document_both_parties_sign(api: Any, manuals_account: uuid.UUID) -> None:
    period = {"from": "2013-07-01", "to": "2013-08-26"}
    path = f"/consumers/{manuals_account}/reconciliation/acts"
    issued = await api.ok("POST", path, api.consumer_user(manuals_account), json=period)
    again = await api.ok("POST", path, api.staff(), json=period)
    assert issued == again and issued["title"] == "Акт звірки взаєморозрахунків за 01.07.2013–26.08.2013"
    [render, repeated] = await api.renders("reconciliation_act")
    assert render["source_event"] == repeated["source_event"] == issued["source_event"]
    assert (render["consumer_id"], render["signers"], render["issued_on"]) == (
        str(manuals_account), ["consumer", "supplier"], "2013-08-26")
    data = render["data"]
    assert (data["opening"], data["closing"], len(data["rows"])) == ("173.28", "649.07", 5)
    assert (data["supplier"]["edrpou"], data["consumer"]["edrpou"]) == ("31793056", "12345678")
