"""Metering points: a consumer's meters as staff set them up, changed and retired; every change is published whole
(`metering.metering_point_changed.v1`, billing keeps a copy).

What a meter is — zones, digits, registers, installation readings — stays once the point has readings: the volumes
accepted were counted from them. An active point's meter serial is unique (`uq_metering_points_active_serial`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from metering.consumers import sees_consumer
from metering.domain.points import InstallationLine, PointFields, RawPoint, clean_point
from metering.domain.readings import RegisterZone, plain
from metering.models import ActLine, Consumer, InstallationReading, MeteringPoint
from metering.runtime import utcnow
from shared import bus
from shared.auth import Principal
from shared.contracts.metering import MeteringPointChanged
from shared.errors import Conflict, Invalid, NotFound


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


def point_event(point: MeteringPoint) -> MeteringPointChanged:
    """The point's whole state; ratios as typed or as stored ("40.50", "40.5000") are published one way."""
    return MeteringPointChanged(
        point_id=point.id, consumer_id=point.consumer_id, meter_serial=point.meter_serial, zones=point.zones,
        digits=point.digits, ct_ratio=Decimal(plain(point.ct_ratio)), vt_ratio=Decimal(plain(point.vt_ratio)),
        location=point.location, consumer_reads=point.consumer_reads, registers=point.registers,
        tariff_class=point.tariff_class, active=point.active,
    )


def installation_of(point: MeteringPoint) -> dict[RegisterZone, Decimal]:
    """The meter's readings when it was installed, per register and zone."""
    return {(row.energy, row.zone): row.value for row in point.installation_readings}


def by_serial(points: Iterable[MeteringPoint]) -> dict[str, MeteringPoint]:
    """A consumer's points by meter serial: the active one, else the point that had the serial last."""
    found: dict[str, MeteringPoint] = {}
    for point in sorted(points, key=lambda point: (point.active, point.created_at)):
        found[point.meter_serial] = point
    return found


class Points:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible(self, principal: Principal, point_id: uuid.UUID, *, for_update: bool = False
                      ) -> MeteringPoint:
        found = await point(self.session, point_id, for_update=for_update)
        # another consumer's point is answered as missing: its existence is not theirs to learn
        if found is None or not await sees_consumer(self.session, principal, found.consumer_id):
            raise NotFound("no such metering point", code="point_not_found")
        return found

    async def of(self, consumer: Consumer, *, include_retired: bool) -> Sequence[MeteringPoint]:
        return await points_of(self.session, consumer.id, include_retired=include_retired)

    async def create(self, consumer: Consumer, raw: RawPoint) -> MeteringPoint:
        fields = _clean(raw)
        await self._check_serial_free(fields.meter_serial, None)
        created = MeteringPoint(id=uuid.uuid4(), consumer_id=consumer.id, active=True, created_at=utcnow())
        _apply(created, fields)
        self.session.add(created)
        await self._flush_serial()
        await bus.add(self.session, point_event(created))
        return created

    async def update(self, point: MeteringPoint, changes: Mapping[str, Any]) -> MeteringPoint:
        """Staff change some of a point's fields; what the meter is (zones, digits, registers, installation
        readings) stays once read. Installation readings left out are kept, and must still fit the meter."""
        current = RawPoint(
            meter_serial=point.meter_serial, zones=point.zones, digits=point.digits, ct_ratio=plain(point.ct_ratio),
            vt_ratio=plain(point.vt_ratio), location=point.location, consumer_reads=point.consumer_reads,
            registers=point.registers, tariff_class=point.tariff_class,
            installation_readings=[InstallationLine(row.energy, row.zone, plain(row.value))
                                   for row in point.installation_readings],
        )
        fields = _clean(replace(current, **changes))
        before = _fields_of(point)
        if fields == before:
            return point
        meter_changed = (fields.zones, fields.digits, fields.registers, fields.installation) != (
            before.zones, before.digits, before.registers, before.installation)
        # the volumes accepted were counted from the installation readings of this meter
        if meter_changed and await point_has_readings(self.session, point.id):
            raise Conflict("zones, digits, registers and installation readings cannot change once the point has "
                           "readings", code="point_has_readings")
        if point.active and fields.meter_serial != point.meter_serial:
            await self._check_serial_free(fields.meter_serial, point.id)
        _apply(point, fields)
        await self._flush_serial()
        await bus.add(self.session, point_event(point))
        return point

    async def retire(self, point: MeteringPoint) -> MeteringPoint:
        if point.active:
            point.active = False
            await bus.add(self.session, point_event(point))
        return point

    async def _check_serial_free(self, meter_serial: str, point_id: uuid.UUID | None) -> None:
        holder = await active_point_by_serial(self.session, meter_serial)
        if holder is not None and holder.id != point_id:
            raise Conflict("an active metering point has this meter", code="meter_serial_taken")

    async def _flush_serial(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:  # taken by a concurrent request since the check
            if "uq_metering_points_active_serial" not in str(exc.orig):
                raise
            raise Conflict("an active metering point has this meter", code="meter_serial_taken") from exc


def _clean(raw: RawPoint) -> PointFields:
    cleaned = clean_point(raw)
    if not isinstance(cleaned, PointFields):
        raise Invalid("metering point refused", fields=cleaned)
    return cleaned


def _fields_of(point: MeteringPoint) -> PointFields:
    return PointFields(
        meter_serial=point.meter_serial, zones=point.zones, digits=point.digits, ct_ratio=point.ct_ratio,
        vt_ratio=point.vt_ratio, location=point.location, consumer_reads=point.consumer_reads,
        registers=point.registers, tariff_class=point.tariff_class, installation=installation_of(point),
    )


def _apply(point: MeteringPoint, fields: PointFields) -> None:
    point.meter_serial = fields.meter_serial
    point.zones = fields.zones
    point.digits = fields.digits
    point.ct_ratio = fields.ct_ratio
    point.vt_ratio = fields.vt_ratio
    point.location = fields.location
    point.consumer_reads = fields.consumer_reads
    point.reactive = "reactive" in fields.registers
    point.tariff_class = fields.tariff_class
    # the same register and zone stays the same row (a new one in its place is written as an update)
    point.installation_readings = [
        InstallationReading(energy=energy, zone=zone, value=fields.installation[energy, zone])
        for energy in fields.registers for zone in range(1, fields.zones + 1)
    ]
