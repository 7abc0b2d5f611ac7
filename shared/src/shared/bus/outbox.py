"""Writing events: in the same transaction as the state change they announce."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.base import PARTNER_NAME, Event
from shared.db import mark
from shared.telemetry import inject_into

#: the outbox row's header naming the partner system a message routed per partner goes to; the relay publishes the
#: message with the routing key `<message type>.<partner>`, which only that partner's queue is bound with
PARTNER_HEADER = "x-partner"
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


async def add(session: AsyncSession, *events: Event, message_id: uuid.UUID | None = None,
              partner: str | None = None) -> None:
    """Queue events for publication; they leave only if the surrounding transaction commits.

    `message_id` makes the message id deterministic (only with one event), for callers that must not
    publish the same fact twice. `partner`: the partner system the events (routed per partner) are addressed to;
    None for an answer whose partner is not known (it reaches nobody).
    """
    if not events:
        return
    if message_id is not None and len(events) != 1:
        raise ValueError("a fixed message id fits one event only")
    if partner is not None and not (PARTNER_NAME.fullmatch(partner) and all(e.routed_per_partner for e in events)):
        raise ValueError(f"cannot address {[e.message_type() for e in events]} to the partner {partner!r}")
    # the trace context of the action that caused these events
    headers = json.dumps(inject_into({PARTNER_HEADER: partner} if partner else {}))
    await session.execute(_QUEUE_EVENTS, {
        "message_ids": [message_id or uuid.uuid4() for _ in events],
        "message_types": [event.message_type() for event in events],
        "bodies": [event.model_dump_json().encode() for event in events],
        "headers": headers,
    })
    mark(session, QUEUED)
