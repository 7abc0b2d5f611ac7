"""«Гроші → Акт звірки»: the consumer's account with the supplier over a period as billing's books have it (the
reconciliation act, акт звірки взаєморозрахунків): the balances, every invoice, payment and return, the ageing of
the debt; «Сформувати акт звірки» issues it as a document both parties sign («Договори та документи»). A consumer
who disagrees writes to the supplier's settlement department: the letter names the act and its period.

Supplier staff see the same page for one consumer in the console and issue the act for it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from babel.support import Translations
from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from gateway.billing_client import Reconciliation
from gateway.exports import reconciliation_table
from gateway.messages import FormErrors, explain, field_message, general_message
from gateway.notify_client import LETTER_TEXT_MAX, NewLetter
from gateway.pages.common import AccountPages, billing_of, console_account, notice_of, notify_of, own_account, see_other
from gateway.pages.money import table_file, typed_date
from gateway.rendering import pages_of
from gateway.sessions import MoneyHandler, MoneyViewer, Staff
from shared.auth import Principal
from shared.errors import ServiceCallError

router = APIRouter()

TextForm = Annotated[str, Form()]
#: the disagreement goes to the department that keeps the accounts (notify's addressee types)
DISAGREEMENT_ADDRESSEE = "settlements"
DISAGREEMENT_LETTER_TYPE = "complaint"


class Period:
    """The period typed in the form: the dates (None: billing's default) and what was mistyped."""

    def __init__(self, translations: Translations, start_text: str | None, end_text: str | None) -> None:
        self.typed = {"from": (start_text or "").strip(), "to": (end_text or "").strip()}
        self.start, self.end = typed_date(start_text), typed_date(end_text)
        self.errors = FormErrors()
        for name, parsed in (("from", self.start), ("to", self.end)):
            if self.typed[name] and parsed is None:
                self.errors.fields[name] = field_message(translations, name, "date_invalid")
        if self.errors.fields:
            self.errors.general = general_message(translations, "invalid")

    def query(self, act: Reconciliation | None = None) -> str:
        """The period as the page's address carries it (the act's own dates once billing has answered)."""
        dates = (act.start, act.end) if act else (self.start, self.end)
        return urlencode({name: day.isoformat() for name, day in zip(("from", "to"), dates, strict=True) if day})


async def render_reconciliation(
    request: Request, principal: Principal, target: AccountPages, start_text: str | None, end_text: str | None,
    *, errors: FormErrors | None = None, comment: str = "", status_code: int = 200,
) -> Response:
    """The period form and, once billing has taken the period, the act."""
    translations = pages_of(request).translations(request)
    period = Period(translations, start_text, end_text)
    act: Reconciliation | None = None
    form_errors = period.errors
    if not form_errors:
        try:
            act = await billing_of(request).reconciliation(principal, target.consumer_id, period.start, period.end)
        except ServiceCallError as error:
            form_errors = explain(error, translations)
            status_code = error.status_code
    context: dict[str, Any] = {
        "act": act,
        "typed": period.typed,
        "errors": form_errors,
        "disagreement_errors": errors or FormErrors(),
        "comment": comment,
        "comment_max": LETTER_TEXT_MAX,
        "query": period.query(act),
        "target": target,
        "notice": notice_of(request),
    }
    return pages_of(request).render(request, "reconciliation.html", context,
                                    status_code=422 if form_errors else status_code)


async def issue_act(request: Request, principal: Principal, target: AccountPages, start_text: str,
                    end_text: str) -> Response:
    """«Сформувати акт звірки»: the act asked of billing as a document; back to the page, which says so."""
    period = Period(pages_of(request).translations(request), start_text, end_text)
    if period.errors:
        return await render_reconciliation(request, principal, target, start_text, end_text)
    try:
        await billing_of(request).issue_reconciliation_act(principal, target.consumer_id, period.start, period.end)
    except ServiceCallError as error:
        if error.status_code >= 500:
            raise
        return await render_reconciliation(request, principal, target, start_text, end_text)
    return see_other(f"{target.base}/reconciliation?{period.query()}&notice=reconciliation_act_issued")


async def act_file(request: Request, principal: Principal, target: AccountPages, start_text: str | None,
                   end_text: str | None, extension: str) -> Response:
    """The act of the period the page shows as a CSV or Excel file (a mistyped date falls back to the default)."""
    translations = pages_of(request).translations(request)
    period = Period(translations, start_text, end_text)
    act = await billing_of(request).reconciliation(principal, target.consumer_id, period.start, period.end)
    return table_file(request, target, reconciliation_table(act, translations), "reconciliation", extension)


def disagreement_subject(translations: Translations, act: Reconciliation) -> str:
    return translations.gettext("Disagreement with the reconciliation act for %(start)s–%(end)s") % {
        "start": act.start.strftime("%d.%m.%Y"), "end": act.end.strftime("%d.%m.%Y")}


@router.get("/reconciliation")
async def reconciliation_page(
    request: Request, visitor: MoneyViewer,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    return await render_reconciliation(request, visitor.principal, own_account(visitor.principal), start, end)


@router.get("/reconciliation.{extension}")
async def reconciliation_download(
    request: Request, visitor: MoneyViewer, extension: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    return await act_file(request, visitor.principal, own_account(visitor.principal), start, end, extension)


@router.post("/reconciliation/acts")
async def issue_reconciliation_act(
    request: Request, visitor: MoneyHandler, start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "",
) -> Response:
    return await issue_act(request, visitor.principal, own_account(visitor.principal), start, end)


@router.post("/reconciliation/disagreement")
async def send_disagreement(
    request: Request, visitor: MoneyHandler, start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "", comment: TextForm = "",
) -> Response:
    """The consumer's comment as a letter to the settlement department, its subject naming the act's period (the
    period billing took: the letter is about the act the page showed)."""
    target = own_account(visitor.principal)
    translations = pages_of(request).translations(request)
    period = Period(translations, start, end)
    if period.errors:
        return await render_reconciliation(request, visitor.principal, target, start, end, comment=comment)
    act = await billing_of(request).reconciliation(visitor.principal, target.consumer_id, period.start, period.end)
    letter = NewLetter(addressee_type=DISAGREEMENT_ADDRESSEE, letter_type=DISAGREEMENT_LETTER_TYPE,
                       subject=disagreement_subject(translations, act), text=comment)
    try:
        written = await notify_of(request).write(visitor.principal, letter)
    except ServiceCallError as error:
        errors = explain(error, translations, {"text": "comment"})
        return await render_reconciliation(request, visitor.principal, target, start, end, errors=errors,
                                           comment=comment, status_code=error.status_code)
    return see_other(f"/letters/{written.id}?notice=letter_sent")


@router.get("/console/consumers/{consumer_id}/reconciliation")
async def console_reconciliation_page(
    request: Request, visitor: Staff, consumer_id: UUID,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await render_reconciliation(request, visitor.principal, target, start, end)


@router.get("/console/consumers/{consumer_id}/reconciliation.{extension}")
async def console_reconciliation_download(
    request: Request, visitor: Staff, consumer_id: UUID, extension: str,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await act_file(request, visitor.principal, target, start, end, extension)


@router.post("/console/consumers/{consumer_id}/reconciliation/acts")
async def console_issue_reconciliation_act(
    request: Request, visitor: Staff, consumer_id: UUID, start: Annotated[str, Form(alias="from")] = "",
    end: Annotated[str, Form(alias="to")] = "",
) -> Response:
    target = await console_account(request, visitor.principal, consumer_id)
    return await issue_act(request, visitor.principal, target, start, end)
