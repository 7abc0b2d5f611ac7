"""What each event says to whom: event → letters (recipient, subject, plain text, HTML, perhaps an attachment).

Every letter is Ukrainian first with Russian below it, as the supplier's letters always were. The texts
live in Jinja2 templates (`notify/templates/letters/`, one `.txt` and one `.html` per kind); HTML is
autoescaped, so a consumer's name or login can never inject markup. Links come from identity and documents;
only http(s) links are put into a letter. An attachment is a reference to a document of the documents
service: the letter sender fetches its bytes when it sends the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.business_calendar import BUSINESS_TIME_ZONE
from shared.contracts.base import Event
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import (
    ColleagueInvited,
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
)
from shared.contracts.notify import LetterAnswered

PRODUCT_NAME_UK = "Особистий кабінет юридичного споживача"
PRODUCT_NAME_RU = "Личный кабинет юридического потребителя"
#: what the documents service stores the e-signature onboarding package as (docs/api-documents.md)
ONBOARDING_PACKAGE_CONTENT_TYPE = "application/zip"
#: a longer attachment name is a sign of a broken event, not a real file
MAX_FILE_NAME_LENGTH = 200


class LetterKind(StrEnum):
    REGISTRATION_LINK = "registration_link"
    EMAIL_VERIFICATION = "email_verification"
    EMAIL_CHANGED_OLD_ADDRESS = "email_changed_old_address"
    EMAIL_CHANGED_NEW_ADDRESS = "email_changed_new_address"
    LOGIN_CHANGED = "login_changed"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  # a kind of letter, not a password
    EDS_ONBOARDING_PACKAGE = "eds_onboarding_package"
    LETTER_ANSWERED = "letter_answered"
    COLLEAGUE_INVITATION = "colleague_invitation"


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
    LetterKind.EDS_ONBOARDING_PACKAGE:
        "Пакет документів для оформлення ЕЦП / Пакет документов для оформления ЭЦП",
    LetterKind.LETTER_ANSWERED:
        "Відповідь постачальника на Ваш лист / Ответ поставщика на Ваше письмо",
    LetterKind.COLLEAGUE_INVITATION:
        f"Запрошення до системи «{PRODUCT_NAME_UK}» / Приглашение в систему «{PRODUCT_NAME_RU}»",
}
#: a consumer's user's role inside the consumer (`shared.auth.ConsumerRole`) as the letters name it
CONSUMER_ROLES = {
    "director": ("керівник", "руководитель"),
    "accountant": ("бухгалтер", "бухгалтер"),
    "engineer": ("енергетик", "энергетик"),
    "viewer": ("перегляд без змін", "просмотр без изменений"),
}


class Unsendable(ValueError):
    """Something in an event that must not go into a letter; trying again will not change it."""


class UnsafeLink(Unsendable):
    """A link that must not go into a letter (not http/https, or malformed)."""


class UnsafeFileName(Unsendable):
    """An attachment name a mail program could misread (empty, a path, control characters, far too long)."""


@dataclass(frozen=True)
class Attachment:
    """A document of the documents service to attach; its bytes are fetched when the letter is sent."""

    document_id: UUID
    file_name: str
    content_type: str


@dataclass(frozen=True)
class Letter:
    kind: LetterKind
    recipient: str
    subject: str
    text: str
    html: str
    attachment: Attachment | None = None


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


def safe_file_name(name: str) -> str:
    has_controls = any(ord(char) < 32 or ord(char) == 127 for char in name)
    if not name.strip() or has_controls or "/" in name or "\\" in name or len(name) > MAX_FILE_NAME_LENGTH:
        raise UnsafeFileName(f"refusing to attach a file named {name[:MAX_FILE_NAME_LENGTH]!r}")
    return name


_templates = Environment(
    loader=PackageLoader("notify", "templates/letters"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_templates.filters["local_time"] = local_time


def render(kind: LetterKind, recipient: str, *, attachment: Attachment | None = None, **values: Any) -> Letter:
    values = {"product_uk": PRODUCT_NAME_UK, "product_ru": PRODUCT_NAME_RU, **values}
    return Letter(
        kind=kind,
        recipient=recipient,
        subject=SUBJECTS[kind],
        text=_templates.get_template(f"{kind.value}.txt").render(values),
        html=_templates.get_template(f"{kind.value}.html").render(values),
        attachment=attachment,
    )


def letter_answered(event: LetterAnswered, *, recipient: str, login: str) -> Letter:
    """To the consumer's user who wrote the letter (whose address the event does not carry: notify knows it).
    The reply itself stays in the cabinet; the e-mail says where to read it."""
    return render(LetterKind.LETTER_ANSWERED, recipient, subject=event.subject, login=login,
                  letter_url=safe_link(event.letter_url))


def compose(event: Event) -> list[Letter]:
    """The letters an event asks for. Raises `Unsendable` for a link or file name that may not be sent,
    `TypeError` for an event that asks for no letter."""
    match event:
        case RegistrationLinkIssued():
            return [render(
                LetterKind.REGISTRATION_LINK, event.email, consumer_name=event.consumer_name,
                account_number=event.account_number, link_url=safe_link(event.link_url),
                expires_at=event.expires_at,
            )]
        case ColleagueInvited():
            role_uk, role_ru = CONSUMER_ROLES[event.consumer_role]
            return [render(
                LetterKind.COLLEAGUE_INVITATION, event.email, consumer_name=event.consumer_name,
                account_number=event.account_number, invited_by_login=event.invited_by_login, role_uk=role_uk,
                role_ru=role_ru, link_url=safe_link(event.link_url), expires_at=event.expires_at,
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
        case EdsOnboardingPackageReady():
            # the address typed into the form: the package goes where the consumer asked for it
            file_name = safe_file_name(event.file_name)
            return [render(
                LetterKind.EDS_ONBOARDING_PACKAGE, event.email, company_name=event.company_name,
                edrpou=event.edrpou, signer_name=event.signer_name, file_name=file_name,
                download_url=safe_link(event.download_url),
                attachment=Attachment(event.document_id, file_name, ONBOARDING_PACKAGE_CONTENT_TYPE),
            )]
    raise TypeError(f"no letter for {type(event).__name__}")
