"""What the use cases need beside a transaction; one per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx

from shared.auth import ServiceTokens
from shared.business_calendar import business_today
from shared.http import ServiceClient
from signature.clients import DocumentsClient, IdentityClient
from signature.seal import Seal
from signature.settings import SignatureSettings
from signature.trust import Trust


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: SignatureSettings
    trust: Trust
    seal: Seal | None
    documents: DocumentsClient
    identity: IdentityClient
    _clients: tuple[ServiceClient, ...]
    #: the time now (the demo's history and tests sign at other moments)
    clock: Callable[[], datetime] = field(default=utcnow)

    def today(self) -> date:
        return business_today(self.clock())

    @classmethod
    def create(
        cls, settings: SignatureSettings, *, documents_transport: httpx.AsyncBaseTransport | None = None,
        identity_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Runtime:
        tokens = ServiceTokens(settings.service_token_secret.get_secret_value(), issuer=settings.service_name)
        timeout = settings.service_timeout_seconds
        documents = ServiceClient(settings.documents_url, tokens, timeout=timeout, transport=documents_transport)
        identity = ServiceClient(settings.identity_url, tokens, timeout=timeout, transport=identity_transport)
        return cls(
            settings=settings,
            trust=Trust(
                [*settings.trust_ca_files, *settings.trust_bundle_files],
                [*settings.trust_crl_files, *settings.trust_bundle_crl_files], service=settings.service_name,
            ),
            seal=Seal.load(settings),
            documents=DocumentsClient(documents),
            identity=IdentityClient(identity, branches_cache_seconds=settings.branches_cache_seconds),
            _clients=(documents, identity),
        )

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
