"""What an SRE relies on, checked on the whole system running as processes: one trace per user action across
HTTP and RabbitMQ (exported over OTLP to a receiver in this test), every metric of the dashboards scraped by a
real Prometheus, JSON logs with trace ids and without personal data, and metrics kept off the public port.

This module runs a system of its own (other ports, databases and bus namespace than the session's), because
its processes export traces to this test's OTLP receiver.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from playwright.sync_api import Browser, Page, expect
from prometheus_client.parser import text_string_to_metric_families

from devtools.processes import PORT_OFFSETS, SERVICES, Layout, Process, System, drop_system, system_env
from devtools.testca import ensure_local_trust
from journeys import Mailbox, create_consumer, sign_in, sign_out
from shared.auth import Principal, Role, ServiceTokens
from shared.bus.topology import Topology
from shared.contracts.identity import RegistrationLinkIssued
from shared.testing import run_in_thread

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = sorted((ROOT / "deploy" / "k8s" / "monitoring" / "dashboards").glob("*.json"))
OPERATIONS_DOC = ROOT / "docs" / "operations.md"
PROCESS_NAMES = (*SERVICES, "gateway")

#: Metrics the dashboards use that nothing running here exposes, and who will (docs/operations.md, "Required
#: metrics", names the same). kube-state-metrics runs in a cluster only. A service that starts to name one of
#: them makes the test below fail until it is taken off this list; from then on Prometheus must find it.
NOT_EXPOSED_HERE = {
    "kube_deployment_status_replicas_available": "kube-state-metrics",
}

PASSPHRASE = "синій вітер несе сім жовтих листків"
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
SPAN_KINDS = {value: name.removeprefix("SPAN_KIND_") for name, value in Span.SpanKind.items()}


# --- an OTLP/HTTP receiver ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in ("string_value", "bool_value", "int_value", "double_value") else str(value)


class OtlpReceiver:
    """Accepts `POST /v1/traces` (protobuf, as OTLPSpanExporter sends it) and keeps every span."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                receiver.receive(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}/v1/traces"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def receive(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        service=str(resource.get("service.name")), trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(), parent_span_id=span.parent_span_id.hex(), name=span.name,
                        kind=SPAN_KINDS[span.kind], attributes={a.key: _value(a.value) for a in span.attributes},
                    ))
        with self._lock:
            self.spans.extend(received)

    def wait_for(self, found: Callable[[list[ReceivedSpan]], bool], timeout: float = 30) -> list[ReceivedSpan]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                spans = list(self.spans)
            if found(spans) or time.monotonic() > deadline:
                return spans
            time.sleep(0.2)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- the system of this module ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])



