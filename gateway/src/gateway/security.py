"""Cookies, CSRF protection and the security headers of every answer.

The session cookie is HttpOnly, SameSite=Lax and (on https) Secure. Every POST must carry the value of the
`csrf` cookie in a hidden form field, or — from the pages' scripts — in the `X-CSRF-Token` header, read from
the page's `<meta name="csrf-token">` (double submit, compared in constant time); on https both cookies take
the `__Host-` prefix, so a sibling subdomain cannot plant its own csrf cookie.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import GatewaySettings

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
_UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CSRF_TOKEN_BYTES: Final = 32

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class CsrfRefused(Exception):
    """A form came without the token of this browser's csrf cookie: possibly sent from another site."""


class CookieNames:
    def __init__(self, secure: bool) -> None:
        prefix = "__Host-" if secure else ""
        self.session = f"{prefix}session"
        self.csrf = f"{prefix}csrf"


def set_session_cookie(response: Response, settings: GatewaySettings, session_token: str) -> None:
    # no Max-Age: identity ends idle sessions and pushes the expiry of active ones forward, so the cookie lives
    # until the browser closes and identity alone decides when the session is over
    response.set_cookie(
        CookieNames(settings.session_cookie_secure).session,
        session_token,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(
        CookieNames(settings.session_cookie_secure).session,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="lax",
    )


def session_token_of(request: Request, settings: GatewaySettings) -> str | None:
    return request.cookies.get(CookieNames(settings.session_cookie_secure).session) or None


def _csrf_cookie_value(request: Request, settings: GatewaySettings) -> str | None:
    value = request.cookies.get(CookieNames(settings.session_cookie_secure).csrf, "")
    # a value we did not mint (wrong length or alphabet) is replaced rather than echoed into forms
    if len(value) == 43 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return None


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: refuses any state-changing request whose token differs from the cookie."""
    if request.method not in _UNSAFE_METHODS:
        return
    expected = _csrf_cookie_value(request, request.app.state.settings)
    submitted: object = request.headers.get(CSRF_HEADER)
    if submitted is None:
        submitted = (await request.form()).get(CSRF_FIELD)
    if expected is None or not isinstance(submitted, str):
        raise CsrfRefused()
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise CsrfRefused()


class SecurityMiddleware:
    """Gives each browser its csrf token and every answer the security headers.

    A plain ASGI middleware: `@app.middleware("http")` would cost a task and a memory stream per request and pass
    every download through them.
    """

    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self._settings = settings
        self._cookie_name = CookieNames(settings.session_cookie_secure).csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        existing = _csrf_cookie_value(request, self._settings)
        token = existing or secrets.token_urlsafe(_CSRF_TOKEN_BYTES)
        # the pages read it from request.state, which is this scope's "state"
        request.state.csrf_token = token
        static = scope["path"].startswith("/static/")
        secure = self._settings.session_cookie_secure

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if existing is None:
                    headers.append("set-cookie", _cookie_header(self._cookie_name, token, secure=secure))
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # registration and confirmation links carry secrets in the path: never hand them to another site
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if secure:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if not static:
                    # pages show personal data and one-time activation codes: no copies in shared caches or history
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie_header(name: str, value: str, *, secure: bool) -> str:
    """The csrf cookie: HttpOnly (the pages read the token from their meta tag), SameSite=Lax."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    cookie[name]["path"] = "/"
    cookie[name]["httponly"] = True
    cookie[name]["samesite"] = "lax"
    if secure:
        cookie[name]["secure"] = True
    return cookie.output(header="").strip()
