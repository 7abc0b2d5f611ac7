"""Queries of tariffs and zone coefficients: staff's price history, and the price list a calculation reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.calculation import Coefficient, PriceList, TariffPrice
from billing.models import MeteringPoint, Tariff, ZoneCoefficient


async def price_list(session: AsyncSession) -> PriceList:
    tariffs = await session.execute(
        sa.select(Tariff.tariff_class, Tariff.energy, Tariff.price, Tariff.effective_from))
    coefficients = await session.execute(
        sa.select(ZoneCoefficient.zones, ZoneCoefficient.zone, ZoneCoefficient.coefficient,
                  ZoneCoefficient.effective_from))
    return PriceList((TariffPrice(*row) for row in tariffs), (Coefficient(*row) for row in coefficients))


async def tariffs(session: AsyncSession, tariff_classes: Iterable[str] | None = None) -> list[Tariff]:
    statement = sa.select(Tariff).order_by(Tariff.tariff_class, Tariff.effective_from.desc(), Tariff.energy)
    if tariff_classes is not None:
        statement = statement.where(Tariff.tariff_class.in_(list(tariff_classes)))
    return list((await session.execute(statement)).scalars())


async def tariff_classes_of(session: AsyncSession, consumer_id: uuid.UUID) -> list[tuple[str, int]]:
    """The tariff classes and zone schemes of a consumer's active points."""
    statement = sa.select(MeteringPoint.tariff_class, MeteringPoint.zones).where(
        MeteringPoint.consumer_id == consumer_id, MeteringPoint.active
    ).distinct()
    return [(row.tariff_class, row.zones) for row in await session.execute(statement)]


async def add_tariff(session: AsyncSession, tariff: Tariff) -> Tariff | None:
    """The tariff added; None when the class already has a price of that register from that date."""
    statement = pg_insert(Tariff).values(
        id=tariff.id, tariff_class=tariff.tariff_class, energy=tariff.energy, price=tariff.price,
        effective_from=tariff.effective_from, title=tariff.title, created_by=tariff.created_by,
    ).on_conflict_do_nothing().returning(Tariff)
    return (await session.execute(sa.select(Tariff).from_statement(statement))).scalar_one_or_none()


async def zone_coefficients(session: AsyncSession) -> list[ZoneCoefficient]:
    statement = sa.select(ZoneCoefficient).order_by(ZoneCoefficient.zones, ZoneCoefficient.zone,
                                                    ZoneCoefficient.effective_from.desc())
    return list((await session.execute(statement)).scalars())


async def add_zone_coefficient(session: AsyncSession, coefficient: ZoneCoefficient) -> ZoneCoefficient | None:
    statement = pg_insert(ZoneCoefficient).values(
        id=coefficient.id, zones=coefficient.zones, zone=coefficient.zone, coefficient=coefficient.coefficient,
        effective_from=coefficient.effective_from,
    ).on_conflict_do_nothing().returning(ZoneCoefficient)
    return (await session.execute(sa.select(ZoneCoefficient).from_statement(statement))).scalar_one_or_none()
