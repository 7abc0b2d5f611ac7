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

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import migrations
from shared.auth import ServiceTokens
from shared.bus import Bus, Subscriptions, Topology
from shared.db import Database
from shared.errors import install_error_handlers
from shared.metrics import DB_POOL_CHECKED_OUT, HTTP_LATENCY, HTTP_REQUESTS
from shared.settings import ServiceSettings
from shared.telemetry import setup_logging, setup_tracing

Hook = Callable[[FastAPI], Awaitable[None]]


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
        SQLAlchemyInstrumentor().instrument(engine=database.engine.sync_engine)
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
                await hook(app)
            await bus.stop()
            await database.dispose()

    app = FastAPI(title=f"cabinet {service}", lifespan=lifespan)
    app.state.settings = settings
    app.state.service_tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=service)
    install_error_handlers(app)
    install_observability(app, service)
    for router in parts.routers:
        app.include_router(router)

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


def install_observability(app: FastAPI, service: str) -> None:
    """Traces and Prometheus metrics (`/metrics`) for an app; the gateway uses it too."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls="/health/.*,/metrics")

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            if not path.startswith(("/health", "/metrics")):
                HTTP_REQUESTS.labels(service, path, request.method, str(status)).inc()
                HTTP_LATENCY.labels(service, path, request.method).observe(time.perf_counter() - started)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        database = getattr(request.app.state, "database", None)
        if database is not None:
            DB_POOL_CHECKED_OUT.labels(service).set(database.engine.pool.checkedout())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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
