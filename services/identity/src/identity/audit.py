"""A consumer's audit trail: who entered which readings, who signed or refused which document, who changed which
setting, and every call a program made with a personal access token (the public API), as the consumer's users
(Settings, «Журнал дій») and the supplier's staff of its branch (the console) read it. Newest first, by kind.

Each entry is written in the transaction of what it records: identity's own changes as they are made, other
services' from their events (`metering.readings_entered/accepted`, `signature.document_status_changed`), in the
transaction of the message's inbox row, so a message delivered twice is recorded once. An entry keeps the person's
login and e-mail as they were then: the trail does not change when the person does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import AuditEntry, AuditKind, AuditVia, ConsumerAccount, User, UserRole
from identity.runtime import Runtime
from identity.users import Users, user_by_id
from shared.auth import CAPABILITIES, Capability, Principal
from shared.contracts.base import Actor
from shared.contracts.metering import ReadingsAccepted, ReadingsEntered
from shared.contracts.signature import DocumentStatusChanged
from shared.errors import NotFound

#: the most entries one page of the trail holds
MAX_PAGE = 200


def may_read_trail(user: User, consumer: ConsumerAccount) -> bool:
    """Who reads a consumer's audit trail (the user as stored): the consumer's administrators (its directors, who
    manage its users), the supplier's staff who see the consumer (their branch's; administrators every
    consumer's)."""
    if user.role == UserRole.CONSUMER:
        return (user.consumer_id == consumer.id and user.consumer_role is not None
                and Capability.MANAGE_USERS in CAPABILITIES[user.consumer_role])
    return user.role == UserRole.ADMIN or user.branch_id == consumer.branch_id


async def record(
    session: AsyncSession, consumer_id: uuid.UUID, kind: AuditKind, details: Mapping[str, Any], *, at: datetime,
    actor: User | None, actor_user_id: uuid.UUID | None = None, via: AuditVia | None = AuditVia.PAGE,
) -> AuditEntry:
    """An entry of `actor` (None, with `actor_user_id` None too: the system; with it: a user identity no longer
    knows)."""
    entry = AuditEntry(
        consumer_id=consumer_id, occurred_at=at, kind=kind, details=dict(details),
        actor_user_id=actor.id if actor else actor_user_id,
        actor_login=actor.login if actor else None, actor_email=actor.email if actor else None,
        via=via if (actor or actor_user_id) else None,
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_own_change(
    session: AsyncSession, user: User, kind: AuditKind, at: datetime, details: Mapping[str, Any] | None = None
) -> None:
    """A consumer's user changed their own settings (a staff member's own settings are no consumer's)."""
    if user.consumer_id is not None:
        await record(session, user.consumer_id, kind, details or {}, at=at, actor=user)


async def _record_event(
    session: AsyncSession, consumer_id: uuid.UUID, kind: AuditKind, details: Mapping[str, Any], at: datetime,
    actor: Actor | None,
) -> None:
    user = await user_by_id(session, actor.user_id) if actor else None
    await record(session, consumer_id, kind, details, at=at, actor=user,
                 actor_user_id=actor.user_id if actor else None, via=AuditVia(actor.via) if actor else None)


async def readings_entered(session: AsyncSession, event: ReadingsEntered) -> None:
    await _record_event(session, event.consumer_id, AuditKind.READINGS_ENTERED, {
        "act_id": str(event.act_id), "period": event.period, "source": event.source,
        "correction_reason": event.correction_reason,
        "readings": [
            {"meter_serial": line.meter_serial, "energy": line.energy, "zone": line.zone,
             "previous": str(line.previous), "current": str(line.current), "rollover": line.rollover}
            for line in event.readings
        ],
    }, event.occurred_at, event.actor)


async def readings_accepted(session: AsyncSession, event: ReadingsAccepted) -> None:
    await _record_event(session, event.consumer_id, AuditKind.READINGS_ACCEPTED, {
        "act_id": str(event.act_id), "period": event.period, "source": event.source,
        "correction_reason": event.correction_reason, "readings": len(event.readings),
    }, event.occurred_at, event.actor)


async def document_status_changed(session: AsyncSession, event: DocumentStatusChanged) -> None:
    kind = AuditKind.DOCUMENT_REJECTED if event.status == "rejected" else AuditKind.DOCUMENT_SIGNED
    await _record_event(session, event.consumer_id, kind, {
        "document_id": str(event.document_id), "document_type": event.document_type, "party": event.party,
        "status": event.status, "rejected_reason": event.rejected_reason,
    }, event.occurred_at, event.actor)


async def api_call_answered(session: AsyncSession, entry_id: int, status: int) -> bool:
    """The status a public API call was answered with, once; whether there was such a call waiting for it."""
    result = await session.execute(
        update(AuditEntry)
        .where(AuditEntry.id == entry_id, AuditEntry.kind == AuditKind.API_CALL, AuditEntry.status.is_(None))
        .values(status=status)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


class AuditTrail:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.users = Users(session, runtime)

    async def of_consumer(
        self, principal: Principal, consumer_id: uuid.UUID, *, kinds: Sequence[AuditKind], offset: int, limit: int
    ) -> list[AuditEntry]:
        """A page of the consumer's trail, newest first (of `kinds` only, unless empty); another's consumer is
        answered as a missing one."""
        reader = await self.users.current(principal)
        consumer = await self.session.get(ConsumerAccount, consumer_id)
        if consumer is None or not may_read_trail(reader, consumer):
            raise NotFound("no such consumer", code="consumer_not_found")
        return await entries_of(self.session, consumer_id, kinds, offset=offset, limit=limit)


async def entries_of(
    session: AsyncSession, consumer_id: uuid.UUID, kinds: Sequence[AuditKind], *, offset: int, limit: int
) -> list[AuditEntry]:
    query = (
        select(AuditEntry).where(AuditEntry.consumer_id == consumer_id)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    )
    if kinds:
        query = query.where(AuditEntry.kind.in_(kinds))
    return list(await session.scalars(query))
