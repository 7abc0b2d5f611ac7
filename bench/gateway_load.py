"""The gateway under load: logged-in consumers going through the cabinet's main pages, with every service running
on this machine as processes (as `make run` starts them), on ports, databases and a bus namespace of its own.

Each virtual user is one consumer (its own account, user and session, made through identity's API and the
registration letter, and signed in through the gateway's login form) with a contract on file and the local run's
demo history (devtools.demo: two meters, half a year of readings and invoices made through metering's and billing's
use cases as of their days, every invoice paid by RES over the bus; nobody signs it), on billing's demo tariffs.
Measuring starts once every invoice's PDF is stored and every payment applied. Each user walks its pages in a closed
loop: home `/`, `/settings`, `/documents`, `/invoices`, `/payments`, the contract's download and the latest
invoice's PDF, pausing `--think` seconds on average between pages (exponentially distributed, a person reading).
`--think 0` measures saturation: every user asks again as soon as it has its answer. Any answer but 200 is an error.

    python bench/gateway_load.py [--users 50,200] [--seconds 30] [--think 1.0]

Prints the machine, then per run: requests/s, p50/p95/p99 latency, errors, the same per page, and the CPU time
each process spent per page view (what a replica's capacity follows from, docs/capacity.md). Only loopback
addresses are ever requested.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import resource
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import httpx

BENCH_DIR = Path(__file__).resolve().parent
# bench/billing.py shares its name with the service's package (devtools.demo imports billing): bench/ goes last
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR] + [str(BENCH_DIR)]
from common import machine

import devtools.demo as demo
from devtools.processes import SERVICES, Layout, System
from devtools.testca import ensure_local_trust
from shared.auth import Principal, Role, ServiceTokens
from shared.bus.topology import Topology
from shared.db import drop_database

POSTGRES = os.environ.get("CABINET_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
AMQP = os.environ.get("CABINET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
#: below 32768, where Linux picks the local ports of outgoing connections (a service could not bind one taken so)
LAYOUT = Layout(base_port=26000, smtp_port=26125, mail_http_port=26025, s3_port=26200)
#: argon2id makes registration and sign-in costly on purpose; this many run at once while preparing
SETUP_CONCURRENCY = 4
#: consumers whose history is entered at once: mostly waiting for the bus between a month's readings and invoice
HISTORY_CONCURRENCY = 16
#: how long a consumer's invoices may take to be rendered, stored and sealed, and its payments to be applied
SETTLE_TIMEOUT = 300.0
LINK = re.compile(r"https?://[^\s\"'<>]+/registration/complete/([A-Za-z0-9_-]+)")


@dataclass
class Consumer:
    number: int
    login: str
    password: str
    email: str
    consumer_id: str = ""
    document_id: str = ""
    invoice_document_id: str = ""
    client: httpx.AsyncClient | None = None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)


# --- preparing the consumers -----------------------------------------------------------------------------------

class Setup:
    def __init__(self, system: System, secret: str) -> None:
        self.system = system
        self.secret = secret
        self.tokens = ServiceTokens(secret, issuer="bench")
        self.http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(keepalive_expiry=demo.KEEPALIVE_SECONDS))
        self.limit = asyncio.Semaphore(SETUP_CONCURRENCY)
        self.histories = asyncio.Semaphore(HISTORY_CONCURRENCY)

    def _auth(self, principal: Principal) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(principal)}"}

    async def call(self, method: str, service: str, path: str, principal: Principal, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"{self.system.layout.url(service)}/api/v1{path}",
                                           headers=self._auth(principal), **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {service}{path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    async def _demo_command(self, service: str, *args: str) -> None:
        """One of the local run's demo commands, in the service's environment."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"{service}.demo", *args,
            env={**os.environ, **self.system.service(service).env}, stdout=asyncio.subprocess.DEVNULL,
        )
        if await process.wait() != 0:
            raise RuntimeError(f"{service}.demo failed")

    async def staff(self) -> Principal:
        """The demo branch's staff member, made by the local run's own demo command."""
        password = "bench staff " + secrets.token_hex(8)
        await self._demo_command("identity", "--json", "--staff-password", password)
        session = await self.call("POST", "identity", "/sessions", Principal(role=Role.ANONYMOUS, ip="127.0.0.1"),
                                   json={"login": "manager", "password": password})
        return Principal(user_id=session["user"]["id"], role=Role.STAFF, branch_id=session["user"]["branch"]["id"],
                         ip="127.0.0.1")

    async def tariffs(self) -> None:
        """Billing's demo prices, which the demo meters' tariff class is billed at."""
        await self._demo_command("billing")

    async def consumer(self, staff: Principal, branch_id: str, consumer: Consumer) -> None:
        async with self.limit:
            created = await self.call("POST", "identity", "/consumers", staff, json={
                "account_number": str(700000 + consumer.number), "name": f'ТОВ "Навантаження-{consumer.number}"',
                "edrpou": "32855961", "branch_id": branch_id, "agreement_email": consumer.email,
                "billing_day": 25, "self_calculation": True, "e_signature": True,
            })
            consumer.consumer_id = created["consumer"]["id"]
            token = await self._registration_token(consumer.email)
            await self.call("POST", "identity", "/registration/complete",
                             Principal(role=Role.ANONYMOUS, ip="127.0.0.1"), json={
                                 "token": token, "activation_code": created["activation_code"],
                                 "login": consumer.login, "password": consumer.password,
                                 "password_confirmation": consumer.password,
                             })
            document = await self.call("POST", "documents", "/documents", Principal(role=Role.SERVICE), json={
                "consumer_id": consumer.consumer_id, "type": "contract", "title": "Договір постачання",
                "file_name": "contract.txt", "content_type": "text/plain",
                # a contract's text, about the size of a one-page invoice PDF
                "content_base64": base64.b64encode(b"contract line\n" * 2000).decode(),
            })
            consumer.document_id = document["id"]
        consumer.invoice_document_id = await self._history(staff, consumer)
        async with self.limit:
            consumer.client = await self._signed_in(consumer)
        await self._check_money_pages(consumer)

    async def _history(self, staff: Principal, consumer: Consumer) -> str:
        """The demo consumer's meters, readings, invoices and payments; returns the latest invoice's PDF once
        every invoice's PDF is stored and every payment applied (all of which travel through the bus)."""
        async with self.histories:
            loaded = await demo.load(self.system, self.secret, consumer.consumer_id, signers=None,
                                     serial_suffix=f"-{consumer.number}")
        if not loaded["payments"]:
            raise RuntimeError(f"no payments published for consumer {consumer.number}")
        money = f"/consumers/{consumer.consumer_id}"
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            invoices = (await self.call("GET", "billing", f"{money}/invoices", staff))["items"]
            payments = (await self.call("GET", "billing", f"{money}/payments", staff))["items"]
            if len(invoices) == len(loaded["invoices"]) and all(
                    invoice["document_id"] for invoice in invoices) and \
                    [payment["state"] for payment in payments] == ["applied"] * loaded["payments"]:
                return str(invoices[0]["document_id"])
            if time.monotonic() > deadline:
                raise RuntimeError(f"consumer {consumer.number}: not every invoice stored and every "
                                   f"payment applied within {SETTLE_TIMEOUT:.0f} s: {invoices} {payments}")
            await asyncio.sleep(0.5)

    @staticmethod
    async def _check_money_pages(consumer: Consumer) -> None:
        """What the walk measures must be the pages with the money on them, not empty ones."""
        assert consumer.client is not None
        for page, mark in (("/invoices", f'href="/documents/{consumer.invoice_document_id}/content"'),
                           ("/payments", "data-payment=")):
            answer = await consumer.client.get(page)
            if answer.status_code != 200 or mark not in answer.text:
                raise RuntimeError(f"consumer {consumer.number}: {page} answers {answer.status_code} without "
                                   f"{mark!r}: {answer.text[:2000]}")

    async def _registration_token(self, email: str) -> str:
        deadline = time.monotonic() + 60
        while True:
            letters = (await self.http.get(f"{self.system.layout.mail_url}/api/letters", params={"to": email})).json()
            for letter in letters:
                if found := LINK.search(letter["text"]):
                    return found.group(1)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no registration letter for {email}")
            await asyncio.sleep(0.2)

    async def _signed_in(self, consumer: Consumer) -> httpx.AsyncClient:
        """A browser of its own: the login form, its csrf cookie, the session cookie it gets back."""
        client = httpx.AsyncClient(base_url=self.system.layout.url("gateway"), timeout=30,
                                   limits=httpx.Limits(max_connections=2, max_keepalive_connections=2,
                                                       keepalive_expiry=demo.KEEPALIVE_SECONDS))
        (await client.get("/login")).raise_for_status()
        csrf = client.cookies["csrf"]
        answer = await client.post("/login", data={"login": consumer.login, "password": consumer.password,
                                                   "csrf_token": csrf})
        if answer.status_code != 303 or "session" not in client.cookies:
            raise RuntimeError(f"login of {consumer.login} failed: {answer.status_code}")
        return client

    async def aclose(self) -> None:
        await self.http.aclose()


