from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from shared.settings import ServiceSettings


class MeteringSettings(ServiceSettings):
    service_name: str = "metering"

    #: a volume above this many times the mean of the point's last 12 accepted periods asks for confirmation
    high_volume_factor: Decimal = Decimal(3)


@lru_cache
def get_settings() -> MeteringSettings:
    return MeteringSettings()  # the secret comes from the environment
