"""A RES system on the bus, for local runs, demos, tests and the benchmark: it publishes a bank statement's lines as
`res.payment_received.v1`, a substation meter's readings as `res.readings_submitted.v1`, and prints billing's and
metering's answers, exactly as docs/res-bus-contract.md asks of a real one.

Command line (``python -m devtools.res_simulator --help``)::

    payments --csv STATEMENT.csv [--rate N] [--listen] [--timeout S]
    pay      --account NUMBER --amount UAH [--invoice NUMBER] [--paid-on YYYY-MM-DD] [--listen] [--timeout S]
    return   --res-payment-id ID --reason TEXT [--returned-on YYYY-MM-DD]
    readings --account NUMBER --reading SERIAL:ENERGY:ZONE=VALUE [--reading ...] [--period YYYY-MM]
             [--submission-id ID] [--listen] [--timeout S]
    answers  [--queue NAME] [--count N] [--timeout S]
    schemas  (prints the JSON schemas of the contract's messages, as docs/res-bus-contract.md shows them)

each with [--amqp-url URL] [--namespace NS] [--res-system NAME].

The broker and namespace default to ``CABINET_AMQP_URL`` and ``CABINET_BUS_NAMESPACE`` (``cabinet``); the RES
system it plays (the last word of its routing keys, the one its answers are routed to) to ``res-simulator``. The
statement is the bank-statement export described in docs/res-bus-contract.md («Bank statement CSV»); a file with
any invalid line is refused whole, every problem named with its line number, and nothing is published.
A line's ``res_payment_id`` is its own column when the file has one, otherwise derived from the line's content,
so publishing the same statement again delivers the same payments again (billing counts each once).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import io
import json
import os
import re
import secrets
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)
from pydantic import ValidationError

from shared.bus.topology import QUORUM, Topology, declare_exchange, res_answers_bindings
from shared.business_calendar import Period, business_today
from shared.contracts import asyncapi
from shared.contracts.base import PARTNER_NAME, REGISTRY, Event
from shared.contracts.metering import ReadingsTaken
from shared.contracts.res import MeterReading, PaymentReceived, PaymentReturned, ReadingsSubmitted
from shared.telemetry import inject_into

APP_ID = "res-simulator"
#: the RES system the simulator plays unless told another
RES_SYSTEM = "res-simulator"
#: messages in flight before waiting for the broker's confirmations
PUBLISH_WINDOW = 500
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
#: the account a simulated consumer pays from, as the bank statement shows it: IBAN, bank, MFO
PAYER_BANK = ("UA833052990000026008046800583", "АТ КБ «ПриватБанк»", "305299")

# The statement's columns in their order, with the header names a bank export may use for them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "paid_on": ("date", "дата", "дата платежу"),
    "document_number": ("document_number", "номер документа", "№ документа"),
    "amount": ("amount", "сума"),
    "payer_iban": ("payer_iban", "рахунок платника", "iban платника"),
    "bank": ("bank", "банк", "банк платника"),
    "mfo": ("mfo", "мфо"),
    "purpose": ("purpose", "призначення платежу"),
    "account_number": ("account_number", "особовий рахунок"),
}
#: optional last column: the RES system's own id of the payment
ID_COLUMN = ("res_payment_id", "id платежу")


class StatementError(ValueError):
    """The statement cannot be published: every problem, each with its line number."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class NotRouted(RuntimeError):
    """The broker routed a message to no queue: nothing (billing) listens to that message type on the namespace."""


# The statement

def read_statement(path: Path) -> list[PaymentReceived]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    return parse_statement(text)


