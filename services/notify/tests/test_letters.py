"""Letter texts: who gets what, in both languages, with the link, and with nothing injectable."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from notify.domain.letters import (
    Attachment,
    LetterKind,
    UnsafeFileName,
    UnsafeLink,
    compose,
    letter_answered,
    mask_email,
)
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import (
    ColleagueInvited,
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
    UserRegistered,
)
from shared.contracts.notify import LetterAnswered

LINK = "https://cabinet.example.ua/registration/fa32987a-b8e4-4e85-bf70-8e0f300e7bd5?lang=uk&src=mail"
# 21:30 UTC on 31 Jan is 23:30 in Kyiv (winter, UTC+2); in summer (UTC+3) 1 Jul 21:30 UTC is 2 Jul 00:30
EXPIRES_WINTER = datetime(2025, 1, 31, 21, 30, tzinfo=UTC)
EXPIRES_SUMMER = datetime(2025, 7, 1, 21, 30, tzinfo=UTC)


PACKAGE_DOCUMENT_ID = uuid4()
DOWNLOAD_URL = f"https://cabinet.example.ua/documents/{PACKAGE_DOCUMENT_ID}/download"


def registration(**changes: object) -> RegistrationLinkIssued:
    values: dict[str, object] = {
        "link_id": uuid4(), "consumer_id": uuid4(), "account_number": "0789",
        "consumer_name": "Кооператив «Автомобіліст-2»", "email": "irina@example.com", "link_url": LINK,
        "expires_at": EXPIRES_WINTER,
    }
    values.update(changes)
    return RegistrationLinkIssued.model_validate(values)


def test_registration_letter_follows_the_manual_ukrainian_first_then_russian() -> None:
    [letter] = compose(registration())

    assert letter.kind is LetterKind.REGISTRATION_LINK
    assert letter.recipient == "irina@example.com"
    assert letter.subject.startswith("Реєстрація в системі «Особистий кабінет юридичного споживача»")
    assert "Регистрация в системе «Личный кабинет юридического потребителя»" in letter.subject
    for body in (letter.text, letter.html):
        note = body.index("Текст листа російською мовою дивіться нижче")
        ukrainian = body.index("Для продовження реєстрації перейдіть за посиланням нижче:")
        activation_uk = body.index(
            "На сторінці, що відкриється, введіть код активації, який Ви отримали у постачальника"
        )
        russian = body.index("Для продолжения регистрации перейдите по ссылке ниже:")
        activation_ru = body.index("введите код активации, который Вы получили у поставщика")
        assert note < ukrainian < activation_uk < russian < activation_ru
        assert "0789" in body
        assert "31.01.2025 23:30" in body  # the expiry in Kyiv time
    assert letter.text.count(LINK) == 2
    assert letter.html.count(f'href="{LINK.replace("&", "&amp;")}"') >= 2


def test_expiry_is_shown_in_kyiv_summer_time() -> None:
    [letter] = compose(registration(expires_at=EXPIRES_SUMMER))
    assert "02.07.2025 00:30" in letter.text


def test_names_are_escaped_in_html_but_kept_verbatim_in_text() -> None:
    hostile = 'ТОВ "Рога & копита" <script>alert(1)</script>'
    [letter] = compose(registration(consumer_name=hostile))

    assert "<script>" not in letter.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in letter.html
    assert "Рога &amp; копита" in letter.html
    assert hostile in letter.text


@pytest.mark.parametrize("link", [
    "javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x", "https://", "https://a.example/x y",
    "https://a.example/\nBcc: x@example.com",
])
def test_only_http_links_go_into_letters(link: str) -> None:
    with pytest.raises(UnsafeLink):
        compose(registration(link_url=link))


def test_email_verification_goes_to_the_new_address_with_link_expiry_and_ignore_advice() -> None:
    confirm = "https://cabinet.example.ua/email/confirm/abc"
    event = EmailChangeRequested(
        change_id=uuid4(), user_id=uuid4(), login="avtomobilist", current_email="old@example.com",
        new_email="new@example.com", confirm_url=confirm, expires_at=EXPIRES_WINTER,
    )
    [letter] = compose(event)

    assert letter.kind is LetterKind.EMAIL_VERIFICATION
    assert letter.recipient == "new@example.com"
    for body in (letter.text, letter.html):
        assert confirm in body
        assert "31.01.2025 23:30" in body
        assert "Якщо Ви не просили змінити адресу, просто не зважайте на цей лист" in body
        assert "Если Вы не просили изменить адрес, просто не обращайте внимания на это письмо" in body
        assert body.index("Підтвердження адреси") < body.index("Подтверждение адреса")


def test_email_change_is_told_to_both_addresses_the_old_one_sees_the_new_masked() -> None:
    event = EmailChanged(user_id=uuid4(), login="avtomobilist", old_email="old@example.com",
                         new_email="irina.new@example.org", occurred_at=EXPIRES_WINTER)
    to_old, to_new = compose(event)

    assert (to_old.kind, to_old.recipient) == (LetterKind.EMAIL_CHANGED_OLD_ADDRESS, "old@example.com")
    assert (to_new.kind, to_new.recipient) == (LetterKind.EMAIL_CHANGED_NEW_ADDRESS, "irina.new@example.org")
    assert "irina.new@example.org" not in to_old.text + to_old.html
    assert "i***@example.org" in to_old.text
    assert "Якщо це зробили не Ви" in to_old.text and "Если это сделали не Вы" in to_old.text
    assert "irina.new@example.org" in to_new.text


def test_login_and_password_changes_are_told_in_both_languages() -> None:
    [login] = compose(LoginChanged(user_id=uuid4(), email="a@example.com", old_login="oldname",
                                   new_login="newname", occurred_at=EXPIRES_WINTER))
    [password] = compose(PasswordChanged(user_id=uuid4(), login="avtomobilist", email="b@example.com",
                                         occurred_at=EXPIRES_WINTER))

    assert (login.kind, login.recipient) == (LetterKind.LOGIN_CHANGED, "a@example.com")
    assert "«oldname» на «newname»" in login.text and "с «oldname» на «newname»" in login.text
    assert (password.kind, password.recipient) == (LetterKind.PASSWORD_CHANGED, "b@example.com")
    assert "Пароль змінено" in password.text and "Пароль изменён" in password.text
    assert "31.01.2025 23:30" in password.html


def test_every_letter_is_html_with_both_language_sections() -> None:
    events = [
        registration(),
        EmailChangeRequested(change_id=uuid4(), user_id=uuid4(), login="l" * 6, current_email="a@example.com",
                             new_email="b@example.com", confirm_url=LINK, expires_at=EXPIRES_WINTER),
        EmailChanged(user_id=uuid4(), login="l" * 6, old_email="a@example.com", new_email="b@example.com"),
        LoginChanged(user_id=uuid4(), email="a@example.com", old_login="a" * 6, new_login="b" * 6),
        PasswordChanged(user_id=uuid4(), login="l" * 6, email="a@example.com"),
        onboarding_package(),
        invitation(),
    ]
    letters = [letter for event in events for letter in compose(event)]
    letters.append(letter_answered(answered(), recipient="a@example.com", login="avtomobilist"))

    assert {letter.kind for letter in letters} == set(LetterKind)
    for letter in letters:
        assert letter.html.startswith("<!DOCTYPE html>")
        assert '<div lang="uk">' in letter.html and '<div lang="ru">' in letter.html
        assert letter.text.startswith("(Текст листа російською мовою дивіться нижче...")
        assert " / " in letter.subject


def onboarding_package(**changes: object) -> EdsOnboardingPackageReady:
    values: dict[str, object] = {
        "document_id": PACKAGE_DOCUMENT_ID, "consumer_id": uuid4(), "email": "buh@avto2.example.com",
        "company_name": "Кооператив «Автомобіліст-2»", "edrpou": "12345678", "signer_name": "Ґалаґан Юлія Миколаївна",
        "file_name": "documents.zip", "content_path": f"/api/v1/documents/{PACKAGE_DOCUMENT_ID}/content",
        "download_url": DOWNLOAD_URL,
    }
    values.update(changes)
    return EdsOnboardingPackageReady.model_validate(values)


PACKAGE_CONTENTS_UK = [
    "Публічний договір", "Заявка на реєстрацію", "Акт про отримання послуг", "Рахунок на оплату",
    "Бланк парольної фрази для голосової аутентифікації", "Інструкція з отримання ЕЦП",
]
PACKAGE_CONTENTS_RU = [
    "Публичный договор", "Заявка на регистрацию", "Акт о получении услуг", "Счёт на оплату",
    "Бланк парольной фразы для голосовой аутентификации", "Инструкция по получению ЭЦП",
]


def test_the_onboarding_package_goes_to_the_form_address_with_documents_zip_attached() -> None:
    [letter] = compose(onboarding_package())

    assert (letter.kind, letter.recipient) == (LetterKind.EDS_ONBOARDING_PACKAGE, "buh@avto2.example.com")
    assert letter.subject == "Пакет документів для оформлення ЕЦП / Пакет документов для оформления ЭЦП"
    assert letter.attachment == Attachment(PACKAGE_DOCUMENT_ID, "documents.zip", "application/zip")
    for body in (letter.text, letter.html):
        # the six documents in the manual's order, Ukrainian first, then Russian
        positions = [body.index(name) for name in PACKAGE_CONTENTS_UK + PACKAGE_CONTENTS_RU]
        assert positions == sorted(positions)
        assert "12345678" in body and "Ґалаґан Юлія Миколаївна" in body
        assert body.index("Що робити далі") < body.index("Что делать дальше")
        assert "Оплатіть рахунок" in body and "Оплатите счёт" in body
        assert "до центру сертифікації ключів" in body and "в центр сертификации ключей" in body
        assert "засвідчує печаткою" in body and "заверяет печатью" in body
    assert letter.text.count(DOWNLOAD_URL) == 2
    assert letter.html.count(f'href="{DOWNLOAD_URL}"') >= 2
    assert "Кооператив «Автомобіліст-2»" in letter.text
    assert "Кооператив «Автомобіліст-2»" in letter.html  # «» need no escaping


def test_the_company_name_typed_into_the_form_cannot_inject_markup() -> None:
    [letter] = compose(onboarding_package(company_name='<img src=x onerror="alert(1)">'))
    assert "<img" not in letter.html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in letter.html


def test_a_package_with_an_unsafe_download_link_is_refused() -> None:
    with pytest.raises(UnsafeLink):
        compose(onboarding_package(download_url="javascript:alert(1)"))


@pytest.mark.parametrize("name", ["", "   ", "../../etc/passwd", "a\\b.zip", "documents.zip\r\nBcc: x@example.com",
                                  "x" * 201 + ".zip"])
def test_attachment_names_a_mail_program_could_misread_are_refused(name: str) -> None:
    with pytest.raises(UnsafeFileName):
        compose(onboarding_package(file_name=name))


def test_an_event_that_asks_for_no_letter_is_refused() -> None:
    with pytest.raises(TypeError):
        compose(UserRegistered(user_id=uuid4(), consumer_id=uuid4(), login="avtomobilist", email="a@example.com"))


def test_mask_email() -> None:
    assert mask_email("irina@example.com") == "i***@example.com"


LETTER_URL = "https://cabinet.example.ua/letters/5b0e3c84-4f5e-4a57-9a4c-0c6f2f3d1a10"


def answered(**changes: object) -> LetterAnswered:
    values: dict[str, object] = {
        "letter_id": uuid4(), "reply_id": uuid4(), "consumer_id": uuid4(), "user_id": uuid4(),
        "subject": "Рахунок за травень", "letter_url": LETTER_URL,
    }
    values.update(changes)
    return LetterAnswered.model_validate(values)


def test_a_reply_is_told_to_the_author_with_a_link_to_the_letter_not_its_text() -> None:
    letter = letter_answered(answered(), recipient="irina@example.com", login="avtomobilist")
    assert (letter.kind, letter.recipient) == (LetterKind.LETTER_ANSWERED, "irina@example.com")
    assert letter.subject == "Відповідь постачальника на Ваш лист / Ответ поставщика на Ваше письмо"
    assert "Постачальник відповів на лист «Рахунок за травень»" in letter.text
    assert "Поставщик ответил на письмо «Рахунок за травень»" in letter.text
    assert letter.text.count(LETTER_URL) == 2
    assert f'href="{LETTER_URL}"' in letter.html


def test_the_subject_a_consumer_typed_cannot_inject_markup_into_the_reply_letter() -> None:
    letter = letter_answered(answered(subject="<script>x</script>"), recipient="a@example.com", login="l" * 6)
    assert "<script>" not in letter.html and "&lt;script&gt;x&lt;/script&gt;" in letter.html


def test_a_reply_letter_with_an_unsafe_link_is_refused() -> None:
    with pytest.raises(UnsafeLink):
        letter_answered(answered(letter_url="javascript:alert(1)"), recipient="a@example.com", login="l" * 6)


def invitation() -> ColleagueInvited:
    return ColleagueInvited(
        invitation_id=uuid4(), consumer_id=uuid4(), account_number="0789", consumer_name="Кооператив «Автомобіліст-2»",
        email="buh@avto2.example.com", consumer_role="accountant", invited_by_login="avto2.director", link_url=LINK,
        expires_at=EXPIRES_WINTER,
    )


def test_a_colleague_is_invited_with_their_role_named_in_both_languages() -> None:
    [letter] = compose(invitation())

    assert (letter.kind, letter.recipient) == (LetterKind.COLLEAGUE_INVITATION, "buh@avto2.example.com")
    assert letter.subject.startswith("Запрошення до системи")
    for body in (letter.text, letter.html):
        assert "Ваша роль:" in body and "бухгалтер" in body and "avto2.director" in body
        assert body.index("Щоб приєднатися") < body.index("Чтобы присоединиться")
    assert LINK in letter.text
