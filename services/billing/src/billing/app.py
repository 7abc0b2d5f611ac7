"""The billing service process: `uvicorn billing.app:app`.

`create_app(settings)` builds it for any settings (tests build it for their own database and bus namespace, and
may route its calls to identity and documents through in-process transports). Nothing is read from the environment
at import: `app` is built from the environment when first asked for.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from fastapi import FastAPI

from billing.endpoints import router
from billing.runs import RunWorker
from billing.runtime import Runtime
from billing.settings import BillingSettings, get_settings
from billing.subscriptions import subscriptions
from shared import background
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app

logger = logging.getLogger(__name__)


def create_app(settings: BillingSettings, *, identity_transport: httpx.AsyncBaseTransport | None = None,
               documents_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    runtime = Runtime.create(settings, identity_transport=identity_transport, documents_transport=documents_transport)

    async def start(app: FastAPI) -> None:
        worker = RunWorker(app.state.database, runtime)
        app.state.billing_runs = worker
        # runs left unfinished by a process that ended are carried on (checked at start, then now and then)
        app.state.billing_stale_runs = asyncio.create_task(
            background.every(settings.billing_run_stale_seconds / 2, worker.take_over_stale,
                             what="looking for stale billing runs"),
            name="billing-stale-runs",
        )

    async def stop(app: FastAPI) -> None:
        await background.stop(app.state.billing_stale_runs)
        await app.state.billing_runs.stop()
        await runtime.close()

    app = create_service_app(ServiceParts(
        settings=settings, routers=[router], migrations_dir=migrations_dir_of("billing"),
        subscriptions=subscriptions(runtime), on_startup=[start], on_shutdown=[stop],
    ))
    app.state.billing = runtime
    return app


__getattr__ = module_app(lambda: create_app(get_settings()))
