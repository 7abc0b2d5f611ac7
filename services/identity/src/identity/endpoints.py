"""The identity HTTP API, `/api/v1` (docs/api-identity.md). One transaction per request (`SessionDep`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from identity import schemas
from identity.service import ConsumerChanges, ConsumerFields, Identity, Runtime, Viewer, utcnow
from shared.auth import Anyone, Person, Principal, StaffOnly, SupplierSide
from shared.db import SessionDep

router = APIRouter(prefix="/api/v1")


def identity_service(request: Request, session: SessionDep) -> Identity:
    runtime: Runtime = request.app.state.identity
    return Identity(session, runtime)


IdentityDep = Annotated[Identity, Depends(identity_service)]


def client_address(principal: Principal) -> str:
    # requests without an address share one throttling bucket rather than escaping the limits
    return principal.ip or "unknown"


# sessions
@router.post("/sessions", status_code=201)
async def sign_in(
    body: schemas.SignIn, principal: Anyone, identity: IdentityDep
) -> schemas.SessionCreated:
    new = await identity.sign_in(body.login, body.password, client_address(principal))
    return schemas.SessionCreated(
        session_token=new.token, expires_at=new.session.expires_at,
        user=schemas.UserOut.of(new.session.user, utcnow()),
    )


@router.post("/sessions/resolve")
async def resolve_session(
    body: schemas.SessionToken, _: Anyone, identity: IdentityDep
) -> schemas.SessionResolved:
    found = await identity.resolve_session(body.session_token)
    return schemas.SessionResolved(
        session_id=found.id, expires_at=found.expires_at, user=schemas.UserOut.of(found.user, utcnow())
    )


@router.delete("/sessions/current", status_code=204)
async def sign_out(body: schemas.SessionToken, _: Anyone, identity: IdentityDep) -> Response:
    await identity.sign_out(body.session_token)
    return Response(status_code=204)


# registration
@router.get("/registration/links/{token}")
async def registration_link(
    token: Annotated[str, Path(max_length=128)], _: Anyone, identity: IdentityDep
) -> schemas.RegistrationLinkOut:
    link = await identity.registration_link(token)
    return schemas.RegistrationLinkOut(
        consumer=schemas.LinkedConsumer(account_number=link.consumer.account_number, name=link.consumer.name)
    )


@router.get("/registration/links/{token}/login-availability")
async def login_availability(
    token: Annotated[str, Path(max_length=128)], login: Annotated[str, Query(max_length=320)],
    principal: Anyone, identity: IdentityDep,
) -> schemas.LoginAvailability:
    problem = await identity.login_availability(token, login, client_address(principal))
    return schemas.LoginAvailability(login=login, available=problem is None, reason=problem)


@router.post("/registration/complete", status_code=201)
async def complete_registration(
    body: schemas.CompleteRegistration, principal: Anyone, identity: IdentityDep
) -> schemas.UserEnvelope:
    user = await identity.complete_registration(
        token=body.token, activation_code=body.activation_code, login=body.login, password=body.password,
        password_confirmation=body.password_confirmation, client_address=client_address(principal),
    )
    return schemas.UserEnvelope(user=schemas.UserOut.of(user, utcnow()))


@router.post("/registration/resend", status_code=202)
async def resend_registration(
    body: schemas.ResendRegistration, principal: Anyone, identity: IdentityDep
) -> schemas.EmailOut:
    email = await identity.resend_registration(body.activation_code, body.email, client_address(principal))
    return schemas.EmailOut(email=email)


# the signed-in user
@router.get("/me")
async def me(principal: Person, identity: IdentityDep) -> schemas.UserOut:
    return schemas.UserOut.of(await identity.current_user(principal), utcnow())


@router.post("/me/email", status_code=202)
async def request_email_change(
    body: schemas.EmailChangeRequest, principal: Person, identity: IdentityDep
) -> schemas.PendingEmailOut:
    user = await identity.current_user(principal)
    change = await identity.request_email_change(
        user, body.new_email, body.current_password, session_id=principal.session_id
    )
    return schemas.PendingEmailOut(pending_email=change.new_email)


@router.delete("/me/email/pending", status_code=204)
async def cancel_email_change(principal: Person, identity: IdentityDep) -> Response:
    await identity.cancel_email_change(await identity.current_user(principal))
    return Response(status_code=204)


@router.post("/email-changes/confirm")
async def confirm_email_change(
    body: schemas.ConfirmEmailChange, _: Anyone, identity: IdentityDep
) -> schemas.EmailOut:
    return schemas.EmailOut(email=await identity.confirm_email_change(body.token))


@router.post("/me/login")
async def change_login(
    body: schemas.LoginChangeRequest, principal: Person, identity: IdentityDep
) -> schemas.UserEnvelope:
    user = await identity.current_user(principal)
    user = await identity.change_login(user, body.new_login, body.current_password, session_id=principal.session_id)
    return schemas.UserEnvelope(user=schemas.UserOut.of(user, utcnow()))


@router.post("/me/password", status_code=204)
async def change_password(
    body: schemas.PasswordChangeRequest, principal: Person, identity: IdentityDep
) -> Response:
    await identity.change_password(
        await identity.current_user(principal), body.current_password, body.new_password,
        body.new_password_confirmation, keep_session=principal.session_id,
    )
    return Response(status_code=204)


# the supplier's side
async def viewer(principal: SupplierSide, identity: IdentityDep) -> Viewer:
    return await identity.viewer(principal)


async def staff_viewer(principal: StaffOnly, identity: IdentityDep) -> Viewer:
    return await identity.viewer(principal)


ViewerDep = Annotated[Viewer, Depends(viewer)]
StaffViewerDep = Annotated[Viewer, Depends(staff_viewer)]


@router.get("/branches")
async def branches(_: ViewerDep, identity: IdentityDep) -> list[schemas.BranchOut]:
    return [schemas.BranchOut.model_validate(branch) for branch in await identity.branches()]


@router.get("/consumers")
async def find_consumers(
    viewer: ViewerDep, identity: IdentityDep, query: Annotated[str, Query(max_length=300)] = ""
) -> list[schemas.ConsumerOut]:
    return [schemas.ConsumerOut.of(consumer) for consumer in await identity.find_consumers(viewer, query)]


@router.post("/consumers", status_code=201)
async def create_consumer(
    body: schemas.NewConsumer, viewer: StaffViewerDep, identity: IdentityDep
) -> schemas.ConsumerCreated:
    consumer, code = await identity.create_consumer(viewer, ConsumerFields(**body.model_dump()))
    return schemas.ConsumerCreated(consumer=schemas.ConsumerOut.of(consumer), activation_code=code)


@router.get("/consumers/{consumer_id}")
async def consumer(
    consumer_id: uuid.UUID, viewer: ViewerDep, identity: IdentityDep
) -> schemas.ConsumerDetails:
    found = await identity.consumer(viewer, consumer_id)
    users = await identity.users_of(found)
    return schemas.ConsumerDetails(
        consumer=schemas.ConsumerOut.of(found),
        users=[schemas.ConsumerUserOut.model_validate(user) for user in users],
    )


@router.patch("/consumers/{consumer_id}")
async def change_consumer(
    consumer_id: uuid.UUID, body: schemas.ConsumerChanges, viewer: StaffViewerDep, identity: IdentityDep
) -> schemas.ConsumerOut:
    changed = await identity.change_consumer(viewer, consumer_id, ConsumerChanges(**body.model_dump()))
    return schemas.ConsumerOut.of(changed)


@router.post("/consumers/{consumer_id}/activation-codes", status_code=201)
async def issue_activation_code(
    consumer_id: uuid.UUID, viewer: StaffViewerDep, identity: IdentityDep
) -> schemas.ActivationCodeIssued:
    found = await identity.consumer(viewer, consumer_id)
    return schemas.ActivationCodeIssued(activation_code=await identity.issue_activation_code(viewer, found))
