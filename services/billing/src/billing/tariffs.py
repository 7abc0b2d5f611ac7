"""Tariffs: the prices of each tariff class's registers and the zone coefficients, each in force from the first day
of a month; who sees which classes, and the checks a new price or coefficient passes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from billing.access import visible_consumer
from billing.models import Tariff, ZoneCoefficient
from billing.repositories import tariffs as tariff_repository
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, Invalid

_TARIFF_CLASS = re.compile(r"[a-z0-9_]{1,40}")
TITLE_MAX_LENGTH = 200
#: a tariff price: positive, 6 places at most (UAH per kWh or kvarh)
PRICE_MAX = Decimal("999999.999999")
COEFFICIENT_MAX = Decimal("99.9999")


@dataclass(frozen=True)
class TariffClass:
    tariff_class: str
    title: str
    history: Sequence[Tariff]
    zone_coefficients: Sequence[ZoneCoefficient]


@dataclass(frozen=True)
class NewTariff:
    tariff_class: str
    energy: str
    price: Decimal
    effective_from: date
    title: str


@dataclass(frozen=True)
class NewCoefficient:
    zones: int
    zone: int
    coefficient: Decimal
    effective_from: date


def _places_ok(value: Decimal, places: int, maximum: Decimal) -> bool:
    try:
        in_range = value.is_finite() and Decimal(0) < value <= maximum
        return in_range and value == value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return False


def _effective_from_ok(day: date) -> bool:
    """Prices change from the first day of a month: the price of a period is the one in force on its first day."""
    return day.day == 1


class Tariffs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def classes(self, principal: Principal, consumer_id: uuid.UUID | None) -> list[TariffClass]:
        """A consumer sees the classes of their points; staff and services all, or one consumer's."""
        if principal.role == Role.CONSUMER:
            consumer_id = consumer_id or principal.consumer_id
        schemes: set[int] | None = None
        classes: set[str] | None = None
        if consumer_id is not None:
            await visible_consumer(self.session, principal, consumer_id)
            found = await tariff_repository.tariff_classes_of(self.session, consumer_id)
            classes = {tariff_class for tariff_class, _ in found}
            schemes = {zones for _, zones in found}
        elif principal.role == Role.CONSUMER:
            raise Forbidden("only staff see every tariff", code="role_forbidden")
        tariffs = await tariff_repository.tariffs(self.session, classes)
        coefficients = [coefficient for coefficient in await tariff_repository.zone_coefficients(self.session)
                        if schemes is None or coefficient.zones in schemes]
        by_class: dict[str, list[Tariff]] = {}
        for tariff in tariffs:
            by_class.setdefault(tariff.tariff_class, []).append(tariff)
        return [
            # the class is called what its newest tariff calls it
            TariffClass(tariff_class, history[0].title, history, coefficients)
            for tariff_class, history in sorted(by_class.items())
        ]

    async def add(self, principal: Principal, new: NewTariff) -> Tariff:
        problems: dict[str, str] = {}
        if not _TARIFF_CLASS.fullmatch(new.tariff_class):
            problems["tariff_class"] = "tariff_class_invalid"
        if not _places_ok(new.price, 6, PRICE_MAX):
            problems["price"] = "price_invalid"
        if not _effective_from_ok(new.effective_from):
            problems["effective_from"] = "date_invalid"
        title = " ".join(new.title.split())
        if not 0 < len(title) <= TITLE_MAX_LENGTH:
            problems["title"] = "title_invalid"
        if problems:
            raise Invalid("the tariff has mistakes", fields=problems)
        added = await tariff_repository.add_tariff(self.session, Tariff(
            id=uuid.uuid4(), tariff_class=new.tariff_class, energy=new.energy, price=new.price,
            effective_from=new.effective_from, title=title, created_by=principal.user_id,
        ))
        if added is None:
            raise Conflict("the class has a price of this register from that date", code="tariff_exists")
        return added

    async def zone_coefficients(self) -> list[ZoneCoefficient]:
        return await tariff_repository.zone_coefficients(self.session)

    async def add_zone_coefficient(self, new: NewCoefficient) -> ZoneCoefficient:
        problems: dict[str, str] = {}
        if not 1 <= new.zones <= 3:
            problems["zones"] = "zones_invalid"
        elif not 1 <= new.zone <= new.zones:
            problems["zone"] = "zone_invalid"
        if not _places_ok(new.coefficient, 4, COEFFICIENT_MAX):
            problems["coefficient"] = "coefficient_invalid"
        if not _effective_from_ok(new.effective_from):
            problems["effective_from"] = "date_invalid"
        if problems:
            raise Invalid("the zone coefficient has mistakes", fields=problems)
        added = await tariff_repository.add_zone_coefficient(self.session, ZoneCoefficient(
            id=uuid.uuid4(), zones=new.zones, zone=new.zone, coefficient=new.coefficient,
            effective_from=new.effective_from,
        ))
        if added is None:
            raise Conflict("the zone has a coefficient from that date", code="coefficient_exists")
        return added
