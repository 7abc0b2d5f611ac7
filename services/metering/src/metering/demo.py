"""The demo's history of readings, entered through the use case as of the moment they were entered: a day of the
demo consumer's past half year (`devtools.demo` calls it in its own process; the running service relays the events).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from metering import repository
from metering.domain.readings import SubmittedLine
from metering.models import Act, ActSource
from metering.service import Metering, Submission
from metering.settings import MeteringSettings
from shared.business_calendar import business_today
from shared.db import Database

#: a meter's register and zone, by the meter's serial: `("01234567", "active", 1)`
RegisterOf = tuple[str, str, int]


class History:
    def __init__(self, settings: MeteringSettings) -> None:
        self.database = Database(settings.database_url, pool_size=2)

    async def close(self) -> None:
        await self.database.dispose()

    async def enter(self, consumer_id: uuid.UUID, period: str, values: Mapping[RegisterOf, Decimal], *,
                    source: ActSource, at: datetime) -> uuid.UUID:
        """Readings of the consumer's meters for the period, entered at `at` by `source`; the act's id."""
        async with self.database.transaction() as session:
            consumer = await repository.consumer(session, consumer_id, for_update=True)
            if consumer is None:
                raise LookupError(f"metering knows no consumer {consumer_id} (yet)")
            points = {point.meter_serial: point for point in await repository.points_of(session, consumer_id)}
            lines = [SubmittedLine(points[serial].id, energy, zone, f"{value:f}", False)
                     for (serial, energy, zone), value in values.items()]
            submitted = await Metering(session).submit(
                consumer, Submission(source=source, period=period, lines=lines, confirm=True),
                today=business_today(at), factor=None, now=at,
            )
            return submitted.act.id

    async def act(self, act_id: uuid.UUID) -> Act | None:
        async with self.database.transaction() as session:
            return await repository.act(session, act_id)
