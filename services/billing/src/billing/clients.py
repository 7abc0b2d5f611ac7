"""The supplier branches' details invoices carry (name, EDRPOU, IBAN, address), read from identity's
`GET /branches` and kept for a while: a billing run of thousands of invoices asks once."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, TypeAdapter

from shared.auth import Principal, Role
from shared.errors import DomainError, ServiceCallError
from shared.http import ServiceClient

logger = logging.getLogger(__name__)

#: how billing acts when it calls another service on its own behalf
SERVICE = Principal(role=Role.SERVICE, issuer="billing")


class UpstreamFailed(DomainError):
    """A service billing depends on failed or cannot be reached; the request may succeed later."""

    status_code = 503
    default_code = "upstream_unavailable"


class Branch(BaseModel):
    id: uuid.UUID
    name: str
    edrpou: str
    iban: str
    address: str
    phone: str
    email: str


_BRANCHES = TypeAdapter(list[Branch])


@dataclass
class Branches:
    client: ServiceClient
    cache_seconds: float
    _known: dict[uuid.UUID, Branch] | None = None
    _fetched_at: float = 0.0

    async def of(self, branch_ids: set[uuid.UUID]) -> dict[uuid.UUID, Branch]:
        """The branches asked for; asks identity again when the copy is old or lacks one (a new branch)."""
        known = self._known
        fresh = known is not None and time.monotonic() - self._fetched_at <= self.cache_seconds
        if known is None or not fresh or not branch_ids <= known.keys():
            known = await self._fetch(known)
        missing = branch_ids - known.keys()
        if missing:
            raise UpstreamFailed(f"identity knows no branch {sorted(map(str, missing))}", code="branch_unknown")
        return {branch_id: known[branch_id] for branch_id in branch_ids}

    async def _fetch(self, stale: dict[uuid.UUID, Branch] | None) -> dict[uuid.UUID, Branch]:
        try:
            answer = await self.client.get("/api/v1/branches", SERVICE)
        except (httpx.TransportError, ServiceCallError) as exc:
            if stale is not None:
                # details of a branch hardly ever change: the last copy is better than no invoice
                logger.warning("identity unavailable (%r); using branch details from %.0fs ago", exc,
                               time.monotonic() - self._fetched_at)
                return stale
            raise UpstreamFailed("the identity service cannot be reached for the supplier's details") from exc
        self._known = {branch.id: branch for branch in _BRANCHES.validate_python(answer)}
        self._fetched_at = time.monotonic()
        return self._known
