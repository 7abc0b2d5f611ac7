"""What a visitor sees when a page cannot be shown: always a page of the cabinet, in their language.

The pages' scripts call `/api/...` routes; those get the same decisions as JSON `{"code", "message"}`, the
message in the visitor's language, for the script to show.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from gateway.body_limits import RequestTooLarge, file_upload_at
from gateway.i18n import N_, format_size, language_of
from gateway.messages import general_message, refusal_sentence, retry_after_seconds, throttled_message
from gateway.pages.common import safe_next, see_other, sessions_of
from gateway.rendering import pages_of
from gateway.security import CsrfRefused, clear_session_cookie, session_token_of
from gateway.sessions import LoginRequired, NotAllowed, NotPermitted, current_visitor
from shared.errors import ServiceCallError
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

_PAGES: dict[int, tuple[str, str]] = {
    400: (
        N_("The request is not valid"),
        N_(
            "The page received data it cannot use: the address may be incomplete or altered. Please open the page "
            "again from the cabinet's menu."
        ),
    ),
    403: (
        N_("You may not open this page"),
        N_("This page is not available to your account. If you think it should be, please contact support."),
    ),
    404: (
        N_("Page not found"),
        N_("There is no such page in the cabinet. Please check the address or start from the home page."),
    ),
    405: (
        N_("Page not found"),
        N_("There is no such page in the cabinet. Please check the address or start from the home page."),
    ),
    429: (N_("Too many attempts"), ""),
    500: (
        N_("Something went wrong"),
        N_(
            "The page could not be shown because of an error on our side; it has been recorded for the developers. "
            "Reload the page; if the error stays, please tell them with the link “Message to the developers”."
        ),
    ),
    503: (
        N_("The cabinet is temporarily unavailable"),
        N_("Part of the cabinet is not answering right now. Please try again in a few minutes."),
    ),
}
_FORM_REFUSED = N_("It could not be done")
_PAGE_REFUSED = N_("This page cannot be shown")
_FILE_TOO_LARGE = (
    N_("The file is too large"),
    N_("A file sent here may be at most %(size)s. Please go back and choose a smaller file."),
)
_FORM_TOO_LARGE = (
    N_("Too much was sent"),
    N_("The form sent more than the cabinet takes from it. Please go back and try again."),
)
_NOT_PERMITTED = (
    N_("Your role does not allow this"),
    N_("Your role in the cabinet does not allow this page. The director of your company, who manages the cabinet's "
       "users in Settings, can change your role."),
)
_CSRF_REFUSED = (
    N_("The form has expired"),
    N_(
        "For your safety the cabinet only accepts forms sent from its own pages opened in this browser. "
        "Please open the page again and repeat. If this keeps happening, allow this site to store cookies."
    ),
)


def error_page(request: Request, status_code: int, title: str, explanation: str) -> Response:
    pages = pages_of(request)
    translations = pages.translations(request)
    context = {
        "title": translations.gettext(title),
        "explanation": translations.gettext(explanation) if explanation else "",
        "actions": [(translations.gettext("Go to the home page"), "/")],
    }
    return pages.render(request, "message.html", context, status_code=status_code)


async def _too_large(request: Request) -> Response:
    """A request refused while it was still sending (gateway.body_limits): the page, and the connection closed."""
    # refused before the page's own dependencies ran: the frame still shows who is signed in, if that can be known
    with suppress(ServiceCallError, httpx.TransportError):
        await current_visitor(request)
    translations = pages_of(request).translations(request)
    upload = file_upload_at(request.url.path)
    title, explanation = (translations.gettext(part) for part in (_FILE_TOO_LARGE if upload else _FORM_TOO_LARGE))
    text = explanation % {"size": format_size(upload.file_limit, language_of(request))} if upload else explanation
    if _from_script(request):
        response: Response = api_refusal(413, "too_large", f"{title} {text}")
    else:
        actions = [(translations.gettext("Go to the home page"), "/")]
        # the form's own page, which the browser names in Referer (same-origin requests only: Referrer-Policy)
        if back := safe_next(urlsplit(request.headers.get("referer", "")).path):
            actions.insert(0, (translations.gettext("Back to the page"), back))
        context = {"title": title, "explanation": text, "actions": actions}
        response = pages_of(request).render(request, "message.html", context, status_code=413)
    # whatever the browser is still sending is not taken in
    response.headers["Connection"] = "close"
    return response


def _standard_page(request: Request, status_code: int) -> Response:
    title, explanation = _PAGES.get(status_code, _PAGES[500])
    if _from_script(request):
        translations = pages_of(request).translations(request)
        text = " ".join(translations.gettext(part) for part in (title, explanation) if part)
        return api_refusal(status_code, f"http_{status_code}", text)
    return error_page(request, status_code, title, explanation)


def _refused(request: Request, error: ServiceCallError) -> Response:
    """A service's refusal (4xx) that the page does not show itself: the refusal's own sentence, never a generic
    error page, and the way back to the page the visitor came from.

    A form sent gets what the service said of it; a page asked for with parameters the service does not take
    (an address altered by hand: a month that does not exist) gets the "not valid" page; another refusal of a page
    (not found, not allowed, not in a state to be shown) its own sentence."""
    translations = pages_of(request).translations(request)
    status = error.status_code
    if request.method == "POST":
        title, explanation = translations.gettext(_FORM_REFUSED), refusal_sentence(translations, error)
    elif status in (400, 422):
        title, explanation = (translations.gettext(part) for part in _PAGES[400])
    else:
        title = translations.gettext(_PAGES[status][0] if status in (403, 404) else _PAGE_REFUSED)
        explanation = general_message(translations, error.code, status)
    referer = urlsplit(request.headers.get("referer", ""))
    back = safe_next(referer.path + (f"?{referer.query}" if referer.query else "")) if (
        referer.netloc == request.url.netloc) else None
    actions = [(translations.gettext("Go to the home page"), "/")]
    if back and back != request.url.path + (f"?{request.url.query}" if request.url.query else ""):
        actions.insert(0, (translations.gettext("Back to the page"), back))
    context = {"title": title, "explanation": explanation, "actions": actions}
    return pages_of(request).render(request, "message.html", context, status_code=status)


def _from_script(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_refusal(status_code: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status_code)


def _to_login(request: Request) -> Response:
    """Sends the visitor to log in, and back here afterwards when this was a page (not a form)."""
    target = "/login"
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={quote(here, safe='')}"
    response = see_other(target)
    settings = request.app.state.settings
    token = session_token_of(request, settings)
    if token is not None:
        sessions_of(request).forget(token)
        clear_session_cookie(response, settings)
    return response


def install_error_pages(app: FastAPI) -> None:
    async def csrf_refused(request: Request, _: Exception) -> Response:
        if _from_script(request):
            translations = pages_of(request).translations(request)
            return api_refusal(403, "csrf_refused", general_message(translations, "csrf_refused"))
        return error_page(request, 403, *_CSRF_REFUSED)

    async def login_required(request: Request, _: Exception) -> Response:
        if _from_script(request):
            translations = pages_of(request).translations(request)
            return api_refusal(401, "session_invalid", general_message(translations, "session_invalid"))
        return _to_login(request)

    async def not_allowed(request: Request, _: Exception) -> Response:
        return _standard_page(request, 403)

    async def not_permitted(request: Request, _: Exception) -> Response:
        if _from_script(request):
            translations = pages_of(request).translations(request)
            return api_refusal(403, "capability_forbidden", general_message(translations, "capability_forbidden"))
        return error_page(request, 403, *_NOT_PERMITTED)

    async def service_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceCallError)
        if _from_script(request) and 400 <= exc.status_code < 500:
            translations = pages_of(request).translations(request)
            if exc.status_code == 429:
                message = throttled_message(translations, retry_after_seconds(exc))
            else:
                message = general_message(translations, "session_invalid" if exc.status_code == 401 else exc.code,
                                          exc.status_code)
            return api_refusal(exc.status_code, exc.code, message)
        if exc.status_code == 401:
            # the session ended between resolving it and using it (logout elsewhere, expiry)
            return _to_login(request)
        if exc.status_code == 429:
            translations = pages_of(request).translations(request)
            title = translations.gettext(_PAGES[429][0])
            return pages_of(request).render(
                request,
                "message.html",
                {
                    "title": title,
                    "explanation": throttled_message(translations, retry_after_seconds(exc)),
                    "actions": [(translations.gettext("Go to the home page"), "/")],
                },
                status_code=429,
            )
        if 400 <= exc.status_code < 500:
            return _refused(request, exc)
        logger.error(
            "a service refused unexpectedly",
            extra=log_fields(status=exc.status_code, code=exc.code, path=request.url.path),
        )
        return _standard_page(request, 503 if exc.status_code >= 500 else 500)

    async def service_unreachable(request: Request, exc: Exception) -> Response:
        logger.error(
            "a service did not answer", extra=log_fields(error=type(exc).__name__, path=request.url.path)
        )
        return _standard_page(request, 503)

    async def too_large(request: Request, _: Exception) -> Response:
        return await _too_large(request)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _standard_page(request, exc.status_code if exc.status_code in _PAGES else 400)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        # a malformed id in the address is a page that does not exist
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        return _standard_page(request, 404 if in_path else 400)

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("page failed", extra=log_fields(path=request.url.path))
        return _standard_page(request, 500)

    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(NotPermitted, not_permitted)
    app.add_exception_handler(ServiceCallError, service_refused)
    app.add_exception_handler(httpx.TransportError, service_unreachable)
    app.add_exception_handler(RequestTooLarge, too_large)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
