"""The RES simulator against a real RabbitMQ: statements read with line-numbered errors, payments published as the
contract says, billing's answers printed; and the contract page's schemas are the models'."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue

from devtools import res_simulator
from devtools.res_simulator import (
    RES_SYSTEM,
    NotRouted,
    StatementError,
    parse_statement,
    publish_payments,
    read_statement,
)
from shared.bus.topology import res_answers_bindings, res_system_access
from shared.contracts import asyncapi
from shared.contracts.billing import Allocation, PaymentAccepted, PaymentParked
from shared.contracts.metering import ReadingsTaken
from shared.contracts.res import PaymentReceived, PaymentReturned, ReadingsSubmitted
from shared.testing import eventually, payload_validator

DEMO_STATEMENT = Path(res_simulator.__file__).parent / "data" / "demo-bank-statement.csv"
CONTRACT_PAGE = Path(__file__).resolve().parents[2] / "docs" / "res-bus-contract.md"
HEADER = "date;document_number;amount;payer_iban;bank;mfo;purpose;account_number"
IBAN = "UA263351060000026007233566001"


def line(**changes: str) -> str:
    cells = {"date": "31.07.2013", "document_number": "@2PL998327", "amount": "376,10", "payer_iban": IBAN,
             "bank": "АТ «Ощадбанк»", "mfo": "335106", "purpose": "оплата за е/е сч № 0789/7/1 от 25.07.2013",
             "account_number": "0789"} | changes
    return ";".join(cells.values())


# the statement

def test_the_demo_statement_reads_into_payments() -> None:
    payments = read_statement(DEMO_STATEMENT)
    assert [(p.account_number, p.amount, p.paid_on) for p in payments] == [
        ("0789", Decimal("376.10"), date(2013, 7, 31)), ("0789", Decimal("200.00"), date(2013, 8, 28)),
        ("0789", Decimal("1000.00"), date(2013, 9, 2)), ("0999", Decimal("150.00"), date(2013, 9, 3))]
    assert payments[0].purpose.startswith("оплата за акт электр согл сч № 0789/7/1")
    assert len({p.res_payment_id for p in payments}) == 4


def test_ids_come_from_the_line_so_a_statement_read_again_is_the_same_payments() -> None:
    first = parse_statement(f"{HEADER}\n{line()}\n")
    # the same line with other spacing and another way of writing the amount
    spaced = line(amount=" 376.1 ", payer_iban="UA26 3351 0600 0002 6007 2335 66001")
    again = parse_statement(f"\ufeff{HEADER}\n{spaced}")
    assert first[0].res_payment_id == again[0].res_payment_id
    assert first[0].res_payment_id.startswith("stmt-")
    other = parse_statement(f"{HEADER}\n{line(document_number='@2PL998328')}")
    assert other[0].res_payment_id != first[0].res_payment_id


def test_an_id_column_gives_the_id() -> None:
    payments = parse_statement(f"{HEADER};res_payment_id\n{line()};RES-42\n{line(document_number='2')};\n")
    assert payments[0].res_payment_id == "RES-42"
    assert payments[1].res_payment_id.startswith("stmt-")


def test_ukrainian_column_names_are_understood() -> None:
    header = "Дата;Номер документа;Сума;Рахунок платника;Банк;МФО;Призначення платежу;Особовий рахунок"
    assert parse_statement(f"{header}\n{line()}")[0].amount == Decimal("376.10")


def test_every_bad_line_is_named_and_nothing_is_returned() -> None:
    text = "\n".join([
        HEADER,
        line(),
        line(date="31.02.2013", document_number="2"),
        line(amount="сто", document_number="3"),
        line(mfo="33510", payer_iban="UA12", document_number="4"),
        "",
        line(amount="-5,00", document_number="5"),
        "31.07.2013;6;1,00",
        line(),
    ])
    with pytest.raises(StatementError) as refused:
        parse_statement(text)
    problems = refused.value.problems
    assert problems[0] == "line 3: date: '31.02.2013' is not a date (dd.mm.yyyy or yyyy-mm-dd)"
    assert problems[1] == "line 4: amount: 'сто' is not an amount of money (e.g. 1 238,88)"
    assert problems[2].startswith("line 5: payer_iban: String should have at least 15 characters")
    assert problems[3].startswith("line 5: mfo: String should match pattern")
    assert problems[4] == "line 7: amount: Input should be greater than 0"
    assert problems[5] == "line 8: 3 fields, expected 8"
    assert re.fullmatch(r"line 9: the same payment as line 2 \(res_payment_id stmt-[0-9a-f]{40}\)", problems[6])
    assert len(problems) == 7


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: the file is empty; expected a header line"),
        ("date;amount\n", "line 1: the header must name the columns date;document_number;amount;payer_iban;bank;mfo;"
                          "purpose;account_number;res_payment_id (the last one optional)"),
    ],
)
def test_a_statement_without_its_header_is_refused(text: str, problem: str) -> None:
    with pytest.raises(StatementError) as refused:
        parse_statement(text)
    assert refused.value.problems == (problem,)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_bytes(f"{HEADER}\n{line()}\n".encode("cp1251"))
    with pytest.raises(StatementError, match="not UTF-8"):
        read_statement(statement)


# on the bus

@pytest.fixture
async def channel(amqp_url: str, bus_namespace: str) -> AsyncIterator[AbstractChannel]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        yield channel
        await channel.exchange_delete(f"{bus_namespace}.events")


async def bound_queue(channel: AbstractChannel, namespace: str, *routing_keys: str) -> AbstractQueue:
    """A queue of the test's own on the namespace's exchange, as billing's queue would be."""
    exchange = await channel.declare_exchange(f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    for routing_key in routing_keys:
        await queue.bind(exchange, routing_key)
    return queue


async def take(queue: AbstractQueue, count: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
    taken = []

    async def all_taken() -> bool:
        while len(taken) < count and (message := await queue.get(fail=False)) is not None:
            await message.ack()
            taken.append(message)
        return len(taken) == count

    await eventually(all_taken, within=10.0, interval=0.05, what=f"{count} messages")
    return taken


async def test_payments_are_published_with_the_contracts_properties(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str
) -> None:
    queue = await bound_queue(channel, bus_namespace, PaymentReceived.routing_key(RES_SYSTEM))
    payments = read_statement(DEMO_STATEMENT)
    before = datetime.now(UTC).replace(microsecond=0)
    assert await publish_payments(amqp_url, bus_namespace, payments) == 4
    messages = await take(queue, 4)
    assert [PaymentReceived.model_validate_json(m.body) for m in messages] == payments
    for message in messages:
        assert message.routing_key == "res.payment_received.v1.res-simulator"
        assert message.type == "res.payment_received.v1"
        assert message.content_type == "application/json"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.app_id == "res-simulator"
        assert message.timestamp is not None
        assert before - timedelta(seconds=1) <= message.timestamp.replace(tzinfo=UTC) <= datetime.now(UTC)
        assert json.loads(message.body)["amount"] in {"376.10", "200.00", "1000.00", "150.00"}
    assert len({uuid.UUID(str(m.message_id)) for m in messages}) == 4


async def test_a_rate_spaces_the_messages_out(channel: AbstractChannel, amqp_url: str, bus_namespace: str) -> None:
    await bound_queue(channel, bus_namespace, PaymentReceived.routing_key(RES_SYSTEM))
    payments = parse_statement("\n".join([HEADER, *(line(document_number=str(n)) for n in range(5))]))
    started = asyncio.get_running_loop().time()
    assert await publish_payments(amqp_url, bus_namespace, payments, rate=25) == 5
    assert asyncio.get_running_loop().time() - started >= 4 / 25


async def test_a_payment_nobody_listens_to_is_an_error_not_a_silent_loss(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str
) -> None:
    with pytest.raises(NotRouted, match="does not exist: is billing running"):
        await publish_payments(amqp_url, bus_namespace, read_statement(DEMO_STATEMENT))
    await channel.declare_exchange(f"{bus_namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True)
    with pytest.raises(NotRouted, match="NO_ROUTE"):
        await publish_payments(amqp_url, bus_namespace, read_statement(DEMO_STATEMENT))


async def fake_billing(channel: AbstractChannel, namespace: str, queue: AbstractQueue, count: int) -> None:
    """Answers `count` payments: accepted, or parked for an account it does not know."""
    exchange = await channel.get_exchange(f"{namespace}.events")
    for incoming in await take(queue, count):
        payment = PaymentReceived.model_validate_json(incoming.body)
        answer: PaymentAccepted | PaymentParked
        if payment.account_number == "0789":
            answer = PaymentAccepted(
                res_payment_id=payment.res_payment_id, payment_id=uuid.uuid4(), consumer_id=uuid.uuid4(),
                account_number=payment.account_number, amount=payment.amount,
                allocations=(Allocation(invoice_id=uuid.uuid4(), invoice_number="0789/7/1", amount=payment.amount),),
                credit=Decimal("0.00"), saldo=Decimal("0.00"))
        else:
            answer = PaymentParked(res_payment_id=payment.res_payment_id, payment_id=uuid.uuid4(),
                                   account_number=payment.account_number, amount=payment.amount,
                                   reason="unknown_account")
        await exchange.publish(res_simulator.message(answer), routing_key=answer.routing_key(RES_SYSTEM))


async def test_the_command_publishes_a_statement_and_prints_the_answers(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str
) -> None:
    queue = await bound_queue(channel, bus_namespace, PaymentReceived.routing_key(RES_SYSTEM))
    billing = asyncio.create_task(fake_billing(channel, bus_namespace, queue, 4))
    printed: list[str] = []
    argv = ["--amqp-url", amqp_url, "--namespace", bus_namespace, "payments", "--csv", str(DEMO_STATEMENT),
            "--listen", "--timeout", "10"]
    assert await asyncio.to_thread(res_simulator.main, argv, printed.append) == 0
    await billing
    assert printed[0] == f"published 4 payments (res.payment_received.v1) to {bus_namespace}.events"
    assert sum(answer.startswith("billing.payment_accepted.v1 {") for answer in printed) == 3
    assert sum(answer.startswith("billing.payment_parked.v1 {") for answer in printed) == 1
    assert printed[-1] == "answers: 3 accepted, 1 parked"


async def test_one_payment_is_paid_from_the_command_line_naming_its_invoice(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str
) -> None:
    """What the README's demo walk does to pay its new invoice."""
    queue = await bound_queue(channel, bus_namespace, PaymentReceived.routing_key(RES_SYSTEM))
    billing = asyncio.create_task(fake_billing(channel, bus_namespace, queue, 1))
    printed: list[str] = []
    argv = ["pay", "--account", "0789", "--amount", "35 233,65", "--invoice", "0789/11/1", "--paid-on", "2026-12-01",
            "--listen", "--timeout", "10", "--amqp-url", amqp_url, "--namespace", bus_namespace]
    assert await asyncio.to_thread(res_simulator.main, argv, printed.append) == 0
    await billing
    assert printed[-1] == "answers: 1 accepted"
    [answer] = [line for line in printed if line.startswith("billing.payment_accepted.v1 ")]
    assert json.loads(answer.split(" ", 1)[1])["amount"] == "35233.65"


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc"])
def test_a_payment_of_no_amount_is_refused_before_anything_is_published(
    amount: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        res_simulator.main(["pay", "--account", "0789", "--amount", amount])
    assert exited.value.code == 2
    assert "a positive amount in UAH" in capsys.readouterr().err


async def test_the_command_refuses_a_bad_statement_and_publishes_nothing(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue = await bound_queue(channel, bus_namespace, PaymentReceived.routing_key(RES_SYSTEM))
    statement = tmp_path / "statement.csv"
    statement.write_text(f"{HEADER}\n{line()}\n{line(amount='x', document_number='2')}\n", encoding="utf-8")
    argv = ["payments", "--csv", str(statement), "--amqp-url", amqp_url, "--namespace", bus_namespace]
    assert await asyncio.to_thread(res_simulator.main, argv, print) == 2
    assert "line 3: amount: 'x' is not an amount of money" in capsys.readouterr().err
    await asyncio.sleep(0.2)  # nothing arrives: a message would be there by now
    assert await queue.get(fail=False) is None


async def test_answers_are_printed_as_they_come(channel: AbstractChannel, amqp_url: str, bus_namespace: str) -> None:
    printed: list[str] = []
    argv = ["answers", "--count", "1", "--timeout", "10", "--amqp-url", amqp_url, "--namespace", bus_namespace]
    command = asyncio.create_task(asyncio.to_thread(res_simulator.main, argv, printed.append))

    async def waiting() -> bool:  # the answers queue is bound once it says it waits
        return bool(printed)

    await eventually(waiting, within=10.0, interval=0.05)
    exchange = await channel.get_exchange(f"{bus_namespace}.events")
    parked = PaymentParked(res_payment_id="RES-7", payment_id=uuid.uuid4(), account_number="0999",
                           amount=Decimal("150.00"), reason="unknown_account")
    # another RES system's answer never reaches this one
    await exchange.publish(res_simulator.message(parked.model_copy(update={"res_payment_id": "KYIV-1"})),
                           routing_key=parked.routing_key("roe-kyiv"))
    await exchange.publish(res_simulator.message(parked), routing_key=parked.routing_key(RES_SYSTEM))
    assert await command == 0
    assert printed[1] == f"billing.payment_parked.v1 {parked.model_dump_json()}"


async def test_readings_are_submitted_from_the_command_line_and_metering_answers(
    channel: AbstractChannel, amqp_url: str, bus_namespace: str
) -> None:
    queue = await bound_queue(channel, bus_namespace, ReadingsSubmitted.routing_key(RES_SYSTEM))

    async def fake_metering() -> ReadingsSubmitted:
        (incoming,) = await take(queue, 1)
        submission = ReadingsSubmitted.model_validate_json(incoming.body)
        answer = ReadingsTaken(submission_id=submission.submission_id, account_number=submission.account_number,
                               period=submission.period, act_id=uuid.uuid4(), readings=len(submission.readings))
        exchange = await channel.get_exchange(f"{bus_namespace}.events")
        await exchange.publish(res_simulator.message(answer), routing_key=answer.routing_key(RES_SYSTEM))
        return submission

    metering = asyncio.create_task(fake_metering())
    printed: list[str] = []
    argv = ["readings", "--account", "0789", "--period", "2026-12", "--reading", "07654321:active:1=270",
            "--reading", "07654321:reactive:1=12.5+", "--submission-id", "DON-R-1", "--listen", "--timeout", "10",
            "--amqp-url", amqp_url, "--namespace", bus_namespace]
    assert await asyncio.to_thread(res_simulator.main, argv, printed.append) == 0
    submission = await metering
    assert (submission.submission_id, submission.account_number, submission.period) == ("DON-R-1", "0789", "2026-12")
    assert [(r.meter_serial, r.energy, r.zone, r.value, r.rollover) for r in submission.readings] == [
        ("07654321", "active", 1, Decimal("270"), False), ("07654321", "reactive", 1, Decimal("12.5"), True)]
    assert printed[0] == "published res.readings_submitted.v1 DON-R-1"
    assert printed[-1].startswith("metering.readings_taken.v1 {")


@pytest.mark.parametrize("reading", ["07654321:active:4=1", "07654321:kwh:1=1", "07654321:active:1=-5",
                                     "07654321=270"])
def test_a_reading_that_cannot_be_is_refused_before_anything_is_published(
    reading: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        res_simulator.main(["readings", "--account", "0789", "--reading", reading])
    assert exited.value.code == 2
    assert "SERIAL:ENERGY:ZONE=VALUE" in capsys.readouterr().err


async def test_a_returned_payment_is_reported(channel: AbstractChannel, amqp_url: str, bus_namespace: str) -> None:
    queue = await bound_queue(channel, bus_namespace, PaymentReturned.routing_key(RES_SYSTEM))
    argv = ["return", "--res-payment-id", "RES-42", "--reason", "повернено банком платника", "--returned-on",
            "2013-08-01", "--amqp-url", amqp_url, "--namespace", bus_namespace]
    assert await asyncio.to_thread(res_simulator.main, argv, print) == 0
    (message,) = await take(queue, 1)
    assert PaymentReturned.model_validate_json(message.body).model_dump(exclude={"occurred_at"}) == {
        "res_payment_id": "RES-42", "returned_on": date(2013, 8, 1), "reason": "повернено банком платника"}


# the public contract page and its machine-readable twin

ASYNCAPI = json.loads((CONTRACT_PAGE.parent / "res-bus-contract.asyncapi.json").read_text(encoding="utf-8"))


def page_blocks(heading: str) -> dict[str, Any]:
    """The JSON blocks under the page's `#### <heading> `<name>`` headings, by name."""
    pattern = rf"^#### {heading} `([A-Za-z_.0-9]+)`\n+```json\n(.*?)\n```"
    found = re.findall(pattern, CONTRACT_PAGE.read_text(encoding="utf-8"), re.M | re.S)
    return {name: json.loads(block) for name, block in found}


def test_the_contract_pages_schemas_are_the_asyncapi_documents() -> None:
    assert page_blocks("Schema") == ASYNCAPI["components"]["schemas"] == asyncapi.schemas(), (
        "docs/res-bus-contract.md is out of date: paste what `python -m devtools.res_simulator schemas` prints "
        "into its section 10 (and run `make res-contract`)")


def test_the_contract_pages_examples_fit_the_asyncapi_document_and_the_models() -> None:
    examples = page_blocks("Example of")
    assert list(examples) == [model.message_type() for model in asyncapi.CONTRACT]
    for model in asyncapi.CONTRACT:
        example = examples[model.message_type()]
        payload_validator(ASYNCAPI, model.message_type()).validate(example)
        model.model_validate(example)


def test_the_pages_permissions_are_what_a_res_systems_user_is_given() -> None:
    page = " ".join(CONTRACT_PAGE.read_text(encoding="utf-8").split())
    access = res_system_access("cabinet", "roe-donetsk")
    assert (f"configure `{access.configure}` (nothing), write `{access.write}`, read `{access.read}`, and on the "
            f"exchange `cabinet.events` the topic permissions write `{access.topic_write}`, read "
            f"`{access.topic_read}`") in page
    billing, metering = res_answers_bindings("<system>")
    assert f"bound to `cabinet.events` with `{billing}` and `{metering}`" in page
