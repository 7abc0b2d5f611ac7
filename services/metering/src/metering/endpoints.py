"""The metering HTTP API, `/api/v1` (docs/api-metering.md). One transaction per request (`SessionDep`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from metering import schemas
from metering.acts import Acts
from metering.consumers import visible_consumer
from metering.domain.imports import MAX_IMPORT_BYTES
from metering.domain.points import InstallationLine, RawPoint
from metering.domain.readings import SubmittedLine, plain
from metering.imports import Imports
from metering.models import ActSource
from metering.points import Points
from metering.readings import MAX_REASON_LENGTH, Readings, Submission, Submitted
from metering.runtime import Runtime
from metering.window import window_of
from shared.auth import PEOPLE, Capability, Principal, Role, StaffOnly, require_roles
from shared.business_calendar import business_today
from shared.contracts.base import Actor
from shared.db import SessionDep
from shared.errors import Invalid

router = APIRouter(prefix="/api/v1")


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.metering
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
#: who sees a consumer's points, readings and acts: people whose role allows readings, and services
ReadingsReader = Annotated[Principal, Depends(
    require_roles(*PEOPLE, Role.SERVICE, capability=Capability.SEE_READINGS))]
#: who enters readings: a consumer's user whose role allows it (the director, the engineer), or staff
ReadingsWriter = Annotated[Principal, Depends(require_roles(*PEOPLE, capability=Capability.SUBMIT_READINGS))]


def _source(principal: Principal) -> ActSource:
    """Who enters readings: the consumer's user (their own points), or staff (their branch's consumers')."""
    return ActSource.CONSUMER if principal.role == Role.CONSUMER else ActSource.STAFF


def _lines(readings: list[schemas.ReadingIn]) -> list[SubmittedLine]:
    return [SubmittedLine(reading.point_id, reading.energy, reading.zone, reading.value, reading.rollover)
            for reading in readings]


def _point_fields(body: schemas.NewPoint | schemas.PointChanges) -> dict[str, Any]:
    """The fields sent (of a change: only those), installation readings as the domain takes them."""
    fields = body.model_dump(exclude_unset=isinstance(body, schemas.PointChanges))
    if body.installation_readings is not None:
        fields["installation_readings"] = [InstallationLine(line.energy, line.zone, line.value)
                                           for line in body.installation_readings]
    return fields


def _submitted(submitted: Submitted) -> schemas.SubmittedOut:
    return schemas.SubmittedOut(act=schemas.ActOut.of(submitted.act),
                                warnings=[schemas.WarningOut.of(warning) for warning in submitted.warnings])


def _now(runtime: Runtime) -> datetime:
    return runtime.clock()


# metering points
@router.get("/consumers/{consumer_id}/points")
async def points(
    consumer_id: uuid.UUID, principal: ReadingsReader, session: SessionDep, include_retired: bool = False
) -> list[schemas.PointOut]:
    consumer = await visible_consumer(session, principal, consumer_id)
    return [schemas.PointOut.of(point) for point in await Points(session).of(consumer, include_retired=include_retired)]


@router.post("/consumers/{consumer_id}/points", status_code=201)
async def create_point(
    consumer_id: uuid.UUID, body: schemas.NewPoint, principal: StaffOnly, session: SessionDep
) -> schemas.PointOut:
    consumer = await visible_consumer(session, principal, consumer_id)
    return schemas.PointOut.of(await Points(session).create(consumer, RawPoint(**_point_fields(body))))


@router.patch("/points/{point_id}")
async def change_point(
    point_id: uuid.UUID, body: schemas.PointChanges, principal: StaffOnly, session: SessionDep
) -> schemas.PointOut:
    points = Points(session)
    point = await points.visible(principal, point_id, for_update=True)
    return schemas.PointOut.of(await points.update(point, _point_fields(body)))


@router.delete("/points/{point_id}")
async def retire_point(point_id: uuid.UUID, principal: StaffOnly, session: SessionDep) -> schemas.PointOut:
    points = Points(session)
    point = await points.visible(principal, point_id, for_update=True)
    return schemas.PointOut.of(await points.retire(point))


# the window and the readings form
@router.get("/consumers/{consumer_id}/window")
async def window(
    consumer_id: uuid.UUID, principal: ReadingsReader, session: SessionDep, runtime: RuntimeDep
) -> schemas.WindowOut:
    consumer = await visible_consumer(session, principal, consumer_id)
    return schemas.WindowOut.of(await window_of(session, consumer, business_today(_now(runtime))))