@pytest.fixture(scope="module")
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def observed(otlp: OtlpReceiver, layout: Layout, postgres_url: str, amqp_url: str, service_token_secret: str,
             run_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    trust = ensure_local_trust(tmp_path_factory.mktemp("trust"))
    # beside the session's system, on ports from CABINET_E2E_BASE_PORT: runs of two engineers never meet
    layout = layout.beside(100, "obs")
    env = {"CABINET_POSTGRES_URL": postgres_url, "CABINET_AMQP_URL": amqp_url,
           "CABINET_SERVICE_TOKEN_SECRET": service_token_secret, "CABINET_OTLP_ENDPOINT": otlp.endpoint,
           # spans leave within a fifth of a second instead of the default five
           "OTEL_BSP_SCHEDULE_DELAY": "200",
           # the signature service's trusted CA and seal: a test CA of this run
           **{name: value for name, value in trust.items() if name.startswith("CABINET_")}}
    system = System(layout, env, log_dir=ROOT / "test-artifacts" / f"logs-observability-{run_id}")
    try:
        system.start()
        yield system
    finally:
        system.stop()
        run_in_thread(drop_system(layout, postgres_url, amqp_url))


@dataclass(frozen=True)
class Journey:
    """The journey has run; these are the secrets and personal data it handled, by what they are."""

    secrets: dict[str, str]


def _demo_staff(system: System) -> tuple[str, str]:
    password = "staff passphrase " + secrets.token_hex(8)
    result = subprocess.run(
        [sys.executable, "-m", "identity.demo", "--json", "--staff-password", password],
        env={**os.environ, **system.service("identity").env}, capture_output=True, text=True, check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["staff_login"], password


def _service_call(system: System, name: str) -> httpx.Client:
    tokens = ServiceTokens(system.env["CABINET_SERVICE_TOKEN_SECRET"], issuer="e2e")
    return httpx.Client(base_url=system.layout.url(name), timeout=10,
                        headers={"Authorization": f"Bearer {tokens.issue(Principal(role=Role.SERVICE))}"})


def _store_document(system: System, consumer_id: str) -> str:
    """A contract the supplier files for the consumer, through the documents API (as billing will do)."""
    content = f"Договір № {secrets.token_hex(3)} про постачання електричної енергії\n".encode()
    with _service_call(system, "documents") as documents:
        response = documents.post("/api/v1/documents", json={
            "consumer_id": consumer_id, "type": "contract", "title": "Договір постачання",
            "file_name": "contract.txt", "content_type": "text/plain",
            "content_base64": base64.b64encode(content).decode(),
        })
    response.raise_for_status()
    return str(response.json()["id"])


def _session_cookie(page: Page) -> str:
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"].endswith("session"))


@pytest.fixture(scope="module")
def journey(observed: System, browser: Browser) -> Journey:
    """Staff create a consumer, who registers, signs in, changes the e-mail, reads and downloads a document."""
    mailbox = Mailbox(observed.layout.mail_url)
    staff_login, staff_password = _demo_staff(observed)
    suffix = secrets.token_hex(3)
    account_number = str(10000 + int(suffix, 16) % 80000)
    agreement_email = f"buh-{suffix}@observed.example"
    new_email = f"director-{suffix}@observed.example"
    gateway = observed.layout.url("gateway")

    staff = browser.new_context(base_url=gateway, locale="uk-UA").new_page()
    staff.set_default_timeout(15000)
    sign_in(staff, staff_login, staff_password)
    expect(staff).to_have_url(re.compile(r"/console"))
    staff_session = _session_cookie(staff)
    code = create_consumer(staff, account_number=account_number, name=f'ТОВ "Спостереження-{suffix}"',
                           agreement_email=agreement_email)
    sign_out(staff)
    staff.context.close()

    [letter] = mailbox.wait_for(agreement_email)
    link = mailbox.link(letter, "/registration/complete/")
    login = f"obs{suffix}"
    consumer = browser.new_context(base_url=gateway, locale="uk-UA").new_page()
    consumer.set_default_timeout(15000)
    consumer.goto(link)
    consumer.get_by_label("Код активації").fill(code)
    consumer.get_by_label("Логін").fill(login)
    consumer.get_by_label("Пароль", exact=True).fill(PASSPHRASE)
    consumer.get_by_label("Підтвердження пароля").fill(PASSPHRASE)
    consumer.get_by_role("button", name="Зареєструватися").click()
    expect(consumer).to_have_url(re.compile(r"/login\?notice=registered"))

    sign_in(consumer, login, PASSPHRASE)
    expect(consumer.locator("header")).to_contain_text(account_number)
    consumer_session = _session_cookie(consumer)
    consumer.goto("/settings")
    consumer.locator("#email-new_email").fill(new_email)
    consumer.locator("#email-current_password").fill(PASSPHRASE)
    consumer.locator("form[action='/settings/email'] button[type=submit]").click()
    expect(consumer.locator("main")).to_contain_text(new_email)
    [verification] = mailbox.wait_for(new_email)
    confirmation = mailbox.link(verification, "/settings/email/confirm/")
    consumer.goto(confirmation)
    mailbox.wait_for(agreement_email, count=2)

    with _service_call(observed, "identity") as identity:
        [found] = identity.get("/api/v1/consumers", params={"query": account_number}).json()
    document_id = _store_document(observed, str(found["id"]))
    consumer.goto("/documents")
    expect(consumer.locator("main")).to_contain_text("Договір постачання")
    download = consumer.request.get(f"/documents/{document_id}/download")
    assert download.status == 200 and download.body().startswith("Договір № ".encode())
    consumer.context.close()

    return Journey(
        secrets={
            "agreement e-mail": agreement_email, "new e-mail": new_email, "activation code": code,
            "activation code as typed": code.replace("-", ""), "registration link token": link.rsplit("/", 1)[1],
            "e-mail confirmation token": confirmation.rsplit("/", 1)[1], "consumer password": PASSPHRASE,
            "staff password": staff_password, "consumer session": consumer_session, "staff session": staff_session,
        },
    )


# --- traces -------------------------------------------------------------------------------------------------

def _creation_span(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
    for span in spans:
        method = span.attributes.get("http.request.method", span.attributes.get("http.method"))
        if (span.service, span.kind, method, span.attributes.get("http.route")) == (
                "gateway", "SERVER", "POST", "/console/consumers/new"):
            return span
    return None


def _database_system(span: ReceivedSpan) -> Any:
    # the attribute names of the old and of the stable database conventions
    return span.attributes.get("db.system", span.attributes.get("db.system.name"))


def _statement(span: ReceivedSpan) -> str:
    return str(span.attributes.get("db.statement", span.attributes.get("db.query.text", "")))


def _in_trace(spans: list[ReceivedSpan], trace_id: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.trace_id == trace_id]


def _consumed(spans: list[ReceivedSpan], service: str, message_type: str) -> bool:
    return any(s.service == service and s.kind == "CONSUMER" and s.name == f"consume {message_type}" for s in spans)


def test_one_trace_follows_the_creation_of_a_consumer_through_http_and_rabbitmq(
        journey: Journey, otlp: OtlpReceiver) -> None:
    def complete(spans: list[ReceivedSpan]) -> bool:
        creation = _creation_span(spans)
        if creation is None:
            return False
        trace = _in_trace(spans, creation.trace_id)
        return (_consumed(trace, "notify", "identity.registration_link_issued.v1")
                and _consumed(trace, "signature", "identity.consumer_account_created.v1"))

    spans = otlp.wait_for(complete)
    creation = _creation_span(spans)
    assert creation is not None, f"no gateway span of POST /console/consumers/new among {len(spans)} spans"
    trace = _in_trace(spans, creation.trace_id)
    by_id = {span.span_id: span for span in trace}
    seen = {(span.service, span.kind) for span in trace}

    # the gateway called identity over HTTP: its client span is the parent of identity's server span
    [identity_request] = [s for s in trace if s.service == "identity" and s.kind == "SERVER"
                          and s.attributes.get("http.route") == "/api/v1/consumers"]
    assert by_id[identity_request.parent_span_id].service == "gateway"
    assert by_id[identity_request.parent_span_id].kind == "CLIENT"

    # identity's database work is in it
    def under(span: ReceivedSpan, ancestor: ReceivedSpan) -> bool:
        while span.parent_span_id in by_id:
            span = by_id[span.parent_span_id]
            if span == ancestor:
                return True
        return False

    statements = [s for s in trace if s.service == "identity" and _database_system(s) == "postgresql"]
    assert any(under(s, identity_request) and "INSERT INTO consumer_accounts" in _statement(s) for s in statements), \
        [_statement(s) for s in statements]

    # the events crossed RabbitMQ with the trace context in their headers: each consumer span's parent is the
    # identity span that wrote the event to the outbox, and the handlers' own statements are below them
    for service, message_type in (("notify", "identity.registration_link_issued.v1"),
                                  ("signature", "identity.consumer_account_created.v1")):
        [consumed] = [s for s in trace if s.service == service and s.name == f"consume {message_type}"]
        assert under(consumed, identity_request), f"{service}'s consumer span is not a descendant of identity's"
        assert any(_database_system(s) == "postgresql" and under(s, consumed)
                   for s in trace if s.service == service), f"no database span under {service}'s consumer span"
    assert {("gateway", "SERVER"), ("gateway", "CLIENT"), ("identity", "SERVER"), ("notify", "CONSUMER"),
            ("signature", "CONSUMER")} <= seen

    # each letter's event is in the trace of the action that caused it: the demo command's and this one's are two
    handled = [s for s in spans if s.name == "consume identity.registration_link_issued.v1" and s.service == "notify"]
    assert len(handled) >= 2 and len({s.trace_id for s in handled}) == len(handled)


def test_a_document_download_is_traced_into_object_storage(journey: Journey, otlp: OtlpReceiver) -> None:
    route = "/documents/{document_id}/download"

    def download(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
        return next((s for s in spans if s.service == "gateway" and s.kind == "SERVER"
                     and s.attributes.get("http.route") == route), None)

    spans = otlp.wait_for(lambda spans: (found := download(spans)) is not None and any(
        s.service == "documents" and s.kind == "CLIENT" and s.trace_id == found.trace_id
        and _database_system(s) is None for s in spans))
    request = download(spans)
    assert request is not None
    trace = _in_trace(spans, request.trace_id)
    storage_calls = [s for s in trace if s.service == "documents" and s.kind == "CLIENT"
                     and _database_system(s) is None]
    assert storage_calls, [(s.service, s.kind, s.name) for s in trace]
    # the object is read by its hash (documents' storage names objects sha256/<hex>)
    assert any(s.name == "GET" and "/sha256/" in str(s.attributes.get("http.url", s.attributes.get("url.full")))
               for s in storage_calls), [s.attributes for s in storage_calls]
    assert any(_database_system(s) == "postgresql" for s in trace if s.service == "documents")


def test_background_work_starts_no_traces(journey: Journey, otlp: OtlpReceiver) -> None:
    """The relays poll their outbox every second; those statements must not each become a trace."""
    spans = otlp.wait_for(lambda spans: False, timeout=2)
    by_id = {span.span_id for span in spans}
    roots = [span for span in spans if not span.parent_span_id]
    assert roots and {span.kind for span in roots} <= {"SERVER", "CONSUMER"}, {(s.service, s.kind, s.name)
                                                                              for s in roots}
    # every other span hangs under a span this receiver got (nothing lost between processes)
    orphans = [s for s in spans if s.parent_span_id and s.parent_span_id not in by_id]
    assert not orphans, {(s.service, s.kind, s.name) for s in orphans}


# --- metrics ------------------------------------------------------------------------------------------------

def _dashboard_queries() -> Iterator[str]:
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        panels = [*dashboard["panels"], *(p for panel in dashboard["panels"] for p in panel.get("panels", []))]
        for panel in panels:
            for target in panel.get("targets", []):
                yield target["expr"]
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                yield variable["definition"]


def dashboard_metrics() -> set[str]:
    """Series names in the dashboards' queries: a name before a selector or a range, or any cabinet_/kube_ name."""
    names: set[str] = set()
    for query in _dashboard_queries():
        query = re.sub(r'"[^"]*"', '""', query)  # label values are no names
        names |= set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]", query))
        names |= set(re.findall(r"\b(?:cabinet|kube)_[a-z0-9_]+", query))
    return names


def _required_metric_exposers() -> dict[str, str]:
    """docs/operations.md, "Required metrics": metric → the first word of its "exposed by" column."""
    text = OPERATIONS_DOC.read_text(encoding="utf-8")
    section = text.split("### Required metrics", 1)[1].split("\n## ", 1)[0]
    exposers = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[a-z_:]+`", cells[0]):
            exposers[cells[0].strip("`")] = re.split(r"[:\s]", cells[3], maxsplit=1)[0]
    return exposers


def test_the_exceptions_are_few_documented_and_still_true() -> None:
    used = dashboard_metrics()
    assert {"cabinet_http_requests_total", "cabinet_http_request_duration_seconds_bucket"} <= used
    exposers = _required_metric_exposers()
    for metric, exposer in NOT_EXPOSED_HERE.items():
        assert metric in used, f"{metric} is no longer used by the dashboards: take it off NOT_EXPOSED_HERE"
        assert exposers.get(metric) == exposer, f"docs/operations.md says {metric} comes from {exposers.get(metric)}"
        source = ROOT / "services" / exposer / "src"
        if exposer in PORT_OFFSETS:
            base_name = metric.removesuffix("_total")
            mentions = [path for path in source.rglob("*.py") if base_name in path.read_text(encoding="utf-8")]
            assert not mentions, (f"{exposer} now defines {metric} ({mentions[0]}): take it off NOT_EXPOSED_HERE, "
                                  "so that Prometheus must find it")
        else:
            assert exposer not in PROCESS_NAMES and not source.exists()


@dataclass
class Prometheus:
    url: str

    def get(self, path: str, **params: str) -> Any:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=10).json()
        assert answer["status"] == "success", answer
        return answer["data"]

    def value(self, query: str) -> float | None:
        result = self.get("/api/v1/query", query=query)["result"]
        return float(result[0]["value"][1]) if result else None

    def wait(self, query: str, wanted: Callable[[float | None], bool], timeout: float = 30) -> float | None:
        deadline = time.monotonic() + timeout
        while True:
            value = self.value(query)
            if wanted(value) or time.monotonic() > deadline:
                return value
            time.sleep(0.5)


@pytest.fixture(scope="module")
def prometheus(observed: System) -> Iterator[Prometheus]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus binary is missing: scripts/bootstrap.sh installs the Debian package prometheus")
    port = free_port()
    targets = [f"{observed.layout.host}:{observed.layout.port(name)}" for name in PROCESS_NAMES]
    with tempfile.TemporaryDirectory(prefix="cabinet-prometheus-") as directory:
        config = Path(directory) / "prometheus.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "cabinet", "static_configs": [{"targets": targets}]}],
        }))
        process = Process("prometheus", [
            binary, f"--config.file={config}", f"--storage.tsdb.path={directory}/data",
            f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
        ], {}, observed.log_dir / "prometheus.log", ready_url=f"http://127.0.0.1:{port}/-/ready")
        process.start()
        try:
            process.wait_ready(60)
            yield Prometheus(f"http://127.0.0.1:{port}")
        finally:
            process.stop()


