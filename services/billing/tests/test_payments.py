"""Payments from RES systems over the real broker, published and answered through the RES simulator's functions
(docs/res-bus-contract.md): applied to the invoice a purpose names, else oldest first, partly; overpayment as credit
for the next invoice; a delivery again counted once; another payment under a used id refused; an unknown account
parked for administrators; returns; every malformed message refused and dead-lettered; each consumer sees only their
own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pika
import pytest
from prometheus_client import REGISTRY
from pydantic import ConfigDict

from devtools.res_simulator import Answers, publish_events
from shared.contracts.base import Event
from shared.contracts.billing import PaymentAccepted, PaymentParked, PaymentRefused, PaymentReversed
from shared.contracts.res import PaymentReturned, ResMessage

D = Decimal
JUNE, JULY, AUGUST = "2013-06", "2013-07", "2013-08"


@pytest.fixture
async def consumer(api: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """№ 0789 with a one-zone meter, the class's tariff 1.444 UAH/kWh."""
    await api.add_tariff("class2_general", "active", "1.444000", date(2013, 1, 1))
    consumer_id = await api.add_consumer("0789")
    return consumer_id, await api.add_point(consumer_id, "0123456")


@pytest.fixture
async def three_invoices(api: Any, consumer: tuple[uuid.UUID, uuid.UUID]) -> dict[str, dict[str, Any]]:
    """June 100 kWh (173.28), July 150 kWh (259.92), August 240 kWh (415.87): 849.07 owed."""
    consumer_id, point = consumer
    return {JUNE: await api.bill(consumer_id, point, JUNE, 0, 100),
            JULY: await api.bill(consumer_id, point, JULY, 100, 250),
            AUGUST: await api.bill(consumer_id, point, AUGUST, 250, 490)}


async def balances(api: Any, consumer_id: uuid.UUID) -> dict[str, tuple[str, str]]:
    listed = await api.ok("GET", f"/consumers/{consumer_id}/invoices", api.staff())
    return {item["number"]: (item["paid"], item["balance"]) for item in listed["items"]}


def allocations(answer: Event) -> list[tuple[str, str]]:
    assert isinstance(answer, PaymentAccepted), answer
    return [(allocation.invoice_number, f"{allocation.amount:.2f}") for allocation in answer.allocations]


def business(kind: str) -> float:
    return REGISTRY.get_sample_value("cabinet_business_events_total", {"service": "billing", "kind": kind}) or 0.0


async def test_a_payment_pays_the_invoice_its_purpose_names(api: Any, res: Any, three_invoices: Any,
                                                            consumer: Any) -> None:
    consumer_id = consumer[0]
    applied = business("payment_applied")
    await res.publish(api.payment("DON-1", "259.92",
                                  purpose="оплата за акт электр согл сч № 0789/7/1 от 25.07.2013 плат-к Кооператив"))
    [answer] = await res.answered(1)
    assert allocations(answer) == [("0789/7/1", "259.92")]
    assert isinstance(answer, PaymentAccepted)
    assert (answer.res_payment_id, answer.consumer_id, answer.credit, answer.saldo) == (
        "DON-1", consumer_id, D("0.00"), D("589.15"))
    assert await balances(api, consumer_id) == {"0789/6/1": ("0.00", "173.28"), "0789/7/1": ("259.92", "0.00"),
                                                "0789/8/1": ("0.00", "415.87")}
    listed = await api.ok("GET", f"/consumers/{consumer_id}/payments", api.consumer_user(consumer_id))
    assert listed["saldo"]["saldo"] == "589.15"
    [item] = listed["items"]
    assert {key: item[key] for key in ("id", "res_payment_id", "state", "amount", "credit", "paid_on", "mfo")} == {
        "id": str(answer.payment_id), "res_payment_id": "DON-1", "state": "applied", "amount": "259.92",
        "credit": "0.00", "paid_on": "2013-08-28", "mfo": "335106"}
    assert item["allocations"] == [{"invoice_id": three_invoices[JULY]["id"], "invoice_number": "0789/7/1",
                                    "amount": "259.92"}]
    saldo = await api.ok("GET", f"/consumers/{consumer_id}/saldo", api.consumer_user(consumer_id))
    assert saldo == {"saldo": "589.15", "debt": "589.15", "overpayment": "0.00", "open_invoices": 2,
                     "next_pay_by": "2013-07-06", "next_pay_by_amount": "173.28"}
    assert business("payment_applied") == applied + 1
    assert REGISTRY.get_sample_value("cabinet_payments_amount_kopecks_total",
                                     {"service": "billing", "outcome": "applied"}) is not None


