"""The documents service process: `uvicorn documents.app:app`.

`create_app(settings)` builds it for any settings (tests build it for their own database, bus namespace and
bucket). Nothing is read from the environment at import: `app` is built from the environment when first asked for.
"""

from __future__ import annotations

from fastapi import FastAPI

from documents.endpoints import router
from documents.service import Runtime
from documents.settings import DocumentsSettings, get_settings
from documents.subscriptions import subscriptions
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app


def create_app(settings: DocumentsSettings) -> FastAPI:
    async def start(app: FastAPI) -> None:
        app.state.documents = await Runtime.start(settings)

    async def stop(app: FastAPI) -> None:
        app.state.documents.close()

    def runtime() -> Runtime:
        started: Runtime = app.state.documents
        return started

    app = create_service_app(ServiceParts(
        settings=settings, routers=[router], migrations_dir=migrations_dir_of("documents"),
        subscriptions=subscriptions(runtime), on_startup=[start], on_shutdown=[stop],
    ))
    return app


__getattr__ = module_app(lambda: create_app(get_settings()))
