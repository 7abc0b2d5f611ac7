"""Completing the registration from the letter's link, and having the letter sent again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from gateway.i18n import N_
from gateway.messages import (
    REGISTRATION_LINK_PROBLEMS,
    FormErrors,
    explain,
    field_message,
    retry_after_seconds,
    throttled_message,
)
from gateway.pages.common import LINK_TOKEN, identity_of, see_other
from gateway.rendering import pages_of
from gateway.sessions import anonymous, current_visitor
from shared.errors import ServiceCallError

#: public: the visitor registering has no session yet
router = APIRouter(prefix="/registration", dependencies=[Depends(current_visitor)])

_LOGIN_FREE = N_("This login is free.")


def _link_problem(request: Request, code: str, status_code: int) -> Response:
    pages = pages_of(request)
    translations = pages.translations(request)
    title, explanation = REGISTRATION_LINK_PROBLEMS.get(code, REGISTRATION_LINK_PROBLEMS["link_unknown"])
    actions = [(translations.gettext("Log in"), "/login")]
    if code != "link_used":
        actions.insert(0, (translations.gettext("Send the letter again"), "/registration/resend"))
    context = {
        "title": translations.gettext(title),
        "explanation": translations.gettext(explanation),
        "actions": actions,
    }
    return pages.render(request, "message.html", context, status_code=status_code)


def _is_link_problem(error: ServiceCallError) -> bool:
    return error.code in REGISTRATION_LINK_PROBLEMS


async def _registration_form(
    request: Request,
    token: str,
    *,
    values: dict[str, str],
    errors: FormErrors,
    login_check: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    if not LINK_TOKEN.fullmatch(token):
        return _link_problem(request, "link_unknown", 404)
    try:
        link = await identity_of(request).registration_link(anonymous(request), token)
    except ServiceCallError as error:
        if _is_link_problem(error):
            return _link_problem(request, error.code, error.status_code)
        raise
    context = {
        "token": token,
        "consumer": link.consumer,
        "values": values,
        "errors": errors,
        "login_check": login_check,
    }
    return pages_of(request).render(request, "registration_complete.html", context, status_code=status_code)


async def _login_check(request: Request, token: str, login: str) -> dict[str, Any]:
    """Whether a login is free, as `{available, message}` in the visitor's language; a problem of the link itself
    is raised."""
    translations = pages_of(request).translations(request)
    try:
        answer = await identity_of(request).login_availability(anonymous(request), token, login.strip())
    except ServiceCallError as error:
        if error.status_code == 429:
            message = throttled_message(translations, retry_after_seconds(error))
            return {"available": False, "message": message}
        raise
    if answer.available:
        return {"available": True, "message": translations.gettext(_LOGIN_FREE)}
    return {"available": False, "message": field_message(translations, "login", answer.reason or "taken")}


@router.get("/complete/{token}")
async def registration_page(request: Request, token: str) -> Response:
    values = {"activation_code": "", "login": ""}
    return await _registration_form(request, token, values=values, errors=FormErrors())


@router.post("/complete/{token}")
async def complete_registration(
    request: Request,
    token: str,
    activation_code: Annotated[str, Form()] = "",
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_confirmation: Annotated[str, Form()] = "",
) -> Response:
    if not LINK_TOKEN.fullmatch(token):
        return _link_problem(request, "link_unknown", 404)
    try:
        await identity_of(request).complete_registration(
            anonymous(request),
            token=token,
            activation_code=activation_code.strip(),
            login=login.strip(),
            password=password,
            password_confirmation=password_confirmation,
        )
    except ServiceCallError as error:
        if _is_link_problem(error):
            return _link_problem(request, error.code, error.status_code)
        errors = explain(error, pages_of(request).translations(request))
        values = {"activation_code": activation_code, "login": login}
        return await _registration_form(
            request, token, values=values, errors=errors, status_code=error.status_code
        )
    return see_other("/login?notice=registered")


@router.post("/complete/{token}/check-login")
async def check_login_without_script(
    request: Request,
    token: str,
    activation_code: Annotated[str, Form()] = "",
    login: Annotated[str, Form()] = "",
) -> Response:
    """The "is this login free" button when scripts are off: the same form again, with the answer."""
    if not LINK_TOKEN.fullmatch(token):
        return _link_problem(request, "link_unknown", 404)
    values = {"activation_code": activation_code, "login": login}
    try:
        login_check = await _login_check(request, token, login)
    except ServiceCallError as error:
        if _is_link_problem(error):
            return _link_problem(request, error.code, error.status_code)
        raise
    return await _registration_form(
        request, token, values=values, errors=FormErrors(), login_check=login_check
    )


@router.get("/complete/{token}/login-availability")
async def login_availability(request: Request, token: str, login: str = "") -> JSONResponse:
    """The same answer for the page's script: `{"available": bool, "message": "..."}`."""
    if not LINK_TOKEN.fullmatch(token):
        return _link_problem_answer(request, "link_unknown")
    try:
        return JSONResponse(await _login_check(request, token, login))
    except ServiceCallError as error:
        if _is_link_problem(error):
            return _link_problem_answer(request, error.code)
        raise


def _link_problem_answer(request: Request, code: str) -> JSONResponse:
    """The page was opened with a link that has since been used or has expired: said where the answer goes."""
    title, _ = REGISTRATION_LINK_PROBLEMS[code]
    return JSONResponse({"available": False, "message": pages_of(request).translations(request).gettext(title)})


@router.get("/resend")
async def resend_page(request: Request) -> Response:
    context = {"values": {"activation_code": "", "email": ""}, "errors": FormErrors(), "sent_to": None}
    return pages_of(request).render(request, "registration_resend.html", context)


@router.post("/resend")
async def resend_letter(
    request: Request,
    activation_code: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    pages = pages_of(request)
    try:
        sent_to = await identity_of(request).resend_registration(
            anonymous(request), activation_code.strip(), email.strip()
        )
    except ServiceCallError as error:
        context = {
            "values": {"activation_code": activation_code, "email": email},
            "errors": explain(error, pages.translations(request)),
            "sent_to": None,
        }
        return pages.render(request, "registration_resend.html", context, status_code=error.status_code)
    context = {"values": {"activation_code": "", "email": ""}, "errors": FormErrors(), "sent_to": sent_to}
    return pages.render(request, "registration_resend.html", context)
