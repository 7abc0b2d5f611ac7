"""Documents and signatures as the pages show them: statuses, who may sign, certificates, lists by year."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from devtools import testca
from gateway.documents_client import Document
from gateway.documents_view import document_rows, type_label
from gateway.i18n import format_period, format_size, load_catalogues
from gateway.identity_client import BranchRef, ConsumerRef, User
from gateway.listing import group_by_year
from gateway.messages import CERTIFICATE_REFUSALS, certificate_refusal
from gateway.navigation import current_section, navigation_for
from gateway.sessions import Visitor
from gateway.signature_client import SignableDocument
from gateway.signing import (
    MAX_CERTIFICATE_BYTES,
    STATUS_EXPLANATIONS,
    STATUS_LABELS,
    CertificateInputError,
    CertificateState,
    Party,
    SignatureStatus,
    authority_name,
    can_sign_invoice,
    certificate_pem_of,
    certificate_state,
    party_of,
)
from shared.auth import Principal, Role
from shared.errors import ServiceCallError

CATALOGUES = load_catalogues()
UK, RU = CATALOGUES["uk"], CATALOGUES["ru"]
API_SIGNATURE = Path(__file__).resolve().parents[2] / "docs" / "api-signature.md"


# --- statuses ----------------------------------------------------------------------------------------------

def test_statuses_read_as_the_cabinet_names_them() -> None:
    assert {status: UK.gettext(label) for status, label in STATUS_LABELS.items()} == {
        SignatureStatus.NOT_REQUIRED: "Підпис не потрібен",
        SignatureStatus.NOT_SIGNED: "Не підписано",
        SignatureStatus.SIGNED_BY_CONSUMER: "Підписано споживачем",
        SignatureStatus.SIGNED_BY_SUPPLIER: "Підписано постачальником",
        SignatureStatus.SIGNED_BY_BOTH: "Підписано обома сторонами",
        SignatureStatus.REJECTED: "Відмовлено в підписанні",
    }
    assert RU.gettext(STATUS_LABELS[SignatureStatus.SIGNED_BY_BOTH]) == "Подписан обеими сторонами"


def test_every_status_is_labelled_and_explained() -> None:
    assert set(STATUS_LABELS) == set(STATUS_EXPLANATIONS) == set(SignatureStatus)
    for language in ("uk", "ru"):
        explained = [CATALOGUES[language].gettext(text) for text in STATUS_EXPLANATIONS.values()]
        assert len(set(explained)) == len(SignatureStatus)
        assert all(text not in STATUS_EXPLANATIONS.values() for text in explained), language


def test_the_status_list_matches_the_signature_service_contract() -> None:
    documented = re.search(r"status is one of (.+?)\(with", API_SIGNATURE.read_text(encoding="utf-8"), re.DOTALL)
    assert documented, "docs/api-signature.md no longer lists the statuses"
    assert set(re.findall(r"`(\w+)`", documented.group(1))) == {status.value for status in SignatureStatus}


@pytest.mark.parametrize(
    ("status", "consumer_may", "supplier_may"),
    [
        (SignatureStatus.NOT_SIGNED, True, True),
        (SignatureStatus.SIGNED_BY_CONSUMER, False, True),
        (SignatureStatus.SIGNED_BY_SUPPLIER, True, False),
        (SignatureStatus.SIGNED_BY_BOTH, False, False),
        (SignatureStatus.REJECTED, False, False),
    ],
)
def test_each_party_signs_once_and_a_refusal_ends_signing(
    status: SignatureStatus, consumer_may: bool, supplier_may: bool
) -> None:
    assert can_sign_invoice(status, Party.CONSUMER) is consumer_may
    assert can_sign_invoice(status, Party.SUPPLIER) is supplier_may
    assert can_sign_invoice(status, None) is False


def _visitor(role: Role, *, e_signature: bool | None = None) -> Visitor:
    branch = BranchRef(id=uuid4(), name="ПАТ «ДТЕК ПЕМ-Енерговугілля»")
    consumer = None if e_signature is None else ConsumerRef(
        id=uuid4(), account_number="0789", name="К", edrpou="12345678", branch=branch, e_signature=e_signature)
    user = User(id=uuid4(), login="avto2buh", email="buh@avto2.example.ua", role=role, consumer=consumer)
    return Visitor(Principal(user_id=user.id, role=role, consumer_id=consumer.id if consumer else None), user)


def test_consumers_sign_for_their_company_when_their_agreement_says_so_and_staff_for_the_supplier() -> None:
    assert party_of(_visitor(Role.CONSUMER, e_signature=True)) == Party.CONSUMER
    # a consumer whose documents are signed on paper has nothing to sign in the cabinet
    assert party_of(_visitor(Role.CONSUMER, e_signature=False)) is None
    assert party_of(_visitor(Role.STAFF)) == party_of(_visitor(Role.ADMIN)) == Party.SUPPLIER
    assert party_of(Visitor(Principal(user_id=None, role=Role.ANONYMOUS))) is None


# --- certificates ------------------------------------------------------------------------------------------

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
YEAR = timedelta(days=365)


@pytest.mark.parametrize(
    ("not_before", "not_after", "removed_at", "state"),
    [
        (NOW - YEAR, NOW + YEAR, None, CertificateState.VALID),
        (NOW + timedelta(days=1), NOW + YEAR, None, CertificateState.NOT_YET_VALID),
        (NOW - 2 * YEAR, NOW - timedelta(seconds=1), None, CertificateState.EXPIRED),
        (NOW - YEAR, NOW + YEAR, NOW - timedelta(days=1), CertificateState.REMOVED),
        # a removal dated in the future (another clock than ours) does not count yet
        (NOW - YEAR, NOW + YEAR, NOW + timedelta(days=1), CertificateState.VALID),
    ],
)
def test_certificate_state(
    not_before: datetime, not_after: datetime, removed_at: datetime | None, state: CertificateState
) -> None:
    assert certificate_state(not_before=not_before, not_after=not_after, removed_at=removed_at, now=NOW) == state


@pytest.fixture(scope="module")
def certificate() -> x509.Certificate:
    ca = testca.create_ca()
    issued = testca.issue_certificate(ca, common_name="Петренко Іван", organization="Кооператив", edrpou="12345678")
    return issued.certificate


def test_a_pem_file_is_sent_as_it_is(certificate: x509.Certificate) -> None:
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    assert certificate_pem_of(pem, "") == pem.decode().strip()
    assert certificate_pem_of(b"", "  " + pem.decode() + "\n") == pem.decode().strip()


def test_a_binary_cer_file_becomes_the_same_certificate_in_pem(certificate: x509.Certificate) -> None:
    der = certificate.public_bytes(serialization.Encoding.DER)
    pem = certificate_pem_of(der, "")
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert max(len(line) for line in pem.splitlines()) == 64
    assert x509.load_pem_x509_certificate(pem.encode()) == certificate


def test_a_binary_cer_file_is_taken_byte_for_byte() -> None:
    # a DER certificate's last byte is its signature's, and may be 0x20 or 0x0c as well as any other
    der = bytes.fromhex("3003020120")
    pem = certificate_pem_of(der, "")
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    assert base64.b64decode(body) == der


def test_the_file_wins_over_pasted_text(certificate: x509.Certificate) -> None:
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    assert certificate_pem_of(pem, "something else") == pem.decode().strip()


@pytest.mark.parametrize(
    ("uploaded", "pasted", "code"),
    [(b"", "", "missing"), (b"  \n", "  ", "missing"), (b"x" * (MAX_CERTIFICATE_BYTES + 1), "", "too_large")],
)
def test_what_cannot_be_a_certificate_is_refused_before_sending(uploaded: bytes, pasted: str, code: str) -> None:
    with pytest.raises(CertificateInputError) as refused:
        certificate_pem_of(uploaded, pasted)
    assert refused.value.code == code


def _documented_reasons() -> list[str]:
    row = next(line for line in API_SIGNATURE.read_text(encoding="utf-8").splitlines() if "certificate_refused" in line)
    listed = row.split("each of", 1)[1]
    return re.findall(r"`(\w+)`", listed.split("; 409", 1)[0])


def test_every_refusal_reason_of_the_signature_service_has_its_own_message() -> None:
    reasons = _documented_reasons()
    assert len(reasons) == 11 and "edrpou_mismatch" in reasons
    for language in ("uk", "ru"):
        messages = [CATALOGUES[language].gettext(CERTIFICATE_REFUSALS[reason]) for reason in reasons]
        assert len(set(messages)) == len(reasons), language
        assert all(message not in CERTIFICATE_REFUSALS.values() for message in messages), language


def test_a_refused_certificate_shows_each_reason_in_order() -> None:
    error = ServiceCallError(422, {
        "code": "certificate_refused", "fields": {"certificate": "expired"}, "reasons": ["expired", "edrpou_mismatch"],
    })
    assert certificate_refusal(error, UK) == [
        "Строк дії сертифіката минув. Отримайте новий у своєму центрі сертифікації.",
        "Сертифікат видано для іншої юридичної особи: код ЄДРПОУ в ньому не вашої організації.",
    ]


def test_a_refusal_without_a_list_of_reasons_uses_the_field_code_or_the_error_code() -> None:
    only_field = ServiceCallError(422, {"code": "certificate_refused", "fields": {"certificate": "revoked"}})
    assert certificate_refusal(only_field, UK) == [UK.gettext(CERTIFICATE_REFUSALS["revoked"])]
    conflict = ServiceCallError(409, {"code": "already_registered"})
    assert certificate_refusal(conflict, UK) == ["Цей сертифікат уже зареєстровано."]
    unknown = ServiceCallError(422, {"code": "certificate_refused", "reasons": ["something_new"]})
    assert certificate_refusal(unknown, UK) == [
        "Не вдалося зареєструвати сертифікат. Перевірте його і спробуйте ще раз."
    ]


def test_a_failing_signature_service_is_not_a_refusal() -> None:
    with pytest.raises(ServiceCallError):
        certificate_refusal(ServiceCallError(503, {"code": "error"}), UK)


# --- document lists ----------------------------------------------------------------------------------------

CONSUMER_ID = uuid4()


def _document(created_at: datetime, *, content_type: str = "application/pdf", type: str = "invoice") -> Document:
    return Document(
        id=uuid4(), consumer_id=CONSUMER_ID, type=type, title="Рахунок", file_name="r.pdf",
        content_type=content_type, size=1000, sha256="0" * 64, created_at=created_at, issued_on=created_at.date(),
    )


def _signable(document: Document, status: SignatureStatus, signers: list[Party], awaiting: list[Party]
              ) -> SignableDocument:
    return SignableDocument(document_id=document.id, consumer_id=document.consumer_id, type=document.type,
                            title=document.title, issued_on=document.issued_on, status=status, signers=signers,
                            awaiting=awaiting)


def test_documents_are_grouped_by_year_newest_first() -> None:
    august_2013 = _document(datetime(2013, 8, 25, 9, tzinfo=UTC))
    january_2014 = _document(datetime(2014, 1, 15, 9, tzinfo=UTC))
    july_2013 = _document(datetime(2013, 7, 25, 9, tzinfo=UTC))
    groups = group_by_year([july_2013, january_2014, august_2013], lambda document: document.created_at)
    assert [(group.year, group.items) for group in groups] == [
        (2014, [january_2014]), (2013, [august_2013, july_2013]),
    ]


def test_the_year_is_the_one_in_kyiv() -> None:
    new_years_night = _document(datetime(2013, 12, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 January in Kyiv
    [group] = group_by_year([new_years_night], lambda document: document.created_at)
    assert group.year == 2014


def test_rows_carry_each_documents_status_and_whether_the_consumer_may_sign() -> None:
    both = [Party.CONSUMER, Party.SUPPLIER]
    signed_by_supplier = _document(datetime(2013, 8, 25, tzinfo=UTC))
    tax_invoice = _document(datetime(2013, 8, 25, tzinfo=UTC), type="tax_invoice")
    signed_by_both = _document(datetime(2013, 7, 25, tzinfo=UTC))
    entered_by_staff = _document(datetime(2013, 7, 25, tzinfo=UTC), type="readings_act")
    unknown_to_signature = _document(datetime(2013, 6, 25, tzinfo=UTC))
    statuses = {
        signed_by_supplier.id: _signable(
            signed_by_supplier, SignatureStatus.SIGNED_BY_SUPPLIER, both, [Party.CONSUMER]),
        tax_invoice.id: _signable(tax_invoice, SignatureStatus.SIGNED_BY_SUPPLIER, [Party.SUPPLIER], []),
        signed_by_both.id: _signable(signed_by_both, SignatureStatus.SIGNED_BY_BOTH, both, []),
        entered_by_staff.id: _signable(entered_by_staff, SignatureStatus.NOT_REQUIRED, [], []),
    }
    documents = [signed_by_supplier, tax_invoice, signed_by_both, entered_by_staff, unknown_to_signature]
    [group] = document_rows(documents, statuses, Party.CONSUMER)
    assert [(row.status, row.can_sign) for row in group.items] == [
        (SignatureStatus.SIGNED_BY_SUPPLIER, True),
        # the supplier's signature completes a tax invoice: the consumer is not asked to sign it
        (SignatureStatus.SIGNED_BY_SUPPLIER, False),
        (SignatureStatus.SIGNED_BY_BOTH, False),
        (SignatureStatus.NOT_REQUIRED, False),
        # its event is on the way: shown unsigned, offered for signing once the signature service knows it
        (SignatureStatus.NOT_SIGNED, False),
    ]


def test_without_statuses_nothing_is_offered_for_signing() -> None:
    [group] = document_rows([_document(datetime(2013, 8, 25, tzinfo=UTC))], None, Party.CONSUMER)
    assert [(row.status, row.can_sign) for row in group.items] == [(None, False)]


def test_detached_signatures_are_not_listed_beside_their_documents() -> None:
    invoice = _document(datetime(2013, 8, 25, tzinfo=UTC))
    p7s = _document(datetime(2013, 8, 26, tzinfo=UTC), content_type="application/pkcs7-signature", type="signature")
    [group] = document_rows([invoice, p7s], {}, Party.CONSUMER)
    assert [row.document for row in group.items] == [invoice]


def test_document_types_have_names_and_unknown_ones_are_documents() -> None:
    assert UK.gettext(type_label("invoice")) == "Рахунок"
    assert UK.gettext(type_label("eds_onboarding_package")) == "Пакет документів для ЕЦП"
    assert UK.gettext(type_label("something_new")) == "Документ"


@pytest.mark.parametrize(
    ("size", "uk", "en"),
    [(900, "900 Б", "900 byte"), (48_213, "47,1 кБ", "47.1 kB"), (1536 * 1024, "1,5 МБ", "1.5 MB"),
     (20 * 1024 * 1024, "20 МБ", "20 MB")],
)
def test_file_sizes(size: int, uk: str, en: str) -> None:
    assert format_size(size, "uk") == uk
    assert format_size(size, "en") == en


def test_periods_read_as_months() -> None:
    assert format_period("2013-08", "uk") == "серпень 2013"
    assert format_period("2013-08", "ru") == "август 2013"
    assert format_period("2013-08", "en") == "August 2013"
    assert format_period("not-a-month", "uk") == "not-a-month"
    assert format_period("0000-01", "uk") == "0000-01"  # no year 0: as typed, never a failing page


# --- navigation --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("role", "path", "section"),
    [
        (Role.CONSUMER, "/documents", "/documents"),
        (Role.CONSUMER, "/documents/0b7e/content", "/documents"),
        (Role.CONSUMER, "/signature/certificates", "/documents"),
        (Role.CONSUMER, "/eds", "/documents"),
        (Role.STAFF, "/console/signatures", "/console/signatures"),
        (Role.STAFF, "/console/consumers/new", "/console"),
        (Role.STAFF, "/signature/certificates", "/console/signatures"),
        (Role.CONSUMER, "/settings", None),
    ],
)
def test_the_bar_marks_the_section_a_page_belongs_to(role: Role, path: str, section: str | None) -> None:
    found = current_section(navigation_for(role), path)
    assert (found.path if found else None) == section


def test_consumers_see_contracts_and_documents_and_staff_the_signatures_queue() -> None:
    consumer = [UK.gettext(section.label) for section in navigation_for(Role.CONSUMER)]
    staff = [section.path for section in navigation_for(Role.STAFF)]
    assert consumer == ["Товар", "Гроші", "Договори та документи", "Опис", "Постачальник", "Карта сайту"]
    assert "/console/signatures" in staff and "/documents" not in staff


@pytest.mark.parametrize(("issuer", "name"), [
    ("CN=Кваліфікований ЦСК,O=ДП «Дія»,C=UA", "Кваліфікований ЦСК"),
    ("C=UA,O=ЦСК АТ КБ \"ПриватБанк\"\\, Київ", "ЦСК АТ КБ \"ПриватБанк\", Київ"),
    ("not a distinguished name", "not a distinguished name"),
])
def test_a_certification_authority_is_named_as_people_name_it(issuer: str, name: str) -> None:
    assert authority_name(issuer) == name
