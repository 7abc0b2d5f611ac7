"""The gateway process: `uvicorn gateway.app:app` (port 8000 in a local run).

`create_app(settings)` builds it for any settings (tests pass their own). Nothing is read from the environment
at import: `app` is built from the environment when first asked for.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from gateway.billing_client import BillingClient
from gateway.body_limits import BodyLimitMiddleware
from gateway.client_address import ClientAddressMiddleware
from gateway.documents_client import DocumentsClient
from gateway.error_pages import install_error_pages
from gateway.i18n import load_catalogues
from gateway.identity_client import IdentityClient
from gateway.metering_client import MeteringClient
from gateway.notify_client import NotifyClient
from gateway.pages import (
    access_tokens,
    account,
    audit,
    auth,
    certificates,
    colleagues,
    console,
    console_billing,
    console_letters,
    console_metering,
    description,
    documents,
    eds,
    feedback,
    home,
    money,
    readings,
    reconciliation,
    registration,
    signing_api,
    supplier,
    system,
)
from gateway.pages.common import refuse_unstorable_address
from gateway.public_api import create_public_api
from gateway.rendering import Pages
from gateway.security import SecurityMiddleware, verify_csrf
from gateway.sessions import SessionCache, current_visitor
from gateway.settings import GatewaySettings
from gateway.signature_client import SignatureClient
from shared.auth import ServiceTokens, check_routes_name_roles
from shared.http import ServiceClient
from shared.service import install_observability
from shared.telemetry import FASTAPI_TELEMETRY, setup_logging, setup_tracing

#: the modules whose routers serve the pages (the site map's test reads their routes)
PAGE_MODULES = (
    auth, home, registration, account, console, console_metering, console_billing, console_letters, documents,
    certificates, eds, signing_api, readings, money, reconciliation, supplier, feedback, description, access_tokens,
    colleagues,
    audit,
)


def create_app(settings: GatewaySettings) -> FastAPI:
    service = settings.service_name
    setup_logging(service, settings.log_level, settings.log_format)
    setup_tracing(service, settings.otlp_endpoint)
    # httpx logs every call to a service at INFO; traces and metrics already carry them
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # the trace of a page continues into the services it calls
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=service)
    services = [
        ServiceClient(url, tokens, timeout=settings.service_timeout_seconds)
        for url in (
            settings.identity_url, settings.documents_url, settings.signature_url, settings.metering_url,
            settings.billing_url, settings.notify_url,
        )
    ]
    identity_service, documents_service, signature_service, metering_service, billing_service, notify_service = (
        services
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for client in services:
            await client.aclose()

    app = FastAPI(
        title="cabinet gateway",
        lifespan=lifespan,
        # every form of every page must carry this browser's csrf token
        dependencies=[Depends(verify_csrf)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=FASTAPI_TELEMETRY,
    )
    app.state.settings = settings
    app.state.pages = Pages(load_catalogues(), demo_keys=settings.demo_keys)
    app.state.identity_service = identity_service
    app.state.identity = IdentityClient(identity_service)
    app.state.documents = DocumentsClient(documents_service)
    app.state.signature = SignatureClient(signature_service)
    app.state.metering = MeteringClient(metering_service)
    app.state.billing = BillingClient(billing_service)
    app.state.notify = NotifyClient(notify_service)
    app.state.sessions = SessionCache(
        app.state.identity, settings.session_cache_seconds, settings.session_cache_size
    )

    install_observability(app, service)
    app.add_middleware(SecurityMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware)
    # outermost: everything inside sees the client's address
    app.add_middleware(ClientAddressMiddleware, proxies=settings.trusted_proxies)
    install_error_pages(app)
    app.mount("/static", StaticFiles(packages=[("gateway", "static")]), name="static")
    # deny by default: every page names the visitors it serves (`gateway.sessions`)
    check_routes_name_roles(pages.router for pages in PAGE_MODULES)
    for pages in PAGE_MODULES:
        # the page frame shows who is visiting, so every page resolves the session first (after its address is
        # checked: nothing unstorable reaches identity)
        app.include_router(pages.router, dependencies=[Depends(refuse_unstorable_address), Depends(current_visitor)])
    app.include_router(system.router)
    # the public API for consumers' accounting programs: an app of its own (its schema, its errors, no cookies)
    app.state.public_api = create_public_api(
        settings, app.state.identity, app.state.billing, app.state.documents, app.state.metering
    )
    app.mount("/api/v1", app.state.public_api)
    return app


@cache
def create_default_app() -> FastAPI:
    return create_app(GatewaySettings())  # the service token secret comes from the environment


def __getattr__(name: str) -> Any:
    if name == "app":
        return create_default_app()
    raise AttributeError(name)
