"""Events in → use cases, each in the transaction of its message's inbox row."""

from __future__ import annotations

from collections.abc import Sequence

from metering.acts import Acts, DocumentOfNoAct
from metering.consumers import keep_consumer
from metering.imports import Imports, RefusedSubmission
from metering.runtime import utcnow
from metering.window import keep_invoiced_period
from shared.bus import MessageContext, PermanentError, outbox
from shared.bus.subscriptions import id_in_refused_body
from shared.contracts.base import Event
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.metering import ReadingsRefused, ReadingsTaken
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
    """Taken in, or refused for good (dead-lettered with the reason); either way the RES system is answered."""
    try:
        act_id = await Imports(context.session).res_submission(event, utcnow())
    except RefusedSubmission as exc:
        raise PermanentError(str(exc), answer=[ReadingsRefused(
            submission_id=event.submission_id, message_id=context.sent_message_id, reason="refused",
            errors=exc.errors,
        )]) from exc
    await outbox.add(context.session, ReadingsTaken(
        submission_id=event.submission_id, account_number=event.account_number, period=event.period, act_id=act_id,
        readings=len(event.readings),
    ), partner=context.partner)


def readings_refusal(body: bytes, problems: Sequence[str], message_id: str | None) -> list[Event]:
    """The answer to a readings message that breaks the contract: `invalid`, with what is wrong."""
    return [ReadingsRefused(submission_id=id_in_refused_body(body, "submission_id"), message_id=message_id,
                            reason="invalid", errors=tuple(problems))]
