"""The demo consumer's half year, made the way it is made in life and dated as it happened.

The supplier's staff register the consumer's two meters (the metering API). Then, month by month, on the consumer's
billing day: staff enter the RES substation meter's readings (their own record: nobody signs it); the consumer's
accountant enters their own meter's readings and signs the act of readings transfer with their key, which accepts
the readings; they press «Розрахувати» and the invoice and its tax invoice are formed; the settlement manager signs
the act, the invoice and the tax invoice for the supplier that afternoon, the accountant signs the invoice the next
morning; a RES system reports each invoice's payment a few days later, over the bus (the simulator). Each step
goes through its service's own use case, as of the moment it happened (`metering.demo`, `billing.demo`,
`signature.demo`, run in this process against the services' databases), while the running services render the
documents and carry the events between them — so every date the cabinet shows is the day the thing happened.

The open period ends the story: the substation meter's reading is in, the consumer's own meter waits for the
consumer (the README's walk). Idempotent: a consumer that has metering points already keeps its history; only a
new open period (a later `make run`, a month on) gets the substation meter's reading entered, so the story still
ends the same way.

`load()` is called by the local run (`devtools.run`), the end-to-end tests and the load benchmark, which loads many
consumers without signers (their readings then are all entered by staff, and nobody signs their history).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

from billing.demo import History as BillingHistory
from billing.settings import BillingSettings
from devtools.processes import Layout, System
from devtools.res_simulator import PAYER_BANK, NotRouted, publish_payments
from metering.demo import History as MeteringHistory
from metering.demo import RegisterOf
from metering.models import ActSource
from metering.settings import MeteringSettings
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.res import PaymentReceived
from shared.settings import ServiceSettings
from shared.testing import run_in_thread
from signature.demo import History as SignatureHistory
from signature.demo import Signer
from signature.domain import keys
from signature.domain.statuses import Party
from signature.settings import SignatureSettings

T = TypeVar("T")
S = TypeVar("S", bound=ServiceSettings)

#: the months of history before the open period
HISTORY_MONTHS = 6
#: the consumer's own two-zone meter, and the RES substation's meter with a current transformer 200/5; both were
#: installed new, showing 0 (the history's readings count from there)
POINTS = (
    {"meter_serial": "01234567", "zones": 2, "digits": 6, "ct_ratio": "1", "vt_ratio": "1",
     "location": "consumer_site", "consumer_reads": True, "registers": ["active"], "tariff_class": "class2_general",
     "installation_readings": [{"energy": "active", "zone": zone, "value": "0"} for zone in (1, 2)]},
    {"meter_serial": "07654321", "zones": 1, "digits": 5, "ct_ratio": "40", "vt_ratio": "1",
     "location": "res_substation", "consumer_reads": False, "registers": ["active", "reactive"],
     "tariff_class": "class2_general",
     "installation_readings": [{"energy": energy, "zone": 1, "value": "0"} for energy in ("active", "reactive")]},
)
OWN_METER, SUBSTATION_METER = "01234567", "07654321"
#: monthly consumption on each meter (difference of the register), by meter, energy and zone
MONTHLY = {(OWN_METER, "active", 1): 1450, (OWN_METER, "active", 2): 610,
           (SUBSTATION_METER, "active", 1): 38, (SUBSTATION_METER, "reactive", 1): 9}
#: how a month's consumption compares with the usual one, month by month of the history (then the open period)
SEASON = (Decimal("1.00"), Decimal("0.92"), Decimal("0.85"), Decimal("0.88"), Decimal("0.97"), Decimal("1.08"),
          Decimal("1.15"))
#: when on its day each step happened (Kyiv time)
STAFF_READINGS_AT = clock_time(9, 0)
CONSUMER_READINGS_AT = clock_time(10, 0)
ACT_SIGNED_AT = clock_time(10, 5)
CALCULATED_AT = clock_time(10, 15)
SUPPLIER_SIGNS_AT = clock_time(15, 0)
#: the consumer signs an invoice the morning after it is formed
CONSUMER_SIGNS_INVOICE_AFTER = timedelta(days=1, hours=-1)
#: a RES system reports a payment this many days after the invoice (the manual's 0789/7/1: 25.07, paid 31.07)
PAID_AFTER = timedelta(days=6)
#: how long the services may take to carry a step's events between them
STEP_TIMEOUT = 90.0


def months_back(period: str, count: int) -> list[str]:
    """The `count` periods before `period` (`YYYY-MM`), oldest first."""
    year, month = int(period[:4]), int(period[5:])
    periods = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(f"{year:04d}-{month:02d}")
    return periods[::-1]


def readings_of(month: int, meter: str) -> dict[RegisterOf, Decimal]:
    """The meter's registers at the end of the `month`-th month: the meters were new (reading 0) at the start."""
    return {key: Decimal(sum(round(MONTHLY[key] * factor) for factor in SEASON[:month]))
            for key in MONTHLY if key[0] == meter}


