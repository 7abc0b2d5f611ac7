"""Metering use cases: metering points, the readings window, readings and their acts, and what other contexts'
events change here.

Each use case runs in the caller's transaction (one per request or message) and writes its events to the outbox in
that same transaction. Whatever changes a consumer's readings first locks the consumer's row, so that two
submissions of one consumer never interleave.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from metering import repository
from metering.domain.imports import ImportProblem, ImportRefused, parse_import
from metering.domain.periods import Window, month_label, period_problem, readings_window
from metering.domain.points import InstallationLine, PointFields, RawPoint, clean_point
from metering.domain.readings import (
    LineKey,
    LineProblem,
    PointRules,
    Problem,
    Reading,
    RegisterZone,
    SubmittedLine,
    VolumeWarning,
    plain,
    usual_volume,
    validate_readings,
    volume_warnings,
)
from metering.models import (
    AcceptedBy,
    AcceptedReading,
    Act,
    ActLine,
    ActSource,
    ActState,
    Consumer,
    InstallationReading,
    MeteringPoint,
    ResSubmission,
)
from metering.schemas import warnings_json, window_json
from metering.settings import MeteringSettings
from shared import bus
from shared.auth import Principal
from shared.business_calendar import Period, business_today
from shared.contracts.billing import InvoiceIssued
from shared.contracts.documents import ActLine as ActLineData
from shared.contracts.documents import DocumentStored, Party, ReadingsActData, RenderRequested
from shared.contracts.identity import ConsumerAccountCreated
from shared.contracts.metering import MeteringPointChanged, ReadingLine, ReadingsAccepted
from shared.contracts.res import ReadingsSubmitted
from shared.contracts.signature import DocumentStatusChanged
from shared.db import on_commit
from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.metrics import BUSINESS_EVENTS

#: acts whose readings were accepted for calculation (the billing dashboard's «readings accepted»); at 0 from start
READINGS_ACCEPTED = BUSINESS_EVENTS.labels("metering", "reading_accepted")

logger = logging.getLogger(__name__)

#: the documents service's template of the act (documents.domain.render.readings_act)
ACT_DOCUMENT_TYPE = "readings_act"
#: `source_event` of an act's render request: `metering.act/<act id>`
ACT_REFERENCE = "metering.act/"
SIGNED_BY_CONSUMER = frozenset({"signed_by_consumer", "signed_by_both"})
MAX_REASON_LENGTH = 1000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """What the use cases need beside a transaction; one per process."""

    settings: MeteringSettings
    #: the time now; tests set the business date they need
    clock: Callable[[], datetime] = utcnow


class LineState(StrEnum):
    """Where a register's reading of the period stands."""

    #: nobody has entered it yet
    MISSING = "missing"
    #: entered, in an act waiting for its PDF, the consumer's signature or the paper copy
    PENDING = "pending"
    #: in force for calculation
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class LineView:
    point_id: uuid.UUID
    meter_serial: str
    energy: str
    zone: int
    previous: Decimal
    previous_period: str | None
    current: Decimal | None
    rollover: bool
    volume: Decimal | None
    usual_volume: Decimal | None
    state: LineState
    #: the act the reading is in (pending or accepted)
    act_id: uuid.UUID | None


@dataclass(frozen=True)
class PointView:
    point: MeteringPoint
    lines: list[LineView]

    @property
    def state(self) -> LineState:
        """A point's readings go together: missing until entered, pending until all are accepted."""
        states = {line.state for line in self.lines}
        return LineState.ACCEPTED if states == {LineState.ACCEPTED} else (
            LineState.PENDING if LineState.PENDING in states else LineState.MISSING)


@dataclass(frozen=True)
class ActView:
    act: Act
    #: the meters whose readings the act carries
    meter_serials: list[str]


@dataclass(frozen=True)
class ReadingsView:
    period: str
    window: Window
    points: list[PointView]
    #: the period's acts that count: the one waiting (if any) and those whose readings are in force, newest first
    acts: list[ActView]


@dataclass(frozen=True)
class Submitted:
    act: Act
    warnings: list[VolumeWarning]


