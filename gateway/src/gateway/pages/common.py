"""What the page routers share: redirects, the service clients, notices."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse

from gateway.documents_client import DocumentsClient
from gateway.i18n import N_
from gateway.identity_client import IdentityClient, User
from gateway.sessions import SessionCache
from gateway.signature_client import SignatureClient

#: registration and confirmation links carry URL-safe random tokens; anything else cannot be one and is
#: answered as an unknown link without asking identity
LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,128}")

#: one-word results a page passes on to the page it redirects to (`?notice=...`)
NOTICES: dict[str, str] = {
    "registered": N_("Registration is complete. Log in with your new login and password."),
    "logged_out": N_("You have logged out."),
    "email_change_requested": N_(
        "We have sent a letter with a confirmation link to the new address. The change takes effect once you "
        "follow the link."
    ),
    "email_change_cancelled": N_("The e-mail address change has been cancelled."),
    "login_changed": N_("Your login has been changed."),
    "password_changed": N_("Your password has been changed."),
    "certificate_registered": N_("The certificate has been registered. You can now sign documents with its key."),
    "certificate_removed": N_("The certificate has been removed from the cabinet."),
    "rejected": N_("You have refused to sign the document. The refusal and its reason have been recorded."),
    "sealed": N_("The document has been signed with the supplier's electronic seal."),
}


def notice_of(request: Request) -> str | None:
    """The translated notice named in the query string, if it is one of ours."""
    message_id = NOTICES.get(request.query_params.get("notice", ""))
    if message_id is None:
        return None
    pages = request.app.state.pages
    return str(pages.translations(request).gettext(message_id))


def see_other(url: str) -> RedirectResponse:
    """After a form: the browser follows with a GET, so reloading does not send the form again."""
    return RedirectResponse(url, status_code=303)


def safe_next(value: str | None) -> str | None:
    """A path inside this site to return to after login; anything pointing elsewhere is dropped."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    # browsers read a backslash as "/" and drop tabs and newlines, so such paths could become "//host"
    if "\\" in value or not value.isprintable():
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def home_for(user: User) -> str:
    return "/console" if user.is_staff else "/"


def identity_of(request: Request) -> IdentityClient:
    identity: IdentityClient = request.app.state.identity
    return identity


def sessions_of(request: Request) -> SessionCache:
    sessions: SessionCache = request.app.state.sessions
    return sessions


def documents_of(request: Request) -> DocumentsClient:
    documents: DocumentsClient = request.app.state.documents
    return documents


def signature_of(request: Request) -> SignatureClient:
    signature: SignatureClient = request.app.state.signature
    return signature