async def prepare(system: System, secret: str, count: int) -> list[Consumer]:
    setup = Setup(system, secret)
    try:
        staff = await setup.staff()
        await setup.tariffs()
        suffix = secrets.token_hex(3)
        consumers = [Consumer(number=n, login=f"load{suffix}{n:04d}", password=f"load {suffix} пароль {n} ok!",
                              email=f"load-{suffix}-{n}@bench.example") for n in range(count)]
        await asyncio.gather(*(setup.consumer(staff, str(staff.branch_id), consumer) for consumer in consumers))
        return consumers
    finally:
        await setup.aclose()


def pages_of(consumer: Consumer) -> list[tuple[str, str]]:
    """A consumer's walk: (the page's name in the figures, its address)."""
    return [("/", "/"), ("/settings", "/settings"), ("/documents", "/documents"), ("/invoices", "/invoices"),
            ("/payments", "/payments"),
            ("/documents/{contract}/download", f"/documents/{consumer.document_id}/download"),
            ("/documents/{invoice}/content", f"/documents/{consumer.invoice_document_id}/content")]


# --- the load --------------------------------------------------------------------------------------------------

async def walk(consumer: Consumer, until: float, think: float, results: Results) -> None:
    assert consumer.client is not None
    pages = pages_of(consumer)
    # users do not start in step
    position = random.randrange(len(pages))
    await pause(think, until)
    while time.perf_counter() < until:
        name, path = pages[position % len(pages)]
        position += 1
        started = time.perf_counter()
        try:
            response = await consumer.client.get(path)
            await response.aread()
            ok = response.status_code == 200
            problem = f"{response.status_code} {name}"
        except httpx.HTTPError as error:
            ok, problem = False, f"{type(error).__name__} {name}"
        elapsed = time.perf_counter() - started
        if ok:
            results.latencies[name].append(elapsed)
        else:
            results.errors[name] += 1
            if len(results.error_samples) < 5:
                results.error_samples.append(problem)
        await pause(think, until)


