from __future__ import annotations

from functools import lru_cache

from shared.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    service_name: str = "billing"


@lru_cache
def get_settings() -> BillingSettings:
    return BillingSettings()  # the secret comes from the environment