def typed_refusal(problems: list[LineProblem]) -> Exception:
    """Problems of readings sent as JSON: `fields` keyed `readings[<i>].<field>`, or `readings` for the whole."""
    fields: dict[str, str] = {}
    for problem in problems:
        key = "readings" if problem.field == "readings" else f"readings[{problem.index}].{problem.field}"
        fields.setdefault(key, problem.code)
    return Invalid("readings refused", code="readings_invalid", fields=fields)


@dataclass(frozen=True)
class Submission:
    """Readings of one consumer's period, as sent by someone (`source`)."""

    source: ActSource
    period: str
    lines: Sequence[SubmittedLine]
    confirm: bool = False
    correction_reason: str | None = None
    #: what the problems found in the lines are answered with
    refuse: Callable[[list[LineProblem]], Exception] = typed_refusal


@dataclass(frozen=True)
class Checked:
    """A submission that passed every rule but the volume check."""

    readings: list[Reading]
    points: dict[uuid.UUID, MeteringPoint]
    #: the last accepted reading before the period, per register and zone of the points sent
    last: dict[LineKey, AcceptedReading]


def point_event(point: MeteringPoint) -> MeteringPointChanged:
    """The point's whole state; ratios as typed or as stored ("40.50", "40.5000") are published one way."""
    return MeteringPointChanged(
        point_id=point.id, consumer_id=point.consumer_id, meter_serial=point.meter_serial, zones=point.zones,
        digits=point.digits, ct_ratio=Decimal(plain(point.ct_ratio)), vt_ratio=Decimal(plain(point.vt_ratio)),
        location=point.location, consumer_reads=point.consumer_reads, registers=point.registers,
        tariff_class=point.tariff_class, active=point.active,
    )


def _installation(point: MeteringPoint) -> dict[RegisterZone, Decimal]:
    return {(row.energy, row.zone): row.value for row in point.installation_readings}


def _rules(point: MeteringPoint, *, correction: bool) -> PointRules:
    # a correction may concern a point retired since the period it corrects
    return PointRules(point.id, point.zones, point.digits, point.registers, point.active or correction,
                      point.consumer_reads, _installation(point))


def _by_serial(points: Iterable[MeteringPoint]) -> dict[str, MeteringPoint]:
    """A consumer's points by meter serial: the active one, else the point that had the serial last."""
    found: dict[str, MeteringPoint] = {}
    for point in sorted(points, key=lambda point: (point.active, point.created_at)):
        found[point.meter_serial] = point
    return found


