"""What each identity event says to whom: event → letters (recipient, subject, plain text, HTML).

Every letter is Ukrainian first with Russian below it, as the supplier's letters always were. The texts
live in Jinja2 templates (`notify/templates/letters/`, one `.txt` and one `.html` per kind); HTML is
autoescaped, so a consumer's name or login can never inject markup. Links come from identity; only http(s)
links are put into a letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.contracts.base import Event
from shared.contracts.identity import (
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
)

PRODUCT_NAME_UK = "Особистий кабінет юридичного споживача"
PRODUCT_NAME_RU = "Личный кабинет юридического потребителя"
BUSINESS_TIME_ZONE = ZoneInfo("Europe/Kyiv")


class LetterKind(StrEnum):
    REGISTRATION_LINK = "registration_link"
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGED_OLD_ADDRESS = "email_changed_old_address"
    EMAIL_CHANGED_NEW_ADDRESS = "email_changed_new_address"
    LOGIN_CHANGED = "login_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  # a kind of letter, not a password


_EMAIL_CHANGED = "Адресу електронної пошти змінено / Адрес электронной почты изменён"
SUBJECTS = {
    LetterKind.REGISTRATION_LINK:
        f"Реєстрація в системі «{PRODUCT_NAME_UK}» / Регистрация в системе «{PRODUCT_NAME_RU}»",
    LetterKind.EMAIL_VERIFICATION:
        "Підтвердіть адресу електронної пошти / Подтвердите адрес электронной почты",
    LetterKind.EMAIL_CHANGED_OLD_ADDRESS: _EMAIL_CHANGED,
    LetterKind.EMAIL_CHANGED_NEW_ADDRESS: _EMAIL_CHANGED,
    LetterKind.LOGIN_CHANGED: "Логін змінено / Логин изменён",
    LetterKind.PASSWORD_CHANGED: "Пароль змінено / Пароль изменён",
}


class UnsafeLink(ValueError):
    """A link that must not go into a letter (not http/https, or malformed)."""


@dataclass(frozen=True)
class Letter:
    kind: LetterKind
    recipient: str
    subject: str
    text: str
    html: str


def local_time(moment: datetime) -> str:
    """`dd.mm.yyyy HH:MM` in the supplier's (Kyiv) time, as everywhere in the cabinet."""
    return moment.astimezone(BUSINESS_TIME_ZONE).strftime("%d.%m.%Y %H:%M")


def mask_email(address: str) -> str:
    """`i***@example.com`: enough for the owner to recognise, not a gift to whoever reads the old mailbox."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def safe_link(url: str) -> str:
    parts = urlsplit(url)
    has_blanks = any(char.isspace() or ord(char) < 32 for char in url)
    if parts.scheme not in ("http", "https") or not parts.netloc or has_blanks:
        raise UnsafeLink(f"refusing to put {url[:200]!r} into a letter")
    return url


_templates = Environment(
    loader=PackageLoader("notify", "templates/letters"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_templates.filters["local_time"] = local_time


def render(kind: LetterKind, recipient: str, **values: Any) -> Letter:
    values = {"product_uk": PRODUCT_NAME_UK, "product_ru": PRODUCT_NAME_RU, **values}
    return Letter(
        kind=kind,
        recipient=recipient,
        subject=SUBJECTS[kind],
        text=_templates.get_template(f"{kind.value}.txt").render(values),
        html=_templates.get_template(f"{kind.value}.html").render(values),
    )


def compose(event: Event) -> list[Letter]:
    """The letters an event asks for. Raises `UnsafeLink` for a link that may not be sent, `TypeError` for an
    event that asks for no letter."""
    match event:
        case RegistrationLinkIssued():
            return [render(
                LetterKind.REGISTRATION_LINK, event.email, consumer_name=event.consumer_name,
                account_number=event.account_number, link_url=safe_link(event.link_url),
                expires_at=event.expires_at,
            )]
        case EmailChangeRequested():
            # to the new address only: following the link proves the address is the user's
            return [render(
                LetterKind.EMAIL_VERIFICATION, event.new_email, login=event.login, new_email=event.new_email,
                confirm_url=safe_link(event.confirm_url), expires_at=event.expires_at,
            )]
        case EmailChanged():
            return [
                render(LetterKind.EMAIL_CHANGED_OLD_ADDRESS, event.old_email, login=event.login,
                       masked_new_email=mask_email(event.new_email), changed_at=event.occurred_at),
                render(LetterKind.EMAIL_CHANGED_NEW_ADDRESS, event.new_email, login=event.login,
                       new_email=event.new_email, changed_at=event.occurred_at),
            ]
        case LoginChanged():
            return [render(LetterKind.LOGIN_CHANGED, event.email, old_login=event.old_login,
                           new_login=event.new_login, changed_at=event.occurred_at)]
        case PasswordChanged():
            return [render(LetterKind.PASSWORD_CHANGED, event.email, login=event.login,
                           changed_at=event.occurred_at)]
    raise TypeError(f"no letter for {type(event).__name__}")
