"""Pages: Jinja2 templates with gettext, and what every page knows about its visitor.

Templates write `_("English text")` (or `_("... %(name)s", name=value)`); the text is looked up in the
catalogue of the visitor's language, which each render carries as `translations`. Imported macros need
`with context` to see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.support import Translations
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from gateway.billing_view import (
    PAYMENT_STATE_LABELS,
    RECONCILIATION_DOCUMENTS,
    REGISTRATION_LABELS,
    SKIP_REASON_LABELS,
    missing_fields,
    missing_parties,
)
from gateway.documents_view import type_label
from gateway.i18n import (
    LANGUAGE_NAMES,
    PERIOD_PATTERN,
    format_date,
    format_datetime,
    format_iban,
    format_money,
    format_period,
    format_quantity,
    format_size,
    language_of,
)
from gateway.identity_client import User
from gateway.letters_view import LETTER_STATE_LABELS
from gateway.navigation import current_section, navigation_for
from gateway.readings_view import (
    ACCEPTED_BY_LABELS,
    ACT_STATE_ADVICE,
    ACT_STATE_LABELS,
    LOCATION_LABELS,
    REGISTER_LABELS,
    STAFF_ACT_STATE_LABELS,
    act_to_sign,
    field_name,
    meter_state_label,
    missing_reason_label,
    needs_no_signature,
    rollover_name,
    zone_label,
)
from gateway.signing import (
    CERTIFICATE_STATE_LABELS,
    PARTY_LABELS,
    STATUS_EXPLANATIONS,
    STATUS_LABELS,
    authority_name,
)
from shared.auth import Role
from shared.business_calendar import BUSINESS_TIME_ZONE


@pass_context
def _gettext(context: Context, message: str) -> str:
    translations: Translations = context["translations"]
    return translations.gettext(message)


@pass_context
def _formatted_gettext(context: Context, message: str, **variables: Any) -> str:
    """`_()` of the templates: what jinja2.ext's new-style gettext does (the translation, as Markup where the template
    escapes, formatted with the variables), but a message with no placeholder is not formatted: `Markup % {}` for each
    of a page's dozens of texts was a tenth of its rendering."""
    translated = _gettext(context, message)
    if context.eval_ctx.autoescape:
        # the catalogues' texts are ours, trusted as jinja2.ext trusts them; the variables are escaped by `%`
        translated = Markup(translated)  # noqa: S704
    if not variables and "%" not in translated:
        return translated
    return translated % variables


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    translations: Translations = context["translations"]
    return translations.ngettext(singular, plural, count)


def create_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("gateway", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        # a misspelt variable is an error in tests, not an empty spot on a page
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # the templates are the package's files: no need to look at their times on every page
        auto_reload=False,
    )
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals["gettext"] = _formatted_gettext
    environment.filters["date"] = format_date
    environment.filters["datetime"] = format_datetime
    environment.filters["money"] = format_money
    environment.filters["money_inline"] = _money_inline
    environment.filters["iban"] = format_iban
    environment.filters["authority"] = authority_name
    environment.filters["quantity"] = format_quantity
    environment.filters["period"] = _period
    environment.filters["size"] = _size
    # message ids of the signature and document vocabulary; templates translate them with _()
    environment.globals["signature_status_labels"] = STATUS_LABELS
    environment.globals["signature_status_explanations"] = STATUS_EXPLANATIONS
    environment.globals["party_labels"] = PARTY_LABELS
    environment.globals["certificate_state_labels"] = CERTIFICATE_STATE_LABELS
    environment.globals["document_type_label"] = type_label
    # a demo system's test keys (GatewaySettings.demo_keys): none in a real one
    environment.globals["demo_keys"] = None
    environment.globals["billing_months"] = _billing_months
    # the readings and money vocabulary (gateway.readings_view, gateway.billing_view)
    environment.globals.update(
        reading_field=field_name,
        rollover_field=rollover_name,
        zone_label=zone_label,
        register_labels=REGISTER_LABELS,
        location_labels=LOCATION_LABELS,
        act_state_labels=ACT_STATE_LABELS,
        staff_act_state_labels=STAFF_ACT_STATE_LABELS,
        act_state_advice=ACT_STATE_ADVICE,
        accepted_by_labels=ACCEPTED_BY_LABELS,
        missing_reason_label=missing_reason_label,
        meter_state_label=meter_state_label,
        act_to_sign=act_to_sign,
        needs_no_signature=needs_no_signature,
        registration_labels=REGISTRATION_LABELS,
        missing_fields=missing_fields,
        missing_parties=missing_parties,
        payment_state_labels=PAYMENT_STATE_LABELS,
        reconciliation_documents=RECONCILIATION_DOCUMENTS,
        skip_reason_labels=SKIP_REASON_LABELS,
        letter_state_labels=LETTER_STATE_LABELS,
    )
    return environment


