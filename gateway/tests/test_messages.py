"""Identity's refusal codes become sentences in the visitor's language, next to the right field."""

from __future__ import annotations

import pytest

from gateway.i18n import load_catalogues
from gateway.messages import FIELD_MESSAGES, GENERAL_MESSAGES, explain
from shared.errors import ServiceCallError

CATALOGUES = load_catalogues()
UK = CATALOGUES["uk"]


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


def test_unknown_codes_get_a_general_sentence() -> None:
    errors = explain(ServiceCallError(400, {"code": "something_new", "fields": {"odd_field": "odd_code"}}), UK)
    assert errors.fields == {"odd_field": "Перевірте це поле."}
    assert explain(ServiceCallError(400, {"code": "something_new"}), UK).general == (
        "Не вдалося виконати запит. Спробуйте пізніше або зверніться до служби підтримки."
    )


def test_a_failing_service_is_not_the_visitors_to_correct() -> None:
    with pytest.raises(ServiceCallError):
        explain(ServiceCallError(502, {"code": "error"}), UK)


def test_every_code_message_is_translated() -> None:
    for message_id in [*FIELD_MESSAGES.values(), *GENERAL_MESSAGES.values()]:
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
        "У податковій накладній бракує обов’язкових полів, тому її не можна зареєструвати. Спершу заповніть їх: "
        "вони перелічені в перевірці заповнення.")
