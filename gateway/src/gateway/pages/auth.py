"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.messages import FormErrors, explain
from gateway.pages.common import home_for, identity_of, notice_of, safe_next, see_other, sessions_of
from gateway.rendering import pages_of
from gateway.security import clear_session_cookie, set_session_cookie
from gateway.sessions import AnyVisitor, anonymous
from shared.errors import ServiceCallError

router = APIRouter()


@router.get("/login")
async def login_page(request: Request, visitor: AnyVisitor, next: str | None = None) -> Response:
    if visitor.user is not None:
        return see_other(safe_next(next) or home_for(visitor.user))
    return pages_of(request).render(
        request,
        "login.html",
        {"login": "", "next": safe_next(next), "errors": FormErrors(), "notice": notice_of(request)},
    )


@router.post("/login")
async def log_in(
    request: Request,
    _: AnyVisitor,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    pages = pages_of(request)
    try:
        session = await identity_of(request).log_in(anonymous(request), login.strip(), password)
    except ServiceCallError as error:
        errors = explain(error, pages.translations(request))
        context = {"login": login, "next": safe_next(next), "errors": errors, "notice": None}
        return pages.render(request, "login.html", context, status_code=error.status_code)
    response = see_other(safe_next(next) or home_for(session.user))
    set_session_cookie(response, request.app.state.settings, session.session_token)
    return response


@router.post("/logout")
async def log_out(request: Request, visitor: AnyVisitor) -> Response:
    if visitor.session_token is not None:
        sessions_of(request).forget(visitor.session_token)
        try:
            await identity_of(request).log_out(visitor.principal, visitor.session_token)
        except ServiceCallError as error:
            # an already ended session is what logging out wants anyway
            if error.status_code != 401:
                raise
    response = see_other("/login?notice=logged_out")
    clear_session_cookie(response, request.app.state.settings)
    return response
