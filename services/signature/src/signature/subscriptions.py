"""What the signature service consumes: consumer accounts (whose EDRPOU their signers carry) and stored documents
(what can be signed; invoices and tax invoices are sealed by the supplier at once)."""

from shared.bus import Subscriptions, on
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from signature.handlers import Handlers
from signature.runtime import Runtime


def subscriptions(runtime: Runtime) -> Subscriptions:
    handlers = Handlers(runtime)
    return Subscriptions(
        on(ConsumerAccountCreated, handlers.keep_consumer),
        on(ConsumerAccountUpdated, handlers.keep_consumer),
        on(DocumentStored, handlers.keep_document_and_seal),
    )
