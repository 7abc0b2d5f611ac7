"""What the documents service consumes: render requests of the services that issue documents (metering's acts,
billing's invoices and tax invoices), and identity's consumer accounts (whose branch's staff see their documents)."""

from collections.abc import Callable

from documents.handlers import Handlers
from documents.service import Runtime
from shared.bus import Subscriptions, on, on_batch
from shared.contracts.documents import RenderRequested
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated


def subscriptions(runtime: Callable[[], Runtime]) -> Subscriptions:
    handlers = Handlers(runtime)
    return Subscriptions(
        on_batch(RenderRequested, handlers.render),
        on(ConsumerAccountCreated, handlers.consumer_changed),
        on(ConsumerAccountUpdated, handlers.consumer_changed),
    )