@dataclass(frozen=True)
class SignerFiles:
    """A demo signer's files, as the test CA writes them (`devtools.testca.ensure_local_trust`)."""

    cert_file: Path
    key_file: Path
    key_password_file: Path

    @classmethod
    def of(cls, trust: Mapping[str, str], name: str) -> SignerFiles:
        return cls(*(Path(trust[f"demo_{name}_{kind}"]) for kind in ("cert_file", "key_file", "key_password_file")))

    def signer(self, principal: Principal) -> Signer:
        password = keys.read_password_file(self.key_password_file.read_bytes())
        return Signer(principal, self.cert_file.read_bytes(), keys.load_signing_key(self.key_file.read_bytes(),
                                                                                    password))


@dataclass(frozen=True)
class Signers:
    """Who signs the history: the consumer's accountant and the supplier's settlement manager."""

    accountant: Signer
    manager: Signer

    @classmethod
    def of(cls, trust: Mapping[str, str], demo: Mapping[str, str]) -> Signers:
        """The signers of `identity.demo`'s consumer and branch (its `--json` answer)."""
        branch_id = uuid.UUID(demo["branch_id"])
        # the cooperative's accountant does everything there: enters readings, signs acts and invoices
        accountant = Principal(user_id=uuid.UUID(demo["accountant_user_id"]), role=Role.CONSUMER,
                               consumer_id=uuid.UUID(demo["consumer_id"]), branch_id=branch_id,
                               consumer_role=ConsumerRole.DIRECTOR, issuer="demo")
        manager = Principal(user_id=uuid.UUID(demo["staff_user_id"]), role=Role.STAFF, branch_id=branch_id,
                            issuer="demo")
        return cls(SignerFiles.of(trust, "accountant").signer(accountant),
                   SignerFiles.of(trust, "staff").signer(manager))


#: below the 5 s for which uvicorn keeps an idle connection open
KEEPALIVE_SECONDS = 2.0


class Staff:
    """Calls the services' HTTP APIs as the supplier's staff (registering the meters)."""

    def __init__(self, layout: Layout, secret: str) -> None:
        self.layout = layout
        self.tokens = ServiceTokens(secret, issuer="demo")
        self.principal = Principal(user_id=uuid.UUID(int=1), role=Role.ADMIN, issuer="demo")
        # idle connections are dropped well before uvicorn closes them (5 s): a request sent on a connection the
        # server is closing at that moment is reset, and a POST is not retried
        self.http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS))

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.issue(self.principal, ttl=60)}"}
        return await self.http.request(method, f"{self.layout.url(service)}/api/v1{path}", headers=headers, **kwargs)


async def until(attempt: Callable[[], Awaitable[T | None]], what: str, within: float = STEP_TIMEOUT) -> T:
    """Events travel through the bus: asked again until the other service knows."""
    deadline = time.monotonic() + within
    while True:
        result = await attempt()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo: {what} did not happen within {within:.0f}s")
        await asyncio.sleep(0.2)


def settings_of(system: System, service: str, settings_class: type[S]) -> S:
    """The settings the running service reads, from its environment (`CABINET_...`)."""
    prefix = "CABINET_"
    values = {name.removeprefix(prefix).lower(): value for name, value in system.service(service).env.items()
              if name.startswith(prefix)}
    return settings_class.model_validate(values)


