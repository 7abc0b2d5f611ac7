"""Acts of readings transfer: what one submission's readings become, and where they stand.

An act is drawn up with its lines and asks the documents service for its PDF (`documents.render_requested.v1`,
`source_event` `metering.act/<act id>`). Staff's and RES systems' readings are accepted at once; the consumer's own
wait: the stored PDF (`documents.document_stored.v1`) makes the act await the consumer's signature (or, without the
e-signature right, its paper copy), and the consumer's signature (`signature.document_status_changed.v1`) or staff
marking the paper copy received accepts it. An accepted act's readings are in force for its period and billing is
told (`metering.readings_accepted.v1`). A consumer's period has one pending act at most: new readings supersede it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from metering.consumers import consumer, sees_consumer
from metering.domain.periods import month_label
from metering.domain.readings import LineKey, Reading, plain
from metering.models import (
    PENDING_STATES,
    AcceptedBy,
    AcceptedReading,
    Act,
    ActLine,
    ActSource,
    ActState,
    Consumer,
    MeteringPoint,
)
from shared import bus
from shared.auth import Principal
from shared.business_calendar import Period
from shared.contracts.base import Actor
from shared.contracts.documents import ActLine as ActLineData
from shared.contracts.documents import DocumentStored, Party, ReadingsActData, RenderRequested
from shared.contracts.metering import EnteredReading, ReadingLine, ReadingsAccepted, ReadingsEntered
from shared.contracts.signature import DocumentStatusChanged
from shared.db import on_commit
from shared.errors import Conflict, Invalid, NotFound
from shared.metrics import BUSINESS_EVENTS

#: acts whose readings were accepted for calculation (the billing dashboard's «readings accepted»); at 0 from start
READINGS_ACCEPTED = BUSINESS_EVENTS.labels("metering", "reading_accepted")

logger = logging.getLogger(__name__)

#: the documents service's template of the act (documents.domain.render.readings_act)
ACT_DOCUMENT_TYPE = "readings_act"
#: `source_event` of an act's render request: `metering.act/<act id>`
ACT_REFERENCE = "metering.act/"
SIGNED_BY_CONSUMER = frozenset({"signed_by_consumer", "signed_by_both"})


class DocumentOfNoAct(LookupError):
    """A document names an act this service never had."""


async def act(session: AsyncSession, act_id: uuid.UUID) -> Act | None:
    return await session.get(Act, act_id)


async def act_by_document(session: AsyncSession, document_id: uuid.UUID) -> Act | None:
    return await session.scalar(select(Act).where(Act.document_id == document_id))


async def acts_of(session: AsyncSession, consumer_id: uuid.UUID, period: str | None) -> Sequence[Act]:
    statement = select(Act).where(Act.consumer_id == consumer_id)
    if period is not None:
        statement = statement.where(Act.period == period)
    return (await session.scalars(statement.order_by(Act.ordinal.desc()))).all()


async def pending_act(session: AsyncSession, consumer_id: uuid.UUID, period: str) -> Act | None:
    return await session.scalar(
        select(Act).where(Act.consumer_id == consumer_id, Act.period == period, Act.state.in_(PENDING_STATES))
    )


async def acts_by_id(session: AsyncSession, act_ids: Sequence[uuid.UUID]) -> Sequence[Act]:
    return (await session.scalars(select(Act).where(Act.id.in_(act_ids)))).all() if act_ids else []


async def lines_of(session: AsyncSession, act_id: uuid.UUID) -> Sequence[ActLine]:
    return (await session.scalars(
        select(ActLine).where(ActLine.act_id == act_id).order_by(ActLine.point_id, ActLine.energy, ActLine.zone)
    )).all()


async def points_of_act(session: AsyncSession, act_id: uuid.UUID) -> set[uuid.UUID]:
    return set(await session.scalars(select(ActLine.point_id).where(ActLine.act_id == act_id).distinct()))


async def accept_lines(session: AsyncSession, act: Act, lines: Iterable[ActLine]) -> None:
    """The act's readings become the ones in force for its period (replacing what a correction corrects)."""
    rows = [
        {"point_id": line.point_id, "energy": line.energy, "zone": line.zone, "period": act.period,
         "act_id": act.id, "previous": line.previous, "previous_period": line.previous_period,
         "current": line.current, "rollover": line.rollover, "volume": line.volume}
        for line in lines
    ]
    if not rows:
        return
    statement = insert(AcceptedReading).values(rows)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone,
                        AcceptedReading.period],
        set_={column: statement.excluded[column]
              for column in ("act_id", "previous", "previous_period", "current", "rollover", "volume")},
    ))


