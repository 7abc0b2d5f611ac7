"""Writing events: in the same transaction as the state change they announce."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bus.tables import OUTBOX
from shared.contracts.base import Event
from shared.telemetry import inject_into


def outbox_row(event: Event, headers: dict[str, Any], *, message_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "message_id": message_id or uuid.uuid4(),
        "message_type": event.message_type(),
        "body": event.model_dump_json().encode(),
        "headers": headers,
    }


async def add(session: AsyncSession, *events: Event, message_id: uuid.UUID | None = None) -> None:
    """Queue events for publication; they leave only if the surrounding transaction commits.

    `message_id` makes the message id deterministic (only with one event), for callers that must not
    publish the same fact twice.
    """
    if not events:
        return
    if message_id is not None and len(events) != 1:
        raise ValueError("a fixed message id fits one event only")
    headers = inject_into({})  # the trace context of the action that caused these events
    rows = [outbox_row(event, headers, message_id=message_id) for event in events]
    await session.execute(insert(OUTBOX), rows)
