"""What billing consumes: consumer accounts (identity), metering points and accepted readings (metering), the
stored PDFs of its invoices and tax invoices (documents), their signature statuses (signature), and payments and
their returns from RES systems (docs/res-bus-contract.md: a message breaking its schema is answered, then
dead-lettered)."""

from billing.handlers import Handlers
from billing.payments import refusal
from billing.runtime import Runtime
from shared.bus import Subscriptions, on, on_batch
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from shared.contracts.metering import MeteringPointChanged, ReadingsAccepted
from shared.contracts.res import PaymentReceived, PaymentReturned
from shared.contracts.signature import DocumentStatusChanged


def subscriptions(runtime: Runtime) -> Subscriptions:
    handlers = Handlers(runtime)
    return Subscriptions(
        on(ConsumerAccountCreated, handlers.keep_consumer),
        on(ConsumerAccountUpdated, handlers.keep_consumer),
        on(MeteringPointChanged, handlers.keep_point),
        on_batch(ReadingsAccepted, handlers.accept_readings),
        on_batch(DocumentStored, handlers.attach_documents),
        on(DocumentStatusChanged, handlers.keep_signature_status),
        on_batch(PaymentReceived, handlers.receive_payments, refusal=refusal),
        on(PaymentReturned, handlers.return_payment, refusal=refusal),
    )
