"""The metering service process: `uvicorn metering.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from metering.settings import MeteringSettings, get_settings
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app


def create_app(settings: MeteringSettings) -> FastAPI:
    return create_service_app(
        ServiceParts(settings=settings, routers=[], migrations_dir=migrations_dir_of("metering"))
    )


__getattr__ = module_app(lambda: create_app(get_settings()))