async def pause(think: float, until: float) -> None:
    """A person reading the page, for `think` seconds on average; never past the end of the run."""
    if think:
        await asyncio.sleep(min(random.expovariate(1 / think), max(0.0, until - time.perf_counter())))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def summary(latencies: list[float], errors: int, seconds: float) -> str:
    values = sorted(latencies)
    if not values:
        return f"no answers, {errors} errors"
    return (f"{len(values) / seconds:7.1f} req/s   p50 {percentile(values, 0.50) * 1000:6.1f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:6.1f} ms   p99 {percentile(values, 0.99) * 1000:6.1f} ms   "
            f"{errors} errors of {len(values) + errors}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(consumers: list[Consumer], users: int, seconds: float, think: float,
              processes: dict[str, int]) -> None:
    results = Results()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    processes_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(walk(consumer, until, think, results) for consumer in consumers[:users]))
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    load_cpu = (cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime) / elapsed
    everything = [latency for values in results.latencies.values() for latency in values]
    print(f"\n{users} users, think time {think:g} s, {elapsed:.0f} s "
          f"(the load generator itself used {load_cpu:.2f} of a core):")
    print(f"  {'all pages':<31} {summary(everything, sum(results.errors.values()), elapsed)}")
    for name in sorted(set(results.latencies) | set(results.errors)):
        print(f"  {name:<31} {summary(results.latencies[name], results.errors[name], elapsed)}")
    for sample in results.error_samples:
        print(f"  error: {sample}")
    # what each process spent: the figure a replica's capacity follows from (PostgreSQL and RabbitMQ not shown)
    answered = max(1, len(everything))
    usage = {name: cpu_seconds(pid) - processes_before[name] for name, pid in processes.items()}
    print("  CPU per page view: " + ", ".join(
        f"{name} {used / answered * 1000:.1f} ms ({used / elapsed:.2f} cores)" for name, used in usage.items() if used))


