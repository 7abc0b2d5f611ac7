"""Queries of the metering database. Functions take the caller's session and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from metering.domain.readings import USUAL_VOLUME_PERIODS, LineKey
from metering.models import (
    PENDING_STATES,
    AcceptedReading,
    Act,
    ActLine,
    Consumer,
    InvoicedPeriod,
    MeteringPoint,
    ResSubmission,
)


# consumers
async def consumer(session: AsyncSession, consumer_id: uuid.UUID, *, for_update: bool = False) -> Consumer | None:
    return await session.get(Consumer, consumer_id, with_for_update=for_update)


async def consumer_by_account_number(session: AsyncSession, account_number: str) -> Consumer | None:
    return await session.scalar(select(Consumer).where(Consumer.account_number == account_number))


async def invoiced_periods(session: AsyncSession, consumer_id: uuid.UUID, periods: Collection[str]) -> set[str]:
    found = await session.scalars(
        select(InvoicedPeriod.period).where(InvoicedPeriod.consumer_id == consumer_id,
                                            InvoicedPeriod.period.in_(periods))
    )
    return set(found)


async def add_invoiced_period(session: AsyncSession, consumer_id: uuid.UUID, period: str,
                              invoice_id: uuid.UUID) -> None:
    await session.execute(
        insert(InvoicedPeriod).values(consumer_id=consumer_id, period=period, invoice_id=invoice_id)
        .on_conflict_do_nothing()
    )


# metering points
async def point(session: AsyncSession, point_id: uuid.UUID, *, for_update: bool = False) -> MeteringPoint | None:
    return await session.get(MeteringPoint, point_id, with_for_update=for_update)


async def points_of(session: AsyncSession, consumer_id: uuid.UUID, *, include_retired: bool = True
                    ) -> Sequence[MeteringPoint]:
    statement = select(MeteringPoint).where(MeteringPoint.consumer_id == consumer_id)
    if not include_retired:
        statement = statement.where(MeteringPoint.active)
    return (await session.scalars(statement.order_by(MeteringPoint.meter_serial, MeteringPoint.created_at))).all()


async def active_point_by_serial(session: AsyncSession, meter_serial: str) -> MeteringPoint | None:
    return await session.scalar(
        select(MeteringPoint).where(MeteringPoint.meter_serial == meter_serial, MeteringPoint.active)
    )


async def point_has_readings(session: AsyncSession, point_id: uuid.UUID) -> bool:
    found = await session.scalar(select(ActLine.point_id).where(ActLine.point_id == point_id).limit(1))
    return found is not None


# acts
async def act(session: AsyncSession, act_id: uuid.UUID) -> Act | None:
    return await session.get(Act, act_id)


async def act_by_document(session: AsyncSession, document_id: uuid.UUID) -> Act | None:
    return await session.scalar(select(Act).where(Act.document_id == document_id))


async def acts_of(session: AsyncSession, consumer_id: uuid.UUID, period: str | None) -> Sequence[Act]:
    statement = select(Act).where(Act.consumer_id == consumer_id)
    if period is not None:
        statement = statement.where(Act.period == period)
    return (await session.scalars(statement.order_by(Act.ordinal.desc()))).all()


async def pending_act(session: AsyncSession, consumer_id: uuid.UUID, period: str) -> Act | None:
    return await session.scalar(
        select(Act).where(Act.consumer_id == consumer_id, Act.period == period, Act.state.in_(PENDING_STATES))
    )


async def acts_by_id(session: AsyncSession, act_ids: Sequence[uuid.UUID]) -> Sequence[Act]:
    return (await session.scalars(select(Act).where(Act.id.in_(act_ids)))).all() if act_ids else []


async def lines_of(session: AsyncSession, act_id: uuid.UUID) -> Sequence[ActLine]:
    return (await session.scalars(
        select(ActLine).where(ActLine.act_id == act_id).order_by(ActLine.point_id, ActLine.energy, ActLine.zone)
    )).all()


# accepted readings
async def accepted_in(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                      ) -> Sequence[AcceptedReading]:
    return (await session.scalars(
        select(AcceptedReading).where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period == period)
    )).all()


async def last_accepted_before(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                               ) -> dict[LineKey, AcceptedReading]:
    """Per register and zone of the points, the accepted reading of the latest period before `period`."""
    rows = await session.scalars(
        select(AcceptedReading)
        .where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period < period)
        .order_by(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone,
                  AcceptedReading.period.desc())
        .distinct(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone)
    )
    return {(row.point_id, row.energy, row.zone): row for row in rows}


async def volume_history(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                         ) -> dict[LineKey, list[Decimal]]:
    """Per register and zone of the points, the volumes of the last accepted periods before `period`, newest first."""
    newest_first = func.row_number().over(
        partition_by=(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone),
        order_by=AcceptedReading.period.desc(),
    ).label("rank")
    ranked = (
        select(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone, AcceptedReading.volume,
               newest_first)
        .where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period < period)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.point_id, ranked.c.energy, ranked.c.zone, ranked.c.volume)
        .where(ranked.c.rank <= USUAL_VOLUME_PERIODS).order_by(ranked.c.rank)
    )
    history: dict[LineKey, list[Decimal]] = {}
    for point_id, register, zone, volume in rows:
        history.setdefault((point_id, register, zone), []).append(volume)
    return history


async def accept_lines(session: AsyncSession, act: Act, lines: Iterable[ActLine]) -> None:
    """The act's readings become the ones in force for its period (replacing what a correction corrects)."""
    rows = [
        {"point_id": line.point_id, "energy": line.energy, "zone": line.zone, "period": act.period,
         "act_id": act.id, "previous": line.previous, "previous_period": line.previous_period,
         "current": line.current, "rollover": line.rollover, "volume": line.volume}
        for line in lines
    ]
    if not rows:
        return
    statement = insert(AcceptedReading).values(rows)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone,
                        AcceptedReading.period],
        set_={column: statement.excluded[column]
              for column in ("act_id", "previous", "previous_period", "current", "rollover", "volume")},
    ))


async def points_accepted_in(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str) -> set[uuid.UUID]:
    found = await session.scalars(
        select(AcceptedReading.point_id).where(AcceptedReading.point_id.in_(point_ids),
                                               AcceptedReading.period == period).distinct()
    )
    return set(found)


async def points_of_act(session: AsyncSession, act_id: uuid.UUID) -> set[uuid.UUID]:
    return set(await session.scalars(select(ActLine.point_id).where(ActLine.act_id == act_id).distinct()))


# RES submissions
async def res_submission(session: AsyncSession, submission_id: str) -> ResSubmission | None:
    return await session.get(ResSubmission, submission_id)
