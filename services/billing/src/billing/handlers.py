"""Events in → use cases, in the transaction of the messages' inbox rows."""

from __future__ import annotations

from billing.copies import Copies
from billing.payments import Payments, Sender
from billing.runtime import Runtime
from shared.bus import MessageContext
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.metering import MeteringPointChanged, ReadingsAccepted
from shared.contracts.res import PaymentReceived, PaymentReturned
from shared.contracts.signature import DocumentStatusChanged


class Handlers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _copies(self, context: MessageContext) -> Copies:
        return Copies(context.session, self.runtime)

    async def keep_consumer(self, event: ConsumerAccountCreated, context: MessageContext) -> None:
        """Created and updated alike: the event carries the whole account."""
        await self._copies(context).keep_consumer(event)

    async def keep_point(self, event: MeteringPointChanged, context: MessageContext) -> None:
        await self._copies(context).keep_point(event)

    async def accept_readings(self, events: list[ReadingsAccepted], contexts: list[MessageContext]) -> None:
        """A billing period brings thousands of acts at once: many per transaction, one statement for their lines."""
        await self._copies(contexts[0]).accept_readings(events)

    async def attach_documents(self, events: list[DocumentStored], contexts: list[MessageContext]) -> None:
        """A billing day stores a PDF per invoice: many per transaction."""
        await self._copies(contexts[0]).attach_documents(events)

    async def keep_signature_status(self, event: DocumentStatusChanged, context: MessageContext) -> None:
        await self._copies(context).keep_signature_status(event)

    async def receive_payments(self, events: list[PaymentReceived], contexts: list[MessageContext]) -> None:
        """A bank statement brings thousands of payments: a delivered batch in one transaction."""
        await Payments(contexts[0].session, self.runtime).receive(events, [_sender(context) for context in contexts])

    async def return_payment(self, event: PaymentReturned, context: MessageContext) -> None:
        await Payments(context.session, self.runtime).give_back(event, _sender(context))


def _sender(context: MessageContext) -> Sender:
    """The RES system a payment's message came from: the bus takes it only with its routing key naming one."""
    assert context.partner is not None
    return Sender(context.partner, context.sent_message_id)
