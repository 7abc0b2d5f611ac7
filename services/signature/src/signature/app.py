"""The signature service process: `uvicorn signature.app:app`.

`create_app(settings)` builds it for any settings (tests build it for their own database and bus namespace, and
may route its calls to the documents and identity services through in-process transports). Nothing is read from
the environment at import: `app` is built from the environment when first asked for.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
from fastapi import FastAPI

from shared import background
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app
from signature import signing
from signature.endpoints import router
from signature.runtime import Runtime, utcnow
from signature.settings import SignatureSettings, get_settings
from signature.subscriptions import subscriptions

logger = logging.getLogger(__name__)

#: expired signings are kept this long (a late finalize is told `signing_expired`, not `signing_not_found`)
EXPIRED_SIGNINGS_KEPT = timedelta(days=1)
SIGNINGS_PURGE_SECONDS = 3600.0


def create_app(
    settings: SignatureSettings, *, documents_transport: httpx.AsyncBaseTransport | None = None,
    identity_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    # read here, not at start-up: unusable trust or seal files stop the process before it serves anything
    runtime = Runtime.create(
        settings, documents_transport=documents_transport, identity_transport=identity_transport
    )
    if runtime.seal is None:
        logger.warning("no electronic seal configured: nothing is sealed")

    async def start(app: FastAPI) -> None:
        app.state.signature_tasks = [
            asyncio.create_task(background.every(settings.trust_reload_seconds, reload_trust,
                                                 what="reloading the trusted certificates"), name="signature-trust"),
            asyncio.create_task(background.every(SIGNINGS_PURGE_SECONDS, purge_signings,
                                                 what="purging expired signings"), name="signature-purge"),
        ]

    async def stop(app: FastAPI) -> None:
        await background.stop(*app.state.signature_tasks)
        await runtime.close()

    async def reload_trust() -> None:
        runtime.trust.reload()

    async def purge_signings() -> None:
        database = app.state.database
        async with database.transaction() as session:
            purged = await signing.purge_expired(session, utcnow() - EXPIRED_SIGNINGS_KEPT)
        if purged:
            logger.info("deleted %d expired signings", purged)

    app = create_service_app(
        ServiceParts(
            settings=settings, routers=[router], migrations_dir=migrations_dir_of("signature"),
            subscriptions=subscriptions(runtime), on_startup=[start], on_shutdown=[stop],
        )
    )
    app.state.signature = runtime
    return app


__getattr__ = module_app(lambda: create_app(get_settings()))