async def test_without_a_named_invoice_the_oldest_are_paid_first_and_partly(api: Any, res: Any, three_invoices: Any,
                                                                           consumer: Any) -> None:
    consumer_id = consumer[0]
    await res.publish(api.payment("DON-1", "300.00", purpose="аванс за електроенергію"))
    [first] = await res.answered(1)
    assert allocations(first) == [("0789/6/1", "173.28"), ("0789/7/1", "126.72")]
    # a named invoice first, then the oldest still open; another consumer's number is no reason to skip
    await res.publish(api.payment("DON-2", "500.00", purpose="рах. № 0789/8/1, 0064/7/1"))
    [second] = await res.answered(1)
    assert allocations(second) == [("0789/8/1", "415.87"), ("0789/7/1", "84.13")]
    assert isinstance(second, PaymentAccepted) and (second.credit, second.saldo) == (D("0.00"), D("49.07"))
    assert await balances(api, consumer_id) == {"0789/6/1": ("173.28", "0.00"), "0789/7/1": ("210.85", "49.07"),
                                                "0789/8/1": ("415.87", "0.00")}


async def test_an_overpayment_is_credit_that_pays_the_next_invoices(api: Any, res: Any,
                                                                   consumer: tuple[uuid.UUID, uuid.UUID]) -> None:
    consumer_id, point = consumer
    await api.bill(consumer_id, point, JUNE, 0, 100)
    await res.publish(api.payment("DON-1", "500.00", paid_on=date(2013, 6, 28)))
    [answer] = await res.answered(1)
    assert isinstance(answer, PaymentAccepted)
    assert (allocations(answer), answer.credit, answer.saldo) == ([("0789/6/1", "173.28")], D("326.72"),
                                                                  D("-326.72"))
    july = await api.bill(consumer_id, point, JULY, 100, 250)
    assert (july["paid"], july["balance"]) == ("259.92", "0.00")  # paid at once from the credit
    august = await api.bill(consumer_id, point, AUGUST, 250, 490)
    assert (august["paid"], august["balance"]) == ("66.80", "349.07")
    [item] = (await api.ok("GET", f"/consumers/{consumer_id}/payments", api.staff()))["items"]
    assert item["credit"] == "0.00"
    assert [(a["invoice_number"], a["amount"]) for a in item["allocations"]] == [
        ("0789/6/1", "173.28"), ("0789/7/1", "259.92"), ("0789/8/1", "66.80")]
    # a correction lowering August by 50 kWh is credit, and it pays what is open
    api.set_today(date(2013, 9, 2))
    [credit] = await api.accept(consumer_id, AUGUST, [(point, "active", 1, "250", "440")], correction_reason="misread")
    correcting = await api.ok("GET", f"/invoices/{credit}", api.staff())
    assert (correcting["total"], correcting["paid"], correcting["balance"]) == ("-86.64", "-86.64", "0.00")
    assert (await balances(api, consumer_id))["0789/8/1"] == ("153.44", "262.43")
    saldo = await api.ok("GET", f"/consumers/{consumer_id}/saldo", api.consumer_user(consumer_id))
    assert (saldo["saldo"], saldo["open_invoices"]) == ("262.43", 1)


async def test_a_correction_lowering_a_paid_invoice_is_credit_for_the_next(api: Any, res: Any,
                                                                         consumer: tuple[uuid.UUID, uuid.UUID]) -> None:
    consumer_id, point = consumer
    await api.bill(consumer_id, point, JUNE, 0, 100)
    await res.publish(api.payment("DON-1", "173.28"))
    await res.answered(1)
    api.set_today(date(2013, 7, 2))
    [credit] = await api.accept(consumer_id, JUNE, [(point, "active", 1, "0", "50")], correction_reason="misread")
    saldo = await api.ok("GET", f"/consumers/{consumer_id}/saldo", api.staff())
    assert (saldo["saldo"], saldo["overpayment"], saldo["open_invoices"]) == ("-86.64", "86.64", 0)
    july = await api.bill(consumer_id, point, JULY, 50, 200)
    assert (july["paid"], july["balance"]) == ("86.64", "173.28")
    correcting = await api.ok("GET", f"/invoices/{credit}", api.staff())
    assert (correcting["paid"], correcting["balance"]) == ("-86.64", "0.00")


