"""The reconciliation act (акт звірки взаєморозрахунків): a consumer's invoices, payments and returns over a period
with the balances at either end, from billing's ledger (`billing.domain.reconciliation`), shown on screen and
issued as a document both parties sign.

The act's closing balance on today is the saldo of the payments page to the kopeck: both are everything invoiced
less everything paid and not returned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from billing.access import visible_consumer
from billing.domain.periods import day_written
from billing.domain.reconciliation import Kind, Operation, Reconciliation, reconcile
from billing.issuing import supplier_data
from billing.models import Consumer
from billing.repositories import reconciliation as reconciliation_repository
from billing.repositories.invoices import CORRECTING
from billing.runtime import Runtime
from shared.auth import Principal
from shared.bus import outbox
from shared.contracts.documents import Party, ReconciliationActData, ReconciliationRow, RenderRequested
from shared.errors import Invalid

ACT_DOCUMENT_TYPE = ReconciliationActData.document_type
SOURCE_EVENT_PREFIX = "billing.reconciliation/"
#: names the act's reference after its content: asked twice for the same act, documents stores it once
_REFERENCE_NAMESPACE = uuid.UUID("5b0f3e8e-6f1c-4a59-9a55-2f0d3c1f7a10")


@dataclass(frozen=True)
class Act:
    consumer: Consumer
    reconciliation: Reconciliation


@dataclass(frozen=True)
class IssuedAct:
    #: the reference documents answers with (`documents.document_stored.v1`)
    source_event: str
    title: str


def act_title(start: date, end: date) -> str:
    return f"Акт звірки взаєморозрахунків за {day_written(start)}–{day_written(end)}"


def render_data(act: Act, supplier: Party, drawn_on: date) -> ReconciliationActData:
    """What the documents service's `reconciliation_act` template draws."""
    found, consumer = act.reconciliation, act.consumer
    return ReconciliationActData(
        drawn_on=drawn_on, start=found.start, end=found.end, account_number=consumer.account_number,
        supplier=supplier, consumer=Party(name=consumer.name, edrpou=consumer.edrpou), opening=found.opening,
        rows=[ReconciliationRow(on=operation.on, kind=operation.kind.value, document=operation.document,
                                debit=operation.debit, credit=operation.credit) for operation in found.operations],
        closing=found.closing,
    )


class Reconciliations:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    async def act(self, principal: Principal, consumer_id: uuid.UUID, start: date | None,
                  end: date | None) -> Act:
        """The act over [start, end] (default: this year up to today), business dates; never past today."""
        # one snapshot: a payment applied meanwhile is in both the invoices' and the payments' view of it, or neither
        await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        consumer = await visible_consumer(self.session, principal, consumer_id)
        today = self.runtime.today()
        end = end or today
        start = start or date(end.year, 1, 1)
        if end > today:
            raise Invalid("the period cannot end in the future", fields={"to": "date_in_future"})
        if start > end:
            raise Invalid("the period ends before it starts", fields={"from": "range_invalid"})
        # the saldo counts whatever the books hold, so nothing is dated after today in the act: a payment a bank
        # dated later (the RES contract does not stop it) counts from today
        invoices = [
            Operation(min(row.formed_on, today), Kind.CORRECTING_INVOICE if row.kind == CORRECTING else Kind.INVOICE,
                      row.number, row.total, row.pay_by)
            for row in await reconciliation_repository.invoices_of(self.session, consumer_id)]
        payments: list[Operation] = []
        for row in await reconciliation_repository.payments_of(self.session, consumer_id):
            payments.append(Operation(min(row.paid_on, today), Kind.PAYMENT, row.document_number, -row.amount))
            if row.returned_on is not None:
                payments.append(Operation(min(row.returned_on, today), Kind.RETURN, row.document_number, row.amount))
        # a day's invoices before its payments, as the ledger settles them
        return Act(consumer, reconcile([*invoices, *payments], start, end))

    async def issue(self, principal: Principal, consumer_id: uuid.UUID, start: date | None,
                    end: date | None) -> IssuedAct:
        """The act as a document (`documents.render_requested.v1`) the consumer and the supplier sign; it enters
        the consumer's documents once documents has stored it. The same act asked for again is the same document."""
        act = await self.act(principal, consumer_id, start, end)
        branch = (await self.runtime.branches.of({act.consumer.branch_id}))[act.consumer.branch_id]
        data = render_data(act, supplier_data(branch), self.runtime.today())
        found = act.reconciliation
        reference = uuid.uuid5(_REFERENCE_NAMESPACE, f"{consumer_id}/{data.model_dump_json(exclude={'drawn_on'})}")
        issued = IssuedAct(f"{SOURCE_EVENT_PREFIX}{reference}", act_title(found.start, found.end))
        await outbox.add(self.session, RenderRequested(
            consumer_id=consumer_id, document_type=ACT_DOCUMENT_TYPE, period=None, title=issued.title,
            file_name=f"Акт звірки {day_written(found.start, '-')} {day_written(found.end, '-')}.pdf", data=data,
            source_event=issued.source_event, issued_on=data.drawn_on, signers=("consumer", "supplier"),
        ))
        return issued
