"""The metering service process: `uvicorn metering.app:app`.

`create_app(settings)` builds it for any settings (tests build it for their own database and bus namespace).
"""

from __future__ import annotations

from fastapi import FastAPI

from metering.endpoints import router
from metering.runtime import Runtime
from metering.settings import MeteringSettings, get_settings
from metering.subscriptions import SUBSCRIPTIONS
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app


def create_app(settings: MeteringSettings) -> FastAPI:
    app = create_service_app(
        ServiceParts(settings=settings, routers=[router], migrations_dir=migrations_dir_of("metering"),
                     subscriptions=SUBSCRIPTIONS)
    )
    app.state.metering = Runtime(settings)
    return app


__getattr__ = module_app(lambda: create_app(get_settings()))
