"""Events in → use cases, in the transaction of the messages' inbox rows."""

from __future__ import annotations

from collections.abc import Callable

from documents.service import Documents, RenderedDocument, Runtime
from shared.bus import MessageContext, PermanentError
from shared.contracts.documents import RenderRequested
from shared.contracts.identity import ConsumerAccountCreated
from shared.errors import Invalid


class Handlers:
    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        # the runtime (object store, render workers) exists once the process has started
        self.runtime = runtime

    async def render(self, events: list[RenderRequested], contexts: list[MessageContext]) -> None:
        """Acts, invoices, tax invoices... asked for by the services that issue them; many per transaction."""
        requests = [
            RenderedDocument(
                consumer_id=event.consumer_id, document_type=event.document_type, period=event.period,
                title=event.title, file_name=event.file_name, data=event.data, replaces=event.replaces,
                source_event=event.source_event, issued_on=event.issued_on, signers=event.signers,
            )
            for event in events
        ]
        try:
            await Documents(contexts[0].session, self.runtime()).render_requested(requests)
        except Invalid as exc:
            # data the template refuses stays refused however often it comes (the batch is retried one by one,
            # so only the bad request reaches the dead-letter queue)
            raise PermanentError(f"render refused: {exc.code} {exc.detail()}") from exc

    async def consumer_changed(self, event: ConsumerAccountCreated, context: MessageContext) -> None:
        """Created or updated (the update's payload is the whole account): the consumer's branch."""
        await Documents(context.session, self.runtime()).keep_consumer(event)
