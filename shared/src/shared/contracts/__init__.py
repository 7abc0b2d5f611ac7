"""Event contracts: one pydantic model per event, imported by producer and consumer, never copied.

`docs/events.md` is generated from this package (`python -m shared.contracts.reference`).
"""

from shared.contracts import billing, documents, identity, metering, notify, res, signature
from shared.contracts.base import REGISTRY, Event, Registry, event

__all__ = [
    "REGISTRY", "Event", "Registry", "billing", "documents", "event", "identity", "metering", "notify", "res",
    "signature",
]
