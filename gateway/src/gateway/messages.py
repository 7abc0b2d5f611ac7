"""What the visitor reads when a service refuses: every error code the gateway knows, in one place.

Services answer with codes (`{"code", "message", "fields": {field: code}}`); here they become sentences in
the visitor's language. The English sentences are the message ids of the catalogues.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from babel.support import Translations

from gateway.i18n import N_
from gateway.metering_client import IMPORT_PROBLEMS
from gateway.readings_view import line_refusals
from shared.errors import ServiceCallError

#: form fields that share their meaning (and messages) with another field's name
_FIELD_MEANING = {
    "new_login": "login",
    "new_password": "password",
    "new_password_confirmation": "password_confirmation",
}

_EMAIL_INVALID = N_("This is not a valid e-mail address.")
_EDRPOU_INVALID = N_("This is not a valid EDRPOU code: 8 digits with a correct check digit.")
_RATIO_INVALID = N_("Enter the transformer ratio as a positive number, for example 40.")
_DATE_INVALID = N_("Enter a date as dd.mm.yyyy.")
_CONTROL_CHARACTERS = N_("The text contains control characters that cannot be sent. Please remove them.")

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
    ("ipn", "invalid"): N_("The individual tax number of a VAT payer has 12 digits."),
    ("ipn", "edrpou_mismatch"): N_(
        "The individual tax number of a VAT payer starts with the first seven digits of its EDRPOU code. Check both."
    ),
    ("ipn", "not_vat_payer"): N_(
        "A consumer who is not a VAT payer has no individual tax number: tick “VAT payer” or leave the field empty."
    ),
    # the e-signature onboarding form (documents service)
    ("edrpou", "edrpou_invalid"): _EDRPOU_INVALID,
    ("email", "email_invalid"): _EMAIL_INVALID,
    ("signer_name", "person_name_invalid"): N_(
        "Please enter the signer's full name: at least the surname and the first name."
    ),
    ("phone", "phone_invalid"): N_("This is not a valid phone number. For example: +380 44 123 45 67."),
    # refusing to sign a document
    ("reason", "required"): N_("Please write why you refuse to sign the document."),
    # metering points (metering service)
    ("meter_serial", "taken"): N_("A meter with this serial number is already in service."),
    ("zones", "zones_invalid"): N_("A meter has 1, 2 or 3 zones."),
    ("digits", "digits_invalid"): N_("A meter shows from 1 to 12 digits before the decimal point."),
    ("ct_ratio", "ratio_invalid"): _RATIO_INVALID,
    ("vt_ratio", "ratio_invalid"): _RATIO_INVALID,
    ("registers", "registers_invalid"): N_("A meter always has the active energy register."),
    ("tariff_class", "unknown"): N_("Choose the tariff class from the list."),
    ("tariff_class", "tariff_class_invalid"): N_(
        "A tariff class has up to 40 lowercase Latin letters, digits and underscores, for example non_household_2."
    ),
    ("correction_reason", "required"): N_("Please write why the readings are corrected."),
    # tariffs, invoices, payments (billing service)
    ("price", "price_invalid"): N_("Enter the price in UAH per unit without VAT: a positive number, up to 6 decimals."),
    ("coefficient", "coefficient_invalid"): N_("Enter the coefficient as a positive number, for example 1.5."),
    ("zone", "zone_invalid"): N_("Choose a zone of the scheme."),
    ("effective_from", "date_invalid"): _DATE_INVALID,
    ("effective_from", "taken"): N_("Another entry of the same kind already takes effect on this date."),
    ("period", "period_invalid"): N_("Choose a billing month."),
    ("from", "date_invalid"): _DATE_INVALID,
    ("to", "date_invalid"): _DATE_INVALID,
    ("from", "range_invalid"): N_("The start of the period is after its end. Swap the dates."),
    ("to", "date_in_future"): N_("The period cannot end after today."),
    ("title", "title_invalid"): N_("Please give the tariff a title of up to 200 characters."),
    ("note", "note_invalid"): N_("The note is longer than 500 characters. Please shorten it."),
    ("account_number", "unknown"): N_("There is no consumer with this account number."),
    ("return_reason", "required"): N_("Please write why the payment is returned."),
    ("return_reason", "reason_invalid"): N_("Please write why the payment is returned, in up to 420 characters."),
    # letters to the supplier, replies, messages to the developers (notify service)
    ("addressee_type", "required"): N_("Choose whom the letter is for."),
    ("addressee_type", "unknown"): N_("Choose whom the letter is for."),
    ("letter_type", "required"): N_("Choose the type of the letter."),
    ("letter_type", "unknown"): N_("Choose the type of the letter."),
    ("subject", "required"): N_("Please write the subject of the letter."),
    ("subject", "too_long"): N_("The subject must be at most 200 characters long."),
    ("subject", "invalid_characters"): _CONTROL_CHARACTERS,
    ("text", "required"): N_("Please write the text of the letter."),
    ("text", "too_long"): N_("The letter is longer than 1000 characters. Please shorten it."),
    ("text", "invalid_characters"): _CONTROL_CHARACTERS,
    ("reply", "required"): N_("Please write the text of the reply."),
    ("reply", "too_long"): N_("The reply is longer than 4000 characters. Please shorten it."),
    ("reply", "invalid_characters"): _CONTROL_CHARACTERS,
    ("message", "required"): N_("Please write your message."),
    ("message", "too_long"): N_("The message is longer than 2000 characters. Please shorten it."),
    ("message", "invalid_characters"): _CONTROL_CHARACTERS,
    # personal access tokens (identity service)
    ("name", "required"): N_("Please name the key, for example after the program that uses it."),
    ("name", "too_long"): N_("The name must be at most 100 characters long."),
    ("scopes", "required"): N_("Choose at least one thing the program may do."),
    ("scopes", "beyond_role"): N_("A program's key may do only what your role in the cabinet allows you."),
    ("expires_in_days", "out_of_range"): N_("Choose how long the key is valid from the list."),
}

#: pydantic's reason codes, which any field may come back with
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("Please fill in this field."),
    "string_too_short": N_("Please fill in this field."),
    "value_error": N_("Please check this field."),
    "required": N_("Please fill in this field."),
    "too_long": N_("This text is too long. Please shorten it."),
    # shared.inputs: a NUL, or what no text can hold
    "invalid_characters": _CONTROL_CHARACTERS,
}
_FIELD_FALLBACK = N_("Please check this field.")

#: a refusal as a whole: what happened and what to do. «Try again later» only where waiting can help (the
#: service itself failing is the error page's, 503); what can never clear says what to do instead
GENERAL_MESSAGES: dict[str, str] = {
    "invalid_credentials": N_("Wrong login or password."),
    "capability_forbidden": N_(
        "Your role in the cabinet does not allow this. The director of your company can change your role."
    ),
    "last_director": N_(
        "The company must keep at least one director in the cabinet. Make another colleague a director first."
    ),
    "user_not_found": N_("This user is no longer among your company's users."),
    "own_user": N_("You cannot change your own role or remove yourself. Another director of your company can."),
    "invitation_not_found": N_("This invitation has already been accepted or withdrawn."),
    "session_invalid": N_("Your session has ended. Please log in again."),
    "no_match": N_(
        "We could not find a registration with this activation code and e-mail address. Please contact the "
        "contract department of your supplier or the cabinet's technical support."
    ),
    "invalid": N_("Please correct the fields marked below."),
    "account_number_taken": N_("A consumer with this account number already exists."),
    "forbidden": N_("Your account may not do this. If it should, please contact the cabinet's technical support."),
    "role_forbidden": N_(
        "Your account may not do this. If it should, please contact the cabinet's technical support."
    ),
    "other_consumer": N_("This belongs to another consumer's account, so it cannot be opened or changed from yours."),
    "not_found": N_("It was not found: it may have been removed. Reload the page to see what there is now."),
    "conflict": N_("This cannot be done in its present state. Reload the page to see it as it is now."),
    "gone": N_("This is no longer available. Reload the page to see what there is now."),
    # signing (signature service)
    "document_not_found": N_("The document was not found, or it cannot be signed in the cabinet."),
    "already_signed": N_("The document has already been signed on behalf of your side."),
    "document_rejected": N_("Signing of this document has been refused, so it can no longer be signed."),
    "document_changed": N_(
        "The document's stored content no longer matches its checksum, so it cannot be signed. Tell the supplier: "
        "the document is to be issued again."
    ),
    "signature_not_required": N_(
        "Your side does not sign this document (a tax invoice is signed by the supplier alone; readings the supplier "
        "entered need nobody's signature), so there is nothing to sign or refuse."
    ),
    "document_not_signable": N_("This file is a signature, not a document to sign. Open the document it belongs to."),
    "document_not_signed": N_(
        "Nobody has signed the document yet, so there are no signatures to download. The document itself can be "
        "downloaded."
    ),
    "signature_not_found": N_("The signature was not found. Open the document again and download it from there."),
    "signature_invalid": N_(
        "The signature does not match the chosen certificate. Check that the key file belongs to this "
        "certificate."
    ),
    "signing_expired": N_("Signing took too long and was cancelled. Please sign again."),
    "certificate_not_found": N_(
        "The chosen certificate is not registered, or it has been removed. Register it on the certificates page "
        "and sign again."
    ),
    "signing_not_found": N_("Signing was not found or has already been completed. Please sign again."),
    "e_signature_disabled": N_(
        "Your agreement with the supplier does not provide for electronic signatures. Please contact the "
        "supplier's contract department."
    ),
    "seal_not_configured": N_("The supplier's electronic seal is not set up. Please sign with your own key."),
    "csrf_refused": N_("The page has expired. Please reload it and try again."),
    # consumers (identity service)
    "consumer_not_found": N_(
        "There is no such consumer, or it is served by another branch. Find it in the list of consumers."
    ),
    "branch_forbidden": N_("Staff create the consumers of their own branch only. Choose your branch."),
    # personal access tokens (identity service)
    "access_token_not_found": N_("This access token is no longer there: it may have been revoked already."),
    "too_many_access_tokens": N_(
        "You have 20 access tokens already. Revoke one that no program uses before creating another."
    ),
    # readings (metering service)
    "readings_invalid": N_("Please correct the readings marked below."),
    "confirmation_needed": N_(
        "Some volumes are far above the usual. Check the readings marked below; if they are right, confirm them."
    ),
    "window_closed": N_("Readings for this period cannot be entered now: the page says when the input opens."),
    "readings_accepted": N_(
        "The readings for this period have already been accepted. Only the supplier can correct them now."
    ),
    "readings_not_accepted": N_(
        "Only accepted readings are corrected. The readings of this period are not accepted yet: enter them instead."
    ),
    "import_missing": N_("Choose the file with the readings."),
    "import_too_large": N_("The file is larger than 1 MB. Split it into smaller files."),
    "import_file_type": N_("Choose a .csv or .xml file in the format described on the import help page."),
    "import_invalid": N_(
        "The file was not accepted and nothing from it has been saved. Correct the lines listed below and import "
        "it again."
    ),
    "point_not_found": N_("The meter was not found. It may have been taken out of service; reload the page."),
    "act_not_found": N_("The act was not found. Reload the readings page to see the period's act."),
    "point_has_readings": N_(
        "The zones, digits, registers and installation readings of a meter with readings cannot be changed. Take "
        "it out of service and add a new metering point instead."
    ),
    "act_not_awaiting_paper": N_("This act is not waiting for a paper copy: it has been accepted or replaced."),
    # calculation, tariffs, payments, tax invoices (billing service)
    "self_calculation_forbidden": N_(
        "Your agreement does not provide for calculating invoices in the cabinet: your settlement manager forms "
        "them."
    ),
    "readings_missing": N_("The invoice cannot be calculated yet: the readings of the meters listed are missing."),
    "tariff_missing": N_(
        "No tariff is in force for this period yet, so the invoice cannot be calculated until the supplier adds it."
    ),
    "no_metering_points": N_("The consumer has no metering points: add a meter before forming an invoice."),
    "tariff_exists": N_("A tariff of this class and register already takes effect on this date."),
    "coefficient_exists": N_("A coefficient for this zone already takes effect on this date."),
    "invoice_not_found": N_("The invoice was not found. Reload the list of invoices."),
    "run_not_found": N_("The billing run was not found. Start it again from the billing day."),
    "payment_not_found": N_("The payment was not found. Reload the page to see the payments awaiting review."),
    "payment_not_parked": N_(
        "This payment has already been assigned or returned. Reload the page to see the payments still awaiting "
        "review."
    ),
    "tax_invoice_not_found": N_("The tax invoice was not found. Reload the list of tax invoices."),
    "tax_invoice_pdf_none": N_(
        "This tax invoice has no PDF: the correction changes no amount. Its XML is the document."
    ),
    "tax_invoice_incomplete": N_(
        "A tax invoice with empty mandatory fields cannot be registered: its completeness check lists them. Fill "
        "them in the consumer's details first."
    ),
    # documents
    "already_replaced": N_("This document has been re-issued already: open the newest one."),
    "reference_taken": N_("A document of another consumer is stored under this reference."),
    # correspondence and messages to the developers (notify service)
    "letter_not_found": N_("The letter was not found. Reload the list of letters."),
    "feedback_not_found": N_("The message was not found. Reload the list of messages."),
}
#: a code the gateway has no sentence of its own for yet, by the answer's status: never «try again later», which
#: cannot help with a refusal (tests: every code a service raises has its own sentence)
_FALLBACK_BY_STATUS: dict[int, str] = {
    400: N_("The form could not be accepted. Please check what you entered and send it again."),
    403: GENERAL_MESSAGES["forbidden"],
    404: GENERAL_MESSAGES["not_found"],
    409: GENERAL_MESSAGES["conflict"],
    410: GENERAL_MESSAGES["gone"],
    422: N_("The form could not be accepted. Please check what you entered and send it again."),
}
_GENERAL_FALLBACK = N_(
    "The cabinet could not do this. Reload the page; if it happens again, tell the developers with the link "
    "“Message to the developers”."
)

#: codes whose answer belongs next to one field of the form
CODE_FIELDS = {
    "account_number_taken": ("account_number", "taken"),
    "meter_serial_taken": ("meter_serial", "taken"),
    "tariff_exists": ("effective_from", "taken"),
    "coefficient_exists": ("effective_from", "taken"),
}


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


def general_message(translations: Translations, code: str, status_code: int | None = None) -> str:
    message_id = GENERAL_MESSAGES.get(code) or _FALLBACK_BY_STATUS.get(status_code or 0, _GENERAL_FALLBACK)
    return translations.gettext(message_id)


def period_refusal(translations: Translations) -> FormErrors:
    """A billing month the services would not take (an address or a hidden field altered by hand)."""
    return FormErrors(general=field_message(translations, "period", "period_invalid"))


def refusal_sentence(translations: Translations, error: ServiceCallError) -> str:
    """A refusal told in one place, without the form it refused: what is wrong with each field the gateway has a
    sentence for, else the refusal's own sentence (never "the fields marked below": none are)."""
    known = [field_message(translations, name, code) for name, code in error.fields.items()
             if (_FIELD_MEANING.get(name, name), code) in FIELD_MESSAGES or code == "invalid_characters"]
    if known:
        return " ".join(dict.fromkeys(known))
    code = "" if error.code == "invalid" else error.code
    return general_message(translations, code, error.status_code)


