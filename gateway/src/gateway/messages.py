"""What the visitor reads when a service refuses: every error code the gateway knows, in one place.

Services answer with codes (`{"code", "message", "fields": {field: code}}`); here they become sentences in
the visitor's language. The English sentences are the message ids of the catalogues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from babel.support import Translations

from gateway.i18n import N_
from shared.errors import ServiceCallError

#: form fields that share their meaning (and messages) with another field's name
_FIELD_MEANING = {
    "new_login": "login",
    "new_password": "password",
    "new_password_confirmation": "password_confirmation",
}

FIELD_MESSAGES: dict[tuple[str, str], str] = {
    ("activation_code", "code_invalid"): N_(
        "The activation code is not valid. Check it against the supplementary agreement."
    ),
    ("activation_code", "code_used"): N_(
        "This activation code has already been used. Ask your supplier for a new one."
    ),
    ("login", "too_short"): N_("The login must be at least 6 characters long."),
    ("login", "invalid_characters"): N_(
        "The login contains characters that are not allowed. Use Latin letters, digits, dots, hyphens "
        "and underscores."
    ),
    ("login", "too_long"): N_("The login must be at most 64 characters long."),
    ("login", "taken"): N_("This login is already taken. Please choose another one."),
    ("login", "same_as_current"): N_("This is already your login."),
    ("password", "too_short"): N_("The password must be at least 12 characters long."),
    ("password", "too_long"): N_("The password must be at most 256 characters long."),
    ("password", "too_weak"): N_(
        "This password is too common or too easy to guess. A phrase of several unrelated words works well."
    ),
    ("password", "contains_login"): N_("The password must not contain the login."),
    ("password_confirmation", "mismatch"): N_("The passwords do not match."),
    ("current_password", "wrong_password"): N_("The current password is wrong."),
    ("new_email", "invalid"): N_("This is not a valid e-mail address."),
    ("new_email", "same_as_current"): N_("This is already your e-mail address."),
    ("email", "invalid"): N_("This is not a valid e-mail address."),
    ("agreement_email", "invalid"): N_("This is not a valid e-mail address."),
    ("account_number", "taken"): N_("A consumer with this account number already exists."),
    ("account_number", "invalid"): N_("An account number has up to 20 letters, digits, slashes or hyphens."),
    ("name", "invalid"): N_("Please enter the consumer's name, up to 300 characters."),
    ("edrpou", "invalid"): N_("This is not a valid EDRPOU code: 8 digits with a correct check digit."),
    ("billing_day", "out_of_range"): N_("The billing day must be between 1 and 28."),
    ("branch_id", "unknown"): N_("Choose a supplier branch from the list."),
}

#: pydantic's reason codes, which any field may come back with
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Please fill in this field."),
    "string_too_short": N_("Please fill in this field."),
    "value_error": N_("Please check this field."),
}
_FIELD_FALLBACK = N_("Please check this field.")

GENERAL_MESSAGES: dict[str, str] = {
    "invalid_credentials": N_("Wrong login or password."),
    "session_invalid": N_("Your session has ended. Please log in again."),
    "no_match": N_(
        "We could not find a registration with this activation code and e-mail address. Please contact the "
        "contract department of your supplier or the cabinet's technical support."
    ),
    "invalid": N_("Please correct the fields marked below."),
    "account_number_taken": N_("A consumer with this account number already exists."),
    "forbidden": N_("You may not do this."),
    "role_forbidden": N_("You may not do this."),
    "not_found": N_("It was not found. It may have been removed."),
}
_GENERAL_FALLBACK = N_("The request could not be completed. Please try again later or contact support.")

#: codes whose answer belongs next to one field of the form
_CODE_FIELD = {"account_number_taken": ("account_number", "taken")}


@dataclass
class FormErrors:
    """A refused form: one sentence on top, and one under each field that needs correcting."""

    general: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.general is not None or bool(self.fields)


def field_message(translations: Translations, field_name: str, code: str) -> str:
    meaning = _FIELD_MEANING.get(field_name, field_name)
    message_id = FIELD_MESSAGES.get((meaning, code)) or _VALIDATION_MESSAGES.get(code) or _FIELD_FALLBACK
    return translations.gettext(message_id)


def throttled_message(translations: Translations, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return translations.ngettext(
        "Too many attempts. Please wait %(num)d minute and try again.",
        "Too many attempts. Please wait %(num)d minutes and try again.",
        minutes,
    ) % {"num": minutes}


def general_message(translations: Translations, code: str) -> str:
    return translations.gettext(GENERAL_MESSAGES.get(code, _GENERAL_FALLBACK))


def explain(error: ServiceCallError, translations: Translations) -> FormErrors:
    """The service's refusal as the form should show it.

    A failure of the service itself (5xx) is nothing the visitor can correct: it goes on to the error page.
    """
    if error.status_code >= 500:
        raise error
    if error.status_code == 429:
        return FormErrors(general=throttled_message(translations, retry_after_seconds(error)))
    fields = {name: field_message(translations, name, code) for name, code in error.fields.items()}
    if error.code in _CODE_FIELD:
        name, code = _CODE_FIELD[error.code]
        fields[name] = field_message(translations, name, code)
    general = general_message(translations, "invalid" if fields else error.code)
    return FormErrors(general=general, fields=fields)


def retry_after_seconds(error: ServiceCallError) -> int:
    """How long a throttled visitor has to wait, as the service said (a minute when it did not)."""
    try:
        return int(error.detail.get("retry_after", 60))
    except (TypeError, ValueError):
        return 60


# Registration and e-mail confirmation links: what went wrong and what to do about it.
REGISTRATION_LINK_PROBLEMS: dict[str, tuple[str, str]] = {
    "link_unknown": (
        N_("This registration link is not valid"),
        N_(
            "Please check that you opened the whole link from the registration letter. If the letter is "
            "lost, you can have it sent again with your activation code and the agreement e-mail."
        ),
    ),
    "link_expired": (
        N_("This registration link has expired"),
        N_(
            "Links in registration letters are valid for 72 hours. Have a new letter sent with your "
            "activation code and the agreement e-mail."
        ),
    ),
    "link_used": (
        N_("Registration with this link is already complete"),
        N_(
            "Log in with the login and password chosen at registration. If another colleague needs access, "
            "ask your supplier for another activation code."
        ),
    ),
}

EMAIL_LINK_PROBLEMS: dict[str, tuple[str, str]] = {
    "link_unknown": (
        N_("This confirmation link is not valid"),
        N_(
            "Please check that you opened the whole link from the letter, or request the change again in "
            "Settings."
        ),
    ),
    "link_expired": (
        N_("This confirmation link has expired"),
        N_(
            "Links to confirm an e-mail address are valid for 24 hours. Please request the change again in "
            "Settings."
        ),
    ),
    "link_used": (
        N_("This confirmation link has already been used"),
        N_(
            "Your current e-mail address is shown in Settings. If it is not the one you expect, change it "
            "again."
        ),
    ),
}
