"""What the identity service consumes from the bus: what the consumers' audit trails record of other contexts
(readings entered and accepted, documents signed or refused). Identity is where accounts begin: no other context's
event changes them."""

from identity import handlers
from shared.bus import Subscriptions, on
from shared.contracts.metering import ReadingsAccepted, ReadingsEntered
from shared.contracts.signature import DocumentStatusChanged

SUBSCRIPTIONS = Subscriptions(
    on(ReadingsEntered, handlers.readings_entered),
    on(ReadingsAccepted, handlers.readings_accepted),
    on(DocumentStatusChanged, handlers.document_status_changed),
)
