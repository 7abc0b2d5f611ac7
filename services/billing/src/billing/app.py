"""The billing service process: `uvicorn billing.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from billing.settings import BillingSettings, get_settings
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app


def create_app(settings: BillingSettings) -> FastAPI:
    return create_service_app(
        ServiceParts(settings=settings, routers=[], migrations_dir=migrations_dir_of("billing"))
    )


__getattr__ = module_app(lambda: create_app(get_settings()))