def _publish_malformed(system: System, message_type: str) -> None:
    """A message of a type notify takes, with a body outside its contract: notify must dead-letter it."""
    async def publish() -> None:
        connection = await aio_pika.connect(system.env["CABINET_AMQP_URL"])
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(Topology(system.layout.bus_namespace, "any").exchange)
            await exchange.publish(aio_pika.Message(b'{"not": "a registration link"}', message_id=str(uuid.uuid4()),
                                                    type=message_type, content_type="application/json"),
                                   routing_key=message_type)

    run_in_thread(publish())


def test_prometheus_scrapes_every_process_and_finds_every_metric_of_the_dashboards(
        journey: Journey, observed: System, prometheus: Prometheus) -> None:
    # every process is a target, and up
    assert prometheus.wait("count(up == 1)", lambda v: v == len(PROCESS_NAMES)) == len(PROCESS_NAMES), \
        prometheus.get("/api/v1/targets")

    # a dead letter, counted from a series that was there at 0 already: the alert's increase() sees the first
    dead_letters = ('cabinet_events_dead_lettered_total{service="notify",reason="malformed",'
                    f'message_type="{RegistrationLinkIssued.message_type()}"}}')
    assert prometheus.wait(dead_letters, lambda v: v == 0) == 0
    _publish_malformed(observed, RegistrationLinkIssued.message_type())
    assert prometheus.wait(f"increase({dead_letters}[1m])", lambda v: v is not None and v > 0)

    wanted = dashboard_metrics() - set(NOT_EXPOSED_HERE)
    deadline = time.monotonic() + 30
    while (missing := wanted - set(prometheus.get("/api/v1/label/__name__/values"))) and time.monotonic() < deadline:
        time.sleep(1)
    assert not missing, f"the dashboards use metrics no process exposes: {sorted(missing)}"

    # the series carry what the panels group by
    for service in ("gateway", "identity", "documents", "signature"):
        assert prometheus.value(f'sum(cabinet_http_requests_total{{service="{service}"}})'), service
    assert (prometheus.value('cabinet_business_events_total{service="notify",kind="letter_sent"}') or 0) >= 3
    assert (prometheus.value('sum(cabinet_events_published_total{service="identity"})') or 0) >= 4
    assert prometheus.value('cabinet_broker_connected{service="notify"}') == 1
    routes = {series["route"] for series in prometheus.get(
        "/api/v1/series", **{"match[]": 'cabinet_http_requests_total{service="gateway"}'})}
    assert {"/console/consumers/new", "/settings", "/documents", "/documents/{document_id}/download"} <= routes


