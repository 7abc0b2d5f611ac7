"""What metering consumes: consumers' accounts (billing day, e-signature right), issued invoices (they close a
period's window), the acts' PDFs and their signatures, and RES systems' readings."""

from metering import handlers
from shared.bus import Subscriptions, on
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from shared.contracts.res import ReadingsSubmitted
from shared.contracts.signature import DocumentStatusChanged

SUBSCRIPTIONS = Subscriptions(
    on(ConsumerAccountCreated, handlers.consumer_changed),
    on(ConsumerAccountUpdated, handlers.consumer_changed),
    on(InvoiceIssued, handlers.invoice_issued),
    on(DocumentStored, handlers.document_stored),
    on(DocumentStatusChanged, handlers.signature_changed),
    on(ReadingsSubmitted, handlers.res_readings_submitted, refusal=handlers.readings_refusal),
)
