"""What the documents service consumes: render requests of the services that issue documents (metering's acts,
billing's invoices and tax invoices)."""

from collections.abc import Callable

from documents.handlers import Handlers
from documents.service import Runtime
from shared.bus import Subscriptions, on_batch
from shared.contracts.documents import RenderRequested


def subscriptions(runtime: Callable[[], Runtime]) -> Subscriptions:
    handlers = Handlers(runtime)
    return Subscriptions(on_batch(RenderRequested, handlers.render))