def parse_statement(text: str) -> list[PaymentReceived]:
    """The payments of a statement (`;`-separated, a header line first), or StatementError naming every bad line."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    header = next(reader, None)
    if header is None:
        raise StatementError(["line 1: the file is empty; expected a header line"])
    names = [" ".join(cell.split()).lower() for cell in header]
    expected = [aliases for aliases in COLUMNS.values()]
    if len(names) not in (len(expected), len(expected) + 1) or any(
        name not in aliases for name, aliases in zip(names, [*expected, ID_COLUMN], strict=False)
    ):
        columns = ";".join(aliases[0] for aliases in [*expected, ID_COLUMN])
        raise StatementError([f"line 1: the header must name the columns {columns} (the last one optional)"])
    with_ids = len(names) == len(expected) + 1
    payments: list[PaymentReceived] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            problems.append(f"line {line}: {len(cells)} fields, expected {len(names)}")
            continue
        payment, errors = _payment(dict(zip([*COLUMNS, *ID_COLUMN[:1]], cells, strict=False)), with_ids)
        problems += [f"line {line}: {error}" for error in errors]
        if payment is None:
            continue
        seen = first_line_of.setdefault(payment.res_payment_id, line)
        if seen != line:
            problems.append(f"line {line}: the same payment as line {seen} (res_payment_id {payment.res_payment_id})")
            continue
        payments.append(payment)
    if problems:
        raise StatementError(problems)
    return payments


def _payment(cells: dict[str, str], with_ids: bool) -> tuple[PaymentReceived | None, list[str]]:
    fields: dict[str, Any] = {name: value.strip() for name, value in cells.items()}
    errors = []
    paid_on = _date(fields["paid_on"])
    if paid_on is None:
        errors.append(f"date: {fields['paid_on']!r} is not a date (dd.mm.yyyy or yyyy-mm-dd)")
    amount = _amount(fields["amount"])
    if amount is None:
        errors.append(f"amount: {fields['amount']!r} is not an amount of money (e.g. 1 238,88)")
    if errors:
        return None, errors
    fields["paid_on"], fields["amount"] = paid_on, amount
    fields["payer_iban"] = "".join(fields["payer_iban"].split()).upper()
    if not with_ids or not fields.get("res_payment_id"):
        fields["res_payment_id"] = derived_payment_id(fields)
    try:
        return PaymentReceived.model_validate(fields), []
    except ValidationError as exc:
        return None, [f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()]


def _date(text: str) -> date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _amount(text: str) -> Decimal | None:
    """`1 238,88`, `1238.88`: spaces between thousands, a comma or a point before the kopecks."""
    cleaned = "".join(text.split()).replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def derived_payment_id(fields: dict[str, Any]) -> str:
    """The same line gives the same id: a hash of what identifies a statement line (376,1 and 376.10 alike)."""
    identity = {**fields, "amount": f"{fields['amount'].normalize():f}"}
    key = "|".join(str(identity[name]) for name in ("paid_on", "document_number", "amount", "payer_iban", "mfo",
                                                     "account_number", "purpose"))
    return "stmt-" + hashlib.sha256(key.encode()).hexdigest()[:40]


# Publishing

def message(event: Event) -> aio_pika.Message:
    """An event with every property the contract describes (the full form; only the routing key and body are
    required)."""
    return aio_pika.Message(
        body=event.model_dump_json().encode(),
        message_id=str(uuid.uuid4()),
        type=event.message_type(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        timestamp=datetime.now(UTC),
        app_id=APP_ID,
        headers=inject_into({}),
    )


async def publish_events(amqp_url: str, namespace: str, events: Iterable[Event], *, rate: float | None = None,
                         res_system: str = RES_SYSTEM) -> int:
    """Publish persistent messages with publisher confirms, routed `<type>.<res_system>`; returns how many the broker
    confirmed (all, or it raises). `rate`: at most so many messages a second. Raises NotRouted when no queue takes a
    message type."""
    connection = await aio_pika.connect(amqp_url, client_properties={"connection_name": APP_ID})
    async with connection:
        # on_return_raises: an unroutable (mandatory) message fails its publish instead of vanishing; the
        # failure says it all, so the returned message needs no handler of its own (aio-pika would log it)
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        channel.return_callbacks.add(lambda *_: None)
        exchange = await _events_exchange(channel, namespace)
        loop = asyncio.get_running_loop()
        started = loop.time()
        in_flight: list[asyncio.Task[Any]] = []
        published = 0
        for index, event in enumerate(events):
            if rate:
                await asyncio.sleep(max(0.0, started + index / rate - loop.time()))
            in_flight.append(asyncio.create_task(
                exchange.publish(message(event), routing_key=event.routing_key(res_system), mandatory=True)))
            if len(in_flight) >= PUBLISH_WINDOW:
                published += await _confirmed(in_flight, namespace)
                in_flight = []
        published += await _confirmed(in_flight, namespace)
    return published


async def _events_exchange(channel: AbstractChannel, namespace: str) -> AbstractExchange:
    """The cabinet's exchange, declared passively as a RES system's user may (billing declares it)."""
    name = Topology(namespace, APP_ID).exchange
    try:
        return await channel.get_exchange(name, ensure=True)
    except aio_pika.exceptions.ChannelNotFoundEntity as exc:
        raise NotRouted(f"{name} does not exist: is billing running with this namespace?") from exc


async def _confirmed(in_flight: list[asyncio.Task[Any]], namespace: str) -> int:
    try:
        await asyncio.gather(*in_flight)
    except aio_pika.exceptions.PublishError as exc:
        for task in in_flight:
            task.cancel()
        raise NotRouted(f"{namespace}.events routed a message to no queue ({exc}): is billing running with this "
                        "namespace?") from exc
    return len(in_flight)


async def publish_payments(amqp_url: str, namespace: str, payments: Iterable[PaymentReceived], *,
                           rate: float | None = None, res_system: str = RES_SYSTEM) -> int:
    """Publish `res.payment_received.v1` messages: one per payment."""
    return await publish_events(amqp_url, namespace, payments, rate=rate, res_system=res_system)


# Answers

class Answers:
    """A queue bound to billing's answers to one RES system, declared before publishing so that no answer is missed.

    Without a `queue` name it is a temporary queue of this process; with one, a durable quorum queue of that name,
    as the supplier's operations team declares each RES system's (see docs/res-bus-contract.md).
    """

    def __init__(self, amqp_url: str, namespace: str, *, queue: str | None = None,
                 res_system: str = RES_SYSTEM) -> None:
        self._amqp_url = amqp_url
        self._namespace = namespace
        self._queue_name = queue
        self._res_system = res_system
        self._received: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._connection: AbstractConnection | None = None

    async def __aenter__(self) -> Answers:
        self._connection = await aio_pika.connect(self._amqp_url, client_properties={"connection_name": APP_ID})
        channel = await self._connection.channel()
        exchange = await declare_exchange(channel, Topology(self._namespace, APP_ID))
        queue = await self._declare_queue(channel)
        for binding in res_answers_bindings(self._res_system):
            await queue.bind(exchange, binding)
        await queue.consume(self._received.put)
        return self

    async def _declare_queue(self, channel: AbstractChannel) -> AbstractQueue:
        if self._queue_name is None:
            return await channel.declare_queue(exclusive=True, auto_delete=True)
        return await channel.declare_queue(self._queue_name, durable=True, arguments=QUORUM)

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def next(self, within: float | None) -> Event | None:
        """The next answer (acknowledged), or None when none came within so many seconds."""
        try:
            async with asyncio.timeout(within):
                incoming = await self._received.get()
        except TimeoutError:
            return None
        async with incoming.process():
            contract = REGISTRY.get(incoming.type or "")
            if contract is None:
                raise ValueError(f"not an answer: message type {incoming.type!r}")
            return contract.model_validate_json(incoming.body)


def describe(answer: Event) -> str:
    """One line per answer: its type and body."""
    return f"{answer.message_type()} {answer.model_dump_json()}"


# Command line

async def _payments_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    return await _publish(args, read_statement(args.csv), out)


async def _pay_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """One payment typed on the command line, as a bank statement's line of it would say."""
    number = f"SIM{secrets.randbelow(10**6):06d}"
    purpose = f"Оплата за електроенергію згідно рах. № {args.invoice}, у т.ч. ПДВ 20%" if args.invoice else (
        "Оплата за електроенергію, у т.ч. ПДВ 20%")
    iban, bank, mfo = PAYER_BANK
    payment = PaymentReceived(
        res_payment_id=f"sim-{number}", account_number=args.account, amount=args.amount, paid_on=args.paid_on,
        payer_iban=iban, bank=bank, mfo=mfo, document_number=number, purpose=purpose,
    )
    return await _publish(args, [payment], out)


