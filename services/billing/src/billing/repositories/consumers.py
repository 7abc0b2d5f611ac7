"""Queries of billing's copies of other contexts' data: identity's consumers, metering's points and accepted
readings; the consumers' locks every feature that changes a consumer's money takes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.calculation import Meter, MeterReading
from billing.models import Consumer, MeteringPoint, Reading
from billing.repositories.bulk import any_of

_Row = TypeVar("_Row", bound=tuple[Any, ...])


async def upsert_consumer(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = pg_insert(Consumer).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Consumer.id],
        set_={**{key: statement.excluded[key] for key in values if key != "id"}, "updated_at": sa.func.now()},
    ))


async def upsert_point(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = pg_insert(MeteringPoint).values(values)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[MeteringPoint.id],
        set_={**{key: statement.excluded[key] for key in values if key != "id"}, "updated_at": sa.func.now()},
    ))


async def upsert_readings(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of `readings`; a later one of the same point, register and zone replaces the earlier (not twice in
    `rows`: one statement cannot change a row twice)."""
    if not rows:
        return
    statement = pg_insert(Reading)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[Reading.consumer_id, Reading.period, Reading.point_id, Reading.energy, Reading.zone],
        set_={"previous": statement.excluded.previous, "current": statement.excluded.current,
              "rollover": statement.excluded.rollover, "act_id": statement.excluded.act_id,
              "accepted_at": sa.func.now()},
    ), rows)


async def consumer(session: AsyncSession, consumer_id: uuid.UUID) -> Consumer | None:
    return await session.get(Consumer, consumer_id)


async def lock_consumers(session: AsyncSession, consumer_ids: Iterable[uuid.UUID]) -> list[Consumer]:
    """The consumers, locked until the transaction ends, in id order (so that two lockers never deadlock).

    Whatever issues invoices or takes readings for a consumer holds this lock: a correction arriving while the
    period is being invoiced waits, and then sees the invoice.
    """
    ids = sorted(set(consumer_ids))
    if not ids:
        return []
    statement = sa.select(Consumer).where(any_of(Consumer.id, ids)).order_by(Consumer.id).with_for_update()
    return list((await session.execute(statement)).scalars())


def of_branch(statement: sa.Select[_Row], branch_id: uuid.UUID | None) -> sa.Select[_Row]:
    """Narrowed to one branch's consumers; None: every branch's."""
    return statement if branch_id is None else statement.where(Consumer.branch_id == branch_id)


async def all_consumers(session: AsyncSession, branch_id: uuid.UUID | None = None) -> list[Consumer]:
    """Every consumer, or one branch's."""
    statement = of_branch(sa.select(Consumer), branch_id).order_by(Consumer.account_number)
    return list((await session.execute(statement)).scalars())


async def meters_of(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[uuid.UUID,
                                                                                                   list[Meter]]:
    """The consumers' points a period concerns: the active ones, and retired ones with readings of the period."""
    read = sa.select(Reading.point_id).where(any_of(Reading.consumer_id, consumer_ids), Reading.period == period)
    statement = sa.select(
        MeteringPoint.consumer_id, MeteringPoint.id, MeteringPoint.meter_serial, MeteringPoint.zones,
        MeteringPoint.digits, MeteringPoint.ct_ratio, MeteringPoint.vt_ratio, MeteringPoint.registers,
        MeteringPoint.tariff_class, MeteringPoint.active,
    ).where(any_of(MeteringPoint.consumer_id, consumer_ids), MeteringPoint.active | MeteringPoint.id.in_(read))
    found: dict[uuid.UUID, list[Meter]] = defaultdict(list)
    # unpacked rather than read by name: a batch has thousands of rows
    for consumer_id, point_id, serial, zones, digits, ct_ratio, vt_ratio, registers, tariff_class, active in \
            await session.execute(statement):
        found[consumer_id].append(Meter(point_id, serial, zones, digits, ct_ratio, vt_ratio, tuple(registers),
                                        tariff_class, active))
    return found


async def readings_of(session: AsyncSession, consumer_ids: Sequence[uuid.UUID], period: str) -> dict[
        uuid.UUID, list[MeterReading]]:
    statement = sa.select(
        Reading.consumer_id, Reading.point_id, Reading.energy, Reading.zone, Reading.previous, Reading.current,
        Reading.rollover,
    ).where(any_of(Reading.consumer_id, consumer_ids), Reading.period == period)
    found: dict[uuid.UUID, list[MeterReading]] = defaultdict(list)
    for consumer_id, *reading in await session.execute(statement):
        found[consumer_id].append(MeterReading(*reading))
    return found