class Story:
    """The half year of one consumer, told through the services' use cases."""

    def __init__(self, system: System, consumer_id: str, signers: Signers | None, serial_suffix: str) -> None:
        self.system = system
        self.consumer_id = uuid.UUID(consumer_id)
        self.signers = signers
        self.serial_suffix = serial_suffix
        self.now = datetime.now(BUSINESS_TIME_ZONE)
        self.metering = MeteringHistory(settings_of(system, "metering", MeteringSettings))
        self.billing = BillingHistory(settings_of(system, "billing", BillingSettings))
        self.signature = SignatureHistory(settings_of(system, "signature", SignatureSettings))

    async def close(self) -> None:
        for history in (self.metering, self.billing, self.signature):
            await history.close()

    def at(self, day: date, moment: clock_time) -> datetime:
        """A moment of a past day in Kyiv; never later than now (a billing day that is today)."""
        return min(datetime.combine(day, moment, BUSINESS_TIME_ZONE), self.now - timedelta(minutes=1))

    def readings(self, month: int, meter: str) -> dict[RegisterOf, Decimal]:
        """`readings_of` the consumer's own meters (their serials carry the consumer's suffix)."""
        return {(serial + self.serial_suffix, energy, zone): value
                for (serial, energy, zone), value in readings_of(month, meter).items()}

    async def month(self, number: int, period: str, billing_day: date) -> Any:
        """The `number`-th month of the history: readings, the act, the invoice."""
        await self.metering.enter(self.consumer_id, period, self.readings(number, SUBSTATION_METER),
                                  source=ActSource.STAFF, at=self.at(billing_day, STAFF_READINGS_AT))
        own = self.readings(number, OWN_METER)
        if self.signers is None:
            await self.metering.enter(self.consumer_id, period, own, source=ActSource.STAFF,
                                      at=self.at(billing_day, CONSUMER_READINGS_AT))
        else:
            act_id = await self.metering.enter(self.consumer_id, period, own, source=ActSource.CONSUMER,
                                               at=self.at(billing_day, CONSUMER_READINGS_AT))
            document_id = await self._act_document(act_id)
            await self._sign(self.signers.accountant, Party.CONSUMER, document_id,
                             self.at(billing_day, ACT_SIGNED_AT))
        await until(lambda: self.billing.ready(self.consumer_id, period), f"billing's readings of {period}")
        # the accountant presses «Розрахувати» (the bench's consumers have their invoices formed by staff)
        calculating = self.signers.accountant.principal if self.signers else Principal(role=Role.ADMIN)
        return await self.billing.calculate(calculating, self.consumer_id, period,
                                            at=self.at(billing_day, CALCULATED_AT))

    async def _act_document(self, act_id: uuid.UUID) -> uuid.UUID:
        """The act's PDF, once documents has stored it and both metering and signature have heard so."""
        async def stored() -> uuid.UUID | None:
            act = await self.metering.act(act_id)
            if act is None or act.document_id is None or not await self.signature.knows(act.document_id):
                return None
            return act.document_id
        return await until(stored, f"the PDF of act {act_id}")

    async def _sign(self, signer: Signer, party: Party, document_id: uuid.UUID, at: datetime) -> None:
        certificate_id = await self.signature.register(signer, at=self.history_start)
        await self.signature.sign(signer, certificate_id, document_id, at=at)

    @property
    def history_start(self) -> datetime:
        """When the signers registered their certificates: before the history's first month."""
        return self.now - timedelta(days=31 * (HISTORY_MONTHS + 1))

    async def signatures(self, expected: int) -> None:
        """The supplier signs the history's acts, invoices and tax invoices on their days, the consumer the
        invoices the morning after, once the signature service knows every document (`expected` for the supplier)."""
        assert self.signers is not None
        supplier = await until(lambda: self._awaiting(Party.SUPPLIER, expected),
                               f"{expected} documents waiting for the supplier")
        for document in sorted(supplier, key=lambda document: document.issued_on):
            await self._sign(self.signers.manager, Party.SUPPLIER, document.id,
                             self.at(document.issued_on, SUPPLIER_SIGNS_AT))
        for document in sorted(await self.signature.awaiting(self.consumer_id, Party.CONSUMER),
                               key=lambda document: document.issued_on):
            moment = (datetime.combine(document.issued_on, SUPPLIER_SIGNS_AT, BUSINESS_TIME_ZONE)
                      + CONSUMER_SIGNS_INVOICE_AFTER)
            await self._sign(self.signers.accountant, Party.CONSUMER, document.id, min(moment, self.now))

    async def _awaiting(self, party: Party, expected: int) -> list[Any] | None:
        found = await self.signature.awaiting(self.consumer_id, party)
        return found if len(found) >= expected else None


