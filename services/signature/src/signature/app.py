"""The signature service process: `uvicorn signature.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app
from signature.settings import SignatureSettings, get_settings


def create_app(settings: SignatureSettings) -> FastAPI:
    return create_service_app(
        ServiceParts(settings=settings, routers=[], migrations_dir=migrations_dir_of("signature"))
    )


__getattr__ = module_app(lambda: create_app(get_settings()))
