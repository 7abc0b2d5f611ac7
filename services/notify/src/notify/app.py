"""The notify service process: `uvicorn notify.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from notify.endpoints import router
from notify.sender import start_sender, stop_sender
from notify.settings import NotifySettings, get_settings
from notify.subscriptions import SUBSCRIPTIONS
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app


def create_app(settings: NotifySettings) -> FastAPI:
    return create_service_app(ServiceParts(
        settings=settings,
        routers=[router],
        migrations_dir=migrations_dir_of("notify"),
        subscriptions=SUBSCRIPTIONS,
        on_startup=[start_sender],
        on_shutdown=[stop_sender],
    ))


__getattr__ = module_app(lambda: create_app(get_settings()))
