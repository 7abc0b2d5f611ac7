"""Readings of a consumer's period: the readings form, and readings coming in — typed in the cabinet, imported,
entered or corrected by staff, pushed by a RES system — checked against the meters, the previous readings and, for
the consumer's own, the window; their volumes against the usual; then drawn up as an act (`metering.acts`).

Each runs in the caller's transaction; whatever changes a consumer's readings is given the consumer locked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from metering.acts import Acts, acts_by_id, lines_of, pending_act
from metering.domain.periods import Window, period_problem
from metering.domain.readings import (
    USUAL_VOLUME_PERIODS,
    LineKey,
    LineProblem,
    PointRules,
    Reading,
    SubmittedLine,
    VolumeWarning,
    usual_volume,
    validate_readings,
    volume_warnings,
)
from metering.models import AcceptedReading, Act, ActLine, ActSource, Consumer, MeteringPoint
from metering.points import installation_of, points_of
from metering.schemas import warnings_json, window_json
from metering.window import window_of
from shared.business_calendar import Period
from shared.contracts.base import Actor
from shared.errors import Conflict, Invalid

MAX_REASON_LENGTH = 1000


async def accepted_in(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                      ) -> Sequence[AcceptedReading]:
    return (await session.scalars(
        select(AcceptedReading).where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period == period)
    )).all()


async def points_accepted_in(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str) -> set[uuid.UUID]:
    found = await session.scalars(
        select(AcceptedReading.point_id).where(AcceptedReading.point_id.in_(point_ids),
                                               AcceptedReading.period == period).distinct()
    )
    return set(found)


async def last_accepted_before(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                               ) -> dict[LineKey, AcceptedReading]:
    """Per register and zone of the points, the accepted reading of the latest period before `period`."""
    rows = await session.scalars(
        select(AcceptedReading)
        .where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period < period)
        .order_by(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone,
                  AcceptedReading.period.desc())
        .distinct(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone)
    )
    return {(row.point_id, row.energy, row.zone): row for row in rows}


async def volume_history(session: AsyncSession, point_ids: Collection[uuid.UUID], period: str
                         ) -> dict[LineKey, list[Decimal]]:
    """Per register and zone of the points, the volumes of the last accepted periods before `period`, newest first."""
    newest_first = func.row_number().over(
        partition_by=(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone),
        order_by=AcceptedReading.period.desc(),
    ).label("rank")
    ranked = (
        select(AcceptedReading.point_id, AcceptedReading.energy, AcceptedReading.zone, AcceptedReading.volume,
               newest_first)
        .where(AcceptedReading.point_id.in_(point_ids), AcceptedReading.period < period)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.point_id, ranked.c.energy, ranked.c.zone, ranked.c.volume)
        .where(ranked.c.rank <= USUAL_VOLUME_PERIODS).order_by(ranked.c.rank)
    )
    history: dict[LineKey, list[Decimal]] = {}
    for point_id, register, zone, volume in rows:
        history.setdefault((point_id, register, zone), []).append(volume)
    return history


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
    #: who entered them (None: a RES system), for the consumer's audit trail
    actor: Actor | None = None


@dataclass(frozen=True)
class Checked:
    """A submission that passed every rule but the volume check."""

    readings: list[Reading]
    points: dict[uuid.UUID, MeteringPoint]
    #: the last accepted reading before the period, per register and zone of the points sent
    last: dict[LineKey, AcceptedReading]


def _rules(point: MeteringPoint, *, correction: bool) -> PointRules:
    # a correction may concern a point retired since the period it corrects
    return PointRules(point.id, point.zones, point.digits, point.registers, point.active or correction,
                      point.consumer_reads, installation_of(point))


class Readings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def form(self, consumer: Consumer, period: str | None, today: date) -> ReadingsView:
        """The readings form of a period (the window's by default): each point's lines, and the period's act."""
        window = await window_of(self.session, consumer, today)
        if period is None:
            period = str(window.period)
        elif Period.parse(period) is None:
            raise Invalid("not a period", fields={"period": "period_invalid"})
        act = await pending_act(self.session, consumer.id, period)
        entered = await lines_of(self.session, act.id) if act else []
        pending: dict[LineKey, ActLine] = {(line.point_id, line.energy, line.zone): line for line in entered}
        all_points = await points_of(self.session, consumer.id)
        accepted: dict[LineKey, AcceptedReading] = {
            (row.point_id, row.energy, row.zone): row
            for row in await accepted_in(self.session, [point.id for point in all_points], period)
        }
        read_in_period = {key[0] for key in (*pending, *accepted)}
        shown = [point for point in all_points if point.active or point.id in read_in_period]
        shown_ids = [point.id for point in shown]
        before = await last_accepted_before(self.session, shown_ids, period)
        history = await volume_history(self.session, shown_ids, period)
        views = []
        for point in shown:
            installation = installation_of(point)
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
        acts = {act.id: act for act in await acts_by_id(self.session, list(serials))}
        if pending is not None:
            acts[pending.id] = pending
        return [ActView(act, serials.get(act.id, [])) for act in sorted(acts.values(), key=lambda act: -act.ordinal)]

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
            history = await volume_history(self.session, list(checked.points), submission.period)
            usual = {key: volume for key, values in history.items() if (volume := usual_volume(values)) is not None}
            warnings = volume_warnings(checked.readings, usual, factor)
        if warnings and not submission.confirm:
            raise Conflict("some volumes are far above the usual; confirm them", code="confirmation_needed",
                           extra={"warnings": warnings_json(warnings)})
        act = await Acts(self.session).draw_up(
            consumer, period=submission.period, source=submission.source,
            correction_reason=submission.correction_reason, readings=checked.readings, points=checked.points,
            last=checked.last, today=today, now=now, actor=submission.actor,
        )
        return Submitted(act, warnings)

    async def check(self, consumer: Consumer, submission: Submission, today: date) -> Checked:
        """Every rule of a submission but the volume check; changes nothing."""
        period = submission.period
        if problem := period_problem(period, today):
            raise Invalid("not a period readings can be entered for", fields={"period": problem})
        by_consumer = submission.source == ActSource.CONSUMER
        if by_consumer:
            window = await window_of(self.session, consumer, today)
            if not window.is_open or str(window.period) != period:
                raise Conflict("the readings window is closed for this period", code="window_closed",
                               extra={"window": window_json(window)})
        correction = submission.correction_reason is not None
        points = {point.id: point for point in await points_of(self.session, consumer.id)}
        sent = {line.point_id for line in submission.lines if line.point_id in points}
        accepted = await points_accepted_in(self.session, sent, period)
        if correction and sent - accepted:
            raise Conflict("only accepted readings are corrected", code="readings_not_accepted")
        if not correction and accepted:
            raise Conflict("the period's readings of these points were accepted; staff correct them now",
                           code="readings_accepted")
        rules = {point_id: _rules(point, correction=correction) for point_id, point in points.items()}
        last = await last_accepted_before(self.session, sent, period)
        readings, problems = validate_readings(
            submission.lines, rules, {key: row.current for key, row in last.items()}, by_consumer=by_consumer
        )
        if problems:
            raise submission.refuse(problems)
        return Checked(readings, {point_id: points[point_id] for point_id in sent}, last)
