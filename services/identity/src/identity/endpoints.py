"""The identity HTTP API, `/api/v1` (docs/api-identity.md). One transaction per request (`SessionDep`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from identity import schemas
from identity.access_tokens import AccessTokens
from identity.account import Account
from identity.audit import MAX_PAGE, AuditTrail, api_call_answered
from identity.colleagues import Colleagues
from identity.consumers import ConsumerChanges, ConsumerFields, Consumers, Viewer
from identity.models import AuditKind, User
from identity.registration import Registration
from identity.runtime import Runtime, utcnow
from identity.sessions import Sessions
from identity.staff import Staff
from identity.users import Users
from shared.auth import Anyone, ConsumerOnly, Person, Principal, Role, StaffOnly, SupplierSide, require_roles
from shared.db import SessionDep
from shared.errors import NotFound
from shared.inputs import Offset

router = APIRouter(prefix="/api/v1")

Feature = TypeVar("Feature")


def feature(kind: Callable[[AsyncSession, Runtime], Feature]) -> Callable[[Request, AsyncSession], Feature]:
    """A dependency giving a feature of identity in the request's transaction."""

    def in_request(request: Request, session: SessionDep) -> Feature:
        return kind(session, request.app.state.identity)

    return in_request


SessionsDep = Annotated[Sessions, Depends(feature(Sessions))]
RegistrationDep = Annotated[Registration, Depends(feature(Registration))]
UsersDep = Annotated[Users, Depends(feature(Users))]
AccountDep = Annotated[Account, Depends(feature(Account))]
ConsumersDep = Annotated[Consumers, Depends(feature(Consumers))]
StaffDep = Annotated[Staff, Depends(feature(Staff))]
AccessTokensDep = Annotated[AccessTokens, Depends(feature(AccessTokens))]
ColleaguesDep = Annotated[Colleagues, Depends(feature(Colleagues))]
AuditTrailDep = Annotated[AuditTrail, Depends(feature(AuditTrail))]
#: the gateway resolving what a program presents
ServiceOnly = Annotated[Principal, Depends(require_roles(Role.SERVICE))]


def client_address(principal: Principal) -> str:
    # requests without an address share one throttling bucket rather than escaping the limits
    return principal.ip or "unknown"


# sessions
@router.post("/sessions", status_code=201)
async def sign_in(
    body: schemas.SignIn, principal: Anyone, sessions: SessionsDep
) -> schemas.SessionCreated:
    new = await sessions.sign_in(body.login, body.password, client_address(principal))
    return schemas.SessionCreated(
        session_token=new.token, expires_at=new.session.expires_at,
        user=schemas.UserOut.of(new.session.user, utcnow()),
    )


@router.post("/sessions/resolve")
async def resolve_session(
    body: schemas.SessionToken, _: Anyone, sessions: SessionsDep
) -> schemas.SessionResolved:
    found = await sessions.resolve(body.session_token)
    return schemas.SessionResolved(
        session_id=found.id, expires_at=found.expires_at, user=schemas.UserOut.of(found.user, utcnow())
    )


@router.delete("/sessions/current", status_code=204)
async def sign_out(body: schemas.SessionToken, _: Anyone, sessions: SessionsDep) -> Response:
    await sessions.sign_out(body.session_token)
    return Response(status_code=204)


# registration
@router.get("/registration/links/{token}")
async def registration_link(
    token: Annotated[str, Path(max_length=128)], _: Anyone, registration: RegistrationDep
) -> schemas.RegistrationLinkOut:
    link = await registration.link(token)
    return schemas.RegistrationLinkOut(
        consumer=schemas.LinkedConsumer(account_number=link.consumer.account_number, name=link.consumer.name)
    )


@router.get("/registration/links/{token}/login-availability")
async def login_availability(
    token: Annotated[str, Path(max_length=128)], login: Annotated[str, Query(max_length=320)],
    principal: Anyone, registration: RegistrationDep,
) -> schemas.LoginAvailability:
    problem = await registration.login_availability(token, login, client_address(principal))
    return schemas.LoginAvailability(login=login, available=problem is None, reason=problem)


@router.post("/registration/complete", status_code=201)
async def complete_registration(
    body: schemas.CompleteRegistration, principal: Anyone, registration: RegistrationDep
) -> schemas.UserEnvelope:
    user = await registration.complete(
        token=body.token, activation_code=body.activation_code, login=body.login, password=body.password,
        password_confirmation=body.password_confirmation, client_address=client_address(principal),
    )
    return schemas.UserEnvelope(user=schemas.UserOut.of(user, utcnow()))


@router.post("/registration/resend", status_code=202)
async def resend_registration(
    body: schemas.ResendRegistration, principal: Anyone, registration: RegistrationDep
) -> schemas.EmailOut:
    email = await registration.resend(body.activation_code, body.email, client_address(principal))
    return schemas.EmailOut(email=email)


# the signed-in user
@router.get("/me")
async def me(principal: Person, users: UsersDep) -> schemas.UserOut:
    return schemas.UserOut.of(await users.current(principal), utcnow())