# --- the system ------------------------------------------------------------------------------------------------

async def drop(layout: Layout) -> None:
    for name in SERVICES:
        await drop_database(f"{POSTGRES}/{layout.database_prefix}_{name}")
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel()
        for name in SERVICES:
            for queue in Topology(layout.bus_namespace, name).all_queues():
                await channel.queue_delete(queue)
        await channel.exchange_delete(Topology(layout.bus_namespace, "any").exchange)


async def measure(system: System, secret: str, user_counts: list[int], seconds: float, think: float) -> None:
    started = time.perf_counter()
    processes = {name: process.popen.pid for name, process in system.processes.items()
                 if process.popen is not None and name in ("gateway", *SERVICES, "s3")}
    consumers = await prepare(system, secret, max(user_counts))
    print(f"prepared {len(consumers)} signed-in consumers, each with a contract and the demo history "
          f"({demo.HISTORY_MONTHS} invoices, all paid), in {time.perf_counter() - started:.0f} s; "
          f"pages: {', '.join(name for name, _ in pages_of(consumers[0]))}")
    try:
        # a short warm-up: connections opened, caches and prepared statements filled
        await run(consumers, min(user_counts), 5, think, processes)
        print("(warm-up above, not counted)")
        for users in user_counts:
            await run(consumers, users, seconds, think, processes)
    finally:
        for consumer in consumers:
            if consumer.client is not None:
                await consumer.client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="50,200", help="comma-separated numbers of concurrent users")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's pages, seconds")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (printed path)")
    args = parser.parse_args()
    user_counts = [int(n) for n in args.users.split(",")]
    print(machine())
    run_id = secrets.token_hex(4)
    layout = Layout(**{**LAYOUT.__dict__, "database_prefix": f"bench{run_id}", "bus_namespace": f"bench{run_id}"})
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="cabinet-gateway-load-") as directory:
        trust = ensure_local_trust(directory)
        env = {"CABINET_POSTGRES_URL": POSTGRES, "CABINET_AMQP_URL": AMQP, "CABINET_SERVICE_TOKEN_SECRET": secret,
               **{name: value for name, value in trust.items() if name.startswith("CABINET_")}}
        log_dir = Path(tempfile.mkdtemp(prefix="cabinet-gateway-load-logs-")) if args.keep_logs else \
            Path(directory) / "logs"
        system = System(layout, env, log_dir=log_dir)
        try:
            system.start()
            print(f"system up: gateway {layout.url('gateway')}, services {', '.join(SERVICES)}; "
                  f"one process each (uvicorn, one worker)")
            asyncio.run(measure(system, secret, user_counts, args.seconds, args.think))
        finally:
            system.stop()
            asyncio.run(drop(layout))
            if args.keep_logs:
                print(f"logs: {log_dir}")


if __name__ == "__main__":
    main()