class Metering:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ who sees what
    async def consumer_for(self, principal: Principal, consumer_id: uuid.UUID, *, for_update: bool = False
                           ) -> Consumer:
        """The consumer a request is about: a consumer's user sees only their own, staff their branch's; another
        branch's consumer is answered as unknown."""
        principal.refuse_another_consumer(consumer_id)
        consumer = await repository.consumer(self.session, consumer_id, for_update=for_update)
        if consumer is None or not principal.may_see(consumer.id, consumer.branch_id):
            raise NotFound("metering knows no such consumer (yet)", code="consumer_not_found")
        return consumer

    async def _sees(self, principal: Principal, consumer_id: uuid.UUID) -> bool:
        consumer = await repository.consumer(self.session, consumer_id)
        return consumer is not None and principal.may_see(consumer.id, consumer.branch_id)

    async def point_for(self, principal: Principal, point_id: uuid.UUID, *, for_update: bool = False
                        ) -> MeteringPoint:
        point = await repository.point(self.session, point_id, for_update=for_update)
        # another consumer's point is answered as missing: its existence is not theirs to learn
        if point is None or not await self._sees(principal, point.consumer_id):
            raise NotFound("no such metering point", code="point_not_found")
        return point

    async def act_for(self, principal: Principal, act_id: uuid.UUID) -> Act:
        act = await repository.act(self.session, act_id)
        if act is None or not await self._sees(principal, act.consumer_id):
            raise NotFound("no such act", code="act_not_found")
        return act

    # ------------------------------------------------------------------ metering points
    async def points(self, consumer: Consumer, *, include_retired: bool) -> Sequence[MeteringPoint]:
        return await repository.points_of(self.session, consumer.id, include_retired=include_retired)

    async def create_point(self, consumer: Consumer, raw: RawPoint) -> MeteringPoint:
        fields = self._clean(raw)
        await self._check_serial_free(fields.meter_serial, None)
        point = MeteringPoint(id=uuid.uuid4(), consumer_id=consumer.id, active=True, created_at=utcnow())
        self._apply(point, fields)
        self.session.add(point)
        await self._flush_serial()
        await bus.add(self.session, point_event(point))
        return point

    async def update_point(self, point: MeteringPoint, changes: Mapping[str, Any]) -> MeteringPoint:
        """Staff change some of a point's fields; what the meter is (zones, digits, registers, installation
        readings) stays once read. Installation readings left out are kept, and must still fit the meter."""
        current = RawPoint(
            meter_serial=point.meter_serial, zones=point.zones, digits=point.digits, ct_ratio=plain(point.ct_ratio),
            vt_ratio=plain(point.vt_ratio), location=point.location, consumer_reads=point.consumer_reads,
            registers=point.registers, tariff_class=point.tariff_class,
            installation_readings=[InstallationLine(row.energy, row.zone, plain(row.value))
                                   for row in point.installation_readings],
        )
        fields = self._clean(replace(current, **changes))
        before = self._fields_of(point)
        if fields == before:
            return point
        meter_changed = (fields.zones, fields.digits, fields.registers, fields.installation) != (
            before.zones, before.digits, before.registers, before.installation)
        # the volumes accepted were counted from the installation readings of this meter
        if meter_changed and await repository.point_has_readings(self.session, point.id):
            raise Conflict("zones, digits, registers and installation readings cannot change once the point has "
                           "readings", code="point_has_readings")
        if point.active and fields.meter_serial != point.meter_serial:
            await self._check_serial_free(fields.meter_serial, point.id)
        self._apply(point, fields)
        await self._flush_serial()
        await bus.add(self.session, point_event(point))
        return point

    async def retire_point(self, point: MeteringPoint) -> MeteringPoint:
        if point.active:
            point.active = False
            await bus.add(self.session, point_event(point))
        return point

    @staticmethod
    def _clean(raw: RawPoint) -> PointFields:
        cleaned = clean_point(raw)
        if not isinstance(cleaned, PointFields):
            raise Invalid("metering point refused", fields=cleaned)
        return cleaned

    @staticmethod
    def _fields_of(point: MeteringPoint) -> PointFields:
        return PointFields(
            meter_serial=point.meter_serial, zones=point.zones, digits=point.digits, ct_ratio=point.ct_ratio,
            vt_ratio=point.vt_ratio, location=point.location, consumer_reads=point.consumer_reads,
            registers=point.registers, tariff_class=point.tariff_class, installation=_installation(point),
        )

    @staticmethod
    def _apply(point: MeteringPoint, fields: PointFields) -> None:
        point.meter_serial = fields.meter_serial
        point.zones = fields.zones
        point.digits = fields.digits
        point.ct_ratio = fields.ct_ratio
        point.vt_ratio = fields.vt_ratio
        point.location = fields.location
        point.consumer_reads = fields.consumer_reads
        point.reactive = "reactive" in fields.registers
        point.tariff_class = fields.tariff_class
        # the same register and zone stays the same row (a new one in its place is written as an update)
        point.installation_readings = [
            InstallationReading(energy=energy, zone=zone, value=fields.installation[energy, zone])
            for energy in fields.registers for zone in range(1, fields.zones + 1)
        ]

    async def _check_serial_free(self, meter_serial: str, point_id: uuid.UUID | None) -> None:
        holder = await repository.active_point_by_serial(self.session, meter_serial)
        if holder is not None and holder.id != point_id:
            raise Conflict("an active metering point has this meter", code="meter_serial_taken")

    async def _flush_serial(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:  # taken by a concurrent request since the check
            if "uq_metering_points_active_serial" not in str(exc.orig):
                raise
            raise Conflict("an active metering point has this meter", code="meter_serial_taken") from exc

    # ------------------------------------------------------------------ the window and the readings form
    async def window(self, consumer: Consumer, today: date) -> Window:
        this_month = Period.of(today)
        invoiced = await repository.invoiced_periods(
            self.session, consumer.id, [str(this_month), str(this_month.previous())]
        )
        return readings_window(today, consumer.billing_day,
                               {period for text in invoiced if (period := Period.parse(text)) is not None})

    async def readings(self, consumer: Consumer, period: str | None, today: date) -> ReadingsView:
        """The readings form of a period (the window's by default): each point's lines, and the period's act."""
        window = await self.window(consumer, today)
        if period is None:
            period = str(window.period)
        elif Period.parse(period) is None:
            raise Invalid("not a period", fields={"period": "period_invalid"})
        act = await repository.pending_act(self.session, consumer.id, period)
        entered = await repository.lines_of(self.session, act.id) if act else []
        pending: dict[LineKey, ActLine] = {(line.point_id, line.energy, line.zone): line for line in entered}
        all_points = await repository.points_of(self.session, consumer.id)
        accepted: dict[LineKey, AcceptedReading] = {
            (row.point_id, row.energy, row.zone): row
            for row in await repository.accepted_in(self.session, [point.id for point in all_points], period)
        }
        read_in_period = {key[0] for key in (*pending, *accepted)}
        shown = [point for point in all_points if point.active or point.id in read_in_period]
        shown_ids = [point.id for point in shown]
        before = await repository.last_accepted_before(self.session, shown_ids, period)
        history = await repository.volume_history(self.session, shown_ids, period)
        views = []
        for point in shown:
            installation = _installation(point)
            lines = []
            for energy in point.registers:
                for zone in range(1, point.zones + 1):
                    key: LineKey = (point.id, energy, zone)
                    row: ActLine | AcceptedReading | None = pending.get(key) or accepted.get(key)
                    last = before.get(key)
                    lines.append(LineView(
                        point_id=point.id, meter_serial=point.meter_serial, energy=energy, zone=zone,
                        previous=row.previous if row else (last.current if last else installation[energy, zone]),
                        previous_period=row.previous_period if row else (last.period if last else None),
                        current=row.current if row else None, rollover=row.rollover if row else False,
                        volume=row.volume if row else None, usual_volume=usual_volume(history.get(key, [])),
                        state=(LineState.PENDING if key in pending
                               else LineState.ACCEPTED if key in accepted else LineState.MISSING),
                        act_id=row.act_id if row else None,
                    ))
            views.append(PointView(point, lines))
        return ReadingsView(period, window, views, await self._acts_of(views, act))

    async def _acts_of(self, views: Sequence[PointView], pending: Act | None) -> list[ActView]:
        serials: dict[uuid.UUID, list[str]] = {}
        for view in views:
            for act_id in dict.fromkeys(line.act_id for line in view.lines if line.act_id is not None):
                serials.setdefault(act_id, []).append(view.point.meter_serial)
        acts = {act.id: act for act in await repository.acts_by_id(self.session, list(serials))}
        if pending is not None:
            acts[pending.id] = pending
        return [ActView(act, serials.get(act.id, [])) for act in sorted(acts.values(), key=lambda act: -act.ordinal)]

    async def acts(self, consumer: Consumer, period: str | None) -> Sequence[Act]:
        if period is not None and Period.parse(period) is None:
            raise Invalid("not a period", fields={"period": "period_invalid"})
        return await repository.acts_of(self.session, consumer.id, period)

    # ------------------------------------------------------------------ readings in
    async def submit(self, consumer: Consumer, submission: Submission, *, today: date, factor: Decimal | None,
                     now: datetime) -> Submitted:
        """Readings typed (or imported) in the cabinet, entered by staff, corrected, or pushed by a RES system.

        The consumer's own are bound by the window and wait for their act to be signed (or its paper copy); staff's
        and RES systems' are accepted at once. Volumes above `factor` times the usual need confirming (no check
        when None). `consumer` is locked by the caller.
        """
        checked = await self.check(consumer, submission, today)
        warnings: list[VolumeWarning] = []
        if factor is not None:
            history = await repository.volume_history(self.session, list(checked.points), submission.period)
            usual = {key: volume for key, values in history.items() if (volume := usual_volume(values)) is not None}
            warnings = volume_warnings(checked.readings, usual, factor)
        if warnings and not submission.confirm:
            raise Conflict("some volumes are far above the usual; confirm them", code="confirmation_needed",
                           extra={"warnings": warnings_json(warnings)})

        by_consumer = submission.source == ActSource.CONSUMER
        await self._supersede_pending(consumer, submission.period, set(checked.points), replace_any=by_consumer)
        act = Act(
            id=uuid.uuid4(), consumer_id=consumer.id, period=submission.period, source=submission.source,
            state=ActState.PREPARING, submitted_at=now, correction_reason=submission.correction_reason,
        )
        if not by_consumer:
            self._mark_accepted(act, AcceptedBy.RES if submission.source == ActSource.RES else AcceptedBy.STAFF, now)
        self.session.add(act)
        lines = [
            ActLine(act_id=act.id, point_id=reading.point_id, energy=reading.energy, zone=reading.zone,
                    previous=reading.previous, current=reading.current, rollover=reading.rollover,
                    volume=reading.volume,
                    previous_period=last.period if (last := checked.last.get(reading.key)) is not None else None)
            for reading in checked.readings
        ]
        self.session.add_all(lines)
        await self.session.flush()
        await bus.add(self.session, self._render_request(consumer, act, lines, checked.points, today))
        if not by_consumer:
            await self._put_in_force(act, lines)
        return Submitted(act, warnings)

    async def check(self, consumer: Consumer, submission: Submission, today: date) -> Checked:
        """Every rule of a submission but the volume check; changes nothing."""
        period = submission.period
        if problem := period_problem(period, today):
            raise Invalid("not a period readings can be entered for", fields={"period": problem})
        by_consumer = submission.source == ActSource.CONSUMER
        if by_consumer:
            window = await self.window(consumer, today)
            if not window.is_open or str(window.period) != period:
                raise Conflict("the readings window is closed for this period", code="window_closed",
                               extra={"window": window_json(window)})
        correction = submission.correction_reason is not None
        points = {point.id: point for point in await repository.points_of(self.session, consumer.id)}
        sent = {line.point_id for line in submission.lines if line.point_id in points}
        accepted = await repository.points_accepted_in(self.session, sent, period)
        if correction and sent - accepted:
            raise Conflict("only accepted readings are corrected", code="readings_not_accepted")
        if not correction and accepted:
            raise Conflict("the period's readings of these points were accepted; staff correct them now",
                           code="readings_accepted")
        rules = {point_id: _rules(point, correction=correction) for point_id, point in points.items()}
        last = await repository.last_accepted_before(self.session, sent, period)
        readings, problems = validate_readings(
            submission.lines, rules, {key: row.current for key, row in last.items()}, by_consumer=by_consumer
        )
        if problems:
            raise submission.refuse(problems)
        return Checked(readings, {point_id: points[point_id] for point_id in sent}, last)

    async def _supersede_pending(self, consumer: Consumer, period: str, points: set[uuid.UUID], *,
                                 replace_any: bool) -> None:
        """The consumer's new readings replace their unsigned act; others' replace it where they overlap."""
        pending = await repository.pending_act(self.session, consumer.id, period)
        if pending is None:
            return
        if replace_any or points & await repository.points_of_act(self.session, pending.id):
            pending.state = ActState.SUPERSEDED
            await self.session.flush()  # before the new act: one pending act per period

    def _render_request(self, consumer: Consumer, act: Act, lines: Sequence[ActLine],
                        points: Mapping[uuid.UUID, MeteringPoint], today: date) -> RenderRequested:
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

    async def import_readings(self, consumer: Consumer, file_name: str, content: bytes, period: str, *,
                              source: ActSource, confirm: bool, today: date, factor: Decimal, now: datetime
                              ) -> Submitted:
        """A file of readings: refused whole, with every bad line, or taken as if typed."""
        if problem := period_problem(period, today):
            raise Invalid("not a period readings can be entered for", fields={"period": problem})
        try:
            parsed = parse_import(file_name, content, period)
        except ImportRefused as refused:
            lines = [{"line": refused.line, "field": "file", "code": refused.code}] if refused.line else []
            raise Invalid("the file cannot be read", code="import_invalid", fields={"file": refused.code},
                          extra={"lines": lines}) from None
        known = _by_serial(await repository.points_of(self.session, consumer.id))
        problems = list(parsed.problems)
        problems += [ImportProblem(line.line, "meter_serial", "point_not_found")
                     for line in parsed.lines if line.meter_serial not in known]
        placed = [line for line in parsed.lines if line.meter_serial in known]
        # a meter with a line that could not be read is not also missing lines
        unread = {problem.meter_serial for problem in parsed.problems}

        def refuse(line_problems: list[LineProblem]) -> Exception:
            for problem in line_problems:
                line = placed[problem.index or 0]
                if problem.code != Problem.LINES_MISSING or line.meter_serial not in unread:
                    field_name = "meter_serial" if problem.field == "point_id" else problem.field
                    problems.append(ImportProblem(line.line, field_name, problem.code))
            return _import_refusal(problems)

        submission = Submission(
            source=source, period=period, confirm=confirm, refuse=refuse,
            lines=[SubmittedLine(known[line.meter_serial].id, line.energy, line.zone, line.value, line.rollover)
                   for line in placed],
        )
        if problems:
            if placed:
                await self.check(consumer, submission, today)  # adds the problems of the lines that were read
            raise _import_refusal(problems)
        return await self.submit(consumer, submission, today=today, factor=factor, now=now)

    async def mark_paper_received(self, act: Act, now: datetime) -> Act:
        await self._lock(act)
        if act.state != ActState.AWAITING_PAPER:
            raise Conflict("the act does not wait for its paper copy", code="act_not_awaiting_paper")
        await self._accept(act, AcceptedBy.PAPER, now)
        return act

    async def _lock(self, act: Act) -> Consumer:
        """Lock the act's consumer (as a submission does, so acts change in one order) and re-read the act."""
        consumer = await repository.consumer(self.session, act.consumer_id, for_update=True)
        assert consumer is not None
        await self.session.refresh(act)
        return consumer

    async def _accept(self, act: Act, by: AcceptedBy, now: datetime) -> None:
        self._mark_accepted(act, by, now)
        await self._put_in_force(act, await repository.lines_of(self.session, act.id))

    @staticmethod
    def _mark_accepted(act: Act, by: AcceptedBy, now: datetime) -> None:
        act.state = ActState.ACCEPTED
        act.accepted_at = now
        act.accepted_by = by

    async def _put_in_force(self, act: Act, lines: Sequence[ActLine]) -> None:
        """The accepted act's readings count for calculation: they are in force for the period, and billing is
        told."""
        await repository.accept_lines(self.session, act, lines)
        on_commit(self.session, READINGS_ACCEPTED.inc)
        await bus.add(self.session, ReadingsAccepted(
            act_id=act.id, consumer_id=act.consumer_id, period=act.period, source=act.source,
            readings=tuple(
                ReadingLine(point_id=line.point_id, energy=line.energy, zone=line.zone,
                            previous=Decimal(plain(line.previous)), current=Decimal(plain(line.current)),
                            rollover=line.rollover)
                for line in lines
            ),
            correction_reason=act.correction_reason,
        ))

    # ------------------------------------------------------------------ other contexts' events
    async def keep_consumer(self, event: ConsumerAccountCreated) -> None:
        """Identity's account, created or updated; an update older than what is kept changes nothing."""
        consumer = await repository.consumer(self.session, event.consumer_id, for_update=True)
        if consumer is None:
            consumer = Consumer(id=event.consumer_id)
            self.session.add(consumer)
        elif consumer.changed_at > event.occurred_at:
            return
        consumer.account_number = event.account_number
        consumer.name = event.name
        consumer.edrpou = event.edrpou
        consumer.branch_id = event.branch_id
        consumer.branch_name = event.branch_name
        consumer.billing_day = event.billing_day
        consumer.e_signature = event.e_signature
        consumer.changed_at = event.occurred_at

    async def invoice_issued(self, event: InvoiceIssued) -> None:
        await repository.add_invoiced_period(self.session, event.consumer_id, event.period, event.invoice_id)

    async def act_document_stored(self, event: DocumentStored) -> None:
        """The act's PDF is stored: it now waits for the consumer's signature, or for its paper copy."""
        if event.source_event is None or not event.source_event.startswith(ACT_REFERENCE):
            return
        try:
            act_id = uuid.UUID(event.source_event.removeprefix(ACT_REFERENCE))
        except ValueError:
            raise DocumentOfNoAct(f"no act named by {event.source_event!r}") from None
        act = await repository.act(self.session, act_id)
        if act is None:
            raise DocumentOfNoAct(f"no act {act_id} for document {event.document_id}")
        consumer = await self._lock(act)
        if act.document_id is None:
            act.document_id = event.document_id
        if act.state == ActState.PREPARING:
            act.state = ActState.AWAITING_SIGNATURE if consumer.e_signature else ActState.AWAITING_PAPER

    async def act_signature_changed(self, event: DocumentStatusChanged) -> None:
        """The consumer signed an act's PDF: its readings are accepted, as of the signature."""
        if event.document_type != ACT_DOCUMENT_TYPE or event.status not in SIGNED_BY_CONSUMER:
            return
        act = await repository.act_by_document(self.session, event.document_id)
        if act is None:
            # the act's document_stored event has not been handled yet: trying again later helps
            raise LookupError(f"no act with document {event.document_id} yet")
        await self._lock(act)
        # a signature is as good as the paper copy the act was waiting for
        if act.state in (ActState.AWAITING_SIGNATURE, ActState.AWAITING_PAPER):
            await self._accept(act, AcceptedBy.SIGNATURE, event.occurred_at)
        else:
            logger.info("signature of act %s in state %s changes nothing", act.id, act.state)

    async def res_readings(self, event: ReadingsSubmitted, now: datetime) -> None:
        """A RES system's readings of a consumer's meters: validated as typed ones, accepted at once, once.

        No volume is questioned: nobody at the other end could confirm it.
        """
        found = await repository.consumer_by_account_number(self.session, event.account_number)
        if found is None:
            raise RefusedSubmission(f"account_number: no consumer account {event.account_number!r}")
        # locked before looking for the submission: the same one delivered twice at once is taken in once
        consumer = await repository.consumer(self.session, found.id, for_update=True)
        assert consumer is not None
        if await repository.res_submission(self.session, event.submission_id) is not None:
            logger.info("RES submission %s was taken in before", event.submission_id)
            return
        known = _by_serial(await repository.points_of(self.session, consumer.id))
        unknown = [f"readings[{index}].meter_serial: point_not_found"
                   for index, reading in enumerate(event.readings) if reading.meter_serial not in known]
        if unknown:
            raise RefusedSubmission("; ".join(unknown))

        def refuse(problems: list[LineProblem]) -> Exception:
            return RefusedSubmission("; ".join(
                f"readings[{problem.index}]"
                + ("" if problem.field == "readings" else f".{_RES_FIELDS.get(problem.field, problem.field)}")
                + f": {problem.code}"
                for problem in problems
            ))

        submission = Submission(
            source=ActSource.RES, period=event.period, confirm=True, refuse=refuse,
            lines=[SubmittedLine(known[reading.meter_serial].id, reading.energy, reading.zone,
                                 f"{reading.value:f}", reading.rollover) for reading in event.readings],
        )
        try:
            submitted = await self.submit(consumer, submission, today=business_today(now), factor=None, now=now)
        except DomainError as exc:
            raise RefusedSubmission(f"{exc.code}: {exc.message} {exc.fields or ''}".strip()) from exc
        self.session.add(ResSubmission(submission_id=event.submission_id, act_id=submitted.act.id))


def meters_label(serials: Sequence[str]) -> str:
    """`лічильник № 01234567`, `лічильники № 01234567, 07654321`, as a document's title names its meters."""
    return f"{'лічильник' if len(serials) == 1 else 'лічильники'} № {', '.join(serials)}"


class DocumentOfNoAct(LookupError):
    """A document names an act this service never had."""


class RefusedSubmission(ValueError):
    """A RES submission that breaks the readings rules: trying again cannot help."""


#: RES systems name meters by serial, not by point id
_RES_FIELDS = {"point_id": "meter_serial"}


def _import_refusal(problems: list[ImportProblem]) -> Invalid:
    lines = [{"line": problem.line, "field": problem.field, "code": problem.code}
             for problem in sorted(problems, key=lambda problem: (problem.line, problem.field))]
    return Invalid("the file has bad lines; nothing was stored", code="import_invalid", extra={"lines": lines})