async def test_a_payment_delivered_again_counts_once_and_is_answered_again(api: Any, res: Any, three_invoices: Any,
                                                                          consumer: Any) -> None:
    duplicates = business("payment_duplicate")
    first = api.payment("DON-1", "300.00")
    await res.publish(first)
    [answer] = await res.answered(1)
    # the whole statement sent again, one line with its purpose typed otherwise, and twice in one publication
    again = first.model_copy(update={"purpose": "оплата за електроенергію", "bank": "Ощадбанк"})
    await res.publish(first, again)
    await res.publish(first)
    repeated = await res.answered(3)
    assert all(isinstance(item, PaymentAccepted) and item.payment_id == answer.payment_id for item in repeated)
    assert [allocations(item) for item in repeated] == [allocations(answer)] * 3
    assert await api.scalar("SELECT count(*) FROM payments") == 1
    assert await api.scalar("SELECT sum(amount) FROM allocations") == D("300.00")
    assert business("payment_duplicate") == duplicates + 3


async def test_another_payment_under_a_used_id_is_refused_and_the_first_stands(api: Any, res: Any,
                                                                              three_invoices: Any) -> None:
    await res.publish(api.payment("DON-1", "100.00"))
    await res.answered(1)
    await res.publish(api.payment("DON-1", "150.00", account_number="0064"))
    [refused] = await res.answered(1)
    assert isinstance(refused, PaymentRefused)
    assert (refused.res_payment_id, refused.reason) == ("DON-1", "conflict")
    assert [error.split(":")[0] for error in refused.errors] == ["account_number", "amount"]
    assert refused.message_id  # the refused message's, as the simulator set it
    assert await res.dead_lettered() == 0  # an answer to the RES system, not an alert for the supplier
    assert await api.scalar("SELECT string_agg(amount::text, ',') FROM payments") == "100.00"
    assert await api.scalar("SELECT sum(paid) FROM invoices") == D("100.00")


class BrokenPayment(ResMessage):
    """A message of the payment's type whose body breaks the contract, as a RES system's bug would send it."""

    model_config = ConfigDict(extra="allow", frozen=True)
    event_name = "res.payment_received"


def broken(**changes: Any) -> BrokenPayment:
    fields = {"res_payment_id": "DON-9", "account_number": "0789", "amount": "100.00", "paid_on": "2013-08-28",
              "payer_iban": "UA263351060000026007233566001", "bank": "Ощадбанк", "mfo": "335106",
              "purpose": "оплата", "document_number": "1"}
    return BrokenPayment(**{key: value for key, value in {**fields, **changes}.items() if value is not None})


@pytest.mark.parametrize(("message", "field"), [
    (broken(mfo="33510"), "mfo"),
    (broken(purpose=None), "purpose"),
    (broken(iban="UA26"), "iban"),
    (broken(amount="0.00"), "amount"),
    (broken(amount="-376.10"), "amount"),
    (broken(amount="100.005"), "amount"),
    (broken(amount="сто"), "amount"),
    (broken(paid_on="2013-02-31"), "paid_on"),
    (broken(paid_on="31.07.2013"), "paid_on"),
], ids=["mfo", "missing_purpose", "unknown_field", "zero", "negative", "three_decimals", "not_a_number",
        "no_such_day", "date_format"])
async def test_a_malformed_payment_is_refused_dead_lettered_and_not_applied(api: Any, res: Any, three_invoices: Any,
                                                                           message: BrokenPayment, field: str) -> None:
    await res.publish(message)
    [refused] = await res.answered(1)
    assert isinstance(refused, PaymentRefused)
    assert (refused.res_payment_id, refused.reason) == ("DON-9", "invalid")
    assert [error.split(":")[0] for error in refused.errors] == [field]
    [(headers, body)] = await res.dead_letters(1)
    assert headers["x-dead-letter-kind"] == "malformed" and field in headers["x-dead-letter-reason"]
    assert headers["x-original-routing-key"] == "res.payment_received.v1.res-simulator"
    assert body["res_payment_id"] == "DON-9"
    assert await api.scalar("SELECT count(*) FROM payments") == 0
    assert await api.scalar("SELECT sum(paid) FROM invoices") == 0