def test_metrics_stay_off_the_public_port_when_a_metrics_port_is_set(observed: System) -> None:
    """Deployments set CABINET_METRICS_PORT: the Ingress reaches the gateway's port, where /metrics is not."""
    public_port, metrics_port = free_port(), free_port()
    env = {**system_env(observed.layout, observed.env), "CABINET_METRICS_PORT": str(metrics_port)}
    gateway = Process(
        "gateway-metrics-port",
        [sys.executable, "-m", "uvicorn", "gateway.app:app", "--host", "127.0.0.1", "--port", str(public_port),
         "--no-access-log", "--log-level", "warning"],
        env, observed.log_dir / "gateway-metrics-port.log", ready_url=f"http://127.0.0.1:{public_port}/health/ready")
    gateway.start()
    try:
        gateway.wait_ready()
        assert httpx.get(f"http://127.0.0.1:{public_port}/login", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{public_port}/metrics", timeout=5).status_code == 404
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert metrics.status_code == 200
        samples = [sample for family in text_string_to_metric_families(metrics.text) for sample in family.samples]
        assert any(sample.name == "cabinet_http_requests_total" and sample.labels["route"] == "/login"
                   and sample.labels["service"] == "gateway" and sample.value >= 1 for sample in samples)
    finally:
        gateway.stop()


# --- logs ---------------------------------------------------------------------------------------------------

def _log_lines(system: System) -> dict[str, list[str]]:
    return {name: system.processes[name].log_path.read_text(encoding="utf-8").splitlines()
            for name in PROCESS_NAMES}


def test_logs_are_json_lines_with_trace_ids_also_from_uvicorn(journey: Journey, observed: System,
                                                              otlp: OtlpReceiver) -> None:
    # uvicorn's own complaint about a request it cannot parse goes through the JSON formatter too
    with socket.create_connection((observed.layout.host, observed.layout.port("notify")), timeout=5) as client:
        client.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        client.recv(1024)
    time.sleep(0.5)

    entries: dict[str, list[dict[str, Any]]] = {}
    for name, lines in _log_lines(observed).items():
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                pytest.fail(f"{name}.log line {number} is not JSON: {line[:300]}")
            assert {"ts", "level", "logger", "message"} <= set(entry), f"{name}.log line {number}: {line[:300]}"
            entries.setdefault(name, []).append(entry)
    assert any(e["logger"].startswith("uvicorn") and "Invalid HTTP request" in e["message"]
               for e in entries["notify"]), "uvicorn's warning did not reach notify's log as JSON"

    # a line written while handling the registration event carries the ids of that trace and span
    creation = _creation_span(otlp.spans)
    assert creation is not None
    handled = [e for e in entries["notify"] if e["logger"] == "notify.handlers" and "trace_id" in e
               and e.get("message_type") == RegistrationLinkIssued.message_type()]
    assert creation.trace_id in {e["trace_id"] for e in handled}
    spans_of_notify = {s.span_id for s in otlp.spans if s.service == "notify"}
    assert all(re.fullmatch(r"[0-9a-f]{16}", e["span_id"]) and e["span_id"] in spans_of_notify
               for e in handled if e["trace_id"] == creation.trace_id)


def test_logs_hold_no_personal_data_or_secrets(journey: Journey, observed: System) -> None:
    for name, lines in _log_lines(observed).items():
        for number, line in enumerate(lines, start=1):
            text = json.loads(line)
            flat = json.dumps(text, ensure_ascii=False)
            for what, value in journey.secrets.items():
                assert value.lower() not in flat.lower(), f"{name}.log line {number} holds the {what}: {line[:300]}"
            addresses = EMAIL_PATTERN.findall(flat)
            assert not addresses, f"{name}.log line {number} holds e-mail addresses {addresses}: {line[:300]}"
