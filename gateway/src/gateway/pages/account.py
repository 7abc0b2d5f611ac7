"""Settings (manual: «Смена e-mail, логина, пароля») and the link that confirms a new e-mail address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.messages import EMAIL_LINK_PROBLEMS, FormErrors, explain
from gateway.pages.audit import reads_own_audit_trail
from gateway.pages.common import LINK_TOKEN, identity_of, notice_of, see_other, sessions_of
from gateway.rendering import pages_of
from gateway.sessions import AnyVisitor, SignedIn, Visitor, anonymous
from shared.errors import ServiceCallError

router = APIRouter()

_SETTINGS_FORMS = ("email", "login", "password")


def _settings_page(
    request: Request,
    *,
    refused_form: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The three forms; the one just refused shows its errors and keeps what was typed (never passwords)."""
    context: dict[str, object] = {
        f"errors_{form}": errors if form == refused_form and errors is not None else FormErrors()
        for form in _SETTINGS_FORMS
    }
    context["values"] = {"new_email": "", "new_login": ""} | (values or {})
    context["notice"] = notice_of(request)
    # the frame's visitor: every page resolves it first
    context["own_audit_trail"] = reads_own_audit_trail(request.state.visitor.principal)
    return pages_of(request).render(request, "settings.html", context, status_code=status_code)


def _user_changed(request: Request, visitor: Visitor) -> None:
    """The cached copies of this user are out of date (and a password change has ended the user's other
    sessions): the next page of each asks identity again."""
    if visitor.user is not None:
        sessions_of(request).forget_user(visitor.user.id)


@router.get("/settings")
async def settings_page(request: Request, visitor: SignedIn) -> Response:
    return _settings_page(request)


@router.post("/settings/email")
async def change_email(
    request: Request,
    visitor: SignedIn,
    new_email: Annotated[str, Form()] = "",
    current_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        await identity_of(request).request_email_change(
            visitor.principal, new_email.strip(), current_password
        )
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return _settings_page(
            request, refused_form="email", errors=errors, values={"new_email": new_email},
            status_code=error.status_code,
        )
    _user_changed(request, visitor)
    return see_other("/settings?notice=email_change_requested")


@router.post("/settings/email/cancel")
async def cancel_email_change(request: Request, visitor: SignedIn) -> Response:
    await identity_of(request).cancel_email_change(visitor.principal)
    _user_changed(request, visitor)
    return see_other("/settings?notice=email_change_cancelled")


@router.post("/settings/login")
async def change_login(
    request: Request,
    visitor: SignedIn,
    new_login: Annotated[str, Form()] = "",
    current_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        await identity_of(request).change_login(visitor.principal, new_login.strip(), current_password)
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return _settings_page(
            request, refused_form="login", errors=errors, values={"new_login": new_login},
            status_code=error.status_code,
        )
    _user_changed(request, visitor)
    return see_other("/settings?notice=login_changed")


@router.post("/settings/password")
async def change_password(
    request: Request,
    visitor: SignedIn,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_confirmation: Annotated[str, Form()] = "",
) -> Response:
    try:
        await identity_of(request).change_password(
            visitor.principal, current_password, new_password, new_password_confirmation
        )
    except ServiceCallError as error:
        errors = explain(error, pages_of(request).translations(request))
        return _settings_page(request, refused_form="password", errors=errors, status_code=error.status_code)
    _user_changed(request, visitor)
    return see_other("/settings?notice=password_changed")


@router.get("/settings/email/confirm/{token}")
async def confirm_email(request: Request, visitor: AnyVisitor, token: str) -> Response:
    """The link from the letter sent to the new address: following it is what confirms the address."""
    pages = pages_of(request)
    translations = pages.translations(request)
    next_step = (
        (translations.gettext("Go to Settings"), "/settings")
        if visitor.user is not None
        else (translations.gettext("Log in"), "/login")
    )

    def result(title: str, explanation: str, status_code: int) -> Response:
        context = {"title": title, "explanation": explanation, "actions": [next_step]}
        return pages.render(request, "message.html", context, status_code=status_code)

    def link_problem(code: str, status_code: int) -> Response:
        title, explanation = EMAIL_LINK_PROBLEMS[code]
        return result(translations.gettext(title), translations.gettext(explanation), status_code)

    if not LINK_TOKEN.fullmatch(token):
        return link_problem("link_unknown", 404)
    try:
        email = await identity_of(request).confirm_email_change(anonymous(request), token)
    except ServiceCallError as error:
        if error.code not in EMAIL_LINK_PROBLEMS:
            raise
        return link_problem(error.code, error.status_code)
    _user_changed(request, visitor)
    return result(
        translations.gettext("Your e-mail address has been changed"),
        translations.gettext("From now on the cabinet writes to %(email)s.") % {"email": email},
        200,
    )
