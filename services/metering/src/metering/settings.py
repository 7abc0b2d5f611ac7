from __future__ import annotations

from functools import lru_cache

from shared.settings import ServiceSettings


class MeteringSettings(ServiceSettings):
    service_name: str = "metering"


@lru_cache
def get_settings() -> MeteringSettings:
    return MeteringSettings()  # the secret comes from the environment
