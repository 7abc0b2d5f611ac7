"""Writing events: in the same transaction as the state change they announce."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.base import Event
from shared.db import mark
from shared.telemetry import inject_into

#: the mark of a transaction that queued events (`shared.db.mark`): its commit wakes the relay
QUEUED = "outbox"
#: all of a transaction's events in one statement: `executemany` would send one execution per row (a billing run
#: batch writes thousands). Rows keep the events' order, and so does the relay, which publishes by `id`.
_QUEUE_EVENTS = text(
    "INSERT INTO outbox (message_id, message_type, body, headers) "
    "SELECT message_id, message_type, body, CAST(CAST(:headers AS text) AS jsonb) "
    "FROM unnest(CAST(:message_ids AS uuid[]), CAST(:message_types AS text[]), CAST(:bodies AS bytea[])) "
    "WITH ORDINALITY AS queued(message_id, message_type, body, position) ORDER BY position"
)


async def add(session: AsyncSession, *events: Event, message_id: uuid.UUID | None = None) -> None:
    """Queue events for publication; they leave only if the surrounding transaction commits.

    `message_id` makes the message id deterministic (only with one event), for callers that must not
    publish the same fact twice.
    """
    if not events:
        return
    if message_id is not None and len(events) != 1:
        raise ValueError("a fixed message id fits one event only")
    # the trace context of the action that caused these events
    headers = json.dumps(inject_into({}))
    await session.execute(_QUEUE_EVENTS, {
        "message_ids": [message_id or uuid.uuid4() for _ in events],
        "message_types": [event.message_type() for event in events],
        "bodies": [event.model_dump_json().encode() for event in events],
        "headers": headers,
    })
    mark(session, QUEUED)