class Acts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible(self, principal: Principal, act_id: uuid.UUID) -> Act:
        found = await act(self.session, act_id)
        if found is None or not await sees_consumer(self.session, principal, found.consumer_id):
            raise NotFound("no such act", code="act_not_found")
        return found

    async def of(self, consumer: Consumer, period: str | None) -> Sequence[Act]:
        if period is not None and Period.parse(period) is None:
            raise Invalid("not a period", fields={"period": "period_invalid"})
        return await acts_of(self.session, consumer.id, period)

    async def draw_up(self, consumer: Consumer, *, period: str, source: ActSource, correction_reason: str | None,
                      readings: Sequence[Reading], points: Mapping[uuid.UUID, MeteringPoint],
                      last: Mapping[LineKey, AcceptedReading], today: date, now: datetime,
                      actor: Actor | None = None) -> Act:
        """The act of readings that passed every rule (`last`: the accepted reading before the period, per register
        and zone), its PDF asked for; accepted at once unless the consumer entered them. `consumer` is locked;
        `actor`: who entered them (None: a RES system), for the consumer's audit trail."""
        by_consumer = source == ActSource.CONSUMER
        await self._supersede_pending(consumer, period, set(points), replace_any=by_consumer)
        drawn = Act(
            id=uuid.uuid4(), consumer_id=consumer.id, period=period, source=source, state=ActState.PREPARING,
            submitted_at=now, correction_reason=correction_reason,
        )
        if not by_consumer:
            _mark_accepted(drawn, AcceptedBy.RES if source == ActSource.RES else AcceptedBy.STAFF, now)
        self.session.add(drawn)
        lines = [
            ActLine(act_id=drawn.id, point_id=reading.point_id, energy=reading.energy, zone=reading.zone,
                    previous=reading.previous, current=reading.current, rollover=reading.rollover,
                    volume=reading.volume,
                    previous_period=before.period if (before := last.get(reading.key)) is not None else None)
            for reading in readings
        ]
        self.session.add_all(lines)
        await self.session.flush()
        await bus.add(self.session, _render_request(consumer, drawn, lines, points, today), ReadingsEntered(
            act_id=drawn.id, consumer_id=drawn.consumer_id, period=drawn.period, source=drawn.source,
            readings=tuple(EnteredReading(**line.model_dump(), meter_serial=points[line.point_id].meter_serial)
                           for line in _reading_lines(lines)),
            correction_reason=drawn.correction_reason, actor=actor, occurred_at=now,
        ))
        if not by_consumer:
            await self._put_in_force(drawn, lines, actor)
        return drawn

    async def paper_received(self, act: Act, now: datetime, actor: Actor | None = None) -> Act:
        await self._lock(act)
        if act.state != ActState.AWAITING_PAPER:
            raise Conflict("the act does not wait for its paper copy", code="act_not_awaiting_paper")
        await self._accept(act, AcceptedBy.PAPER, now, actor)
        return act

    async def document_stored(self, event: DocumentStored) -> None:
        """The act's PDF is stored: it now waits for the consumer's signature, or for its paper copy."""
        if event.source_event is None or not event.source_event.startswith(ACT_REFERENCE):
            return
        try:
            act_id = uuid.UUID(event.source_event.removeprefix(ACT_REFERENCE))
        except ValueError:
            raise DocumentOfNoAct(f"no act named by {event.source_event!r}") from None
        found = await act(self.session, act_id)
        if found is None:
            raise DocumentOfNoAct(f"no act {act_id} for document {event.document_id}")
        locked = await self._lock(found)
        if found.document_id is None:
            found.document_id = event.document_id
        if found.state == ActState.PREPARING:
            found.state = ActState.AWAITING_SIGNATURE if locked.e_signature else ActState.AWAITING_PAPER

    async def signature_changed(self, event: DocumentStatusChanged) -> None:
        """The consumer signed an act's PDF: its readings are accepted, as of the signature."""
        if event.document_type != ACT_DOCUMENT_TYPE or event.status not in SIGNED_BY_CONSUMER:
            return
        found = await act_by_document(self.session, event.document_id)
        if found is None:
            # the act's document_stored event has not been handled yet: trying again later helps
            raise LookupError(f"no act with document {event.document_id} yet")
        await self._lock(found)
        # a signature is as good as the paper copy the act was waiting for
        if found.state in (ActState.AWAITING_SIGNATURE, ActState.AWAITING_PAPER):
            await self._accept(found, AcceptedBy.SIGNATURE, event.occurred_at, event.actor)
        else:
            logger.info("signature of act %s in state %s changes nothing", found.id, found.state)

    async def _supersede_pending(self, consumer: Consumer, period: str, points: set[uuid.UUID], *,
                                 replace_any: bool) -> None:
        """The consumer's new readings replace their unsigned act; others' replace it where they overlap."""
        pending = await pending_act(self.session, consumer.id, period)
        if pending is None:
            return
        if replace_any or points & await points_of_act(self.session, pending.id):
            pending.state = ActState.SUPERSEDED
            await self.session.flush()  # before the new act: one pending act per period

    async def _lock(self, act: Act) -> Consumer:
        """Lock the act's consumer (as a submission does, so acts change in one order) and re-read the act."""
        locked = await consumer(self.session, act.consumer_id, for_update=True)
        assert locked is not None
        await self.session.refresh(act)
        return locked

    async def _accept(self, act: Act, by: AcceptedBy, now: datetime, actor: Actor | None) -> None:
        _mark_accepted(act, by, now)
        await self._put_in_force(act, await lines_of(self.session, act.id), actor)

    async def _put_in_force(self, act: Act, lines: Sequence[ActLine], actor: Actor | None) -> None:
        """The accepted act's readings count for calculation: they are in force for the period, and billing is
        told."""
        await accept_lines(self.session, act, lines)
        on_commit(self.session, READINGS_ACCEPTED.inc)
        await bus.add(self.session, ReadingsAccepted(
            act_id=act.id, consumer_id=act.consumer_id, period=act.period, source=act.source,
            readings=_reading_lines(lines), correction_reason=act.correction_reason, actor=actor,
        ))