async def load(system: System, secret: str, consumer_id: str, *, signers: Signers | None,
               serial_suffix: str = "") -> dict[str, Any]:
    """The consumer's meters and half year, unless its meters are there already.

    `serial_suffix` follows the meters' serials: a serial is one active point's only, so each consumer loaded into
    one system needs a suffix of its own (the load benchmark's many consumers)."""
    staff = Staff(system.layout, secret)
    try:
        points_path = f"/consumers/{consumer_id}/points"

        async def known() -> httpx.Response | None:  # metering learns the consumer from identity's event
            response = await staff.call("metering", "GET", points_path)
            return response if response.status_code == 200 else None
        if (await until(known, "metering knowing the consumer")).json():
            await _read_substation_of_open_period(staff, consumer_id)
            return {"loaded": False}
        for point in POINTS:
            (await staff.call("metering", "POST", points_path,
                              json={**point, "meter_serial": f"{point['meter_serial']}{serial_suffix}"})
             ).raise_for_status()
        window = await staff.call("metering", "GET", f"/consumers/{consumer_id}/window")
        window.raise_for_status()
        current, billing_day = window.json()["period"], int(window.json()["billing_day"])
    finally:
        await staff.http.aclose()
    story = Story(system, consumer_id, signers, serial_suffix)
    try:
        periods = months_back(current, HISTORY_MONTHS)
        invoices = []
        for number, period in enumerate(periods, start=1):
            invoices.append(await story.month(number, period, _day(period, billing_day)))
        # the open period: the substation meter is read by staff; the consumer's own meter waits for the consumer
        await story.metering.enter(story.consumer_id, current, story.readings(len(periods) + 1, SUBSTATION_METER),
                                   source=ActSource.STAFF, at=story.at(_day(current, billing_day), STAFF_READINGS_AT))
        if signers is not None:
            # each month's act, invoice and tax invoice wait for the supplier
            await story.signatures(expected=3 * len(invoices))
    finally:
        await story.close()
    env = system.service("billing").env
    paid = await _pay(invoices, env.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
                      env.get("CABINET_BUS_NAMESPACE", "cabinet"), story.now.date())
    return {"loaded": True, "invoices": [invoice.number for invoice in invoices], "payments": paid}


async def _read_substation_of_open_period(staff: Staff, consumer_id: str) -> None:
    """The substation meter's reading of the open period, as staff enter it, unless it is in already."""
    answer = await staff.call("metering", "GET", f"/consumers/{consumer_id}/readings")
    answer.raise_for_status()
    form = answer.json()
    substation = [line for point in form["points"] if point["point"]["meter_serial"].startswith(SUBSTATION_METER)
                  and point["point"]["active"] for line in point["lines"]]
    if not substation or any(line["state"] != "missing" for line in substation):
        return
    month = len(SEASON)  # a month as the open period of the history was
    readings = [{"point_id": line["point_id"], "energy": line["energy"], "zone": line["zone"],
                 "value": str(Decimal(line["previous"]) + round(MONTHLY[SUBSTATION_METER, line["energy"], line["zone"]]
                                                                * SEASON[month - 1]))}
                for line in substation]
    entered = await staff.call("metering", "POST", f"/consumers/{consumer_id}/readings",
                               json={"period": form["period"], "readings": readings, "confirm": True})
    entered.raise_for_status()


def _day(period: str, billing_day: int) -> date:
    return date(int(period[:4]), int(period[5:]), billing_day)


async def _pay(invoices: list[Any], amqp_url: str, namespace: str, today: date) -> int:
    """Every invoice paid in full a few days after it was formed, naming it in the purpose as accountants do."""
    iban, bank, mfo = PAYER_BANK
    payments = [
        PaymentReceived(
            res_payment_id=f"demo-{invoice.number}", account_number=invoice.account_number, amount=invoice.total,
            paid_on=min(invoice.formed_on + PAID_AFTER, invoice.pay_by, today),
            payer_iban=iban, bank=bank, mfo=mfo, document_number=str(1000 + number),
            purpose=f"Оплата за електроенергію згідно рах. № {invoice.number} від {invoice.formed_on:%d.%m.%Y}, "
                    f"у т.ч. ПДВ 20%",
        )
        for number, invoice in enumerate(invoices)
    ]
    try:
        return await publish_payments(amqp_url, namespace, payments)
    except NotRouted:
        print("demo: billing takes no payments yet; none published")
        return 0


def load_demo(system: System, trust: Mapping[str, str], staff_password: str) -> dict[str, Any]:
    """Everything `make run` shows, in a running system: the branch, its staff, the consumer and its accountant
    (`identity.demo`), the tariffs (`billing.demo`), then the consumer's half year, signed by the accountant and the
    staff member with the test CA's demo keys. The end-to-end tests load the demo this same way."""
    made = subprocess.run(
        [sys.executable, "-m", "identity.demo", "--json", "--staff-password", staff_password],
        env={**os.environ, **system.service("identity").env}, capture_output=True, text=True, check=True,
    )
    demo: dict[str, Any] = json.loads(made.stdout.strip().splitlines()[-1])
    subprocess.run([sys.executable, "-m", "billing.demo"], env={**os.environ, **system.service("billing").env},
                   check=True, stdout=subprocess.DEVNULL)
    signers = Signers.of(trust, demo)
    secret = system.service("identity").env["CABINET_SERVICE_TOKEN_SECRET"]
    # in a thread of its own: the caller may be running an event loop already (the end-to-end tests)
    demo["history"] = run_in_thread(load(system, secret, demo["consumer_id"], signers=signers))
    return demo