async def test_an_unknown_account_is_parked_then_assigned_or_returned_by_an_administrator(
        api: Any, res: Any, three_invoices: Any, consumer: Any) -> None:
    consumer_id = consumer[0]
    parked = business("payment_parked")
    await res.publish(api.payment("DON-1", "200.00", account_number="07890", purpose="сч № 0789/8/1"),
                      api.payment("DON-2", "50.00", account_number="9999"))
    answers = await res.answered(2)
    assert [type(answer) for answer in answers] == [PaymentParked, PaymentParked]
    assert {answer.reason for answer in answers if isinstance(answer, PaymentParked)} == {"unknown_account"}
    assert business("payment_parked") == parked + 2
    assert await res.dead_lettered() == 0  # parked, never dead-lettered
    listed = await api.ok("GET", "/payments/parked", api.admin())
    assert [(item["res_payment_id"], item["state"], item["consumer_id"]) for item in listed] == [
        ("DON-1", "parked", None), ("DON-2", "parked", None)]
    assert (await api.call("GET", "/payments/parked", api.consumer_user(consumer_id))).status_code == 403
    # a parked payment names no consumer, so no branch: a branch's staff do not see another's payers
    assert (await api.call("GET", "/payments/parked", api.staff())).status_code == 403
    listed_now = await api.ok("GET", f"/consumers/{consumer_id}/payments", api.staff())
    assert (listed_now["saldo"]["saldo"], listed_now["items"]) == ("849.07", [])

    first, second = listed
    refused = await api.call("POST", f"/payments/{first['id']}/assignment", api.admin(),
                             json={"consumer_id": str(uuid.uuid4())})
    assert refused.status_code == 422 and refused.json()["detail"]["fields"] == {"consumer_id": "consumer_not_found"}
    assert (await api.call("POST", f"/payments/{first['id']}/assignment", api.consumer_user(consumer_id),
                           json={"consumer_id": str(consumer_id)})).status_code == 403
    assigned = await api.ok("POST", f"/payments/{first['id']}/assignment", api.admin(),
                            json={"consumer_id": str(consumer_id)})
    assert (assigned["state"], assigned["consumer_id"], assigned["allocations"][0]["invoice_number"]) == (
        "applied", str(consumer_id), "0789/8/1")
    [accepted] = await res.answered(1)
    assert isinstance(accepted, PaymentAccepted) and (accepted.payment_id, accepted.saldo) == (
        uuid.UUID(first["id"]), D("649.07"))
    again = await api.call("POST", f"/payments/{first['id']}/assignment", api.admin(),
                           json={"consumer_id": str(consumer_id)})
    assert again.status_code == 409 and again.json()["detail"]["code"] == "payment_not_parked"

    assert (await api.call("POST", f"/payments/{second['id']}/return", api.admin(),
                           json={"reason": " "})).json()["detail"]["fields"] == {"reason": "reason_invalid"}
    returned = await api.ok("POST", f"/payments/{second['id']}/return", api.admin(),
                            json={"reason": "невідомий особовий рахунок"})
    assert (returned["state"], returned["return_reason"], returned["returned_on"]) == (
        "returned", "невідомий особовий рахунок", "2013-08-26")
    [reversal] = await res.answered(1)
    assert isinstance(reversal, PaymentReversed)
    assert (reversal.res_payment_id, reversal.consumer_id, reversal.saldo) == ("DON-2", None, None)
    assert (await api.ok("POST", f"/payments/{second['id']}/return", api.admin(),
                         json={"reason": "ще раз"}))["return_reason"] == "невідомий особовий рахунок"
    assert await res.silent()
    applied_return = await api.call("POST", f"/payments/{first['id']}/return", api.admin(), json={"reason": "x"})
    assert applied_return.status_code == 409
    assert await api.ok("GET", "/payments/parked", api.admin()) == []
    missing = await api.call("POST", f"/payments/{uuid.uuid4()}/return", api.admin(), json={"reason": "x"})
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "payment_not_found"


