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

_EMAIL_INVALID = N_("This is not a valid e-mail address.")
_EDRPOU_INVALID = N_("This is not a valid EDRPOU code: 8 digits with a correct check digit.")

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
    ("new_email", "invalid"): _EMAIL_INVALID,
    ("new_email", "same_as_current"): N_("This is already your e-mail address."),
    ("email", "invalid"): _EMAIL_INVALID,
    ("agreement_email", "invalid"): _EMAIL_INVALID,
    ("account_number", "taken"): N_("A consumer with this account number already exists."),
    ("account_number", "invalid"): N_("An account number has up to 20 letters, digits, slashes or hyphens."),
    ("name", "invalid"): N_("Please enter the consumer's name, up to 300 characters."),
    ("edrpou", "invalid"): _EDRPOU_INVALID,
    ("billing_day", "out_of_range"): N_("The billing day must be between 1 and 28."),
    ("branch_id", "unknown"): N_("Choose a supplier branch from the list."),
    # the e-signature onboarding form (documents service)
    ("edrpou", "edrpou_invalid"): _EDRPOU_INVALID,
    ("email", "email_invalid"): _EMAIL_INVALID,
    ("signer_name", "person_name_invalid"): N_(
        "Please enter the signer's full name: at least the surname and the first name."
    ),
    ("phone", "phone_invalid"): N_("This is not a valid phone number. For example: +380 44 123 45 67."),
    # refusing to sign a document
    ("reason", "required"): N_("Please write why you refuse to sign the document."),
}

#: pydantic's reason codes, which any field may come back with
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Please fill in this field."),
    "string_too_short": N_("Please fill in this field."),
    "value_error": N_("Please check this field."),
    "required": N_("Please fill in this field."),
    "too_long": N_("This text is too long. Please shorten it."),
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
    # signing (signature service)
    "document_not_found": N_("The document was not found, or it cannot be signed in the cabinet."),
    "already_signed": N_("The document has already been signed on behalf of your side."),
    "document_rejected": N_("Signing of this document has been refused, so it can no longer be signed."),
    "signature_invalid": N_(
        "The signature does not match the chosen certificate. Check that the key file belongs to this "
        "certificate."
    ),
    "signing_expired": N_("Signing took too long and was cancelled. Please sign again."),
    "certificate_not_found": N_(
        "The chosen certificate is not registered. Register it on the certificates page and sign again."
    ),
    "signing_not_found": N_("Signing was not found or has already been completed. Please sign again."),
    "e_signature_disabled": N_(
        "Your agreement with the supplier does not provide for electronic signatures. Please contact the "
        "supplier's contract department."
    ),
    "seal_not_configured": N_("The supplier's electronic seal is not set up. Please sign with your own key."),
    "csrf_refused": N_("The page has expired. Please reload it and try again."),
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


#: why a certificate is refused (docs/api-signature.md), one sentence per reason code, shown at the field;
#: `missing` and `too_large` are the gateway's own, for what cannot even be sent
CERTIFICATE_REFUSALS: dict[str, str] = {
    "untrusted_chain": N_(
        "The certificate was not issued by a certification authority the cabinet trusts. Register the "
        "certificate you received from a qualified trust service provider."
    ),
    "self_signed": N_(
        "The certificate is self-signed: no certification authority has issued it. Register the certificate "
        "you received from a qualified trust service provider."
    ),
    "expired": N_("The certificate has expired. Obtain a new one from your certification authority."),
    "not_yet_valid": N_("The certificate is not valid yet. Register it once its validity period has begun."),
    "key_usage": N_(
        "This certificate may not be used for electronic signatures. Register your signing certificate, not "
        "the encryption one."
    ),
    "revoked": N_("The certificate has been revoked by the certification authority and can no longer be used."),
    "crl_expired": N_(
        "The certification authority's list of revoked certificates is out of date, so the certificate cannot "
        "be checked now. Please try again later."
    ),
    "crl_unavailable": N_(
        "The certification authority's list of revoked certificates is not available, so the certificate "
        "cannot be checked now. Please try again later or contact support."
    ),
    "edrpou_mismatch": N_(
        "The certificate was issued for another legal entity: the EDRPOU in it is not your organisation's."
    ),
    "unreadable": N_(
        "This file is not a certificate. Choose the certificate file (.cer, .crt or .pem) you received from "
        "the certification authority."
    ),
    "unsupported_key": N_(
        "The cabinet cannot check signatures made with this certificate's key. Use a certificate with an ECDSA "
        "or RSA key."
    ),
    "already_registered": N_("This certificate is already registered."),
    "missing": N_("Choose the certificate file or paste the certificate's text."),
    "too_large": N_("The file is too large to be a certificate. Choose the certificate file (.cer, .crt or .pem)."),
}
_CERTIFICATE_FALLBACK = N_("The certificate could not be registered. Please check it and try again.")


def certificate_messages(translations: Translations, codes: list[str]) -> list[str]:
    """One sentence per reason, in the order given, each once."""
    messages: list[str] = []
    for code in codes:
        message = translations.gettext(CERTIFICATE_REFUSALS.get(code, _CERTIFICATE_FALLBACK))
        if message not in messages:
            messages.append(message)
    return messages


def certificate_refusal(error: ServiceCallError, translations: Translations) -> list[str]:
    """Every reason the service gave for refusing a certificate, as sentences for the certificate field."""
    if error.status_code >= 500:
        raise error
    if error.status_code == 429:
        return [throttled_message(translations, retry_after_seconds(error))]
    reasons = error.detail.get("reasons")
    if isinstance(reasons, list) and reasons:
        codes = [str(reason) for reason in reasons]
    else:
        codes = list(error.fields.values()) or [error.code]
    return certificate_messages(translations, codes)