@router.post("/me/email", status_code=202)
async def request_email_change(
    body: schemas.EmailChangeRequest, principal: Person, users: UsersDep, account: AccountDep
) -> schemas.PendingEmailOut:
    user = await users.current(principal)
    change = await account.request_email_change(
        user, body.new_email, body.current_password, session_id=principal.session_id
    )
    return schemas.PendingEmailOut(pending_email=change.new_email)


@router.delete("/me/email/pending", status_code=204)
async def cancel_email_change(principal: Person, users: UsersDep, account: AccountDep) -> Response:
    await account.cancel_email_change(await users.current(principal))
    return Response(status_code=204)


@router.post("/email-changes/confirm")
async def confirm_email_change(
    body: schemas.ConfirmEmailChange, _: Anyone, account: AccountDep
) -> schemas.EmailOut:
    return schemas.EmailOut(email=await account.confirm_email_change(body.token))


@router.post("/me/login")
async def change_login(
    body: schemas.LoginChangeRequest, principal: Person, users: UsersDep, account: AccountDep
) -> schemas.UserEnvelope:
    user = await users.current(principal)
    user = await account.change_login(user, body.new_login, body.current_password, session_id=principal.session_id)
    return schemas.UserEnvelope(user=schemas.UserOut.of(user, utcnow()))


@router.post("/me/password", status_code=204)
async def change_password(
    body: schemas.PasswordChangeRequest, principal: Person, users: UsersDep, account: AccountDep
) -> Response:
    await account.change_password(
        await users.current(principal), body.current_password, body.new_password,
        body.new_password_confirmation, keep_session=principal.session_id,
    )
    return Response(status_code=204)


# personal access tokens of a consumer's user (the gateway's public API)
@router.get("/me/access-tokens")
async def access_tokens(
    principal: ConsumerOnly, users: UsersDep, tokens: AccessTokensDep
) -> list[schemas.AccessTokenOut]:
    owned = await tokens.of_user(await users.current(principal))
    return [schemas.AccessTokenOut.model_validate(token) for token in owned]


@router.post("/me/access-tokens", status_code=201)
async def create_access_token(
    body: schemas.NewAccessToken, principal: ConsumerOnly, users: UsersDep, tokens: AccessTokensDep
) -> schemas.AccessTokenCreated:
    new = await tokens.create(await users.current(principal), body.name, body.scopes, body.expires_in_days)
    return schemas.AccessTokenCreated(token=new.secret, access_token=schemas.AccessTokenOut.model_validate(new.token))


@router.delete("/me/access-tokens/{token_id}", status_code=204)
async def revoke_access_token(
    token_id: uuid.UUID, principal: ConsumerOnly, users: UsersDep, tokens: AccessTokensDep
) -> Response:
    await tokens.revoke(await users.current(principal), token_id)
    return Response(status_code=204)


@router.post("/api-calls", status_code=201)
async def admit_api_call(body: schemas.ApiCall, _: ServiceOnly, tokens: AccessTokensDep) -> schemas.ApiCallAdmitted:
    """A program's call of the gateway's public API: its token resolved, counted against the token's limit (one for
    every gateway replica) and recorded in the consumer's audit trail."""
    admitted = await tokens.admit(body.token, body.method, body.route, body.per_minute)
    return schemas.ApiCallAdmitted(
        call_id=admitted.entry.id, access_token=schemas.AccessTokenOut.model_validate(admitted.token),
        user=schemas.UserOut.of(admitted.token.user, utcnow()),
    )


@router.put("/api-calls/{call_id}/status", status_code=204)
async def api_call_status(
    call_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: schemas.ApiCallAnswered, _: ServiceOnly,
    session: SessionDep,
) -> Response:
    if not await api_call_answered(session, call_id, body.status):
        raise NotFound("no call waits for its status", code="api_call_not_found")
    return Response(status_code=204)


