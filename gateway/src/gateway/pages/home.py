"""The consumer's home page and the site map.

The home page is the manual's start: the big buttons «Занести показання» and «Рахунки», then what the consumer
is to do now — the saldo and what is due by when, the documents waiting for their signature, whether readings
are being taken. Each of those comes from another service; one that does not answer leaves its panel saying so,
never the whole page.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.billing_view import saldo_kind
from gateway.i18n import format_date, format_period, language_of
from gateway.navigation import site_map_for
from gateway.pages.common import billing_of, metering_of, see_other, signature_of, unless_unavailable
from gateway.readings_view import closed_notice
from gateway.rendering import pages_of
from gateway.sessions import SignedIn, Visitor
from gateway.signature_client import SignableDocument
from gateway.signing import party_of
from shared.auth import Capability

router = APIRouter()


@router.get("/")
async def home(request: Request, visitor: SignedIn) -> Response:
    user = visitor.signed_in_user
    if user.consumer is None:
        # staff have no consumer of their own; their start page is the console
        return see_other("/console")
    principal, consumer_id = visitor.principal, user.consumer.id
    # what the user's role inside the consumer does not see is not asked for (the services would refuse it)
    money, readings = principal.may(Capability.SEE_MONEY), principal.may(Capability.SEE_READINGS)
    saldo, awaiting, window = await asyncio.gather(
        unless_unavailable(request, billing_of(request).saldo(principal, consumer_id), "billing", not_found_too=True)
        if money else _nothing(),
        _awaiting_signature(request, visitor),
        unless_unavailable(request, metering_of(request).window(principal, consumer_id), "metering",
                           not_found_too=True) if readings else _nothing(),
    )
    window_notice = None
    if window is not None:
        opens_on = format_date(window.opens_on) if window.opens_on else "—"
        window_notice = closed_notice(window, format_period(window.period, language_of(request)), opens_on)
    context = {
        "saldo": saldo,
        "saldo_kind": saldo_kind(saldo) if saldo is not None else None,
        "awaiting": awaiting,
        # the agreement has documents signed on paper: say so rather than that nothing waits
        "signs_on_paper": party_of(visitor) is None,
        "window": window,
        "window_notice": window_notice,
        "sees_money": money,
        "sees_readings": readings,
    }
    return pages_of(request).render(request, "home.html", context)


async def _awaiting_signature(request: Request, visitor: Visitor) -> list[SignableDocument] | None:
    """What waits for the consumer's signature (None: the signature service is unavailable); a consumer whose
    agreement has documents signed on paper has nothing to sign here."""
    if party_of(visitor) is None:
        return []
    awaiting = await unless_unavailable(
        request, signature_of(request).awaiting_consumer(visitor.principal), "signature")
    # what the user's role does not sign (an engineer's invoices, anything of a viewer's) does not wait for them
    return None if awaiting is None else [
        document for document in awaiting if visitor.principal.may_sign(document.type)]


async def _nothing() -> None:
    return None


@router.get("/sitemap")
async def site_map(request: Request, visitor: SignedIn) -> Response:
    user = visitor.signed_in_user
    sections = site_map_for(user.role, user.consumer_role) if user.consumer_role else site_map_for(user.role)
    return pages_of(request).render(request, "sitemap.html", {"sections": sections})
