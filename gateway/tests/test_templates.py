"""Every page template renders in every language, with nothing left in English in Ukrainian or Russian."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from babel.messages.pofile import read_po

import gateway
from gateway.documents_client import Document, OnboardingPackage
from gateway.documents_view import document_rows
from gateway.i18n import LANGUAGES, LOCALES_DIR, load_catalogues
from gateway.identity_client import Branch, BranchRef, Consumer, ConsumerRef, ConsumerUser, LinkedConsumer, User
from gateway.messages import FormErrors
from gateway.navigation import site_map_for
from gateway.rendering import create_environment, frame_context
from gateway.signature_client import Certificate, DocumentStatus, SignableDocument, Signature
from gateway.signing import CertificateState, Party, SignatureStatus
from shared.auth import Role

TEMPLATES_DIR = Path(gateway.__file__).parent / "templates"
CATALOGUES = load_catalogues()
ENVIRONMENT = create_environment()

BRANCH = BranchRef(id=uuid4(), name="ПАТ «ДТЕК ПЕМ-Енерговугілля»")
CONSUMER_REF = ConsumerRef(
    id=uuid4(), account_number="0789", name="Кооператив Автомобіліст-2", edrpou="12345678", branch=BRANCH
)
CONSUMER_USER = User(
    id=uuid4(), login="avto2buh", email="buh@avto2.example.ua", pending_email="nova@avto2.example.ua",
    role=Role.CONSUMER, consumer=CONSUMER_REF,
)
STAFF_USER = User(id=uuid4(), login="dogovir01", email="dogovir@dtek.example.ua", role=Role.STAFF, branch=BRANCH)
CONSUMER = Consumer(
    id=CONSUMER_REF.id, account_number="0789", name="Кооператив Автомобіліст-2", edrpou="12345678", branch=BRANCH,
    agreement_email="buh@avto2.example.ua", billing_day=25, self_calculation=True, e_signature=False,
    created_at=datetime(2013, 8, 29, 11, 50, tzinfo=UTC),
)
FULL_BRANCH = Branch(
    id=BRANCH.id, name=BRANCH.name, edrpou="00131305", iban="UA213223130000026007233566001",
    address="м. Донецьк", phone="+380620000000", email="res@dtek.example.ua",
)
DOCUMENT = Document(
    id=uuid4(), consumer_id=CONSUMER.id, type="invoice", period="2013-08", title="Рахунок 0789/8/1",
    file_name="Рахунок 0789-8-1.pdf", content_type="application/pdf", size=48_213, sha256="ab" * 32,
    created_at=datetime(2013, 8, 25, 9, 0, tzinfo=UTC), replaces=uuid4(),
)
OLD_DOCUMENT = DOCUMENT.model_copy(update={
    "id": uuid4(), "type": "supplementary_agreement", "period": None, "title": "Додаткова угода № 3",
    "created_at": datetime(2012, 12, 31, 22, 30, tzinfo=UTC), "replaces": None, "replaced_by": uuid4(),
})
PACKAGE_DOCUMENT = DOCUMENT.model_copy(update={
    "id": uuid4(), "type": "eds_onboarding_package", "title": "Пакет", "file_name": "documents.zip",
    "content_type": "application/zip",
})
CERTIFICATE = Certificate(
    id=uuid4(), party=Party.CONSUMER, subject="CN=Петренко Іван,O=Кооператив", common_name="Петренко Іван",
    edrpou="12345678", serial="4f2a9c", issuer="CN=Кваліфікований ЦСК", not_before=datetime(2013, 1, 1, tzinfo=UTC),
    not_after=datetime(2014, 1, 1, tzinfo=UTC), fingerprint_sha256="cd" * 32,
    registered_at=datetime(2013, 2, 1, tzinfo=UTC),
)
SIGNED_BY_SUPPLIER = DocumentStatus(
    document_id=DOCUMENT.id, status=SignatureStatus.SIGNED_BY_SUPPLIER,
    signatures=[Signature(id=uuid4(), document_id=DOCUMENT.id, party=Party.SUPPLIER, certificate_id=uuid4(),
                          signer="Коваленко Олена", signing_time=datetime(2013, 8, 26, 7, 15, tzinfo=UTC))],
)
EDS_FORM = {
    "company_name": "Кооператив", "edrpou": "12345678", "legal_address": "м. Донецьк", "phone": "",
    "signer_name": "Петренко Іван Іванович", "signer_position": "Голова", "email": "buh@avto2.example.ua",
}
REFUSED = FormErrors(general="—", fields={
    name: "—" for name in (
        "login", "password", "password_confirmation", "activation_code", "email", "new_email", "new_login",
        "current_password", "new_password", "new_password_confirmation", "account_number", "name", "edrpou",
        "branch_id", "agreement_email", "billing_day", "reason", "company_name", "legal_address", "phone",
        "signer_name", "signer_position",
    )
})
CONSUMER_FORM = {
    "account_number": "0789", "name": "Кооператив", "edrpou": "12345678", "branch_id": str(BRANCH.id),
    "agreement_email": "buh@avto2.example.ua", "billing_day": "25", "self_calculation": True, "e_signature": False,
}

# (template, who is visiting, the page's own context); every template appears at least once
SCENARIOS: list[tuple[str, User | None, dict[str, Any]]] = [
    ("login.html", None, {"login": "", "next": None, "errors": FormErrors(), "notice": "✓"}),
    ("login.html", None, {"login": "avto2buh", "next": "/settings", "errors": REFUSED, "notice": None}),
    ("home.html", CONSUMER_USER, {}),
    ("sitemap.html", CONSUMER_USER, {"sections": site_map_for(Role.CONSUMER)}),
    ("sitemap.html", STAFF_USER, {"sections": site_map_for(Role.STAFF)}),
    ("message.html", None, {"title": "—", "explanation": "—", "actions": [("—", "/")]}),
    ("registration_complete.html", None, {
        "token": "t" * 43, "consumer": LinkedConsumer(account_number="0789", name="Кооператив"),
        "values": {"activation_code": "", "login": ""}, "errors": FormErrors(), "login_check": None,
    }),
    ("registration_complete.html", None, {
        "token": "t" * 43, "consumer": LinkedConsumer(account_number="0789", name="Кооператив"),
        "values": {"activation_code": "7K3M-Q9TX-2BHD", "login": "avto2buh"}, "errors": REFUSED,
        "login_check": {"available": False, "message": "—"},
    }),
    ("registration_resend.html", None, {
        "values": {"activation_code": "", "email": ""}, "errors": FormErrors(), "sent_to": "buh@avto2.example.ua",
    }),
    ("registration_resend.html", None, {
        "values": {"activation_code": "X", "email": "y"}, "errors": REFUSED, "sent_to": None,
    }),
    ("settings.html", CONSUMER_USER, {
        "errors_email": REFUSED, "errors_login": REFUSED, "errors_password": REFUSED,
        "values": {"new_email": "x@example.ua", "new_login": "newlogin"}, "notice": "✓",
    }),
    ("settings.html", STAFF_USER, {
        "errors_email": FormErrors(), "errors_login": FormErrors(), "errors_password": FormErrors(),
        "values": {"new_email": "", "new_login": ""}, "notice": None,
    }),
    ("console_list.html", STAFF_USER, {"query": "0789", "consumers": [CONSUMER]}),
    ("console_list.html", STAFF_USER, {"query": "", "consumers": []}),
    ("console_new.html", STAFF_USER, {"branches": [FULL_BRANCH], "values": CONSUMER_FORM, "errors": REFUSED}),
    ("console_consumer.html", STAFF_USER, {
        "consumer": CONSUMER, "users": [ConsumerUser(id=uuid4(), login="avto2buh", email="buh@avto2.example.ua")],
    }),
    ("console_consumer.html", STAFF_USER, {"consumer": CONSUMER, "users": []}),
    ("activation_code.html", STAFF_USER, {"consumer": CONSUMER, "activation_code": "7K3M-Q9TX-2BHD", "title": "—"}),
    ("documents.html", CONSUMER_USER, {
        "groups": document_rows([DOCUMENT, OLD_DOCUMENT], {DOCUMENT.id: SignatureStatus.SIGNED_BY_SUPPLIER},
                                Party.CONSUMER),
        "statuses_unavailable": None,
    }),
    ("documents.html", CONSUMER_USER, {"groups": document_rows([DOCUMENT], None, Party.CONSUMER),
                                       "statuses_unavailable": "—"}),
    ("documents.html", CONSUMER_USER, {"groups": [], "statuses_unavailable": None}),
    ("document.html", CONSUMER_USER, {
        "document": DOCUMENT, "status": SIGNED_BY_SUPPLIER, "statuses_unavailable": None, "can_sign": True,
        "certificates": [CERTIFICATE], "is_staff": False, "consumer": None, "notice": "✓", "errors": REFUSED,
        "reason": "—", "max_reason_length": 1000,
    }),
    ("document.html", STAFF_USER, {
        "document": OLD_DOCUMENT, "status": DocumentStatus.unsigned(OLD_DOCUMENT.id), "statuses_unavailable": None,
        "can_sign": True, "certificates": [], "is_staff": True, "consumer": CONSUMER, "notice": None,
        "errors": FormErrors(), "reason": "", "max_reason_length": 1000,
    }),
    ("document.html", CONSUMER_USER, {
        "document": DOCUMENT, "status": None, "statuses_unavailable": "—", "can_sign": False, "certificates": [],
        "is_staff": False, "consumer": None, "notice": None, "errors": FormErrors(), "reason": "",
        "max_reason_length": 1000,
    }),
    ("certificates.html", CONSUMER_USER, {
        "certificates": [(CERTIFICATE, CertificateState.VALID), (CERTIFICATE, CertificateState.REVOKED)],
        "refusals": [], "pasted": "", "notice": "✓",
    }),
    ("certificates.html", STAFF_USER, {"certificates": [], "refusals": ["—", "—"], "pasted": "—", "notice": None}),
    ("signature_statuses.html", CONSUMER_USER, {"statuses": list(SignatureStatus)}),
    ("signature_statuses.html", STAFF_USER, {"statuses": list(SignatureStatus)}),
    ("signature_statuses.html", None, {"statuses": list(SignatureStatus)}),
    ("eds.html", CONSUMER_USER, {"values": EDS_FORM, "errors": REFUSED, "package": None}),
    ("eds.html", CONSUMER_USER, {
        "values": EDS_FORM, "errors": FormErrors(),
        "package": OnboardingPackage(document=PACKAGE_DOCUMENT, email="buh@avto2.example.ua"),
    }),
    ("console_signatures.html", STAFF_USER, {"rows": [
        (SignableDocument(document_id=DOCUMENT.id, consumer_id=CONSUMER.id, type="invoice", title="Рахунок 0789/8/1",
                          status=SignatureStatus.SIGNED_BY_CONSUMER), CONSUMER),
        (SignableDocument(document_id=OLD_DOCUMENT.id, consumer_id=uuid4(), type="act_of_readings", title="Акт",
                          status=SignatureStatus.NOT_SIGNED), None),
    ]}),
    ("console_signatures.html", STAFF_USER, {"rows": []}),
]


def _render(template: str, user: User | None, page: dict[str, Any], language: str) -> str:
    context = frame_context(
        language=language,
        translations=CATALOGUES[language],
        csrf_token="c" * 43,
        visitor_user=user,
        role=user.role if user else Role.ANONYMOUS,
        path="/",
    )
    context.update(page)
    return ENVIRONMENT.get_template(template).render(context)


def _english_texts() -> list[str]:
    """Message ids whose Ukrainian text differs from the English, without placeholders."""
    with (LOCALES_DIR / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    return [
        entry.id for entry in catalogue
        if isinstance(entry.id, str) and entry.id and "%(" not in entry.id and entry.string != entry.id
    ]


ENGLISH_TEXTS = _english_texts()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts += [v or "" for k, v in attrs if k in ("aria-label", "title", "data-error-message")]


def _visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape(" ".join(parser.parts))


def test_every_template_is_rendered_here() -> None:
    pages = {p.name for p in TEMPLATES_DIR.glob("*.html")} - {"_macros.html", "base.html"}
    assert pages == {template for template, _, _ in SCENARIOS}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "user", "page"), SCENARIOS)
def test_page_renders_in_language(template: str, user: User | None, page: dict[str, Any], language: str) -> None:
    rendered = _render(template, user, page, language)
    assert f'<html lang="{language}">' in rendered
    if language == "en":
        return
    text = _visible_text(rendered)
    leaked = [english for english in ENGLISH_TEXTS if re.search(rf"(?<!\w){re.escape(english)}(?!\w)", text)]
    assert not leaked, f"{template} in {language} shows English: {leaked}"


def test_the_frame_shows_the_account_and_supplier_as_the_manual_does() -> None:
    text = _visible_text(_render("home.html", CONSUMER_USER, {}, "uk"))
    assert "№ 0789, ПАТ «ДТЕК ПЕМ-Енерговугілля»" in text
    assert "Кооператив Автомобіліст-2" in text
    assert "Налаштування" in text and "Вихід" in text


def test_forms_show_each_error_beside_its_field_and_never_echo_passwords() -> None:
    page = _render("settings.html", CONSUMER_USER, {
        "errors_email": FormErrors(fields={"current_password": "Поточний пароль неправильний."}),
        "errors_login": FormErrors(), "errors_password": FormErrors(),
        "values": {"new_email": "nova@avto2.example.ua", "new_login": ""}, "notice": None,
    }, "uk")
    assert re.search(
        r'id="email-current_password"[^>]*aria-describedby="email-current_password-error"[^>]*aria-invalid="true"',
        page,
    )
    assert '<p class="field__error" id="email-current_password-error">Поточний пароль неправильний.</p>' in page
    assert 'value="nova@avto2.example.ua"' in page
    password_inputs = re.findall(r'<input[^>]*type="password"[^>]*>', page)
    assert password_inputs and not any("value=" in tag for tag in password_inputs)


def test_pages_need_no_inline_script_or_style() -> None:
    # the Content-Security-Policy allows scripts and styles from our own files only
    for template, user, page in SCENARIOS:
        rendered = _render(template, user, page, "uk")
        assert not re.search(r"<script(?![^>]*\bsrc=)", rendered), template
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", rendered), template


def test_money_and_dates_filters_are_available_to_templates() -> None:
    from decimal import Decimal

    template = ENVIRONMENT.from_string("{{ amount|money }} / {{ day|date }}")
    assert template.render(amount=Decimal("1238.88"), day=datetime(2013, 8, 25, 9, tzinfo=UTC)) == (
        "1 238.88 / 25.08.2013"
    )