def _reading_lines(lines: Sequence[ActLine]) -> tuple[ReadingLine, ...]:
    return tuple(
        ReadingLine(point_id=line.point_id, energy=line.energy, zone=line.zone,
                    previous=Decimal(plain(line.previous)), current=Decimal(plain(line.current)),
                    rollover=line.rollover)
        for line in lines
    )


def _mark_accepted(act: Act, by: AcceptedBy, now: datetime) -> None:
    act.state = ActState.ACCEPTED
    act.accepted_at = now
    act.accepted_by = by


def _render_request(consumer: Consumer, act: Act, lines: Sequence[ActLine],
                    points: Mapping[uuid.UUID, MeteringPoint], today: date) -> RenderRequested:
    """The act's PDF as the documents service renders it."""

    def line_data(line: ActLine) -> ActLineData:
        point = points[line.point_id]
        return ActLineData(
            meter_serial=point.meter_serial, energy=line.energy, zone=line.zone, zones=point.zones,
            previous=line.previous, current=line.current, rollover=line.rollover, volume=line.volume,
            ct_ratio=point.ct_ratio, vt_ratio=point.vt_ratio,
        )

    ordered = sorted(lines, key=lambda line: (points[line.point_id].meter_serial, line.energy, line.zone))
    # a period may have several acts (the consumer's meter, the substation's): the title tells them apart
    serials = list(dict.fromkeys(points[line.point_id].meter_serial for line in ordered))
    data = ReadingsActData(
        period=act.period, submitted_on=today, supplier=consumer.branch_name,
        consumer=Party(name=consumer.name, edrpou=consumer.edrpou), account_number=consumer.account_number,
        source=act.source, correction_reason=act.correction_reason, lines=[line_data(line) for line in ordered],
    )
    return RenderRequested(
        consumer_id=consumer.id, document_type=ACT_DOCUMENT_TYPE, period=act.period,
        title=f"Акт приймання-передачі показань за {month_label(act.period)}, {meters_label(serials)}",
        file_name=f"Акт показань {act.period}.pdf", data=data,
        source_event=f"{ACT_REFERENCE}{act.id}", issued_on=today,
        # the consumer's act is signed by both parties (the consumer's signature is what accepts its readings);
        # readings the supplier entered or received from a RES system are its own record: nobody signs them
        signers=("consumer", "supplier") if act.source == ActSource.CONSUMER else (),
    )


def meters_label(serials: Sequence[str]) -> str:
    """`лічильник № 01234567`, `лічильники № 01234567, 07654321`, as a document's title names its meters."""
    return f"{'лічильник' if len(serials) == 1 else 'лічильники'} № {', '.join(serials)}"
