"""Event handlers (event in → use case), each in the transaction of its message's inbox row: what other contexts
tell of a consumer's readings and documents goes into the consumer's audit trail (`identity.audit`)."""

from __future__ import annotations

from identity import audit
from shared.bus import MessageContext
from shared.contracts.metering import ReadingsAccepted, ReadingsEntered
from shared.contracts.signature import DocumentStatusChanged


async def readings_entered(event: ReadingsEntered, context: MessageContext) -> None:
    await audit.readings_entered(context.session, event)


async def readings_accepted(event: ReadingsAccepted, context: MessageContext) -> None:
    await audit.readings_accepted(context.session, event)


async def document_status_changed(event: DocumentStatusChanged, context: MessageContext) -> None:
    await audit.document_status_changed(context.session, event)