async def _publish(args: argparse.Namespace, payments: list[PaymentReceived], out: Callable[[str], None]) -> int:
    if not args.listen:
        count = await publish_payments(args.amqp_url, args.namespace, payments, rate=args.rate,
                                       res_system=args.res_system)
        out(f"published {count} payments ({PaymentReceived.message_type()}) to {args.namespace}.events")
        return 0
    async with Answers(args.amqp_url, args.namespace, res_system=args.res_system) as answers:
        count = await publish_payments(args.amqp_url, args.namespace, payments, rate=args.rate,
                                       res_system=args.res_system)
        out(f"published {count} payments ({PaymentReceived.message_type()}) to {args.namespace}.events")
        waiting = {payment.res_payment_id for payment in payments}
        kinds: Counter[str] = Counter()
        while waiting:
            answer = await answers.next(args.timeout)
            if answer is None:
                break
            out(describe(answer))
            res_payment_id = getattr(answer, "res_payment_id", None)
            if res_payment_id in waiting:
                waiting.discard(res_payment_id)
                kinds[answer.event_name.removeprefix("billing.payment_")] += 1
    summary = ", ".join(f"{number} {kind}" for kind, number in sorted(kinds.items())) or "no answers"
    out(f"answers: {summary}; {len(waiting)} unanswered after {args.timeout:g} s" if waiting else
        f"answers: {summary}")
    return 1 if waiting else 0