async def test_a_returned_payment_is_undone_and_other_credit_pays_what_it_reopens(
    api: Any, res: Any, consumer: tuple[uuid.UUID, uuid.UUID]
) -> None:
    consumer_id, point = consumer
    await api.bill(consumer_id, point, JUNE, 0, 100)
    await res.publish(api.payment("DON-1", "173.28", paid_on=date(2013, 6, 27)))
    await res.publish(api.payment("DON-2", "100.00", paid_on=date(2013, 6, 28)))
    await res.answered(2)
    returned = PaymentReturned(res_payment_id="DON-1", returned_on=date(2013, 6, 29), reason="помилкові реквізити")
    await res.publish(returned)
    [reversal] = await res.answered(1)
    assert isinstance(reversal, PaymentReversed)
    assert (reversal.res_payment_id, reversal.consumer_id, reversal.amount, reversal.saldo, reversal.reason) == (
        "DON-1", consumer_id, D("173.28"), D("73.28"), "помилкові реквізити")
    assert await balances(api, consumer_id) == {"0789/6/1": ("100.00", "73.28")}
    items = (await api.ok("GET", f"/consumers/{consumer_id}/payments", api.staff()))["items"]
    assert [(item["res_payment_id"], item["state"], item["credit"], len(item["allocations"])) for item in items] == [
        ("DON-2", "applied", "0.00", 1), ("DON-1", "returned", "0.00", 0)]
    # returned again: nothing changes, the same answer
    await res.publish(returned)
    [again] = await res.answered(1)
    assert isinstance(again, PaymentReversed) and (again.payment_id, again.saldo) == (reversal.payment_id, D("73.28"))
    # a payment delivered again after its return is answered with what it is now
    await res.publish(api.payment("DON-1", "173.28", paid_on=date(2013, 6, 27)))
    [present] = await res.answered(1)
    assert isinstance(present, PaymentReversed) and present.payment_id == reversal.payment_id


async def test_a_return_of_an_unknown_payment_is_refused_not_dead_lettered(api: Any, res: Any) -> None:
    refused_before = business("payment_refused")
    await res.publish(PaymentReturned(res_payment_id="DON-404", returned_on=date(2013, 8, 2), reason="відкликано"))
    [refused] = await res.answered(1)
    assert isinstance(refused, PaymentRefused) and (refused.res_payment_id, refused.reason) == (
        "DON-404", "unknown_payment")
    assert refused.errors == ("res_payment_id: no payment DON-404 was received from res-simulator",)
    # a return that overtook its payment is a race the contract expects, not a fault for the supplier's staff
    assert await res.dead_lettered() == 0
    assert business("payment_refused") == refused_before + 1


async def test_each_consumer_sees_only_their_own_payments_and_saldo(api: Any, res: Any, three_invoices: Any,
                                                                   consumer: Any) -> None:
    consumer_id = consumer[0]
    await res.publish(api.payment("DON-1", "10.00"))
    await res.answered(1)
    stranger = api.consumer_user(await api.add_consumer("0064"))
    for path in (f"/consumers/{consumer_id}/payments", f"/consumers/{consumer_id}/saldo"):
        refused = await api.call("GET", path, stranger)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "other_consumer", path
    assert (await api.call("GET", f"/consumers/{uuid.uuid4()}/saldo", api.staff())).status_code == 404
    window = await api.call("GET", f"/consumers/{consumer_id}/payments", api.staff(),
                            params={"from": "2013-09-01", "to": "2013-08-01"})
    assert window.status_code == 422 and window.json()["detail"]["fields"] == {"from": "range_invalid"}
    older = await api.ok("GET", f"/consumers/{consumer_id}/payments", api.staff(),
                         params={"from": "2010-01-01", "to": "2013-08-27"})
    assert older["items"] == [] and older["saldo"]["saldo"] == "839.07"


async def test_two_replicas_and_many_payments_at_once_never_pay_twice(
    api: Any, res: Any, consumer: tuple[uuid.UUID, uuid.UUID], settings: Any, start_billing: Any,
) -> None:
    consumer_id, point = consumer
    other = await api.add_consumer("0064")
    other_point = await api.add_point(other, "777")
    for period, (previous, current) in ((JUNE, (0, 100)), (JULY, (100, 250)), (AUGUST, (250, 450))):
        await api.bill(consumer_id, point, period, previous, current)
        await api.bill(other, other_point, period, previous, current)
    payments = [api.payment(f"DON-{n}", f"{7 + n % 13}.{n % 100:02d}", account_number=("0789", "0064")[n % 2])
                for n in range(400)]
    async with start_billing(settings):  # a second replica on the same queue and database
        await asyncio.gather(res.publish(*payments[:200]), res.publish(*payments[200:]))
        await res.answered(400, within=60)
    paid = sum((payment.amount for payment in payments), D(0))
    assert await api.scalar("SELECT sum(amount) FROM payments") == paid
    assert await api.scalar("SELECT sum(amount) FROM allocations") + await api.scalar(
        "SELECT sum(credit) FROM payments") == paid
    assert await api.scalar("SELECT sum(paid) FROM invoices") == await api.scalar("SELECT sum(amount) FROM allocations")
    assert await api.scalar("SELECT count(*) FROM invoices WHERE paid > total") == 0
    assert await api.scalar("SELECT count(*) FROM invoices i WHERE paid <> (SELECT coalesce(sum(amount), 0) "
                            "FROM allocations a WHERE a.invoice_id = i.id)") == 0


