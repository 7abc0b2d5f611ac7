"""What the page routers share: redirects, the service clients, notices."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse

from gateway.billing_client import BillingClient
from gateway.documents_client import DocumentsClient
from gateway.i18n import N_, PERIOD_PATTERN
from gateway.identity_client import Consumer, IdentityClient, User
from gateway.metering_client import MeteringClient
from gateway.notify_client import NotifyClient
from gateway.sessions import SessionCache
from gateway.signature_client import SignatureClient
from shared.auth import Principal
from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.errors import ServiceCallError
from shared.inputs import unstorable_in_address
from shared.telemetry import log_fields

logger = logging.getLogger(__name__)

T = TypeVar("T")

async def refuse_unstorable_address(request: Request) -> None:
    """Every page's address, before anything is asked of a service: a NUL (or what no text can hold) in a path or
    query parameter is the "not valid" page (a malformed id in the path: "not found")."""
    found = unstorable_in_address(request)
    if found:
        raise RequestValidationError([
            {"type": code, "loc": ("path" if name in request.path_params else "query", name), "msg": "unstorable text"}
            for name, code in found.items()
        ])


def valid_period(text: str) -> str | None:
    """The billing month sent, if it is one the services take: `YYYY-MM`, not yet to come (in Kyiv)."""
    current = datetime.now(BUSINESS_TIME_ZONE).strftime("%Y-%m")
    return text if PERIOD_PATTERN.fullmatch(text) and text <= current else None


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
    "readings_entered": N_(
        "The readings have been entered. The act of readings transfer is being prepared: sign it so that the "
        "readings are accepted for calculation."
    ),
    "readings_imported": N_(
        "The readings from the file have been entered. The act of readings transfer is being prepared: sign it so "
        "that the readings are accepted for calculation."
    ),
    "readings_entered_by_staff": N_("The readings have been entered and accepted."),
    "readings_corrected": N_("The readings have been corrected."),
    "paper_act_received": N_("The paper act has been marked as received; the readings are accepted."),
    "invoice_formed": N_("The invoice has been formed. Its document appears in the list in a minute."),
    "point_added": N_("The metering point has been added."),
    "point_changed": N_("The metering point has been changed."),
    "point_retired": N_("The metering point has been taken out of service. Its history is kept."),
    "tariff_added": N_("The tariff has been added."),
    "coefficient_added": N_("The zone coefficient has been added."),
    "payment_assigned": N_("The payment has been assigned to the consumer and applied to their invoices."),
    "payment_returned": N_("The payment has been marked as returned."),
    "registration_saved": N_("The registration state of the tax invoice has been saved."),
    "letter_sent": N_(
        "The letter has been sent to the supplier. The reply will appear here, and we will tell you by e-mail."
    ),
    "reply_sent": N_("The reply has been sent. The consumer is told about it by e-mail."),
    "letter_handled": N_("The letter has been marked as handled."),
    "feedback_sent": N_("Thank you! Your message has been passed to the developers."),
    "feedback_read": N_("The message has been marked as read."),
    "consumer_changed": N_("The consumer's details have been saved."),
    "access_token_revoked": N_("The key has been revoked: programs using it are refused from now on."),
    "colleague_invited": N_("The invitation has been sent. The link in it is valid for 72 hours."),
    "invitation_withdrawn": N_("The invitation has been withdrawn: its link opens no more."),
    "colleague_role_changed": N_("The role has been changed."),
    "colleague_removed": N_("The user has been removed: they are signed out and can no longer log in."),
    "reconciliation_act_issued": N_(
        "The reconciliation act is being drawn up. It will appear in “Contracts and documents” in a minute, to be "
        "signed there."
    ),
}


def notice_of(request: Request) -> str | None:
    """The translated notice named in the query string, if it is one of ours."""
    message_id = NOTICES.get(request.query_params.get("notice", ""))
    if message_id is None:
        return None
    pages = request.app.state.pages
    return str(pages.translations(request).gettext(message_id))


async def unless_unavailable(
    request: Request, call: Awaitable[T], service: str, *, not_found_too: bool = False
) -> T | None:
    """A part of a page that the page can do without: None, and a warning in the log, when its service fails or
    does not answer (or, with `not_found_too`, does not know the consumer yet: it learns of new ones from the bus);
    another refusal (4xx) is raised on."""
    try:
        return await call
    except (ServiceCallError, httpx.TransportError) as error:
        refused = isinstance(error, ServiceCallError) and error.status_code < 500
        if refused and not (not_found_too and isinstance(error, ServiceCallError) and error.status_code == 404):
            raise
        logger.warning(
            "a service is unavailable for a part of a page",
            extra=log_fields(service=service, error=type(error).__name__, path=request.url.path),
        )
        return None


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


def metering_of(request: Request) -> MeteringClient:
    metering: MeteringClient = request.app.state.metering
    return metering


def billing_of(request: Request) -> BillingClient:
    billing: BillingClient = request.app.state.billing
    return billing


def notify_of(request: Request) -> NotifyClient:
    notify: NotifyClient = request.app.state.notify
    return notify


@dataclass(frozen=True)
class AccountPages:
    """Whose readings and money a page shows, and to whom: the consumer's own pages, or one consumer's pages in
    the supplier console (the same pages, with the staff's actions)."""

    consumer_id: UUID
    #: what the page's links and forms start with: `` for the consumer, `/console/consumers/<id>` in the console
    base: str
    staff: bool
    #: the consumer, named in the console's headings
    consumer: Consumer | None = None


def own_account(principal: Principal) -> AccountPages:
    """A consumer's own pages (pages taking `ConsumerOnly` visitors, who always have a consumer)."""
    if principal.consumer_id is None:
        raise ValueError("a consumer's page needs a consumer")
    return AccountPages(principal.consumer_id, "", staff=False)


async def console_account(request: Request, principal: Principal, consumer_id: UUID) -> AccountPages:
    """One consumer's pages in the supplier console; an unknown consumer is "not found" before anything else."""
    details = await identity_of(request).consumer(principal, consumer_id)
    return AccountPages(consumer_id, f"/console/consumers/{consumer_id}", staff=True, consumer=details.consumer)
