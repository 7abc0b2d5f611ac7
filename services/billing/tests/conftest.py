"""The billing app on a database of its own (real PostgreSQL) and a bus namespace of its own (real RabbitMQ).

Billing reads the supplier branches' details from the real identity service (one per test session, in this
process, reached through an in-process transport). `api` calls billing over ASGI with service tokens the way the
gateway does; `world` feeds it consumers and metering points through the same use cases its handlers call.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from billing.app import create_app
from billing.copies import Copies
from billing.runtime import Runtime
from billing.settings import BillingSettings
from billing.tariffs import NewTariff, Tariffs
from devtools.res_simulator import Answers, publish_events
from identity.app import create_app as create_identity_app
from identity.settings import IdentitySettings
from identity.staff import Staff
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens
from shared.bus import Topology
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.base import Event
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from shared.contracts.metering import MeteringPointChanged, ReadingLine, ReadingsAccepted
from shared.contracts.res import PaymentReceived
from shared.db import create_database_if_missing, drop_database
from shared.testing import ServiceApi, delete_bus, eventually, staff_of, wait_for_consumer

BRANCH = {
    "name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»", "edrpou": "31793056", "iban": "UA213052990000000026001234567",
    "address": "м. Київ, вул. Лейпцизька, 15", "phone": "+380 44 000 00 00", "email": "pem@cabinet.local",
}
#: «today» for the tests: after the billing day of August 2013 (the manual's invoices)
TODAY = datetime(2013, 8, 26, 9, 0, tzinfo=BUSINESS_TIME_ZONE)


@dataclass(frozen=True)
class IdentityService:
    app: FastAPI
    branch_id: uuid.UUID


@pytest.fixture(scope="session")
async def identity(postgres_url: str, amqp_url: str, run_id: str, service_token_secret: str
                   ) -> AsyncIterator[IdentityService]:
    """The identity service with the supplier's branch, for the whole session."""
    namespace = f"test{run_id}identity"
    settings = IdentitySettings(
        postgres_url=postgres_url, database_name=f"test_billing_identity_{secrets.token_hex(4)}", amqp_url=amqp_url,
        bus_namespace=namespace, service_token_secret=service_token_secret, log_format="console",
    )
    await create_database_if_missing(settings.database_url)
    app = create_identity_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with app.state.database.transaction() as session:
                branch = await Staff(session, app.state.identity).create_branch(**BRANCH)
            yield IdentityService(app, branch.id)
    finally:
        await drop_database(settings.database_url)
        await delete_bus(amqp_url, namespace, ["identity"])


@pytest.fixture
async def settings(
    database_factory: Callable[[str], Awaitable[str]], postgres_url: str, amqp_url: str, bus_namespace: str,
    service_token_secret: str,
) -> BillingSettings:
    url = await database_factory("billing")
    return BillingSettings(
        postgres_url=postgres_url, database_name=url.rsplit("/", 1)[1], amqp_url=amqp_url,
        bus_namespace=bus_namespace, service_token_secret=service_token_secret, log_format="console",
        billing_run_batch=3,
    )


@pytest.fixture
def start_billing(
    identity: IdentityService, amqp_url: str
) -> Callable[[BillingSettings], AbstractAsyncContextManager[FastAPI]]:
    """`async with start_billing(settings) as app:` the app as uvicorn runs it, its clock at `TODAY`."""

    @asynccontextmanager
    async def running(settings: BillingSettings) -> AsyncIterator[FastAPI]:
        app = create_app(settings, identity_transport=httpx.ASGITransport(app=identity.app))
        app.state.billing.now = lambda: TODAY
        try:
            async with app.router.lifespan_context(app):
                yield app
        finally:
            await delete_bus(amqp_url, settings.bus_namespace, ["billing"])

    return running


@pytest.fixture
async def app(settings: BillingSettings, start_billing: Callable[[BillingSettings],
                                                                 AbstractAsyncContextManager[FastAPI]]
              ) -> AsyncIterator[FastAPI]:
    async with start_billing(settings) as started:
        yield started


def admin() -> Principal:
    return Principal(user_id=uuid.uuid4(), role=Role.ADMIN, ip="198.51.100.7")


def consumer_user(consumer_id: uuid.UUID) -> Principal:
    return Principal(user_id=uuid.uuid4(), consumer_id=consumer_id, role=Role.CONSUMER, ip="198.51.100.7",
                     consumer_role=ConsumerRole.DIRECTOR)


