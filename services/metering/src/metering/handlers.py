"""Events in → use cases, each in the transaction of its message's inbox row."""

from __future__ import annotations

from metering.acts import Acts, DocumentOfNoAct
from metering.consumers import keep_consumer
from metering.imports import Imports, RefusedSubmission
from metering.runtime import utcnow
from metering.window import keep_invoiced_period
from shared.bus import MessageContext, PermanentError
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.res import ReadingsSubmitted
from shared.contracts.signature import DocumentStatusChanged


async def consumer_changed(event: ConsumerAccountCreated, context: MessageContext) -> None:
    """Created or updated (the update's payload is the whole account): billing day and e-signature right."""
    await keep_consumer(context.session, event)


async def invoice_issued(event: InvoiceIssued, context: MessageContext) -> None:
    """An invoiced period closes the consumer's readings window."""
    await keep_invoiced_period(context.session, event)


async def document_stored(event: DocumentStored, context: MessageContext) -> None:
    try:
        await Acts(context.session).document_stored(event)
    except DocumentOfNoAct as exc:
        raise PermanentError(str(exc)) from exc


async def signature_changed(event: DocumentStatusChanged, context: MessageContext) -> None:
    await Acts(context.session).signature_changed(event)


async def res_readings_submitted(event: ReadingsSubmitted, context: MessageContext) -> None:
    try:
        await Imports(context.session).res_submission(event, utcnow())
    except RefusedSubmission as exc:
        # readings that break the rules stay broken however often they come: the dead-letter queue says why
        raise PermanentError(str(exc)) from exc