def _money_inline(amount: Decimal | int) -> Markup:
    """An amount inside a sentence, kept on one line (`1 238.88` has a space a line could break at)."""
    return Markup('<span class="money">{}</span>').format(format_money(amount))


#: how far back the month lists reach (readings and invoices of five years are kept at hand)
MONTHS_BACK = 60


def billing_months(today: date, selected: str, language: str, *, ahead: int = 0) -> list[tuple[str, str]]:
    """The months to choose from, newest first, as (`YYYY-MM`, «листопад 2026»): from `ahead` months after
    `today`'s back five years, and the one chosen when it lies outside. A list of the page's own words instead of
    `<input type=month>`, which the browser draws in its own language."""
    current = today.year * 12 + today.month - 1
    indexes = range(current + ahead, current - MONTHS_BACK - 1, -1)
    periods = [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in indexes]
    if PERIOD_PATTERN.fullmatch(selected) and selected not in periods:
        periods = sorted([*periods, selected], reverse=True)
    return [(period, format_period(period, language)) for period in periods]


@pass_context
def _billing_months(context: Context, selected: str, ahead: int = 0) -> list[tuple[str, str]]:
    return billing_months(datetime.now(BUSINESS_TIME_ZONE).date(), selected, context["lang"], ahead=ahead)


@pass_context
def _period(context: Context, period: str) -> str:
    return format_period(period, context["lang"])


@pass_context
def _size(context: Context, size: int) -> str:
    return format_size(size, context["lang"])


def frame_context(
    *,
    language: str,
    translations: Translations,
    csrf_token: str,
    visitor_user: User | None,
    role: Role,
    path: str,
    query: str = "",
) -> dict[str, Any]:
    """What the page frame (header, navigation, language switch, forms) needs on every page."""
    consumer_role = visitor_user.consumer_role if visitor_user is not None else None
    navigation = navigation_for(role, consumer_role) if consumer_role is not None else navigation_for(role)
    return {
        "lang": language,
        "translations": translations,
        "languages": LANGUAGE_NAMES,
        "csrf_token": csrf_token,
        "user": visitor_user,
        "navigation": navigation,
        "current_section": current_section(navigation, path),
        "current_path": path,
        # the page a message to the developers is about
        "current_url": f"{path}?{query}" if query else path,
    }


class Pages:
    def __init__(self, catalogues: Mapping[str, Translations], *, demo_keys: str | None = None) -> None:
        self.catalogues = catalogues
        self.templates = Jinja2Templates(env=create_environment())
        self.templates.env.globals["demo_keys"] = demo_keys

    def translations(self, request: Request) -> Translations:
        return self.catalogues[language_of(request)]

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> Response:
        visitor = getattr(request.state, "visitor", None)
        user = visitor.user if visitor is not None else None
        role = visitor.principal.role if visitor is not None else Role.ANONYMOUS
        language = language_of(request)
        full_context = frame_context(
            language=language,
            translations=self.catalogues[language],
            csrf_token=request.state.csrf_token,
            visitor_user=user,
            role=role,
            path=request.url.path,
            query=request.url.query,
        )
        full_context.update(context or {})
        return self.templates.TemplateResponse(request, template, full_context, status_code=status_code)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages
