"""Who sees which consumer's data: a consumer's user their own consumer's, staff their branch's consumers',
administrators and services every consumer's (`shared.auth.Principal.may_see`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Consumer
from billing.repositories import consumers as consumer_repository
from shared.auth import Principal
from shared.errors import NotFound


async def visible_consumer(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID) -> Consumer:
    """The consumer whose data the principal asks for; another branch's is answered as unknown."""
    principal.refuse_another_consumer(consumer_id)
    consumer = await consumer_repository.consumer(session, consumer_id)
    if consumer is None or not principal.may_see(consumer.id, consumer.branch_id):
        raise NotFound("no such consumer", code="consumer_not_found")
    return consumer


async def sees_consumer(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID) -> bool:
    """Whether the principal sees the consumer an object (an invoice, a tax invoice) belongs to."""
    consumer = await consumer_repository.consumer(session, consumer_id)
    return consumer is not None and principal.may_see(consumer.id, consumer.branch_id)
