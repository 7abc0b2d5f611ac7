"""Events in → use cases, in the transaction of the message's inbox row."""

from __future__ import annotations

import logging

from shared.bus import MessageContext, PermanentError
from shared.contracts.documents import DocumentStored
from shared.contracts.identity import ConsumerAccountCreated
from shared.errors import Invalid
from shared.telemetry import log_fields
from signature.access import SIGNATURE_DOCUMENT_TYPE, Consumers, Documents
from signature.runtime import Runtime
from signature.sealing import Sealing

logger = logging.getLogger(__name__)


class Handlers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def keep_consumer(self, event: ConsumerAccountCreated, context: MessageContext) -> None:
        await Consumers(context.session, self.runtime).keep(event)

    async def keep_document_and_seal(self, event: DocumentStored, context: MessageContext) -> None:
        """Every stored document can be signed; those of the sealed types are sealed at once."""
        if event.document_type == SIGNATURE_DOCUMENT_TYPE:
            return  # this service's own `.p7s` files
        document = await Documents(context.session, self.runtime).keep_stored(event)
        try:
            sealed = await Sealing(context.session, self.runtime).seal_if_awaited(document)
        except Invalid as exc:
            # the seal's certificate is refused (expired, revoked, not the supplier's): trying again cannot help
            raise PermanentError(f"the seal cannot sign {event.document_id}: {exc.code} {exc.detail()}") from exc
        if sealed is not None:
            logger.info(
                "sealed %s", event.document_id,
                extra=log_fields(document_id=str(event.document_id), signature_id=str(sealed.id),
                                 document_type=event.document_type, message_id=context.message_id),
            )