async def _return_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    returned = PaymentReturned(res_payment_id=args.res_payment_id, returned_on=args.returned_on, reason=args.reason)
    await publish_events(args.amqp_url, args.namespace, [returned], res_system=args.res_system)
    out(f"published {PaymentReturned.message_type()} for {args.res_payment_id}")
    return 0


async def _readings_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """A substation meter's readings of one period, typed on the command line; with --listen, metering's answer."""
    submission = ReadingsSubmitted(
        submission_id=args.submission_id or f"sim-R-{secrets.randbelow(10**6):06d}", account_number=args.account,
        period=args.period, readings=tuple(args.reading),
    )
    if not args.listen:
        await publish_events(args.amqp_url, args.namespace, [submission], res_system=args.res_system)
        out(f"published {ReadingsSubmitted.message_type()} {submission.submission_id}")
        return 0
    async with Answers(args.amqp_url, args.namespace, res_system=args.res_system) as answers:
        await publish_events(args.amqp_url, args.namespace, [submission], res_system=args.res_system)
        out(f"published {ReadingsSubmitted.message_type()} {submission.submission_id}")
        while (answer := await answers.next(args.timeout)) is not None:
            out(describe(answer))
            if getattr(answer, "submission_id", None) == submission.submission_id:
                return 0 if isinstance(answer, ReadingsTaken) else 1
    out(f"no answer after {args.timeout:g} s")
    return 1


async def _answers_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    async with Answers(args.amqp_url, args.namespace, queue=args.queue, res_system=args.res_system) as answers:
        out(f"waiting for answers on {args.namespace}.events (Ctrl+C to stop)")
        received = 0
        while args.count is None or received < args.count:
            answer = await answers.next(args.timeout)
            if answer is None:
                break
            out(describe(answer))
            received += 1
    return 0


