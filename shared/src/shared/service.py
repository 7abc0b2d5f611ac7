"""The one way a service process is put together: settings → database → migrations → bus → FastAPI app.

Every service's `app.py` is `app = create_service_app(ServiceParts(...))`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import background, migrations
from shared.auth import ServiceTokens, check_routes_name_roles
from shared.bus import Bus, Subscriptions, Topology
from shared.db import Database
from shared.errors import ERROR_RESPONSES, install_error_handlers
from shared.inputs import refuse_unstorable_input
from shared.metrics import (
    DB_POOL_CHECKED_OUT,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_RETRIED,
    HTTP_LATENCY,
    HTTP_REQUESTS,
)
from shared.settings import ServiceSettings
from shared.telemetry import FASTAPI_TELEMETRY, TraceContext, setup_logging, setup_tracing

Hook = Callable[[FastAPI], Awaitable[None]]
#: the `reason` label of `cabinet_events_dead_lettered_total` (shared.bus.consumer)
DEAD_LETTER_REASONS = ("malformed", "rejected", "exhausted")


@dataclass
class ServiceParts:
    settings: ServiceSettings
    routers: Sequence[APIRouter]
    migrations_dir: Path
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    #: run after the database and bus are up (e.g. background workers); stopped in reverse order
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()


def create_service_app(parts: ServiceParts) -> FastAPI:
    settings = parts.settings
    service = settings.service_name
    setup_logging(service, settings.log_level, settings.log_format)
    setup_tracing(service, settings.otlp_endpoint)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await migrations.upgrade(parts.migrations_dir, settings.database_url)
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        if settings.otlp_endpoint:
            # a span per statement, worth its cost only when spans are exported (it passes nothing on)
            SQLAlchemyInstrumentor().instrument(engine=database.engine.sync_engine)
        if isinstance(pool := database.engine.pool, QueuePool):
            DB_POOL_CHECKED_OUT.labels(service).set_function(pool.checkedout)
        initialise_event_series(service, parts.subscriptions)
        bus = Bus(
            amqp_url=settings.amqp_url, database=database,
            topology=Topology(settings.bus_namespace, service),
            subscriptions=parts.subscriptions, prefetch=settings.bus_prefetch,
        )
        app.state.database = database
        app.state.bus = bus
        await bus.start()
        for hook in parts.on_startup:
            await hook(app)
        try:
            yield
        finally:
            for hook in reversed(parts.on_shutdown):
                await background.bounded(hook(app), what=f"shutdown hook {getattr(hook, '__qualname__', hook)}",
                                         seconds=3 * background.STOP_SECONDS)
            await bus.stop()
            await background.bounded(database.dispose(), what="closing the database pool")

    docs = settings.api_docs
    app = FastAPI(
        title=f"cabinet {service}", lifespan=lifespan, docs_url="/docs" if docs else None, redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # before any endpoint: what PostgreSQL cannot store is refused as the caller's error, never a 500
        dependencies=[Depends(refuse_unstorable_input)],
        telemetry=FASTAPI_TELEMETRY,
    )
    app.state.settings = settings
    app.state.service_tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=service)
    install_error_handlers(app)
    install_observability(app, service)
    check_routes_name_roles(parts.routers)
    for router in parts.routers:
        # the refusals every route may answer with, in the schema as they are sent (shared.errors)
        app.include_router(router, responses=ERROR_RESPONSES)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready(request: Request) -> Response:
        checks = {"database": "ok", "broker": "ok"}
        try:
            await request.app.state.database.ping()
        except Exception as exc:
            checks["database"] = f"down: {type(exc).__name__}"
        if not request.app.state.bus.connected:
            checks["broker"] = "down"
        healthy = all(value == "ok" for value in checks.values())
        return JSONResponse(checks, status_code=200 if healthy else 503)

    return app


def file_download(*media_types: str) -> dict[str, Any]:
    """A route's arguments for answering with a file's bytes: the schema names the media types it is sent in
    (not JSON), e.g. `@router.get("/x/{id}/pdf", **file_download("application/pdf"))`."""
    content = {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types}
    return {"response_class": Response, "responses": {200: {"description": "The file", "content": content}}}


def install_observability(app: FastAPI, service: str) -> None:
    """Traces and Prometheus metrics for an app; the gateway uses it too.

    Metrics are served on `/metrics` of the app itself, or, when the app's settings (`app.state.settings`) name
    a `metrics_port`, on that port alone: deployments set it, so the metrics of the gateway are not one more
    page of the public site (the Ingress and the Services lead only to the app's port).
    """
    settings: ServiceSettings = app.state.settings
    if settings.otlp_endpoint:
        # one span per request; the ASGI "http send"/"http receive" spans (one per chunk of a download) say nothing
        FastAPIInstrumentor.instrument_app(app, excluded_urls="/health/.*,/metrics", exclude_spans=["receive", "send"])
    else:
        # outermost, as the instrumentation puts itself: an unexpected error is logged inside the request's trace
        build_middleware_stack = app.build_middleware_stack
        app.build_middleware_stack = lambda: TraceContext(build_middleware_stack())  # type: ignore[method-assign]
    app.add_middleware(RequestMetrics, service=service)

    if settings.metrics_port is not None:
        serve_metrics_on_own_port(app, settings.metrics_port)
        return

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """Counts and times the HTTP requests by route (not /health, /metrics), until the last byte is sent.

    A plain ASGI middleware: `@app.middleware("http")` would cost a task and a stream per request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # the router has put the matched route into the scope by now
            path = getattr(scope.get("route"), "path", None) or "unmatched"
            if not path.startswith(("/health", "/metrics")):
                method = scope["method"]
                HTTP_REQUESTS.labels(self.service, path, method, str(status)).inc()
                HTTP_LATENCY.labels(self.service, path, method).observe(time.perf_counter() - started)


def serve_metrics_on_own_port(app: FastAPI, port: int) -> None:
    """While the app runs, a small server of prometheus_client (a thread) answers on `port` with the metrics."""
    app_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        server, thread = start_http_server(port)
        try:
            async with app_lifespan(app) as state:
                yield state
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    app.router.lifespan_context = lifespan


def initialise_event_series(service: str, subscriptions: Subscriptions) -> None:
    """Puts the event counters of every subscribed message type on `/metrics` at 0 from the start.

    A counter series born at 1 has no increase in Prometheus' eyes, so the first dead letter after a start
    would never fire CabinetEventsDeadLettered; and the dashboards' panels would be empty, not 0.
    """
    for message_type in subscriptions.routing_keys:
        EVENTS_CONSUMED.labels(service, message_type, "handled")
        EVENTS_CONSUMED.labels(service, message_type, "duplicate")
        EVENTS_RETRIED.labels(service, message_type)
        for reason in DEAD_LETTER_REASONS:
            EVENTS_DEAD_LETTERED.labels(service, message_type, reason)


def module_app(build: Callable[[], FastAPI]) -> Callable[[str], FastAPI]:
    """A module `__getattr__` that builds `<service>.app:app` from the environment on first use.

    Nothing is read from the environment at import, so tests import `create_app` and build the app for
    their own database and bus namespace.
    """

    @cache
    def app() -> FastAPI:
        return build()

    def module_getattr(name: str) -> FastAPI:
        if name == "app":
            return app()
        raise AttributeError(name)

    return module_getattr