async def test_each_res_system_hears_its_own_answers_only_and_cannot_touch_anothers_payments(
    api: Any, res: Any, amqp_url: str, bus_namespace: str, consumer: Any
) -> None:
    kyiv = "roe-kyiv"
    async with Answers(amqp_url, bus_namespace, res_system=kyiv) as kyiv_answers:
        await res.publish(api.payment("DON-1", "100.00"))
        [accepted] = await res.answered(1)
        assert isinstance(accepted, PaymentAccepted)
        # another RES system sends a payment under the same id, then returns it: neither is its own
        await publish_events(amqp_url, bus_namespace, [api.payment("DON-1", "100.00")], res_system=kyiv)
        [conflict] = await kyiv_answers_of(kyiv_answers, 1)
        assert isinstance(conflict, PaymentRefused) and conflict.reason == "conflict"
        assert conflict.errors == ("res_payment_id: DON-1 is another RES system's payment id; begin your ids with "
                                   "your system's code",)
        await publish_events(amqp_url, bus_namespace, [PaymentReturned(
            res_payment_id="DON-1", returned_on=date(2013, 8, 28), reason="відкликано")], res_system=kyiv)
        [unknown] = await kyiv_answers_of(kyiv_answers, 1)
        assert isinstance(unknown, PaymentRefused) and unknown.reason == "unknown_payment"
        # the first RES system heard nothing of it, and its payment stands
        assert await res.silent()
        assert await kyiv_answers.next(0.5) is None
    assert await api.scalar("SELECT state || ' ' || res_system FROM payments") == "applied res-simulator"
    assert await res.dead_lettered() == 0


async def kyiv_answers_of(answers: Answers, count: int) -> list[Event]:
    received = [await answers.next(20.0) for _ in range(count)]
    assert all(received), received
    return [answer for answer in received if answer is not None]


async def test_a_message_with_a_routing_key_and_a_body_alone_is_taken_once(
    api: Any, res: Any, amqp_url: str, bus_namespace: str, consumer: Any
) -> None:
    body = api.payment("DON-1", "100.00").model_dump_json().encode()

    def publish() -> None:
        # pika, since aio-pika (aiormq) gives every message an id of its own
        with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
            channel = connection.channel()
            key, exchange = "res.payment_received.v1.res-simulator", f"{bus_namespace}.events"
            for _ in range(2):  # the same bytes twice, no properties at all
                channel.basic_publish(exchange, key, body)
            # a content type that is not JSON is refused: the body cannot be trusted to be read right
            channel.basic_publish(exchange, key, body.replace(b"DON-1", b"DON-2"),
                                  properties=pika.BasicProperties(content_type="text/csv"))

    await asyncio.to_thread(publish)
    first, second = await res.answered(2)
    accepted, refused = (first, second) if isinstance(first, PaymentAccepted) else (second, first)
    assert isinstance(accepted, PaymentAccepted) and accepted.res_payment_id == "DON-1"
    assert isinstance(refused, PaymentRefused) and (refused.res_payment_id, refused.message_id) == ("DON-2", None)
    assert refused.errors == ("content_type 'text/csv': the body must be JSON (application/json, or no "
                              "content_type)",)
    assert await res.silent()
    assert await api.scalar("SELECT count(*) FROM payments") == 1


async def test_two_res_systems_may_use_the_same_message_id(api: Any, res: Any, amqp_url: str, bus_namespace: str,
                                                           consumer: Any) -> None:
    async with Answers(amqp_url, bus_namespace, res_system="roe-kyiv") as kyiv_answers:

        def publish() -> None:
            with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
                channel = connection.channel()
                for res_system, res_payment_id in (("res-simulator", "DON-5"), ("roe-kyiv", "KYIV-5")):
                    channel.basic_publish(
                        f"{bus_namespace}.events", f"res.payment_received.v1.{res_system}",
                        api.payment(res_payment_id, "10.00").model_dump_json().encode(),
                        properties=pika.BasicProperties(message_id="1"))

        await asyncio.to_thread(publish)
        [ours] = await res.answered(1)
        [theirs] = await kyiv_answers_of(kyiv_answers, 1)
    assert isinstance(ours, PaymentAccepted) and ours.res_payment_id == "DON-5"
    assert isinstance(theirs, PaymentAccepted) and theirs.res_payment_id == "KYIV-5"
