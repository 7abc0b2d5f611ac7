"""Tracing (OpenTelemetry) and structured logging with trace ids.

The W3C trace context travels in HTTP headers (FastAPI/httpx instrumentation) and in AMQP message headers
(`inject_into` when a message is written to the outbox, `extract_from` when it is consumed), so one trace
follows a user action through every service and event it causes.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes
from starlette.types import ASGIApp, Receive, Scope, Send

_configured = False

#: `FastAPI(telemetry=...)` of every app: the OpenTelemetry instrumentation (`shared.service.install_observability`)
#: makes the one span of a request; FastAPI's own would add spans of its dependencies and serialization to each
#: request, and metrics and logs beside ours, on every request once a tracer provider is set
FASTAPI_TELEMETRY: Final[TelemetryConfig] = {"tracing": False, "metrics": False, "logs": False}


class ActionsOnly(Sampler):
    """A trace starts only where an action starts: a request served (SERVER) or an event consumed (CONSUMER).

    Spans below them are kept with their parent (`ParentBased`). What a process does on its own — the outbox
    relay polling its table every second, housekeeping, reconnecting — would otherwise make a one-span trace
    of each database call, and bury the users' actions under them.
    """

    def should_sample(
        self, parent_context: otel_context.Context | None, trace_id: int, name: str,
        kind: SpanKind | None = None, attributes: Attributes = None, links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind in (SpanKind.SERVER, SpanKind.CONSUMER):
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "ActionsOnly"


def setup_tracing(service_name: str, otlp_endpoint: str | None) -> None:
    """Spans are exported over OTLP/HTTP to `otlp_endpoint` (the full URL, `.../v1/traces`) when it is set;
    the batch processor's pace follows the standard `OTEL_BSP_*` variables.

    Without an endpoint no span is recorded (a recorded span nobody exports is only CPU, a few per request), but
    trace ids are still made and passed on: the logs of one action still carry one trace id."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ParentBased(root=ActionsOnly()) if otlp_endpoint else ALWAYS_OFF,
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    # a trace continues into the services a process calls (httpx, with the traceparent header) and into
    # object storage (urllib3: the minio client's transport)
    for instrumentor in (HTTPXClientInstrumentor(), URLLib3Instrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    _configured = True


class TraceContext:
    """An ASGI middleware for when no span is exported: each request runs in its place in a trace (the caller's,
    from `traceparent`, or a new one), so its log lines carry the trace id and the services it calls are passed it.

    The instrumentation does that too, but first looks for the request's route among all the app's to name a span
    that nobody would see: a twentieth of the gateway's CPU (bench/gateway_load.py).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._tracer = trace.get_tracer(__name__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
                   if name in (b"traceparent", b"tracestate")}
        with self._tracer.start_as_current_span("request", context=propagate.extract(carrier), kind=SpanKind.SERVER):
            await self.app(scope, receive, send)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_into(headers: dict[str, Any]) -> dict[str, Any]:
    """Write the current trace context into message headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    headers.update(carrier)
    return headers


def extract_from(headers: Mapping[str, Any] | None) -> otel_context.Context:
    carrier = {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
    return propagate.extract(carrier)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the trace and span ids of the current span.

    Personal data stays out of logs by convention: log ids (user, consumer, message), never e-mails,
    passwords, codes or tokens.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(service_name: str, level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service_name} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn configures its loggers with plain-text handlers of its own before it loads the app: they write
    # through ours instead (their levels, e.g. from --log-level, stay as uvicorn set them)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # uvicorn's access log repeats what the HTTP metrics and traces already carry
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)


def log_fields(**fields: Any) -> dict[str, Any]:
    """`logger.info("...", extra=log_fields(message_id=...))` adds structured fields to the JSON line."""
    return {"fields": fields}