@router.get("/consumers/{consumer_id}/readings")
async def readings(
    consumer_id: uuid.UUID, principal: ReadingsReader, session: SessionDep, runtime: RuntimeDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> schemas.ReadingsOut:
    consumer = await visible_consumer(session, principal, consumer_id)
    view = await Readings(session).form(consumer, period, business_today(_now(runtime)))
    return schemas.ReadingsOut(
        period=view.period, window=schemas.WindowOut.of(view.window),
        points=[
            schemas.PointReadingsOut(point=schemas.PointOut.of(point_view.point), lines=[
                schemas.ReadingLineOut(
                    point_id=line.point_id, meter_serial=line.meter_serial, energy=line.energy, zone=line.zone,
                    previous=plain(line.previous), previous_period=line.previous_period,
                    current=schemas.optional_plain(line.current), rollover=line.rollover,
                    volume=schemas.optional_plain(line.volume), usual_volume=schemas.optional_plain(line.usual_volume),
                    state=line.state, act_id=line.act_id,
                )
                for line in point_view.lines
            ])
            for point_view in view.points
        ],
        acts=[schemas.ActOut.of(item.act, item.meter_serials) for item in view.acts],
    )


# readings in
@router.post("/consumers/{consumer_id}/readings", status_code=201)
async def submit_readings(
    consumer_id: uuid.UUID, body: schemas.ReadingsIn, principal: ReadingsWriter, session: SessionDep,
    runtime: RuntimeDep,
) -> schemas.SubmittedOut:
    source = _source(principal)
    consumer = await visible_consumer(session, principal, consumer_id, for_update=True)
    now = _now(runtime)
    submitted = await Readings(session).submit(
        consumer, Submission(source=source, period=body.period, lines=_lines(body.readings), confirm=body.confirm,
                             actor=Actor.of(principal)),
        today=business_today(now), factor=runtime.settings.high_volume_factor, now=now,
    )
    return _submitted(submitted)


@router.post("/consumers/{consumer_id}/readings/import", status_code=201)
async def import_readings(
    consumer_id: uuid.UUID, principal: ReadingsWriter, session: SessionDep, runtime: RuntimeDep,
    file: Annotated[UploadFile, File()],
    period: Annotated[str, Form(max_length=20)],
    confirm: Annotated[bool, Form()] = False,
) -> schemas.SubmittedOut:
    """A `.csv` or `.xml` file of readings (the formats on the cabinet's help page)."""
    source = _source(principal)
    consumer = await visible_consumer(session, principal, consumer_id, for_update=True)
    content = await file.read(MAX_IMPORT_BYTES + 1)
    now = _now(runtime)
    submitted = await Imports(session).file(
        consumer, file.filename or "", content, period, source=source, confirm=confirm,
        today=business_today(now), factor=runtime.settings.high_volume_factor, now=now, actor=Actor.of(principal),
    )
    return _submitted(submitted)


@router.post("/consumers/{consumer_id}/readings/corrections", status_code=201)
async def correct_readings(
    consumer_id: uuid.UUID, body: schemas.CorrectionIn, principal: StaffOnly, session: SessionDep,
    runtime: RuntimeDep,
) -> schemas.SubmittedOut:
    reason = body.reason.strip()
    if not reason:
        raise Invalid("say why the readings are corrected", fields={"reason": "required"})
    if len(reason) > MAX_REASON_LENGTH:
        raise Invalid("the reason is too long", fields={"reason": "too_long"})
    consumer = await visible_consumer(session, principal, consumer_id, for_update=True)
    now = _now(runtime)
    submitted = await Readings(session).submit(
        consumer, Submission(source=ActSource.STAFF, period=body.period, lines=_lines(body.readings), confirm=True,
                             correction_reason=reason, actor=Actor.of(principal)),
        today=business_today(now), factor=runtime.settings.high_volume_factor, now=now,
    )
    return _submitted(submitted)


# acts
@router.get("/consumers/{consumer_id}/acts")
async def acts(
    consumer_id: uuid.UUID, principal: ReadingsReader, session: SessionDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> list[schemas.ActOut]:
    consumer = await visible_consumer(session, principal, consumer_id)
    return [schemas.ActOut.of(act) for act in await Acts(session).of(consumer, period)]


@router.get("/acts/{act_id}")
async def act(act_id: uuid.UUID, principal: ReadingsReader, session: SessionDep) -> schemas.ActOut:
    return schemas.ActOut.of(await Acts(session).visible(principal, act_id))


@router.post("/acts/{act_id}/paper-received")
async def paper_received(
    act_id: uuid.UUID, principal: StaffOnly, session: SessionDep, runtime: RuntimeDep
) -> schemas.ActOut:
    acts = Acts(session)
    act = await acts.visible(principal, act_id)
    return schemas.ActOut.of(await acts.paper_received(act, _now(runtime), Actor.of(principal)))