# the consumer's audit trail
@router.get("/consumers/{consumer_id}/audit")
async def audit_trail(
    consumer_id: uuid.UUID, principal: Person, trail: AuditTrailDep,
    kind: Annotated[list[AuditKind], Query()] = [],  # noqa: B006  # FastAPI copies a parameter's default
    offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> schemas.AuditPage:
    """The consumer's audit trail, newest first: its users' and the supplier's staff's (of its branch)."""
    found = await trail.of_consumer(principal, consumer_id, kinds=kind, offset=offset, limit=limit + 1)
    return schemas.AuditPage(items=[schemas.AuditEntryOut.of(entry) for entry in found[:limit]], offset=offset,
                             limit=limit, more=len(found) > limit)


# a consumer's colleagues: its director invites them, changes their roles, removes them
async def director(principal: ConsumerOnly, colleagues: ColleaguesDep) -> User:
    return await colleagues.director(principal)


DirectorDep = Annotated[User, Depends(director)]


@router.get("/me/colleagues")
async def colleagues(director: DirectorDep, colleagues: ColleaguesDep) -> schemas.ColleaguesOut:
    return schemas.ColleaguesOut.of(*await colleagues.listing(director))


@router.post("/me/colleagues/invitations", status_code=201)
async def invite_colleague(
    body: schemas.NewInvitation, director: DirectorDep, colleagues: ColleaguesDep
) -> schemas.InvitationOut:
    return schemas.InvitationOut.model_validate(await colleagues.invite(director, body.email, body.consumer_role))


@router.delete("/me/colleagues/invitations/{invitation_id}", status_code=204)
async def withdraw_invitation(invitation_id: uuid.UUID, director: DirectorDep, colleagues: ColleaguesDep) -> Response:
    await colleagues.withdraw(director, invitation_id)
    return Response(status_code=204)


@router.patch("/me/colleagues/{user_id}")
async def change_colleague_role(
    user_id: uuid.UUID, body: schemas.RoleChange, director: DirectorDep, colleagues: ColleaguesDep
) -> schemas.ConsumerUserOut:
    return schemas.ConsumerUserOut.model_validate(await colleagues.change_role(director, user_id, body.consumer_role))


@router.delete("/me/colleagues/{user_id}", status_code=204)
async def remove_colleague(user_id: uuid.UUID, director: DirectorDep, colleagues: ColleaguesDep) -> Response:
    await colleagues.remove(director, user_id)
    return Response(status_code=204)


@router.get("/invitations/{token}")
async def invitation(
    token: Annotated[str, Path(max_length=128)], _: Anyone, colleagues: ColleaguesDep
) -> schemas.InvitationLinkOut:
    found = await colleagues.invitation(token)
    return schemas.InvitationLinkOut(
        consumer=schemas.LinkedConsumer(account_number=found.consumer.account_number, name=found.consumer.name),
        email=found.email, consumer_role=found.consumer_role,
    )


@router.post("/invitations/accept", status_code=201)
async def accept_invitation(
    body: schemas.AcceptInvitation, _: Anyone, colleagues: ColleaguesDep
) -> schemas.UserEnvelope:
    user = await colleagues.accept(body.token, body.login, body.password, body.password_confirmation)
    return schemas.UserEnvelope(user=schemas.UserOut.of(user, utcnow()))


# the supplier's side
async def viewer(principal: SupplierSide, consumers: ConsumersDep) -> Viewer:
    return await consumers.viewer(principal)


async def staff_viewer(principal: StaffOnly, consumers: ConsumersDep) -> Viewer:
    return await consumers.viewer(principal)


ViewerDep = Annotated[Viewer, Depends(viewer)]
StaffViewerDep = Annotated[Viewer, Depends(staff_viewer)]


@router.get("/branches")
async def branches(_: ViewerDep, staff: StaffDep) -> list[schemas.BranchOut]:
    return [schemas.BranchOut.model_validate(branch) for branch in await staff.branches()]


@router.get("/consumers")
async def find_consumers(
    viewer: ViewerDep, consumers: ConsumersDep, query: Annotated[str, Query(max_length=300)] = ""
) -> list[schemas.ConsumerOut]:
    return [schemas.ConsumerOut.of(consumer) for consumer in await consumers.find(viewer, query)]


@router.post("/consumers", status_code=201)
async def create_consumer(
    body: schemas.NewConsumer, viewer: StaffViewerDep, consumers: ConsumersDep
) -> schemas.ConsumerCreated:
    consumer, code = await consumers.create(viewer, ConsumerFields(**body.model_dump()))
    return schemas.ConsumerCreated(consumer=schemas.ConsumerOut.of(consumer), activation_code=code)


@router.get("/consumers/{consumer_id}")
async def consumer(
    consumer_id: uuid.UUID, viewer: ViewerDep, consumers: ConsumersDep
) -> schemas.ConsumerDetails:
    found = await consumers.consumer(viewer, consumer_id)
    users = await consumers.users_of(found)
    return schemas.ConsumerDetails(
        consumer=schemas.ConsumerOut.of(found),
        users=[schemas.ConsumerUserOut.model_validate(user) for user in users],
    )


@router.patch("/consumers/{consumer_id}")
async def change_consumer(
    consumer_id: uuid.UUID, body: schemas.ConsumerChanges, viewer: StaffViewerDep, consumers: ConsumersDep
) -> schemas.ConsumerOut:
    changed = await consumers.change(viewer, consumer_id, ConsumerChanges(**body.model_dump()))
    return schemas.ConsumerOut.of(changed)


@router.post("/consumers/{consumer_id}/activation-codes", status_code=201)
async def issue_activation_code(
    consumer_id: uuid.UUID, viewer: StaffViewerDep, consumers: ConsumersDep, registration: RegistrationDep
) -> schemas.ActivationCodeIssued:
    found = await consumers.consumer(viewer, consumer_id)
    code = await registration.issue_activation_code(found, issued_by=viewer.user_id)
    return schemas.ActivationCodeIssued(activation_code=code)