def explain(
    error: ServiceCallError, translations: Translations, form_names: Mapping[str, str] | None = None
) -> FormErrors:
    """The service's refusal as the form should show it; `form_names` names the form's fields that the service
    calls otherwise (a reply's `text` is the form's `reply`).

    A failure of the service itself (5xx) is nothing the visitor can correct: it goes on to the error page.
    """
    if error.status_code >= 500:
        raise error
    if error.status_code == 429:
        return FormErrors(general=throttled_message(translations, retry_after_seconds(error)))
    names = form_names or {}
    fields = {
        names.get(name, name): field_message(translations, names.get(name, name), code)
        for name, code in error.fields.items()
    }
    if error.code in CODE_FIELDS:
        name, code = CODE_FIELDS[error.code]
        fields[name] = field_message(translations, name, code)
    general = general_message(translations, "invalid" if fields else error.code, error.status_code)
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

INVITATION_PROBLEMS: dict[str, tuple[str, str]] = {
    "invitation_unknown": (
        N_("This invitation link is not valid"),
        N_("Please check that you opened the whole link from the invitation letter, or ask your colleague to "
           "invite you again."),
    ),
    "invitation_expired": (
        N_("This invitation has expired"),
        N_("Invitations are valid for 72 hours. Please ask your colleague to invite you again."),
    ),
    "invitation_used": (
        N_("This invitation has already been used"),
        N_("If you have accepted it, log in with the login and password you chose. Otherwise ask your colleague "
           "to invite you again."),
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
        "The cabinet cannot check signatures made with this certificate's key. Use a certificate with a DSTU "
        "4145, ECDSA or RSA key."
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


#: a refused reading (docs/api-metering.md): `(part of the line, code)`, shown under the reading's input
READING_MESSAGES: dict[tuple[str, str], str] = {
    ("value", "not_a_number"): N_("Enter the reading as a number, for example 12345.6."),
    ("value", "negative"): N_("A reading cannot be negative."),
    ("value", "too_many_digits"): N_(
        "Too many digits: more than the meter shows before the decimal point, or more than 4 after it."
    ),
    ("value", "below_previous"): N_(
        "The reading is below the previous one. If the meter went past its highest value and started again from "
        "zero, tick “Meter roll-over”."
    ),
    ("value", "rollover_not_possible"): N_(
        "A roll-over is declared, but the reading is not below the previous one. Untick “Meter roll-over”."
    ),
    ("value", "required"): N_("Enter the reading of every zone of this meter."),
    ("point_id", "point_not_found"): N_("This meter was not found. Reload the page."),
    ("point_id", "not_consumer_read"): N_("The supplier reads this meter and enters its readings."),
    ("point_id", "point_retired"): N_("This meter has been taken out of service."),
    ("meter_serial", "point_not_found"): N_("There is no meter with this serial number in your account."),
    ("meter_serial", "not_consumer_read"): N_("The supplier reads this meter and enters its readings."),
    ("meter_serial", "point_retired"): N_("This meter has been taken out of service."),
    ("zone", "zone_invalid"): N_("The meter has no such zone."),
    ("register", "register_invalid"): N_("The meter has no such register: active (A) or reactive (R)."),
    ("rollover", "rollover_invalid"): N_("Roll-over is empty, 0 or 1."),
}
#: the readings form's names for the service's other fields
_READINGS_FORM_FIELDS = {"reason": "correction_reason"}
#: what is wrong with the readings as a whole (`readings: <code>`)
READINGS_MESSAGES: dict[str, str] = {
    "line_repeated": N_("A zone was given twice. Give one value per zone."),
    "lines_missing": N_("Give the readings of every zone and register of each meter."),
    "empty": N_("Enter the readings of at least one meter."),
}


def reading_message(translations: Translations, part: str, code: str) -> str:
    message_id = READING_MESSAGES.get((part, code)) or _VALIDATION_MESSAGES.get(code) or _FIELD_FALLBACK
    return translations.gettext(message_id)


def readings_refusal(error: ServiceCallError, translations: Translations, sent: list[str]) -> FormErrors:
    """The service's refusal of the readings form: each line's code under its input (`sent` names the field of
    each line in the order sent), codes of the whole on top."""
    if error.status_code >= 500:
        raise error
    refusals, rest = line_refusals(error.fields, sent)
    fields: dict[str, str] = {}
    for refusal in refusals:
        # a line may be refused for several parts; the first found is enough to correct it
        fields.setdefault(refusal.field, reading_message(translations, refusal.part, refusal.code))
    general = [general_message(translations, "readings_invalid" if error.code == "invalid" else error.code,
                               error.status_code)]
    for name, code in rest.items():
        if name == "readings":
            general.append(translations.gettext(READINGS_MESSAGES.get(code, _FALLBACK_BY_STATUS[422])))
        else:
            name = _READINGS_FORM_FIELDS.get(name, name)
            fields[name] = field_message(translations, name, code)
    return FormErrors(general=" ".join(general), fields=fields)


def unsent_readings(translations: Translations, problems: dict[str, str]) -> FormErrors:
    """What the page refuses before sending: the empty fields of a meter filled in partly, or nothing at all."""
    if not problems:
        nothing = READINGS_MESSAGES["empty"]
        return FormErrors(general=translations.gettext(nothing))
    fields = {name: reading_message(translations, "value", code) for name, code in problems.items()}
    return FormErrors(general=general_message(translations, "readings_invalid"), fields=fields)


def import_problems(error: ServiceCallError, translations: Translations) -> list[str]:
    """Every bad line of an imported file, as «Рядок 3: …»."""
    problems = IMPORT_PROBLEMS.validate_python(error.detail.get("lines") or [])
    return [
        translations.gettext("Line %(line)d: %(problem)s")
        % {"line": problem.line, "problem": reading_message(translations, problem.field, problem.code)}
        for problem in problems
    ]
