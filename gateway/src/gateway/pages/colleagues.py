"""«Користувачі»: the consumer's director invites colleagues by e-mail with a role, changes their roles and removes
them; and the invited colleague's page, opened from the letter, where they choose a login and password.

Identity owns the rules (a valid address, a consumer that always keeps a director, a single-use link that expires);
the page shows its refusals beside the form. A removed colleague's sessions end at once in identity and in this
process's session cache (in other gateway replicas' within its seconds, `session_cache_seconds`).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from gateway.i18n import N_
from gateway.messages import INVITATION_PROBLEMS, FormErrors, explain
from gateway.pages.common import LINK_TOKEN, identity_of, notice_of, see_other, sessions_of
from gateway.rendering import pages_of
from gateway.sessions import UsersManager, Visitor, anonymous, current_visitor
from shared.auth import ConsumerRole
from shared.errors import ServiceCallError

router = APIRouter()

PAGE = "/settings/users"

#: each role inside the consumer, and what it may do, in the visitor's words
ROLE_LABELS: dict[str, str] = {
    ConsumerRole.DIRECTOR: N_("Director"),
    ConsumerRole.ACCOUNTANT: N_("Accountant"),
    ConsumerRole.ENGINEER: N_("Power engineer"),
    ConsumerRole.VIEWER: N_("Viewer"),
}
ROLE_DESCRIPTIONS: dict[str, str] = {
    ConsumerRole.DIRECTOR: N_("Everything: readings, money, documents; signs every document and manages the users."),
    ConsumerRole.ACCOUNTANT: N_("Money and documents; signs invoices and reconciliation acts. No readings."),
    ConsumerRole.ENGINEER: N_("Readings and their acts; signs the acts of readings transfer. No money."),
    ConsumerRole.VIEWER: N_("Sees readings, money and documents; changes and signs nothing."),
}


async def _users_page(
    request: Request, visitor: Visitor, *, errors: FormErrors | None = None, values: dict[str, str] | None = None,
    refused: str | None = None, status_code: int = 200,
) -> Response:
    context = {
        "colleagues": await identity_of(request).colleagues(visitor.principal),
        "errors": errors or FormErrors(),
        "values": {"email": "", "consumer_role": ConsumerRole.ACCOUNTANT.value} | (values or {}),
        "refused": refused,
        "role_labels": ROLE_LABELS,
        "role_descriptions": ROLE_DESCRIPTIONS,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "users.html", context, status_code=status_code)


async def _refused(request: Request, visitor: Visitor, error: ServiceCallError) -> Response:
    refused = explain(error, pages_of(request).translations(request)).general
    return await _users_page(request, visitor, refused=refused, status_code=error.status_code)


@router.get(PAGE)
async def users_page(request: Request, visitor: UsersManager) -> Response:
    return await _users_page(request, visitor)


@router.post(PAGE + "/invitations")
async def invite(
    request: Request, visitor: UsersManager, email: Annotated[str, Form()] = "",
    consumer_role: Annotated[str, Form()] = "",
) -> Response:
    try:
        await identity_of(request).invite_colleague(visitor.principal, email.strip(), consumer_role)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return await _users_page(request, visitor, errors=errors,
                                 values={"email": email, "consumer_role": consumer_role}, status_code=error.status_code)
    return see_other(PAGE + "?notice=colleague_invited")


@router.post(PAGE + "/invitations/{invitation_id}/withdrawal")
async def withdraw(request: Request, visitor: UsersManager, invitation_id: UUID) -> Response:
    try:
        await identity_of(request).withdraw_invitation(visitor.principal, invitation_id)
    except ServiceCallError as error:
        return await _refused(request, visitor, error)
    return see_other(PAGE + "?notice=invitation_withdrawn")


@router.post(PAGE + "/{user_id}/role")
async def change_role(
    request: Request, visitor: UsersManager, user_id: UUID, consumer_role: Annotated[str, Form()] = "",
) -> Response:
    try:
        await identity_of(request).change_colleague_role(visitor.principal, user_id, consumer_role)
    except ServiceCallError as error:
        return await _refused(request, visitor, error)
    # the colleague's next page carries the new role (other gateway replicas: within their cache's seconds)
    sessions_of(request).forget_user(user_id)
    return see_other(PAGE + "?notice=colleague_role_changed")


@router.post(PAGE + "/{user_id}/removal")
async def remove(request: Request, visitor: UsersManager, user_id: UUID) -> Response:
    try:
        await identity_of(request).remove_colleague(visitor.principal, user_id)
    except ServiceCallError as error:
        return await _refused(request, visitor, error)
    sessions_of(request).forget_user(user_id)
    return see_other(PAGE + "?notice=colleague_removed")


# the invited colleague's side: public, they have no session yet
def _invitation_problem(request: Request, code: str, status_code: int) -> Response:
    translations = pages_of(request).translations(request)
    title, explanation = INVITATION_PROBLEMS.get(code, INVITATION_PROBLEMS["invitation_unknown"])
    context = {"title": translations.gettext(title), "explanation": translations.gettext(explanation),
               "actions": [(translations.gettext("Log in"), "/login")]}
    return pages_of(request).render(request, "message.html", context, status_code=status_code)


async def _invitation_form(
    request: Request, token: str, *, login: str = "", errors: FormErrors | None = None, status_code: int = 200,
) -> Response:
    if not LINK_TOKEN.fullmatch(token):
        return _invitation_problem(request, "invitation_unknown", 404)
    try:
        invitation = await identity_of(request).invitation(anonymous(request), token)
    except ServiceCallError as error:
        if error.code in INVITATION_PROBLEMS:
            return _invitation_problem(request, error.code, error.status_code)
        raise
    context = {"token": token, "invitation": invitation, "login": login, "errors": errors or FormErrors(),
               "role_labels": ROLE_LABELS, "role_descriptions": ROLE_DESCRIPTIONS}
    return pages_of(request).render(request, "invitation.html", context, status_code=status_code)


@router.get("/invitations/{token}", dependencies=[Depends(current_visitor)])
async def invitation_page(request: Request, token: str) -> Response:
    return await _invitation_form(request, token)


@router.post("/invitations/{token}", dependencies=[Depends(current_visitor)])
async def accept_invitation(
    request: Request, token: str, login: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    password_confirmation: Annotated[str, Form()] = "",
) -> Response:
    if not LINK_TOKEN.fullmatch(token):
        return _invitation_problem(request, "invitation_unknown", 404)
    try:
        await identity_of(request).accept_invitation(
            anonymous(request), token=token, login=login.strip(), password=password,
            password_confirmation=password_confirmation,
        )
    except ServiceCallError as error:
        if error.code in INVITATION_PROBLEMS:
            return _invitation_problem(request, error.code, error.status_code)
        errors = explain(error, pages_of(request).translations(request))
        return await _invitation_form(request, token, login=login, errors=errors, status_code=error.status_code)
    return see_other("/login?notice=registered")
