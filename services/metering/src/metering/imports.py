"""Readings that name meters by serial rather than by point: a file a consumer or staff uploads
(`metering.domain.imports` reads it), and a RES system's submission over the bus (docs/res-bus-contract.md). Once
placed on the consumer's points they are submitted as typed ones (`metering.readings`).

A file is refused whole, with every bad line; a RES submission breaking the rules is refused for good (it is
dead-lettered with the reason), and one taken in before is not taken again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from metering.consumers import consumer, consumer_by_account_number
from metering.domain.imports import ImportProblem, ImportRefused, parse_import
from metering.domain.periods import period_problem
from metering.domain.readings import LineProblem, Problem, SubmittedLine
from metering.models import ActSource, Consumer, ResSubmission
from metering.points import by_serial, points_of
from metering.readings import Readings, Submission, Submitted
from shared.business_calendar import business_today
from shared.contracts.base import Actor
from shared.contracts.res import ReadingsSubmitted
from shared.errors import DomainError, Invalid

logger = logging.getLogger(__name__)

#: RES systems name meters by serial, not by point id
_RES_FIELDS = {"point_id": "meter_serial"}


class RefusedSubmission(ValueError):
    """A RES submission that breaks the readings rules: trying again cannot help. `errors`: each what and where."""

    def __init__(self, *errors: str) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


async def taken_in(session: AsyncSession, submission_id: str) -> ResSubmission | None:
    """A RES submission's record, when its readings were taken in before."""
    return await session.get(ResSubmission, submission_id)


class Imports:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def file(self, consumer: Consumer, file_name: str, content: bytes, period: str, *, source: ActSource,
                   confirm: bool, today: date, factor: Decimal, now: datetime, actor: Actor | None = None
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
        known = by_serial(await points_of(self.session, consumer.id))
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
            source=source, period=period, confirm=confirm, refuse=refuse, actor=actor,
            lines=[SubmittedLine(known[line.meter_serial].id, line.energy, line.zone, line.value, line.rollover)
                   for line in placed],
        )
        readings = Readings(self.session)
        if problems:
            if placed:
                await readings.check(consumer, submission, today)  # adds the problems of the lines that were read
            raise _import_refusal(problems)
        return await readings.submit(consumer, submission, today=today, factor=factor, now=now)

    async def res_submission(self, event: ReadingsSubmitted, now: datetime) -> uuid.UUID:
        """A RES system's readings of a consumer's meters: validated as typed ones, accepted at once, once; the
        act that holds them (taken in now, or before).

        No volume is questioned: nobody at the other end could confirm it.
        """
        found = await consumer_by_account_number(self.session, event.account_number)
        if found is None:
            raise RefusedSubmission(f"account_number: no consumer account {event.account_number!r}")
        # locked before looking for the submission: the same one delivered twice at once is taken in once
        locked = await consumer(self.session, found.id, for_update=True)
        assert locked is not None
        if before := await taken_in(self.session, event.submission_id):
            logger.info("RES submission %s was taken in before", event.submission_id)
            return before.act_id
        known = by_serial(await points_of(self.session, locked.id))
        unknown = [f"readings[{index}].meter_serial: point_not_found"
                   for index, reading in enumerate(event.readings) if reading.meter_serial not in known]
        if unknown:
            raise RefusedSubmission(*unknown)

        def refuse(problems: list[LineProblem]) -> Exception:
            return RefusedSubmission(*(
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
            submitted = await Readings(self.session).submit(locked, submission, today=business_today(now),
                                                            factor=None, now=now)
        except DomainError as exc:
            raise RefusedSubmission(f"{exc.code}: {exc.message} {exc.fields or ''}".strip()) from exc
        self.session.add(ResSubmission(submission_id=event.submission_id, act_id=submitted.act.id))
        return submitted.act.id


def _import_refusal(problems: list[ImportProblem]) -> Invalid:
    lines = [{"line": problem.line, "field": problem.field, "code": problem.code}
             for problem in sorted(problems, key=lambda problem: (problem.line, problem.field))]
    return Invalid("the file has bad lines; nothing was stored", code="import_invalid", extra={"lines": lines})
