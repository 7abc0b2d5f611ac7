"""What the use cases need beside a transaction; one per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx

from billing.clients import Branches
from billing.settings import BillingSettings
from shared.auth import ServiceTokens
from shared.business_calendar import business_today
from shared.http import ServiceClient


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: BillingSettings
    branches: Branches
    identity: ServiceClient
    documents: ServiceClient
    #: the clock (tests move it)
    now: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def create(cls, settings: BillingSettings, *, identity_transport: httpx.AsyncBaseTransport | None = None,
               documents_transport: httpx.AsyncBaseTransport | None = None) -> Runtime:
        tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=settings.service_name)
        identity = ServiceClient(settings.identity_url, tokens, timeout=settings.service_timeout_seconds,
                                 transport=identity_transport)
        # rendering waits for a free render worker: on the billing day that can take a while
        documents = ServiceClient(settings.documents_url, tokens, timeout=6 * settings.service_timeout_seconds,
                                  transport=documents_transport)
        return cls(settings, Branches(identity, settings.branches_cache_seconds), identity, documents)

    def today(self) -> date:
        return business_today(self.now())

    async def close(self) -> None:
        await self.identity.aclose()
        await self.documents.aclose()