class Api(ServiceApi):
    """The billing API as the gateway calls it, the use cases its handlers call, and a look into its database."""

    admin = staticmethod(admin)
    consumer_user = staticmethod(consumer_user)
    readings_accepted = staticmethod(lambda *args, **kwargs: readings_accepted(*args, **kwargs))
    payment = staticmethod(lambda *args, **kwargs: payment(*args, **kwargs))

    def __init__(self, app: FastAPI, tokens: ServiceTokens, branch_id: uuid.UUID) -> None:
        super().__init__(app, tokens, "billing")
        self.runtime: Runtime = app.state.billing
        self.branch_id = branch_id

    def staff(self) -> Principal:
        """A staff member of the branch the tests' consumers belong to."""
        return staff_of(self.branch_id, ip="198.51.100.7")

    async def renders(self, document_type: str) -> list[dict[str, Any]]:
        """The PDFs asked of documents, of one type (a tax invoice's once its invoice's PDF is stored)."""
        return [body for body in await self.outbox("documents.render_requested.v1")
                if body["document_type"] == document_type]

    async def store_invoice_pdfs(self) -> list[uuid.UUID]:
        """What documents would answer to every invoice's PDF request not answered yet: `document_stored`, handled as
        billing's consumer handles it. The documents' ids, in the order of the requests."""
        stored = []
        for render in await self.renders("invoice"):
            document_id = uuid.uuid4()
            async with self.database.transaction() as session:
                await Copies(session, self.runtime).attach_documents([DocumentStored(
                    document_id=document_id, consumer_id=render["consumer_id"], document_type="invoice",
                    period=render["period"], title=render["title"], file_name=render["file_name"],
                    content_type="application/pdf", size=1000, sha256="0" * 64, replaces=None,
                    source_event=render["source_event"])])
            stored.append(document_id)
        return stored

    def set_today(self, day: date) -> None:
        self.runtime.now = lambda: datetime(day.year, day.month, day.day, 9, 0, tzinfo=BUSINESS_TIME_ZONE)

    # what identity's and metering's events bring, through the use cases the handlers call
    async def add_consumer(self, account_number: str = "0789", *, self_calculation: bool = True,
                           billing_day: int = 25, name: str = 'Кооператив "Автомобіліст-2"', vat_payer: bool = True,
                           ipn: str | None = None, consumer_id: uuid.UUID | None = None) -> uuid.UUID:
        """A consumer account as identity announces it; given `consumer_id`, identity's change of that account (the
        whole new state)."""
        event = ConsumerAccountUpdated if consumer_id else ConsumerAccountCreated
        consumer_id = consumer_id or uuid.uuid4()
        async with self.database.transaction() as session:
            await Copies(session, self.runtime).keep_consumer(event(
                consumer_id=consumer_id, account_number=account_number, name=name, edrpou="12345678",
                branch_id=self.branch_id, branch_name="ПАТ «ДТЕК ПЕМ-Енерговугілля»",
                agreement_email="demo@cabinet.local", billing_day=billing_day, self_calculation=self_calculation,
                e_signature=True, vat_payer=vat_payer, ipn=ipn,
            ))
        return consumer_id

    async def add_point(self, consumer_id: uuid.UUID, serial: str, *, zones: int = 1, digits: int = 6,
                        ct: str = "1", vt: str = "1", reactive: bool = False, tariff_class: str = "class2_general",
                        active: bool = True, point_id: uuid.UUID | None = None) -> uuid.UUID:
        point_id = point_id or uuid.uuid4()
        async with self.database.transaction() as session:
            await Copies(session, self.runtime).keep_point(MeteringPointChanged(
                point_id=point_id, consumer_id=consumer_id, meter_serial=serial, zones=zones, digits=digits,
                ct_ratio=Decimal(ct), vt_ratio=Decimal(vt), location="consumer_site", consumer_reads=True,
                registers=("active", "reactive") if reactive else ("active",), tariff_class=tariff_class,
                active=active,
            ))
        return point_id

    async def accept(self, consumer_id: uuid.UUID, period: str,
                     lines: Iterable[tuple[uuid.UUID, str, int, str, str] | tuple[uuid.UUID, str, int, str, str, bool]],
                     *, correction_reason: str | None = None) -> list[uuid.UUID]:
        """Accepted readings: (point, energy, zone, previous, current[, rollover]) lines; the corrections issued."""
        event = readings_accepted(consumer_id, period, lines, correction_reason=correction_reason)
        async with self.database.transaction() as session:
            return await Copies(session, self.runtime).accept_readings([event])

    async def bill(self, consumer_id: uuid.UUID, point_id: uuid.UUID, period: str, previous: int, current: int,
                   ) -> dict[str, Any]:
        """The period's invoice, formed by staff on the 26th of its month for the readings given."""
        year, month = map(int, period.split("-"))
        self.set_today(date(year, month, 26))
        await self.accept(consumer_id, period, [(point_id, "active", 1, str(previous), str(current))])
        invoice: dict[str, Any] = await self.ok("POST", f"/consumers/{consumer_id}/invoices", self.staff(),
                                                json={"period": period})
        return invoice

    async def add_tariff(self, tariff_class: str, energy: str, price: str, effective_from: date,
                         title: str = "Непобутові споживачі, 2 клас напруги") -> None:
        async with self.database.transaction() as session:
            await Tariffs(session).add(self.staff(), NewTariff(
                tariff_class=tariff_class, energy=energy, price=Decimal(price), effective_from=effective_from,
                title=title))


