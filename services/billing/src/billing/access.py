"""Who sees which consumer's data: a consumer their own, staff and services anyone's."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from billing import repository
from billing.models import Consumer
from shared.auth import Principal, Role
from shared.errors import Forbidden, NotFound


async def visible_consumer(session: AsyncSession, principal: Principal, consumer_id: uuid.UUID) -> Consumer:
    """The consumer whose data the principal asks for: their own, or any for staff and services."""
    if principal.role == Role.CONSUMER:
        if principal.consumer_id != consumer_id:
            raise Forbidden("a consumer sees only their own data", code="other_consumer")
    elif not (principal.is_staff or principal.role == Role.SERVICE):
        raise Forbidden("sign in as the consumer or as the supplier's staff", code="role_forbidden")
    consumer = await repository.consumer(session, consumer_id)
    if consumer is None:
        raise NotFound("no such consumer", code="consumer_not_found")
    return consumer
