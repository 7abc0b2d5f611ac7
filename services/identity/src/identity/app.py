"""The identity service process: `uvicorn identity.app:app`.

`create_app(settings)` builds it for any settings (tests build it for their own database and bus namespace).
Nothing is read from the environment at import: `app` is built from the environment when first asked for.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import FastAPI

from identity.domain.throttling import LONGEST_WINDOW
from identity.endpoints import router
from identity.runtime import Runtime, utcnow
from identity.sessions import purge_sessions
from identity.settings import IdentitySettings, get_settings
from identity.subscriptions import SUBSCRIPTIONS
from identity.throttle import purge_attempts
from shared import background
from shared.db import Database
from shared.migrations import migrations_dir_of
from shared.service import ServiceParts, create_service_app, module_app

logger = logging.getLogger(__name__)

#: ended sessions are kept this long after their end (for support questions), then deleted
ENDED_SESSIONS_KEPT = timedelta(days=30)


def create_app(settings: IdentitySettings) -> FastAPI:
    async def start(app: FastAPI) -> None:
        # Failed attempts are written while the request still holds its connection. From the request's own pool,
        # a burst of failing requests could hold every connection while each waits for one more; a small pool of
        # their own, whose connections are only ever held for one INSERT, cannot starve that way.
        app.state.attempts_database = Database(settings.database_url, pool_size=2)
        app.state.identity = Runtime.create(settings, attempts_database=app.state.attempts_database)
        app.state.housekeeping = asyncio.create_task(
            background.every(settings.housekeeping_interval_seconds, lambda: keep_house(app), what="housekeeping"),
            name="identity-housekeeping",
        )

    async def stop(app: FastAPI) -> None:
        await background.stop(app.state.housekeeping)
        await app.state.attempts_database.dispose()

    async def keep_house(app: FastAPI) -> None:
        """Delete throttling records no rule counts any more, and sessions long over."""
        now = utcnow()
        async with app.state.database.transaction() as session:
            attempts = await purge_attempts(session, now - LONGEST_WINDOW)
            sessions = await purge_sessions(session, now - ENDED_SESSIONS_KEPT)
        if attempts or sessions:
            logger.info("housekeeping: deleted %d throttling records, %d sessions", attempts, sessions)

    return create_service_app(
        ServiceParts(
            settings=settings, routers=[router], migrations_dir=migrations_dir_of("identity"),
            subscriptions=SUBSCRIPTIONS, on_startup=[start], on_shutdown=[stop],
        )
    )


__getattr__ = module_app(lambda: create_app(get_settings()))