def readings_accepted(
    consumer_id: uuid.UUID, period: str,
    lines: Iterable[tuple[uuid.UUID, str, int, str, str] | tuple[uuid.UUID, str, int, str, str, bool]],
    *, correction_reason: str | None = None,
) -> ReadingsAccepted:
    return ReadingsAccepted(
        act_id=uuid.uuid4(), consumer_id=consumer_id, period=period,
        source="staff" if correction_reason else "consumer",
        readings=tuple(
            ReadingLine(point_id=line[0], energy=line[1], zone=line[2], previous=Decimal(line[3]),
                        current=Decimal(line[4]), rollover=len(line) > 5 and bool(line[-1]))
            for line in lines
        ),
        correction_reason=correction_reason,
    )


@pytest.fixture
def api_of(service_token_secret: str, identity: IdentityService) -> Callable[[FastAPI], Api]:
    """`Api(app)` for a billing app a test started itself."""
    return lambda app: Api(app, ServiceTokens(service_token_secret, issuer="gateway"), identity.branch_id)


@pytest.fixture
async def api(app: FastAPI, api_of: Callable[[FastAPI], Api]) -> AsyncIterator[Api]:
    api = api_of(app)
    async with api.client:
        yield api


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def payment(res_payment_id: str, amount: str, *, account_number: str = "0789", purpose: str = "оплата за е/е",
            paid_on: date = date(2013, 8, 28), **changes: Any) -> PaymentReceived:
    """A bank-statement line as a RES system reports it."""
    return PaymentReceived(
        res_payment_id=res_payment_id, account_number=account_number, amount=Decimal(amount), paid_on=paid_on,
        payer_iban="UA263351060000026007233566001", bank="Філія-Донецьке обласне управління АТ «Ощадбанк»",
        mfo="335106", purpose=purpose, document_number="@2PL998327", **changes,
    )


@dataclass
class ResSystem:
    """A RES system on billing's bus, through the RES simulator's functions: publishes, hears the answers, and
    looks into billing's dead-letter queue as the operations team would."""

    amqp_url: str
    namespace: str
    answers: Answers

    async def publish(self, *events: Event) -> None:
        assert await publish_events(self.amqp_url, self.namespace, events) == len(events)

    async def answered(self, count: int, within: float = 20.0) -> list[Event]:
        """The next `count` answers, in the order they came."""
        received = []
        for _ in range(count):
            answer = await self.answers.next(within)
            assert answer is not None, f"{len(received)} of {count} answers came: {received}"
            received.append(answer)
        return received

    async def silent(self, within: float = 1.0) -> bool:
        return await self.answers.next(within) is None

    async def dead_lettered(self) -> int:
        """How many messages wait in billing's dead-letter queue."""
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(Topology(self.namespace, "billing").dead_letter_queue, passive=True)
            return int(queue.declaration_result.message_count or 0)

    async def dead_letters(self, count: int, within: float = 20.0) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(headers, body) of the next `count` messages dead-lettered by billing."""
        connection = await aio_pika.connect(self.amqp_url)
        found: list[tuple[dict[str, Any], dict[str, Any]]] = []
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(Topology(self.namespace, "billing").dead_letter_queue, passive=True)

            async def all_found() -> bool:
                while len(found) < count and (message := await queue.get(fail=False, no_ack=True)) is not None:
                    found.append((dict(message.headers or {}), json.loads(message.body)))
                return len(found) >= count

            await eventually(all_found, within=within, interval=0.05)
        return found


@pytest.fixture
async def res(app: FastAPI, amqp_url: str, bus_namespace: str) -> AsyncIterator[ResSystem]:
    await wait_for_consumer(amqp_url, Topology(bus_namespace, "billing").queue)
    async with Answers(amqp_url, bus_namespace) as answers:
        yield ResSystem(amqp_url, bus_namespace, answers)
