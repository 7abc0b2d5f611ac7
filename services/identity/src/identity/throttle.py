"""Throttling of guessers (the rules: `identity.domain.throttling`): attempts counted in the database, so every
replica sees them and a restart forgets none.

A failed guess is counted in a transaction of its own (`Throttle.count`): the use case then fails, and its own
transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.throttling import ThrottleRule
from identity.models import ThrottledAttempt
from shared.db import Database
from shared.errors import Throttled

#: a rule and what it counts against (a login, a network, a link...)
Subject = tuple[ThrottleRule, str]


class Throttle:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def check(self, session: AsyncSession, *subjects: Subject, now: datetime) -> None:
        """Refuse (429) when any subject has to wait before its next attempt."""
        waits = []
        for rule, subject in subjects:
            recent = await recent_attempts(session, rule, subject, now - rule.window)
            wait = rule.retry_after(recent, now)
            if wait is not None:
                waits.append(wait)
        if waits:
            raise Throttled(max(waits))

    async def count(self, *subjects: Subject, now: datetime) -> None:
        """Record an attempt in a transaction of its own: it must stay even when the request then fails."""
        async with self._database.transaction() as session:
            await add_attempts(session, subjects, now)


async def recent_attempts(
    session: AsyncSession, rule: ThrottleRule, subject: str, since: datetime
) -> list[datetime]:
    """The newest attempts of `subject` since `since` that `rule` needs to see, newest first."""
    rows = await session.scalars(
        select(ThrottledAttempt.occurred_at)
        .where(
            ThrottledAttempt.rule == rule.name,
            ThrottledAttempt.subject == subject,
            ThrottledAttempt.occurred_at > since,
        )
        .order_by(ThrottledAttempt.occurred_at.desc())
        .limit(rule.counted)
    )
    return list(rows)


async def add_attempts(session: AsyncSession, subjects: Iterable[Subject], occurred_at: datetime) -> None:
    rows = [{"rule": rule.name, "subject": subject, "occurred_at": occurred_at} for rule, subject in subjects]
    if rows:
        await session.execute(insert(ThrottledAttempt), rows)


async def clear_attempts(session: AsyncSession, rule: ThrottleRule, subject: str) -> None:
    await session.execute(
        delete(ThrottledAttempt).where(
            ThrottledAttempt.rule == rule.name, ThrottledAttempt.subject == subject
        )
    )


async def purge_attempts(session: AsyncSession, occurred_before: datetime) -> int:
    result = await session.execute(
        delete(ThrottledAttempt).where(ThrottledAttempt.occurred_at < occurred_before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
