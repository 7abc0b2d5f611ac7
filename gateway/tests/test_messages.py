"""The services' refusal codes become sentences in the visitor's language, next to the right field; each says
what happened and what to do, and only what waiting can cure says «try again later»."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.i18n import load_catalogues
from gateway.messages import (
    CERTIFICATE_REFUSALS,
    CODE_FIELDS,
    EMAIL_LINK_PROBLEMS,
    FIELD_MESSAGES,
    GENERAL_MESSAGES,
    INVITATION_PROBLEMS,
    REGISTRATION_LINK_PROBLEMS,
    explain,
    refusal_sentence,
)
from shared.errors import ServiceCallError

CATALOGUES = load_catalogues()
UK = CATALOGUES["uk"]
ROOT = Path(__file__).resolve().parents[2]
#: codes that never become a sentence of a form: the session is over (the visitor is sent to log in), the service
#: itself failed (the error page, 5xx), or the code is the gateway's own token not matching its user
NOT_A_FORMS_REFUSAL = {"not_signed_in", "token_missing", "token_invalid", "user_unknown", "unauthorized",
                       "principal_mismatch", "upstream_unavailable", "branch_unknown", "integrity_failure",
                       "throttled",
                       # the public API's answers to a program (gateway.public_api), never a page's
                       "access_token_invalid", "rate_limited", "api_call_not_found"}


def test_field_codes_land_under_their_fields() -> None:
    error = ServiceCallError(422, {
        "code": "invalid",
        "fields": {"login": "taken", "password": "too_weak", "password_confirmation": "mismatch"},
    })
    errors = explain(error, UK)
    assert errors.general == "Виправте позначені нижче поля."
    assert errors.fields == {
        "login": "Цей логін уже зайнятий. Оберіть інший.",
        "password": (
            "Цей пароль надто поширений або його легко вгадати. "
            "Добре підходить фраза з кількох не пов’язаних між собою слів."
        ),
        "password_confirmation": "Паролі не збігаються.",
    }


def test_settings_fields_share_the_registration_messages() -> None:
    fields = {"new_login": "too_short", "new_password": "too_short"}
    error = ServiceCallError(422, {"code": "invalid", "fields": fields})
    fields = explain(error, UK).fields
    assert fields["new_login"] == "Логін має містити щонайменше 6 символів."
    assert fields["new_password"] == "Пароль має містити щонайменше 12 символів."


def test_a_conflict_is_shown_at_its_field() -> None:
    errors = explain(ServiceCallError(409, {"code": "account_number_taken"}), CATALOGUES["ru"])
    assert errors.fields == {"account_number": "Потребитель с таким номером лицевого счета уже существует."}


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(1, "1 хвилину"), (60, "1 хвилину"), (61, "2 хвилини"), (900, "15 хвилин")]
)
def test_throttling_says_how_many_minutes_to_wait(seconds: int, minutes: str) -> None:
    errors = explain(ServiceCallError(429, {"code": "throttled", "retry_after": seconds}), UK)
    assert errors.general == f"Забагато спроб. Зачекайте {minutes} і спробуйте знову."


def test_resend_without_a_match_does_not_say_which_field_was_wrong() -> None:
    errors = explain(ServiceCallError(404, {"code": "no_match"}), UK)
    assert errors.fields == {}
    assert errors.general is not None
    assert "відділу укладання договорів" in errors.general and "технічної підтримки" in errors.general
    assert "код активації" not in errors.general.split(".")[1]  # the advice names no field


def test_unknown_codes_get_a_sentence_of_their_status_and_never_try_again_later() -> None:
    errors = explain(ServiceCallError(400, {"code": "something_new", "fields": {"odd_field": "odd_code"}}), UK)
    assert errors.fields == {"odd_field": "Перевірте це поле."}
    assert explain(ServiceCallError(409, {"code": "something_new"}), UK).general == (
        "У теперішньому стані це зробити не можна. Оновіть сторінку, щоб побачити, як є зараз."
    )
    for status in (400, 403, 404, 409, 410, 418, 422):
        general = explain(ServiceCallError(status, {"code": "something_new"}), UK).general
        assert general and "пізніше" not in general, (status, general)


def _raised_codes() -> set[str]:
    """Every refusal code written in the services' and the shared library's source (`code="..."`, the default
    codes of shared.errors' exceptions)."""
    sources = [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("shared/src/**/*.py")]
    return {code for source in sources
            for code in re.findall(r'\bcode="([a-z_]+)"|default_code = "([a-z_]+)"', source.read_text())
            for code in code if code}


def test_every_code_a_service_refuses_with_has_a_sentence_of_its_own() -> None:
    codes = _raised_codes()
    assert {"window_closed", "tariff_missing", "payment_not_parked", "not_found"} <= codes  # the scan finds them
    explained_elsewhere = {*REGISTRATION_LINK_PROBLEMS, *EMAIL_LINK_PROBLEMS, *INVITATION_PROBLEMS,
                           *CERTIFICATE_REFUSALS, *CODE_FIELDS, "certificate_refused"}
    missing = codes - GENERAL_MESSAGES.keys() - explained_elsewhere - NOT_A_FORMS_REFUSAL
    assert not missing, f"no sentence in gateway.messages for {sorted(missing)}"


def test_only_what_waiting_can_cure_says_try_again_later() -> None:
    later = [message for message in [*GENERAL_MESSAGES.values(), *FIELD_MESSAGES.values()]
             if re.search(r"try again later|later", message, re.IGNORECASE)]
    assert later == []
    # the certificate authority's list of revoked certificates is published anew: waiting helps
    assert "later" in CERTIFICATE_REFUSALS["crl_expired"] and "later" in CERTIFICATE_REFUSALS["crl_unavailable"]


def test_a_failing_service_is_not_the_visitors_to_correct() -> None:
    with pytest.raises(ServiceCallError):
        explain(ServiceCallError(502, {"code": "error"}), UK)


def test_every_code_message_is_translated() -> None:
    for message_id in [*FIELD_MESSAGES.values(), *GENERAL_MESSAGES.values(), *CERTIFICATE_REFUSALS.values()]:
        for language in ("uk", "ru"):
            assert CATALOGUES[language].gettext(message_id) != message_id, (language, message_id)


def test_the_consumers_vat_details_are_refused_with_what_to_correct() -> None:
    """The console's consumer forms: identity's reasons for refusing an ІПН, and billing's for refusing to register
    an incomplete tax invoice."""
    error = ServiceCallError(422, {"code": "invalid", "fields": {"ipn": "edrpou_mismatch"}})
    assert explain(error, UK).fields == {
        "ipn": "ІПН платника ПДВ починається з перших семи цифр його коду ЄДРПОУ. Перевірте обидва."}
    error = ServiceCallError(422, {"code": "invalid", "fields": {"ipn": "invalid"}})
    assert explain(error, CATALOGUES["ru"]).fields == {"ipn": "ИНН плательщика НДС состоит из 12 цифр."}
    incomplete = ServiceCallError(409, {"code": "tax_invoice_incomplete", "missing": ["buyer.ipn"]})
    assert explain(incomplete, UK).general == (
        "Податкову накладну з незаповненими обов’язковими полями не можна зареєструвати: їх перелічує перевірка "
        "заповнення. Спершу заповніть їх у даних споживача.")


def test_a_refusal_on_a_page_of_its_own_says_what_is_wrong_and_never_the_fields_marked_below() -> None:
    def told(status: int, code: str, fields: dict[str, str] | None = None) -> str:
        return refusal_sentence(UK, ServiceCallError(status, {"code": code, "fields": fields or {}}))

    assert told(422, "invalid", {"period": "period_invalid"}) == "Оберіть розрахунковий місяць."
    assert told(422, "invalid", {"subject": "invalid_characters", "text": "invalid_characters"}) == (
        "Текст містить керувальні символи, які не можна надіслати. Видаліть їх, будь ласка.")
    assert told(404, "letter_not_found") == "Лист не знайдено. Оновіть перелік листів."
    # a field the gateway has no sentence for: the status's own, not «correct the fields marked below»
    unknown_field = told(422, "invalid", {"x": "value_error"})
    assert unknown_field == UK.gettext(
        "The form could not be accepted. Please check what you entered and send it again.")
