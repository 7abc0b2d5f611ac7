from __future__ import annotations

from functools import lru_cache

from shared.settings import ServiceSettings


class SignatureSettings(ServiceSettings):
    service_name: str = "signature"


@lru_cache
def get_settings() -> SignatureSettings:
    return SignatureSettings()  # the secret comes from the environment