async def _schemas_command(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    """The schemas of the AsyncAPI document (components/schemas), each under its heading on the page."""
    for name, schema in asyncapi.schemas().items():
        out(f"#### Schema `{name}`\n\n```json\n{json.dumps(schema, indent=2, ensure_ascii=False)}\n```\n")
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _payment_amount(text: str) -> Decimal:
    amount = _amount(text)
    if amount is None or amount <= 0 or amount != round(amount, 2):
        raise argparse.ArgumentTypeError("a positive amount in UAH with at most two decimal places, e.g. 1238.88")
    return amount


def _res_system(text: str) -> str:
    if not PARTNER_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError("lower-case letters, digits, '-' and '_', e.g. roe-donetsk")
    return text


def _meter_reading(text: str) -> MeterReading:
    """`SERIAL:ENERGY:ZONE=VALUE`, `+` after the value for a roll-over: `07654321:active:1=270`."""
    found = re.fullmatch(r"([^:=\s]+):(active|reactive):([1-3])=([0-9]+(?:\.[0-9]{1,4})?)(\+?)", text)
    if found is None:
        raise argparse.ArgumentTypeError("SERIAL:ENERGY:ZONE=VALUE, e.g. 07654321:active:1=270 (energy active or "
                                         "reactive, zone 1-3, '+' after the value if the meter rolled over)")
    serial, energy, zone, value, rollover = found.groups()
    return MeterReading(meter_serial=serial, energy=energy, zone=int(zone), value=Decimal(value),
                        rollover=bool(rollover))


def _period(text: str) -> str:
    if Period.parse(text) is None:
        raise argparse.ArgumentTypeError("a billing period YYYY-MM, e.g. 2026-12")
    return text


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a date YYYY-MM-DD") from None


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.res_simulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-url", default=os.environ.get("CABINET_AMQP_URL", DEFAULT_AMQP_URL))
    parser.add_argument("--namespace", default=os.environ.get("CABINET_BUS_NAMESPACE", "cabinet"))
    parser.add_argument("--res-system", type=_res_system, default=RES_SYSTEM,
                        help="the RES system it plays: its routing keys end with it, its answers come to it")
    commands = parser.add_subparsers(dest="command", required=True)
    payments = commands.add_parser("payments", help="publish a bank statement's payments")
    payments.add_argument("--csv", type=Path, required=True, help="the bank statement export")
    payments.add_argument("--rate", type=_positive, help="at most N messages a second (default: as fast as it goes)")
    payments.add_argument("--listen", action="store_true", help="then print billing's answers to them")
    payments.add_argument("--timeout", type=_positive, default=30.0, help="how long to wait for an answer (s)")
    pay = commands.add_parser("pay", help="publish one payment of a consumer (an invoice's, say)")
    pay.add_argument("--account", required=True, help="the consumer's account number, e.g. 0789")
    pay.add_argument("--amount", type=_payment_amount, required=True, help="UAH, e.g. 35233.65")
    pay.add_argument("--invoice", help="the invoice it pays, named in the purpose, e.g. 0789/11/1")
    pay.add_argument("--paid-on", type=_day, default=business_today(datetime.now(UTC)))
    pay.add_argument("--listen", action="store_true", help="then print billing's answer to it")
    pay.add_argument("--timeout", type=_positive, default=30.0, help="how long to wait for the answer (s)")
    pay.set_defaults(rate=None)
    returned = commands.add_parser("return", help="report a payment returned to the payer")
    returned.add_argument("--res-payment-id", required=True)
    returned.add_argument("--reason", required=True)
    returned.add_argument("--returned-on", type=_day, default=business_today(datetime.now(UTC)))
    readings = commands.add_parser("readings", help="submit a substation meter's readings of a consumer")
    readings.add_argument("--account", required=True, help="the consumer's account number, e.g. 0789")
    readings.add_argument("--period", type=_period, default=str(Period.of(business_today(datetime.now(UTC)))),
                          help="the billing period YYYY-MM (default: this month)")
    readings.add_argument("--reading", type=_meter_reading, action="append", required=True,
                          help="SERIAL:ENERGY:ZONE=VALUE, once per register, e.g. 07654321:active:1=270")
    readings.add_argument("--submission-id", help="the RES system's id of the submission (default: a new one)")
    readings.add_argument("--listen", action="store_true", help="then print metering's answer to it")
    readings.add_argument("--timeout", type=_positive, default=30.0, help="how long to wait for the answer (s)")
    answers = commands.add_parser("answers", help="print billing's and metering's answers")
    answers.add_argument("--queue", help="a durable queue of this name (default: a temporary one)")
    answers.add_argument("--count", type=int, help="stop after N answers")
    answers.add_argument("--timeout", type=_positive, help="stop when no answer came for S seconds")
    commands.add_parser("schemas", help="print the JSON schemas of the contract's messages")
    # the common options are also accepted after the command
    for command in (payments, pay, returned, readings, answers):
        command.add_argument("--amqp-url", default=argparse.SUPPRESS)
        command.add_argument("--namespace", default=argparse.SUPPRESS)
        command.add_argument("--res-system", type=_res_system, default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    run = {"payments": _payments_command, "pay": _pay_command, "return": _return_command,
           "readings": _readings_command, "answers": _answers_command, "schemas": _schemas_command}[args.command]
    try:
        return asyncio.run(run(args, out))
    except StatementError as exc:
        print(f"{args.csv}: refused, nothing published:", *exc.problems, sep="\n  ", file=sys.stderr)
        return 2
    except NotRouted as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
