"""«Журнал дій»: a consumer's audit trail in words — who did what, where — and the kinds the page filters by.

Identity keeps each entry's details as they were then (`identity.audit`); this module says them in the visitor's
language: the meters, zones and values of readings, the document signed or refused, the setting changed, a
program's call with its key, method, route and answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from babel.support import Translations

from gateway.documents_view import type_label
from gateway.i18n import N_, format_period, format_quantity
from gateway.identity_client import AuditEntry
from gateway.pages.colleagues import ROLE_LABELS
from gateway.readings_view import REGISTER_LABELS
from gateway.signing import PARTY_LABELS, Party

#: the page's filter: a choice ⇒ the kinds of entries it shows (none chosen: every kind)
AUDIT_FILTERS: Final[dict[str, tuple[str, ...]]] = {
    "readings": ("readings_entered", "readings_accepted"),
    "documents": ("document_signed", "document_rejected"),
    "settings": ("consumer_changed", "email_changed", "login_changed", "password_changed", "access_token_created",
                 "access_token_revoked", "colleague_invited", "colleague_joined", "colleague_role_changed",
                 "colleague_removed"),
    "api": ("api_call",),
}
FILTER_LABELS: Final = {
    "readings": N_("Readings"),
    "documents": N_("Documents"),
    "settings": N_("Settings"),
    "api": N_("Program calls (API)"),
}

_TITLES: Final = {
    "readings_entered": N_("Readings entered for %(period)s"),
    "readings_accepted": N_("Readings for %(period)s accepted"),
    "document_signed": N_("Document signed"),
    "document_rejected": N_("Refused to sign a document"),
    "consumer_changed": N_("Consumer details changed"),
    "email_changed": N_("E-mail address changed"),
    "login_changed": N_("Login changed"),
    "password_changed": N_("Password changed"),
    "access_token_created": N_("Access key created"),
    "access_token_revoked": N_("Access key revoked"),
    "api_call": N_("Program call (API)"),
    "colleague_invited": N_("Colleague invited"),
    "colleague_joined": N_("Joined the cabinet by invitation"),
    "colleague_role_changed": N_("Colleague's role changed"),
    "colleague_removed": N_("Colleague removed from the cabinet"),
}
#: readings corrected by staff (with their reason) rather than entered anew
_CORRECTED: Final = N_("Readings for %(period)s corrected")
#: a kind identity has begun to record after this page was written
_OTHER_KIND: Final = N_("Action: %(kind)s")

#: the consumer's details as the console's form names them
_CONSUMER_FIELDS: Final = {
    "name": N_("Name"),
    "edrpou": N_("EDRPOU"),
    "agreement_email": N_("Agreement e-mail"),
    "billing_day": N_("Billing day of the month"),
    "self_calculation": N_("Self-calculation right"),
    "e_signature": N_("Electronic signature"),
    "vat_payer": N_("VAT payer"),
    "ipn": N_("Individual tax number (VAT)"),
}

_VIA_LABELS: Final = {"page": N_("Cabinet pages"), "api": N_("Program (API)")}
_RES_SYSTEM: Final = N_("RES system")
_SEAL: Final = N_("The supplier's electronic seal")
_SYSTEM: Final = N_("The cabinet")
_UNKNOWN_USER: Final = N_("A user no longer registered")
_REASON: Final = N_("Reason: %(reason)s")
_ON_BEHALF: Final = N_("On behalf of: %(party)s")
_CHANGED: Final = N_("Changed: %(fields)s")
_KEY: Final = N_("Key “%(name)s”, begins with %(prefix)s…")
_ANSWER: Final = N_("Answer: %(status)d")
_ZONE: Final = N_("Zone %(zone)d")
_ROLLOVER: Final = N_("(the meter went past its highest value)")
_ROLE: Final = N_("Role: %(role)s")


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    #: the person's login (or the system that did it)
    who: str
    #: the person's e-mail then, beside the login
    who_note: str | None
    what: str
    details: list[str] = field(default_factory=list)
    #: where it was done: the cabinet's pages or a program; None for the system
    via: str | None = None


def audit_rows(entries: list[AuditEntry], translations: Translations, language: str) -> list[AuditRow]:
    return [_row(entry, translations, language) for entry in entries]


def _row(entry: AuditEntry, translations: Translations, language: str) -> AuditRow:
    text = translations.gettext
    who, who_note = _who(entry, text)
    what, details = _what(entry, translations, language)
    via = text(_VIA_LABELS[entry.via]) if entry.via in _VIA_LABELS else None
    return AuditRow(entry, who, who_note, what, details, via)


def _who(entry: AuditEntry, text: Callable[[str], str]) -> tuple[str, str | None]:
    if entry.actor is None:
        if entry.kind.startswith("readings_") and entry.details.get("source") == "res":
            return text(_RES_SYSTEM), None
        if entry.kind.startswith("document_"):
            return text(_SEAL), None
        return text(_SYSTEM), None
    if entry.actor.login is None:
        return text(_UNKNOWN_USER), None
    return entry.actor.login, entry.actor.email


def _what(entry: AuditEntry, translations: Translations, language: str) -> tuple[str, list[str]]:
    text = translations.gettext
    details = entry.details
    kind = entry.kind
    if kind not in _TITLES:
        return text(_OTHER_KIND) % {"kind": kind}, []
    period = format_period(str(details.get("period", "")), language) if "period" in details else ""
    title = text(_TITLES[kind]) % {"period": period} if "%(period)s" in _TITLES[kind] else text(_TITLES[kind])
    lines: list[str] = []
    if kind == "readings_entered":
        if details.get("correction_reason"):
            title = text(_CORRECTED) % {"period": period}
            lines.append(text(_REASON) % {"reason": details["correction_reason"]})
        lines[:0] = [_reading(line, text) for line in details.get("readings") or []]
    elif kind == "readings_accepted":
        count = int(details.get("readings") or 0)
        lines.append(translations.ngettext("%(num)d reading", "%(num)d readings", count) % {"num": count})
    elif kind in ("document_signed", "document_rejected"):
        lines.append(text(type_label(str(details.get("document_type", "")))))
        party = details.get("party")
        if party in PARTY_LABELS:
            lines.append(text(_ON_BEHALF) % {"party": text(PARTY_LABELS[Party(party)])})
        if kind == "document_rejected" and details.get("rejected_reason"):
            lines.append(text(_REASON) % {"reason": details["rejected_reason"]})
    elif kind == "consumer_changed":
        names = [text(_CONSUMER_FIELDS[name]) if name in _CONSUMER_FIELDS else str(name)
                 for name in details.get("fields") or []]
        lines.append(text(_CHANGED) % {"fields": ", ".join(names)})
    elif kind in ("email_changed", "login_changed"):
        what = "email" if kind == "email_changed" else "login"
        lines.append(f"{details.get('old_' + what, '')} → {details.get('new_' + what, '')}")
    elif kind.startswith("access_token_") or kind == "api_call":
        if kind == "api_call":
            lines.append(f"{details.get('method', '')} {details.get('route', '')}")
        lines.append(text(_KEY) % {
            "name": details.get("token_name", ""), "prefix": details.get("token_prefix", "")})
        if kind == "api_call" and entry.status is not None:
            lines.append(text(_ANSWER) % {"status": entry.status})
    elif kind.startswith("colleague_"):
        if colleague := details.get("email") or details.get("login"):
            lines.append(str(colleague))
        if (role := details.get("consumer_role")) in ROLE_LABELS:
            lines.append(text(_ROLE) % {"role": text(ROLE_LABELS[role])})
    return title, lines


def _reading(line: dict[str, Any], text: Callable[[str], str]) -> str:
    """One register's reading: «01234567, Активна енергія, кВт·год, зона 1: 12 345.6 → 12 500»."""
    register = REGISTER_LABELS.get(str(line.get("energy")))
    values = f"{_quantity(line.get('previous'))} → {_quantity(line.get('current'))}"
    if line.get("rollover"):
        values += " " + text(_ROLLOVER)
    zone = text(_ZONE) % {"zone": int(line.get("zone") or 1)}
    parts = [str(line.get("meter_serial", "")), text(register) if register else str(line.get("energy", "")), zone]
    return ", ".join(parts) + ": " + values


def _quantity(value: object) -> str:
    try:
        return format_quantity(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
