"""The consumers metering knows — its copy of identity's accounts — and who sees which: a consumer's user their own,
staff their branch's consumers, administrators and services every one (`shared.auth.Principal.may_see`).

Whatever changes a consumer's readings first locks the consumer's row (`consumer(..., for_update=True)`), so that
two submissions of one consumer never interleave and its acts change in one order.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metering.models import Consumer
from shared.auth import Principal
from shared.contracts.identity import ConsumerAccountCreated
from shared.errors import NotFound


async def consumer(session: AsyncSession, consumer_id: uuid.UUID, *, for_update: bool = False) -> Consumer | None:
    return await session.get(Consumer, consumer_id, with_for_update=for_update)


async def consumer_by_account_number(session: AsyncSession, account_number: str) -> Consumer | None:
    return await session.scalar(select(Consumer).where(Consumer.account_number == account_number))


async def visible_consumer(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID, *,
                           for_update: bool = False) -> Consumer:
    """The consumer a request is about; another branch's consumer is answered as unknown."""
    principal.refuse_another_consumer(consumer_id)
    found = await consumer(session, consumer_id, for_update=for_update)
    if found is None or not principal.may_see(found.id, found.branch_id):
        raise NotFound("metering knows no such consumer (yet)", code="consumer_not_found")
    return found


async def sees_consumer(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID) -> bool:
    """Whether the principal sees the consumer an object (a point, an act) belongs to."""
    found = await consumer(session, consumer_id)
    return found is not None and principal.may_see(found.id, found.branch_id)


async def keep_consumer(session: AsyncSession, event: ConsumerAccountCreated) -> None:
    """Identity's account, created or updated; an update older than what is kept changes nothing."""
    kept = await consumer(session, event.consumer_id, for_update=True)
    if kept is None:
        kept = Consumer(id=event.consumer_id)
        session.add(kept)
    elif kept.changed_at > event.occurred_at:
        return
    kept.account_number = event.account_number
    kept.name = event.name
    kept.edrpou = event.edrpou
    kept.branch_id = event.branch_id
    kept.branch_name = event.branch_name
    kept.billing_day = event.billing_day
    kept.e_signature = event.e_signature
    kept.changed_at = event.occurred_at
