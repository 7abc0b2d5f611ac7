"""Gateway settings (`CABINET_`-prefixed environment variables)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    identity_url: str = "http://127.0.0.1:8001"
    metering_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    documents_url: str = "http://127.0.0.1:8004"
    signature_url: str = "http://127.0.0.1:8005"
    notify_url: str = "http://127.0.0.1:8006"
    #: how long to wait for a service before showing the "temporarily unavailable" page (for a download:
    #: for each next piece of it, however long the whole takes)
    service_timeout_seconds: float = 10.0
    #: a resolved session is reused for this long, so a page costs no extra call to identity; a session ended
    #: elsewhere (another gateway process, staff) still opens pages of this process for up to this long
    session_cache_seconds: float = 15.0
    session_cache_size: int = 10_000
    #: an access token identity refused is refused again without asking it for this long (`gateway.api_access`)
    refused_token_seconds: float = 30.0
    #: the public API's calls per minute and access token (counted by identity for every gateway process)
    api_calls_per_minute: int = 60
    #: unset: follows `public_base_url` (https → Secure cookies)
    session_cookie_secure: bool = False
    #: the proxies in front of the gateway whose `X-Forwarded-For` tells the client's address (gateway.client_address):
    #: addresses or networks, comma-separated — in Kubernetes the pod network of the ingress controller. None (the
    #: default): the client is the connection's peer, and the header is ignored
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ()
    #: a demo system's folder of test keys and certificates (the local run's var/trust), named on the e-signature
    #: help page and the signing form so a newcomer finds them; unset (the default) in every real deployment
    demo_keys: str | None = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _secure_cookies_on_https(self) -> GatewaySettings:
        if "session_cookie_secure" not in self.model_fields_set:
            self.session_cookie_secure = self.public_base_url.lower().startswith("https://")
        return self
