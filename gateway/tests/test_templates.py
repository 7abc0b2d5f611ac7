"""Every page template renders in every language, with nothing left in English in Ukrainian or Russian."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from babel.messages.pofile import read_po

import gateway
from gateway.audit_view import FILTER_LABELS, audit_rows
from gateway.billing_client import (
    Ageing,
    Allocation,
    BillingRun,
    Calculation,
    Completeness,
    Due,
    Invoice,
    InvoiceLine,
    MissingReadings,
    Payment,
    Reconciliation,
    ReconciliationKind,
    ReconciliationOperation,
    Registration,
    RunDocuments,
    RunState,
    Saldo,
    Skipped,
    Tariff,
    TariffClass,
    TaxInvoice,
    ZoneCoefficient,
)
from gateway.billing_view import saldo_kind
from gateway.charts import amounts_chart, consumption_chart
from gateway.documents_client import Document, OnboardingPackage
from gateway.documents_view import document_rows
from gateway.i18n import LANGUAGES, LOCALES_DIR, load_catalogues
from gateway.identity_client import (
    AccessToken,
    AuditActor,
    AuditEntry,
    AuditPage,
    Branch,
    BranchRef,
    Colleagues,
    Consumer,
    ConsumerRef,
    ConsumerUser,
    Invitation,
    InvitationLink,
    LinkedConsumer,
    NewAccessToken,
    User,
)
from gateway.listing import group_by_year
from gateway.messages import FormErrors
from gateway.metering_client import (
    Act,
    ActState,
    InstallationReading,
    InstallationValue,
    LineState,
    Point,
    PointFields,
    PointLocation,
    PointReadings,
    ReadingLine,
    Readings,
    VolumeWarning,
    Window,
    WindowState,
)
from gateway.navigation import site_map_for
from gateway.notify_client import (
    AddresseeType,
    Author,
    Feedback,
    FeedbackPage,
    Letter,
    Letters,
    LetterState,
    LetterType,
    Localized,
    Reply,
)
from gateway.pages.access_tokens import EXPIRY_DAYS, SCOPE_LABELS
from gateway.pages.colleagues import ROLE_DESCRIPTIONS, ROLE_LABELS
from gateway.pages.common import AccountPages
from gateway.pages.console_metering import REGISTERS, ZONES, installation_input
from gateway.pages.money import InvoiceRow
from gateway.pages.readings import ReadingsForm, readings_page_context
from gateway.pages.supplier import ReferenceLists
from gateway.readings_view import CSV_SAMPLE, IMPORT_COLUMNS, XML_SAMPLE, WindowNotice, field_name
from gateway.rendering import billing_months, create_environment, frame_context
from gateway.signature_client import Certificate, DocumentStatus, SignableDocument, Signature
from gateway.signing import CertificateState, Party, SignatureStatus
from shared.auth import ConsumerRole, Role

TEMPLATES_DIR = Path(gateway.__file__).parent / "templates"
CATALOGUES = load_catalogues()
ENVIRONMENT = create_environment()

BRANCH = BranchRef(id=uuid4(), name="ПАТ «ДТЕК ПЕМ-Енерговугілля»")
CONSUMER_REF = ConsumerRef(
    id=uuid4(), account_number="0789", name="Кооператив Автомобіліст-2", edrpou="12345678", branch=BRANCH,
    e_signature=True,
)
CONSUMER_USER = User(
    id=uuid4(), login="avto2buh", email="buh@avto2.example.ua", pending_email="nova@avto2.example.ua",
    role=Role.CONSUMER, consumer_role=ConsumerRole.DIRECTOR, consumer=CONSUMER_REF,
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
    created_at=datetime(2013, 8, 25, 9, 0, tzinfo=UTC), issued_on=date(2013, 8, 25), replaces=uuid4(),
)
OLD_DOCUMENT = DOCUMENT.model_copy(update={
    "id": uuid4(), "type": "supplementary_agreement", "period": None, "title": "Додаткова угода № 3",
    "created_at": datetime(2012, 12, 31, 22, 30, tzinfo=UTC), "issued_on": date(2013, 1, 1), "replaces": None,
    "replaced_by": uuid4(),
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
REMOVED_CERTIFICATE = CERTIFICATE.model_copy(update={"id": uuid4(), "serial": "77e1",
                                                     "revoked_at": datetime(2013, 6, 3, 8, tzinfo=UTC)})
SIGNED_BY_SUPPLIER = DocumentStatus(
    document_id=DOCUMENT.id, status=SignatureStatus.SIGNED_BY_SUPPLIER,
    signatures=[Signature(id=uuid4(), document_id=DOCUMENT.id, party=Party.SUPPLIER, certificate_id=uuid4(),
                          signer="Коваленко Олена", signing_time=datetime(2013, 8, 26, 7, 15, tzinfo=UTC))],
)
EDS_FORM = {
    "company_name": "Кооператив", "edrpou": "12345678", "legal_address": "м. Донецьк", "phone": "",
    "signer_name": "Петренко Іван Іванович", "signer_position": "Голова", "email": "buh@avto2.example.ua",
}
ACCESS_TOKEN = AccessToken(
    id=uuid4(), name="1С: Бухгалтерія", scopes=["documents:read", "invoices:read", "readings:write"],
    prefix="cab_Xy7Q", created_at=datetime(2013, 8, 1, tzinfo=UTC), expires_at=datetime(2013, 10, 30, tzinfo=UTC),
)
REFUSED = FormErrors(general="—", fields={
    name: "—" for name in (
        "login", "password", "password_confirmation", "activation_code", "email", "new_email", "new_login",
        "current_password", "new_password", "new_password_confirmation", "account_number", "name", "edrpou", "ipn",
        "branch_id", "agreement_email", "billing_day", "reason", "company_name", "legal_address", "phone",
        "signer_name", "signer_position",
    )
})
CONSUMER_FORM = {
    "account_number": "0789", "name": "Кооператив", "edrpou": "12345678", "branch_id": str(BRANCH.id),
    "agreement_email": "buh@avto2.example.ua", "billing_day": "25", "self_calculation": True, "e_signature": False,
    "vat_payer": True, "ipn": "123456726590",
}

# --- readings and money ------------------------------------------------------------------------------------

def _installed(registers: list[str], values: list[str]) -> list[InstallationReading]:
    """`values` zone by zone of each register in turn."""
    zones = len(values) // len(registers)
    return [InstallationReading(energy=energy, zone=zone, value=Decimal(values[index * zones + zone - 1]))
            for index, energy in enumerate(registers) for zone in range(1, zones + 1)]


POINT = Point(
    id=uuid4(), consumer_id=CONSUMER.id, meter_serial="01234567", zones=2, digits=6, ct_ratio=Decimal("40"),
    vt_ratio=Decimal("1"), location=PointLocation.CONSUMER_SITE, consumer_reads=True, registers=["active", "reactive"],
    tariff_class="non_household_2", active=True, created_at=datetime(2013, 1, 10, tzinfo=UTC),
    installation_readings=_installed(["active", "reactive"], ["45231", "1200.5", "20", "7"]),
)
SUBSTATION_POINT = POINT.model_copy(update={
    "id": uuid4(), "meter_serial": "7700881", "zones": 3, "location": PointLocation.RES_SUBSTATION,
    "consumer_reads": False, "registers": ["active"], "installation_readings": _installed(["active"], ["0"] * 3),
})
RETIRED_POINT = POINT.model_copy(update={"id": uuid4(), "meter_serial": "0099", "zones": 1, "active": False,
                                         "installation_readings": _installed(["active", "reactive"], ["0", "0"])})


def _lines(point: Point, current: Decimal | None = None, state: LineState = LineState.MISSING) -> list[ReadingLine]:
    return [
        ReadingLine(point_id=point.id, meter_serial=point.meter_serial, energy=energy, zone=zone,
                    previous=Decimal("12345.6"), previous_period="2013-07", current=current,
                    volume=None if current is None else current - Decimal("12345.6"), state=state)
        for energy in point.registers for zone in range(1, point.zones + 1)
    ]


OPEN_WINDOW = Window(period="2013-08", state=WindowState.OPEN, billing_day=25)
CLOSED_WINDOW = Window(period="2013-08", state=WindowState.CLOSED, reason="invoice_issued",
                       opens_on=date(2013, 9, 25), billing_day=25)
ACT = Act(
    id=uuid4(), consumer_id=CONSUMER.id, period="2013-08", state=ActState.AWAITING_SIGNATURE, source="consumer",
    document_id=uuid4(), submitted_at=datetime(2013, 8, 25, 9, tzinfo=UTC),
)
ACCEPTED_ACT = ACT.model_copy(update={
    "state": ActState.ACCEPTED, "accepted_at": datetime(2013, 8, 26, 9, tzinfo=UTC), "accepted_by": "signature",
    "correction_reason": "Помилка в показаннях",
})
PAPER_ACT = ACT.model_copy(update={"state": ActState.AWAITING_PAPER})
STAFF_ACT = ACT.model_copy(update={
    "id": uuid4(), "state": ActState.ACCEPTED, "source": "staff", "accepted_at": datetime(2013, 8, 25, 8, tzinfo=UTC),
    "accepted_by": "staff", "meter_serials": [SUBSTATION_POINT.meter_serial],
})
#: the demo's month: the substation meter entered by staff, the consumer's own meter waiting for the consumer
READINGS = Readings(
    period="2013-08", window=OPEN_WINDOW,
    points=[PointReadings(point=POINT, lines=_lines(POINT)),
            PointReadings(point=SUBSTATION_POINT,
                          lines=_lines(SUBSTATION_POINT, Decimal("12400"), LineState.ACCEPTED))],
    acts=[STAFF_ACT],
)
#: the consumer has entered their meter: its act waits for their signature
ENTERED = READINGS.model_copy(update={
    "points": [PointReadings(point=POINT, lines=_lines(POINT, Decimal("12500"), LineState.PENDING)),
               READINGS.points[1]],
    "acts": [ACT.model_copy(update={"meter_serials": [POINT.meter_serial]}), STAFF_ACT],
})
ACCEPTED = READINGS.model_copy(update={
    "points": [PointReadings(point=POINT, lines=_lines(POINT, Decimal("12500"), LineState.ACCEPTED)),
               READINGS.points[1]],
    "acts": [ACCEPTED_ACT.model_copy(update={"meter_serials": [POINT.meter_serial]}), STAFF_ACT],
})
MISSING = [MissingReadings(point_id=POINT.id, meter_serial="01234567", reason="not_accepted"),
           MissingReadings(point_id=SUBSTATION_POINT.id, meter_serial="7700881", reason="no_readings")]
CALCULATION = Calculation(period="2013-08", self_calculation=True, ready=True, missing=[])
CONSUMER_PAGES = AccountPages(CONSUMER.id, "", staff=False)
_ACTOR = AuditActor(user_id=CONSUMER_USER.id, login=CONSUMER_USER.login, email=CONSUMER_USER.email)
_TOKEN_DETAILS = {"token_id": str(uuid4()), "token_name": "1С: Бухгалтерія", "token_prefix": "cab_Xy7Q"}
#: one entry of every kind identity records, newest first
AUDIT_ENTRIES = [
    AuditEntry(id=11, occurred_at=datetime(2013, 8, 26, 21, 30, tzinfo=UTC), kind="api_call", actor=_ACTOR, via="api",
               details={"method": "GET", "route": "/invoices/{invoice_id}", **_TOKEN_DETAILS}, status=200),
    AuditEntry(id=10, occurred_at=datetime(2013, 8, 26, 9, 0, tzinfo=UTC), kind="readings_entered", actor=_ACTOR,
               via="page", details={"period": "2013-08", "source": "consumer", "correction_reason": None, "readings": [
                   {"meter_serial": "01234567", "energy": "active", "zone": 1, "previous": "12345.6000",
                    "current": "12500.0000", "rollover": False},
                   {"meter_serial": "01234567", "energy": "reactive", "zone": 2, "previous": "99990",
                    "current": "15", "rollover": True}]}),
    AuditEntry(id=9, occurred_at=datetime(2013, 8, 25, 9, 0, tzinfo=UTC), kind="readings_entered", actor=AuditActor(
        user_id=STAFF_USER.id, login=STAFF_USER.login, email=STAFF_USER.email), via="page",
        details={"period": "2013-07", "source": "staff", "correction_reason": "Помилка в акті", "readings": []}),
    AuditEntry(id=8, occurred_at=datetime(2013, 8, 24, 9, 0, tzinfo=UTC), kind="readings_accepted",
               details={"period": "2013-07", "source": "res", "readings": 3}),
    AuditEntry(id=7, occurred_at=datetime(2013, 8, 23, 9, 0, tzinfo=UTC), kind="document_signed",
               details={"document_type": "invoice", "party": "supplier", "status": "signed_by_supplier"}),
    AuditEntry(id=6, occurred_at=datetime(2013, 8, 22, 9, 0, tzinfo=UTC), kind="document_rejected", actor=_ACTOR,
               via="page", details={"document_type": "readings_act", "party": "consumer", "status": "rejected",
                                    "rejected_reason": "Не той період"}),
    AuditEntry(id=5, occurred_at=datetime(2013, 8, 21, 9, 0, tzinfo=UTC), kind="consumer_changed", actor=AuditActor(
        user_id=uuid4()), via="page", details={"fields": ["billing_day", "e_signature"]}),
    AuditEntry(id=4, occurred_at=datetime(2013, 8, 20, 9, 0, tzinfo=UTC), kind="login_changed", actor=_ACTOR,
               via="page", details={"old_login": "avto2", "new_login": "avto2buh"}),
    AuditEntry(id=3, occurred_at=datetime(2013, 8, 19, 9, 0, tzinfo=UTC), kind="password_changed", actor=_ACTOR,
               via="page"),
    AuditEntry(id=2, occurred_at=datetime(2013, 8, 18, 9, 0, tzinfo=UTC), kind="access_token_created", actor=_ACTOR,
               via="page", details=_TOKEN_DETAILS),
    AuditEntry(id=1, occurred_at=datetime(2013, 8, 17, 9, 0, tzinfo=UTC), kind="something_new", actor=_ACTOR,
               via="page"),
]
STAFF_PAGES = AccountPages(CONSUMER.id, f"/console/consumers/{CONSUMER.id}", staff=True, consumer=CONSUMER)
FIRST_FIELD = field_name(POINT.id, "active", 1)
WARNING = VolumeWarning(point_id=POINT.id, energy="active", zone=2, code="volume_high", volume=Decimal("9000"),
                        usual_volume=Decimal("1200.5"))
REFUSED_READINGS = ReadingsForm(
    values={FIRST_FIELD: "12,3"}, rollovers={FIRST_FIELD},
    errors=FormErrors(general="—", fields={FIRST_FIELD: "—"}),
    warnings={field_name(POINT.id, "active", 2): WARNING},
    import_errors=FormErrors(general="—"), import_problems=["—", "—"], import_warnings=[WARNING],
    calculation_errors=FormErrors(general="—"), missing=MISSING,
)


def readings_page(readings: Readings, *, target: AccountPages = CONSUMER_PAGES,
                  form: ReadingsForm | None = None, calculation: Calculation | None = CALCULATION,
                  window_notice: WindowNotice | None = None, chart: Any = None) -> dict[str, Any]:
    return readings_page_context(readings, target, calculation, form or ReadingsForm(),
                                 window_notice=window_notice, chart=chart, notice=None)


def _invoice(number: str, formed_on: date, total: str, paid: str, **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": uuid4(), "consumer_id": CONSUMER.id, "account_number": "0789", "number": number, "kind": "regular",
        "period": "2013-08", "formed_on": formed_on, "pay_by": date(2013, 9, 3),
        "amount_excl_vat": Decimal(total) / Decimal("1.2"), "vat": Decimal(total) - Decimal(total) / Decimal("1.2"),
        "total": Decimal(total), "paid": Decimal(paid), "balance": Decimal(total) - Decimal(paid),
        "document_id": uuid4(),
    }
    return Invoice(**(fields | changes))


INVOICES = [
    _invoice("0064/3/1/П1", date(2014, 3, 15), "1238.88", "1238.88", kind="correcting",
             corrects_number="0064/3/1"),
    _invoice("0789/8/1", date(2013, 8, 25), "415.87", "0", signature_status="signed_by_supplier"),
    _invoice("0789/7/1", date(2013, 7, 25), "376.10", "376.10", document_id=None),
]
def _line(zone: int, volume: str) -> InvoiceLine:
    return InvoiceLine(
        point_id=POINT.id, meter_serial=POINT.meter_serial, energy="active", zones=2, zone=zone,
        previous=Decimal("100"), current=Decimal("100") + Decimal(volume), ct_ratio=Decimal("1"),
        vt_ratio=Decimal("1"), volume=Decimal(volume), price=Decimal("2.5"), amount=Decimal(volume) * Decimal("2.5"),
    )


CHARTED = [
    INVOICES[1].model_copy(update={"lines": [_line(1, "300"), _line(2, "120.5")]}),
    INVOICES[2].model_copy(update={"period": "2013-07", "lines": [_line(1, "280")]}),
]
INVOICE_ROWS = group_by_year(
    [InvoiceRow(invoice, None if invoice.document_id is None else "signed_by_supplier", True) for invoice in INVOICES],
    lambda row: row.invoice.formed_on,
)
PAYMENT = Payment(
    id=uuid4(), res_payment_id="res-1", consumer_id=CONSUMER.id, account_number="0789", paid_on=date(2013, 7, 31),
    document_number="@2PL998327", amount=Decimal("376.10"), payer_iban="UA213223130000026007233566001",
    bank="Філія-Донецьке обласне управління АТ «Ощадбанк»", mfo="335106",
    purpose="оплата за акт электр согл сч № 0789/7/1 от 25.07.2013", state="applied",
    allocations=[Allocation(invoice_id=INVOICES[2].id, invoice_number="0789/7/1", amount=Decimal("376.10"))],
    credit=Decimal("0"), received_at=datetime(2013, 8, 1, 6, tzinfo=UTC),
)
PARKED_PAYMENT = PAYMENT.model_copy(update={"id": uuid4(), "consumer_id": None, "account_number": "9999",
                                            "state": "parked", "allocations": [], "credit": Decimal("12.5")})
DEBT = Saldo(saldo=Decimal("1238.88"), debt=Decimal("1238.88"), overpayment=Decimal("0"), open_invoices=1,
             next_pay_by=date(2013, 9, 3), next_pay_by_amount=Decimal("415.87"))
OVERPAYMENT = Saldo(saldo=Decimal("-12.50"), debt=Decimal("0"), overpayment=Decimal("12.50"), open_invoices=0)
TAX_INVOICE = TaxInvoice(
    id=uuid4(), consumer_id=CONSUMER.id, invoice_id=INVOICES[1].id, invoice_number="0789/8/1", kind="tax_invoice",
    number="1480", issued_on=date(2013, 8, 25), amount_excl_vat=Decimal("346.56"), vat=Decimal("69.31"),
    total=Decimal("415.87"), registration=Registration.REGISTERED, document_id=uuid4(),
    completeness=Completeness(complete=True),
)
CORRECTION = TAX_INVOICE.model_copy(update={
    "id": uuid4(), "kind": "correction", "number": "1501", "corrects_tax_invoice_id": TAX_INVOICE.id,
    "corrects_number": "1480", "registration": Registration.REFUSED, "registration_note": "Помилка в ІПН",
    "document_id": None, "completeness": Completeness(
        complete=False, missing=["buyer.ipn", "rows.2.unit_code", "seller.tax_office", "something_new"]),
})
TAX_ROWS = group_by_year([CORRECTION, TAX_INVOICE], lambda item: item.issued_on)
TARIFF_CLASS = TariffClass(
    tariff_class="non_household_2", title="Непобутові споживачі, 2 клас напруги",
    history=[Tariff(id=uuid4(), tariff_class="non_household_2", register=register, price=Decimal(price),
                    effective_from=date(2013, 1, 1), title="Тариф НКРЕ", created_at=datetime(2012, 12, 20, tzinfo=UTC))
             for register, price in (("active", "0.834150"), ("reactive", "0.0421"))],
    zone_coefficients=[ZoneCoefficient(id=uuid4(), zones=2, zone=zone, coefficient=Decimal(k),
                                       effective_from=date(2013, 1, 1)) for zone, k in ((1, "1.5"), (2, "0.4"))],
)
TARIFF_FORMS = {
    "tariff": {"tariff_class": "x", "energy": "reactive", "price": "1", "effective_from": "2013-01-01", "title": ""},
    "tariff_errors": FormErrors(general="—", fields={"price": "—", "effective_from": "—"}),
    "coefficient": {"zones": "3", "zone": "2", "coefficient": "", "effective_from": ""},
    "coefficient_errors": FormErrors(general="—", fields={"zone": "—"}),
}
DUE = [
    Due(consumer_id=CONSUMER.id, account_number="0789", name="Кооператив", billing_day=25, ready=True, missing=[]),
    Due(consumer_id=uuid4(), account_number="0064", name="ТОВ «Світло»", billing_day=15, ready=False, missing=MISSING),
    Due(consumer_id=uuid4(), account_number="0100", name="ПП «Сад»", billing_day=1, ready=True, missing=[],
        invoice_number="0100/8/1"),
]
RUN = BillingRun(id=uuid4(), period="2013-08", state=RunState.RUNNING, total=3, issued=1, skipped=[],
                 started_at=datetime(2013, 8, 26, 6, tzinfo=UTC))
DONE_RUN = RUN.model_copy(update={
    "state": RunState.DONE, "issued": 2, "finished_at": datetime(2013, 8, 26, 6, 1, tzinfo=UTC),
    "skipped": [Skipped(consumer_id=uuid4(), account_number="0064", reason="readings_missing"),
                Skipped(consumer_id=uuid4(), account_number="0065", reason="something_new")],
})
RUN_DOCUMENTS = RunDocuments(invoices=1, pdfs=0, sealed=0, tax_invoices=1)
DONE_RUN_DOCUMENTS = RunDocuments(invoices=2, pdfs=2, sealed=1, tax_invoices=2)
POINT_FORM = PointFields(meter_serial="", zones="1", digits="6", ct_ratio="1", vt_ratio="1",
                         location="consumer_site", consumer_reads=True, registers=["active"], tariff_class="",
                         installation_readings=[])
#: the points page's own context: the installation readings' inputs
POINTS_FORM = {"registers": REGISTERS, "zones": ZONES, "installation_input": installation_input,
               "class_names": {TARIFF_CLASS.tariff_class: TARIFF_CLASS.title, "class1_general": "Загальний, 1 клас"}}
TYPED_POINT = POINT_FORM.model_copy(update={"zones": "2", "installation_readings": [
    InstallationValue(energy="active", zone=1, value="045231"), InstallationValue(energy="active", zone=2, value="x")]})


def _reconciliation_page(act: Reconciliation | None, target: AccountPages, errors: FormErrors | None = None,
                         disagreement: FormErrors | None = None) -> dict[str, Any]:
    return {"act": act, "typed": {"from": "31.02.2013"} if errors else {}, "errors": errors or FormErrors(),
            "disagreement_errors": disagreement or FormErrors(), "comment": "—" if disagreement else "",
            "comment_max": 1000, "query": "", "target": target, "notice": None if errors else "✓"}


def _operation(on: date, kind: ReconciliationKind, document: str, debit: str, credit: str) -> ReconciliationOperation:
    return ReconciliationOperation(on=on, kind=kind, document=document, debit=Decimal(debit), credit=Decimal(credit))


#: the manual's July and August: June's invoice owed at the start, a payment, a returned one, two invoices
RECONCILIATION = Reconciliation(
    start=date(2013, 7, 1), end=date(2013, 8, 26), opening=Decimal("173.28"),
    operations=[_operation(date(2013, 7, 10), ReconciliationKind.PAYMENT, "@2PL998327", "0", "200.00"),
                _operation(date(2013, 7, 26), ReconciliationKind.INVOICE, "0789/7/1", "259.92", "0"),
                _operation(date(2013, 8, 1), ReconciliationKind.PAYMENT, "@2PL998328", "0", "100.00"),
                _operation(date(2013, 8, 20), ReconciliationKind.RETURN, "@2PL998328", "100.00", "0"),
                _operation(date(2013, 8, 21), ReconciliationKind.CORRECTING_INVOICE, "0789/7/1/П1", "0", "10.00"),
                _operation(date(2013, 8, 26), ReconciliationKind.INVOICE, "0789/8/1", "415.87", "0")],
    debit_turnover=Decimal("775.79"), credit_turnover=Decimal("310.00"), closing=Decimal("639.07"),
    debtor="consumer", ageing=Ageing(not_due=Decimal("415.87"), days_0_30=Decimal("223.20"),
                                     days_31_60=Decimal(0), days_61_90=Decimal(0), over_90=Decimal(0)),
)
OVERPAID_RECONCILIATION = RECONCILIATION.model_copy(update={
    "opening": Decimal("-50.00"), "operations": [], "debit_turnover": Decimal(0), "credit_turnover": Decimal(0),
    "closing": Decimal("-50.00"), "debtor": "supplier"})
SETTLED_RECONCILIATION = OVERPAID_RECONCILIATION.model_copy(update={
    "opening": Decimal(0), "closing": Decimal(0), "debtor": "nobody"})


def _payments_page(saldo: Saldo, payments: list[Payment], errors: FormErrors, target: AccountPages) -> dict[str, Any]:
    return {
        "saldo": saldo, "saldo_kind": saldo_kind(saldo), "groups": group_by_year(payments, lambda p: p.paid_on),
        "start": date(2010, 8, 25), "end": date(2013, 8, 25), "errors": errors, "target": target,
        "typed": {name: "31.02.2013" for name in errors.fields},
    }


READINGS_SCENARIOS: list[tuple[str, User | None, dict[str, Any]]] = [
    ("readings.html", CONSUMER_USER, readings_page(READINGS, form=REFUSED_READINGS,
                                                   chart=consumption_chart(CHARTED))),
    ("readings.html", CONSUMER_USER, readings_page(ENTERED, chart=consumption_chart([]))),
    ("readings.html", CONSUMER_USER, readings_page(
        READINGS.model_copy(update={"window": CLOSED_WINDOW, "acts": []}),
        window_notice=WindowNotice("Readings cannot be entered now. The input opens on %(opens_on)s.",
                                   {"opens_on": "25.09.2013"}),
        calculation=Calculation(period="2013-08", self_calculation=False, ready=False, missing=MISSING),
    )),
    ("readings.html", CONSUMER_USER, readings_page(READINGS.model_copy(update={"period": "2013-07", "acts": []}),
                                                   calculation=None)),
    ("readings.html", CONSUMER_USER, readings_page(READINGS.model_copy(update={"points": []}),
                                                   calculation=CALCULATION.model_copy(update={
                                                       "ready": False, "invoice": INVOICES[1]}))),
    ("readings.html", STAFF_USER, readings_page(ACCEPTED, target=STAFF_PAGES, form=REFUSED_READINGS)),
    # staff enter the consumer's meter nobody has read while the substation's stands accepted: both forms
    ("readings.html", STAFF_USER, readings_page(READINGS, target=STAFF_PAGES)),
    ("readings.html", STAFF_USER, readings_page(READINGS.model_copy(update={"acts": [PAPER_ACT], "points": []}),
                                                target=STAFF_PAGES)),
    ("readings_import.html", CONSUMER_USER, {
        "limit": 1024 * 1024, "columns": IMPORT_COLUMNS, "csv_sample": CSV_SAMPLE, "xml_sample": XML_SAMPLE,
    }),
    ("invoices.html", CONSUMER_USER, {"groups": INVOICE_ROWS, "target": CONSUMER_PAGES, "notice": "✓",
                                      "chart": amounts_chart(INVOICES)}),
    ("invoices.html", STAFF_USER, {"groups": [], "target": STAFF_PAGES, "notice": None, "chart": amounts_chart([])}),
    ("payments.html", CONSUMER_USER, _payments_page(DEBT, [PAYMENT, PARKED_PAYMENT], FormErrors(), CONSUMER_PAGES)),
    ("payments.html", STAFF_USER, _payments_page(OVERPAYMENT, [], FormErrors(general="—", fields={"from": "—"}),
                                                 STAFF_PAGES)),
    ("payments.html", CONSUMER_USER, _payments_page(
        DEBT.model_copy(update={"saldo": Decimal("0"), "debt": Decimal("0"), "next_pay_by": None}), [], FormErrors(),
        CONSUMER_PAGES)),
    ("reconciliation.html", CONSUMER_USER, _reconciliation_page(RECONCILIATION, CONSUMER_PAGES)),
    ("reconciliation.html", CONSUMER_USER, _reconciliation_page(OVERPAID_RECONCILIATION, CONSUMER_PAGES,
                                                                disagreement=REFUSED)),
    ("reconciliation.html", STAFF_USER, _reconciliation_page(SETTLED_RECONCILIATION, STAFF_PAGES)),
    ("reconciliation.html", CONSUMER_USER, _reconciliation_page(None, CONSUMER_PAGES,
                                                                FormErrors(general="—", fields={"from": "—"}))),
    ("tax_invoices.html", CONSUMER_USER, {
        "groups": TAX_ROWS, "target": CONSUMER_PAGES, "notice": None, "errors": FormErrors(), "failed": None,
        "registrations": list(Registration),
    }),
    ("tax_invoices.html", STAFF_USER, {
        "groups": TAX_ROWS, "target": STAFF_PAGES, "notice": "✓", "errors": FormErrors(general="—"),
        "failed": CORRECTION.id, "registrations": list(Registration),
    }),
    ("tax_invoices.html", CONSUMER_USER, {
        "groups": [], "target": CONSUMER_PAGES, "notice": None, "errors": FormErrors(), "failed": None,
        "registrations": list(Registration),
    }),
    ("tariffs.html", CONSUMER_USER, {"classes": [TARIFF_CLASS], "coefficients": [], "staff": False, "notice": None}),
    ("tariffs.html", STAFF_USER, {"classes": [TARIFF_CLASS], "coefficients": TARIFF_CLASS.zone_coefficients,
                                  "staff": True, "notice": "✓", **TARIFF_FORMS}),
    ("tariffs.html", STAFF_USER, {"classes": [], "coefficients": [], "staff": True, "notice": None, **TARIFF_FORMS}),
    ("console_points.html", STAFF_USER, {
        "points": [POINT, SUBSTATION_POINT, RETIRED_POINT], "target": STAFF_PAGES, "values": POINT_FORM,
        "editing": None, "errors": FormErrors(), "locations": list(PointLocation), "notice": "✓", **POINTS_FORM,
    }),
    ("console_points.html", STAFF_USER, {
        "points": [POINT], "target": STAFF_PAGES, "values": POINT_FORM, "editing": None, "notice": None,
        "errors": FormErrors(general="—", fields={"tariff_class": "—"}), "locations": list(PointLocation),
        **POINTS_FORM, "class_names": None,
    }),
    ("console_points.html", STAFF_USER, {
        "points": [], "target": STAFF_PAGES, "values": TYPED_POINT, "editing": POINT, "locations": list(PointLocation),
        "errors": FormErrors(general="—", fields={name: "—" for name in (
            "meter_serial", "zones", "digits", "ct_ratio", "vt_ratio", "registers", "tariff_class", "installation",
            installation_input("active", 2))}),
        "notice": None, **POINTS_FORM,
    }),
    ("console_billing.html", STAFF_USER, {"due": DUE, "period": "2013-08", "ready": 1, "errors": FormErrors()}),
    ("console_billing.html", STAFF_USER, {"due": [], "period": "2013-08", "ready": 0,
                                          "errors": FormErrors(general="—", fields={"period": "—"})}),
    ("console_billing_run.html", STAFF_USER, {"run": RUN, "documents": RUN_DOCUMENTS}),
    ("console_billing_run.html", STAFF_USER, {"run": DONE_RUN, "documents": DONE_RUN_DOCUMENTS}),
    ("console_payments.html", STAFF_USER, {
        "payments": [PARKED_PAYMENT], "failed": PARKED_PAYMENT.id, "no_errors": FormErrors(), "notice": None,
        "errors": FormErrors(general="—", fields={"account_number": "—", "return_reason": "—"}),
    }),
    ("console_payments.html", STAFF_USER, {
        "payments": [], "failed": None, "errors": FormErrors(), "no_errors": FormErrors(), "notice": "✓",
    }),
]

# --- correspondence, feedback, help, the home page --------------------------------------------------------

ADDRESSEES = [
    AddresseeType(code="settlements", name=Localized(uk="Відділ розрахунків", ru="Отдел расчётов", en="Settlements"),
                  description=Localized(uk="Показання, рахунки", ru="Показания, счета", en="Readings, invoices")),
    AddresseeType(code="contracts", name=Localized(uk="Договірний відділ", ru="Договорной отдел", en="Contracts"),
                  description=Localized(uk="Договір", ru="Договор", en="The contract")),
]
LETTER_TYPES = [LetterType(code="question", name=Localized(uk="Питання", ru="Вопрос", en="Question"))]
LISTS = {language: ReferenceLists(ADDRESSEES, LETTER_TYPES, language) for language in LANGUAGES}
LETTER = Letter(
    id=uuid4(), consumer_id=CONSUMER.id, author=Author(user_id=CONSUMER_USER.id, login="avto2buh"),
    addressee_type="settlements", letter_type="question", subject="Рахунок за серпень", text="Рядок 1\nРядок 2",
    state=LetterState.ANSWERED, created_at=datetime(2013, 8, 26, 9, tzinfo=UTC), reply_count=1,
    replies=[Reply(id=uuid4(), text="Відповідь", author_user_id=STAFF_USER.id,
                   created_at=datetime(2013, 8, 27, 9, tzinfo=UTC))],
)
HANDLED = LETTER.model_copy(update={"id": uuid4(), "state": LetterState.HANDLED, "replies": [], "reply_count": 0,
                                    "handled_at": datetime(2013, 8, 28, 9, tzinfo=UTC), "letter_type": "gone"})
FEEDBACK = Feedback(id=uuid4(), user_id=CONSUMER_USER.id, login="avto2buh", role="consumer",
                    consumer_id=CONSUMER.id, page_url="/readings?period=2013-08", text="Кнопка не працює",
                    created_at=datetime(2013, 8, 26, 9, tzinfo=UTC))
LETTER_FORM = {"addressee_type": "settlements", "letter_type": "", "subject": "Тема", "text": "я" * 1001}
SIGNABLE = SignableDocument(document_id=DOCUMENT.id, consumer_id=CONSUMER.id, type="invoice", title="Рахунок 0789/8/1",
                            issued_on=date(2013, 8, 25), status=SignatureStatus.SIGNED_BY_SUPPLIER)
#: a director's home page: both the money and the readings panels
SEES_ALL = {"sees_money": True, "sees_readings": True}
OPEN_HOME = {"saldo": DEBT, "saldo_kind": "debt", "awaiting": [SIGNABLE] * 11, "window": OPEN_WINDOW,
             "window_notice": None, "signs_on_paper": False, **SEES_ALL}
PAPER_HOME = {**OPEN_HOME, "awaiting": [], "signs_on_paper": True}

# pages whose context depends on the language (the reference lists of notify come in three languages)
def _audit_page(entries: list[AuditEntry], target: AccountPages, language: str, *, kind: str = "", offset: int = 0,
                more: bool = False) -> dict[str, Any]:
    translations = CATALOGUES[language]
    return {
        "target": target, "rows": audit_rows(entries, translations, language), "kind": kind,
        "trail": AuditPage(items=entries, offset=offset, limit=50, more=more),
        "filters": [(name, translations.gettext(label)) for name, label in FILTER_LABELS.items()],
        "address": f"{target.base}/audit" if target.staff else "/settings/audit",
    }


LOCALIZED_SCENARIOS: list[tuple[str, User | None, Any]] = [
    ("letter_new.html", CONSUMER_USER, lambda language: {
        "lists": LISTS[language], "values": LETTER_FORM, "subject_max": 200, "text_max": 1000,
        "errors": FormErrors(general="—", fields={"addressee_type": "—", "letter_type": "—", "subject": "—",
                                                  "text": "—"}),
    }),
    ("letter_new.html", CONSUMER_USER, lambda language: {
        "lists": LISTS[language], "values": dict.fromkeys(LETTER_FORM, ""), "subject_max": 200, "text_max": 1000,
        "errors": FormErrors(),
    }),
    ("letters.html", CONSUMER_USER, lambda language: {
        "letters": Letters(items=[LETTER, HANDLED], total=60, limit=50, offset=0), "lists": LISTS[language],
        "notice": "✓",
    }),
    ("letters.html", CONSUMER_USER, lambda language: {
        "letters": Letters(items=[], total=0, limit=50, offset=0), "lists": LISTS[language], "notice": None,
    }),
    ("letter.html", CONSUMER_USER, lambda language: {"letter": LETTER, "lists": LISTS[language], "notice": "✓"}),
    ("letter.html", CONSUMER_USER, lambda language: {"letter": HANDLED, "lists": LISTS[language], "notice": None}),
    ("console_letters.html", STAFF_USER, lambda language: {
        "letters": Letters(items=[LETTER, HANDLED.model_copy(update={"consumer": None})], total=70, limit=50,
                           offset=0),
        "lists": LISTS[language], "states": list(LetterState),
        "filters": {"state": "new", "addressee_type": "settlements", "consumer_id": str(CONSUMER.id)},
    }),
    ("console_letters.html", STAFF_USER, lambda language: {
        "letters": Letters(items=[], total=0, limit=50, offset=0), "lists": LISTS[language],
        "states": list(LetterState), "filters": {"state": "", "addressee_type": "", "consumer_id": ""},
    }),
    ("console_letter.html", STAFF_USER, lambda language: {
        "letter": LETTER, "lists": LISTS[language], "reply": "", "errors": FormErrors(), "limit": 4000,
        "notice": "✓",
    }),
    ("audit.html", CONSUMER_USER, lambda language: _audit_page(AUDIT_ENTRIES, CONSUMER_PAGES, language, more=True)),
    ("audit.html", STAFF_USER, lambda language: _audit_page(AUDIT_ENTRIES[:3], STAFF_PAGES, language, offset=50)),
    ("audit.html", CONSUMER_USER, lambda language: _audit_page([], CONSUMER_PAGES, language, kind="api")),
    ("console_letter.html", STAFF_USER, lambda language: {
        "letter": HANDLED, "lists": LISTS[language], "reply": "—", "errors": FormErrors(general="—",
                                                                                          fields={"reply": "—"}),
        "limit": 4000, "notice": None,
    }),
]

CABINET_SCENARIOS: list[tuple[str, User | None, dict[str, Any]]] = [
    ("home.html", CONSUMER_USER, OPEN_HOME),
    ("home.html", CONSUMER_USER, {"saldo": OVERPAYMENT, "saldo_kind": "overpayment", "awaiting": [],
                                  "window": CLOSED_WINDOW, "window_notice": WindowNotice(
                                      "Readings cannot be entered now. The input opens on %(opens_on)s.",
                                      {"opens_on": "25.09.2013"}), "signs_on_paper": False, **SEES_ALL}),
    ("home.html", CONSUMER_USER, {"saldo": None, "saldo_kind": None, "awaiting": None, "window": None,
                                  "window_notice": None, "signs_on_paper": False, **SEES_ALL}),
    ("home.html", CONSUMER_USER, PAPER_HOME),
    ("home.html", CONSUMER_USER, {"saldo": DEBT.model_copy(update={"saldo": Decimal(0)}), "saldo_kind": "settled",
                                  "awaiting": [SIGNABLE], "window": OPEN_WINDOW, "window_notice": None,
                                  "signs_on_paper": False, **SEES_ALL}),
    ("supplier.html", CONSUMER_USER, {"branch": FULL_BRANCH, "consumer": CONSUMER_REF}),
    ("supplier.html", CONSUMER_USER, {"branch": None, "consumer": CONSUMER_REF}),
    ("feedback.html", CONSUMER_USER, {"page": "/readings?period=2013-08", "text": "—", "limit": 2000,
                                      "errors": FormErrors(general="—", fields={"message": "—"}), "notice": None}),
    ("feedback.html", STAFF_USER, {"page": "/console", "text": "", "limit": 2000, "errors": FormErrors(),
                                   "notice": None}),
    ("feedback.html", CONSUMER_USER, {"page": "/", "text": "", "limit": 2000, "errors": FormErrors(),
                                      "notice": "✓"}),
    ("console_feedback.html", STAFF_USER, {
        "messages": FeedbackPage(items=[FEEDBACK, FEEDBACK.model_copy(update={
            "read_at": datetime(2013, 8, 27, tzinfo=UTC), "consumer_id": None, "login": None})],
            total=90, limit=50, offset=0),
        "unread": False, "notice": "✓", "refused": "—",
    }),
    ("console_feedback.html", STAFF_USER, {"messages": FeedbackPage(items=[], total=0, limit=50, offset=0),
                                           "unread": True, "notice": None, "refused": None}),
    ("console_consumer_edit.html", STAFF_USER, {"consumer": CONSUMER, "values": CONSUMER_FORM, "errors": REFUSED}),
    ("help.html", CONSUMER_USER, {}),
    ("help.html", None, {}),
    ("help_terms.html", CONSUMER_USER, {}),
    ("help_laws.html", STAFF_USER, {}),
    ("help_report.html", CONSUMER_USER, {}),
    ("help_e_signature.html", CONSUMER_USER, {}),
    ("help_e_signature.html", STAFF_USER, {}),
]

# (template, who is visiting, the page's own context); every template appears at least once
SCENARIOS: list[tuple[str, User | None, dict[str, Any]]] = [
    ("login.html", None, {"login": "", "next": None, "errors": FormErrors(), "notice": "✓"}),
    ("login.html", None, {"login": "avto2buh", "next": "/settings", "errors": REFUSED, "notice": None}),
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
        "values": {"new_email": "x@example.ua", "new_login": "newlogin"}, "notice": "✓", "own_audit_trail": True,
    }),
    ("settings.html", STAFF_USER, {
        "errors_email": FormErrors(), "errors_login": FormErrors(), "errors_password": FormErrors(),
        "values": {"new_email": "", "new_login": ""}, "notice": None, "own_audit_trail": False,
    }),
    ("access_tokens.html", CONSUMER_USER, {
        "tokens": [ACCESS_TOKEN, ACCESS_TOKEN.model_copy(update={"last_used_at": datetime(2013, 8, 26, tzinfo=UTC)})],
        "created": NewAccessToken(token="cab_" + "s" * 43, access_token=ACCESS_TOKEN), "errors": FormErrors(),
        "values": {"name": "", "scopes": [], "expires_in_days": 90}, "revocation_refused": "—",
        "scope_labels": SCOPE_LABELS, "expiry_days": EXPIRY_DAYS, "api_base_url": "https://cabinet.example.ua/api/v1",
        "notice": "✓",
    }),
    ("access_tokens.html", CONSUMER_USER, {
        "tokens": [], "created": None, "errors": FormErrors(general="—", fields={"name": "—", "scopes": "—"}),
        "values": {"name": "1С", "scopes": ["invoices:read"], "expires_in_days": 365}, "revocation_refused": None,
        "scope_labels": SCOPE_LABELS, "expiry_days": EXPIRY_DAYS, "api_base_url": "http://127.0.0.1:8000/api/v1",
        "notice": None,
    }),
    ("users.html", CONSUMER_USER, {
        "colleagues": Colleagues(users=[
            ConsumerUser(id=CONSUMER_USER.id, login="avto2buh", email="buh@avto2.example.ua",
                         consumer_role=ConsumerRole.DIRECTOR),
            ConsumerUser(id=uuid4(), login="avto2eng", email="eng@avto2.example.ua",
                         consumer_role=ConsumerRole.ENGINEER),
        ], invitations=[Invitation(id=uuid4(), email="view@avto2.example.ua", consumer_role=ConsumerRole.VIEWER,
                                   expires_at=datetime(2013, 8, 29, tzinfo=UTC))]),
        "errors": FormErrors(), "values": {"email": "", "consumer_role": "accountant"}, "refused": "—",
        "role_labels": ROLE_LABELS, "role_descriptions": ROLE_DESCRIPTIONS, "notice": "✓",
    }),
    ("users.html", CONSUMER_USER, {
        "colleagues": Colleagues(users=[], invitations=[]), "errors": REFUSED,
        "values": {"email": "x", "consumer_role": "viewer"}, "refused": None, "role_labels": ROLE_LABELS,
        "role_descriptions": ROLE_DESCRIPTIONS, "notice": None,
    }),
    ("invitation.html", None, {
        "token": "t" * 43, "invitation": InvitationLink(
            consumer=LinkedConsumer(account_number="0789", name="Кооператив"), email="buh@avto2.example.ua",
            consumer_role=ConsumerRole.ACCOUNTANT),
        "login": "avto2buh", "errors": REFUSED, "role_labels": ROLE_LABELS, "role_descriptions": ROLE_DESCRIPTIONS,
    }),
    ("console_list.html", STAFF_USER, {"query": "0789", "consumers": [CONSUMER]}),
    ("console_list.html", STAFF_USER, {"query": "", "consumers": []}),
    ("console_new.html", STAFF_USER, {"branches": [FULL_BRANCH], "values": CONSUMER_FORM, "errors": REFUSED}),
    ("console_consumer.html", STAFF_USER, {
        "consumer": CONSUMER, "users": [ConsumerUser(id=uuid4(), login="avto2buh", email="buh@avto2.example.ua",
                                                     consumer_role=ConsumerRole.ACCOUNTANT)],
        "notice": "✓", "role_labels": ROLE_LABELS,
    }),
    ("console_consumer.html", STAFF_USER, {"consumer": CONSUMER, "users": [], "notice": None,
                                           "role_labels": ROLE_LABELS}),
    ("activation_code.html", STAFF_USER, {"consumer": CONSUMER, "activation_code": "7K3M-Q9TX-2BHD", "title": "—"}),
    ("documents.html", CONSUMER_USER, {
        "groups": document_rows([DOCUMENT, OLD_DOCUMENT], {DOCUMENT.id: SIGNABLE.model_copy(update={
            "signers": [Party.CONSUMER, Party.SUPPLIER], "awaiting": [Party.CONSUMER]})}, Party.CONSUMER),
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
        "document": DOCUMENT, "status": None, "statuses_unavailable": "—", "signature_file": None, "can_sign": False,
        "certificates": [], "is_staff": False, "consumer": None, "notice": None, "errors": FormErrors(), "reason": "",
        "max_reason_length": 1000,
    }),
    # a signature file: nobody signs it
    ("document.html", STAFF_USER, {
        "document": DOCUMENT, "status": None, "statuses_unavailable": None, "signature_file": "—", "can_sign": False,
        "certificates": [], "is_staff": True, "consumer": CONSUMER, "notice": None, "errors": FormErrors(),
        "reason": "", "max_reason_length": 1000,
    }),
    ("certificates.html", CONSUMER_USER, {
        "certificates": [(CERTIFICATE, CertificateState.VALID), (CERTIFICATE, CertificateState.EXPIRED)],
        "removed": [REMOVED_CERTIFICATE], "refusals": [], "removal_refused": "—", "pasted": "", "notice": "✓",
    }),
    ("certificates.html", STAFF_USER, {"certificates": [], "removed": [], "refusals": ["—", "—"],
                                       "removal_refused": None, "pasted": "—", "notice": None}),
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
                          issued_on=date(2013, 8, 25), status=SignatureStatus.SIGNED_BY_CONSUMER), CONSUMER),
        (SignableDocument(document_id=OLD_DOCUMENT.id, consumer_id=CONSUMER.id, type="act_of_readings", title="Акт",
                          issued_on=date(2013, 1, 1), status=SignatureStatus.NOT_SIGNED), CONSUMER),
    ]}),
    ("console_signatures.html", STAFF_USER, {"rows": []}),
    *READINGS_SCENARIOS,
    *CABINET_SCENARIOS,
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
    assert pages == {template for template, _, _ in SCENARIOS + LOCALIZED_SCENARIOS}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "user", "page"), SCENARIOS + LOCALIZED_SCENARIOS)
def test_page_renders_in_language(template: str, user: User | None, page: Any, language: str) -> None:
    rendered = _render(template, user, page(language) if callable(page) else page, language)
    assert f'<html lang="{language}">' in rendered
    if language == "en":
        return
    text = _visible_text(rendered)
    leaked = [english for english in ENGLISH_TEXTS if re.search(rf"(?<!\w){re.escape(english)}(?!\w)", text)]
    assert not leaked, f"{template} in {language} shows English: {leaked}"


def test_the_frame_shows_the_account_and_supplier_as_the_manual_does() -> None:
    text = _visible_text(_render("home.html", CONSUMER_USER, OPEN_HOME, "uk"))
    assert "№ 0789, ПАТ «ДТЕК ПЕМ-Енерговугілля»" in text
    assert "Кооператив Автомобіліст-2" in text
    assert "Налаштування" in text and "Вихід" in text


def test_a_consumer_signing_on_paper_is_told_so_rather_than_that_nothing_waits() -> None:
    paper = " ".join(_visible_text(_render("home.html", CONSUMER_USER, PAPER_HOME, "uk")).split())
    electronic = " ".join(_visible_text(_render("home.html", CONSUMER_USER, {**PAPER_HOME, "signs_on_paper": False},
                                                "uk")).split())

    assert "акти й рахунки підписують на папері в офісі постачальника" in paper
    assert "Жоден документ не чекає на ваш підпис" not in paper
    assert "Жоден документ не чекає на ваш підпис" in electronic and "на папері" not in electronic


def test_forms_show_each_error_beside_its_field_and_never_echo_passwords() -> None:
    page = _render("settings.html", CONSUMER_USER, {
        "errors_email": FormErrors(fields={"current_password": "Поточний пароль неправильний."}),
        "errors_login": FormErrors(), "errors_password": FormErrors(),
        "values": {"new_email": "nova@avto2.example.ua", "new_login": ""}, "notice": None, "own_audit_trail": True,
    }, "uk")
    assert re.search(
        r'id="email-current_password"[^>]*aria-describedby="email-current_password-error"[^>]*aria-invalid="true"',
        page,
    )
    assert '<p class="field__error" id="email-current_password-error">Поточний пароль неправильний.</p>' in page
    assert 'value="nova@avto2.example.ua"' in page
    password_inputs = re.findall(r'<input[^>]*type="password"[^>]*>', page)
    assert password_inputs and not any("value=" in tag for tag in password_inputs)


def test_the_console_shows_each_meters_installation_readings_and_their_inputs() -> None:
    listed = _render("console_points.html", STAFF_USER, {
        "points": [POINT, SUBSTATION_POINT], "target": STAFF_PAGES, "values": POINT_FORM, "editing": None,
        "errors": FormErrors(), "locations": list(PointLocation), "notice": None, **POINTS_FORM,
    }, "uk")
    text = " ".join(_visible_text(listed).split())
    # zone by zone of each register the meter has
    assert "Активна енергія, кВт·год: 45 231 / 1 200.5 Реактивна енергія, квар·год: 20 / 7" in text
    assert "Активна енергія, кВт·год: 0 / 0 / 0" in text
    # an input for every register and zone a meter may have, empty for a new point
    inputs = re.findall(r'<input class="field__input field__input--reading" id="(installation_\w+)" '
                        r'name="\1"[^>]*value=""', listed)
    assert inputs == [installation_input(energy, zone) for energy in REGISTERS for zone in ZONES]
    # the tariff class by its name, chosen from billing's classes by name
    assert "Непобутові споживачі, 2 клас напруги" in text and "non_household_2" not in text
    assert re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>',
                      listed[listed.index('id="tariff_class"'):].split("</select>")[0]) == [
        ("", "Оберіть клас тарифу"), ("class1_general", "Загальний, 1 клас"),
        ("non_household_2", "Непобутові споживачі, 2 клас напруги")]

    refused = _render("console_points.html", STAFF_USER, {
        "points": [], "target": STAFF_PAGES, "values": TYPED_POINT, "editing": None, "locations": list(PointLocation),
        "errors": FormErrors(general="—", fields={installation_input("active", 2): "Введіть показання числом."}),
        "notice": None, **POINTS_FORM,
    }, "uk")
    assert re.search(r'id="installation_active_1" [^>]*value="045231"', refused)
    assert re.search(r'id="installation_active_2" [^>]*value="x" aria-invalid="true" '
                     r'aria-describedby="installation_active_2-error"', refused)
    assert '<p class="field__error" id="installation_active_2-error">Введіть показання числом.</p>' in refused


def test_pages_need_no_inline_script_or_style() -> None:
    # the Content-Security-Policy allows scripts and styles from our own files only
    for template, user, page in SCENARIOS + LOCALIZED_SCENARIOS:
        rendered = _render(template, user, page("uk") if callable(page) else page, "uk")
        assert not re.search(r"<script(?![^>]*\bsrc=)", rendered), template
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", rendered), template


def test_money_and_dates_filters_are_available_to_templates() -> None:
    template = ENVIRONMENT.from_string("{{ amount|money }} / {{ day|date }}")
    assert template.render(amount=Decimal("1238.88"), day=datetime(2013, 8, 25, 9, tzinfo=UTC)) == (
        "1 238.88 / 25.08.2013"
    )


@pytest.mark.parametrize(("language", "fields", "advice"), [
    ("uk", ["ІПН покупця", "Код одиниці виміру (рядок 2)", "Код податкового органу продавця",
            "Інше обов’язкове поле"], "Написати постачальнику"),
    ("ru", ["ИНН покупателя (плательщика НДС)", "Код единицы измерения (строка 2)", "Код налогового органа продавца",
            "Другое обязательное поле"], "Написать поставщику"),
    ("en", ["Buyer's individual tax number (VAT)", "Unit of measurement code (row 2)",
            "Code of the supplier's tax office", "Another mandatory field"], "Write to the supplier"),
])
def test_the_completeness_check_names_the_forms_fields_in_the_visitors_language(
    language: str, fields: list[str], advice: str,
) -> None:
    """«Податкові накладні»: what the check finds missing is named as the form names it, with whom to ask; never the
    service's internal names (`buyer.ipn`, `rows.2.unit_code`, a code the cabinet does not know yet)."""
    page = _render("tax_invoices.html", CONSUMER_USER, {
        "groups": TAX_ROWS, "target": CONSUMER_PAGES, "notice": None, "errors": FormErrors(), "failed": None,
        "registrations": list(Registration),
    }, language)
    missing = re.search(r'<ul class="missing">(.*?)</ul>', page, re.S)
    assert missing is not None
    assert [html.unescape(item.strip()) for item in re.findall(r"<li>(.*?)</li>", missing.group(1), re.S)] == fields
    text = _visible_text(page)
    assert advice in text and '<a href="/letters/new">' in page
    for internal in ("buyer.ipn", "rows.2", "unit_code", "seller.tax_office", "something_new"):
        assert internal not in page, internal


def test_staff_are_sent_to_the_consumers_vat_details() -> None:
    page = _render("tax_invoices.html", STAFF_USER, {
        "groups": TAX_ROWS, "target": STAFF_PAGES, "notice": None, "errors": FormErrors(), "failed": None,
        "registrations": list(Registration),
    }, "uk")
    text = " ".join(_visible_text(page).split())
    assert f'<a href="/console/consumers/{CONSUMER.id}/edit">' in page
    assert "Внесіть дані споживача як платника ПДВ: Змінити дані споживача" in text
    assert "налаштовує адміністратор кабінету" in text
    assert "Написати постачальнику" not in text


def test_an_amount_in_a_sentence_is_kept_on_one_line() -> None:
    template = ENVIRONMENT.from_string('{{ _("Debt: %(amount)s UAH", amount=amount|money_inline) }}')
    rendered = template.render(amount=Decimal("35233.65"), translations=CATALOGUES["uk"])
    assert rendered == 'Заборгованість: <span class="money">35 233.65</span> грн'


@pytest.mark.parametrize("template", ["invoices.html", "payments.html", "reconciliation.html", "tax_invoices.html",
                                      "documents.html", "certificates.html", "letters.html", "console_letters.html",
                                      "access_tokens.html", "users.html", "audit.html",
                                      "console_list.html", "console_points.html", "console_billing.html",
                                      "console_signatures.html", "console_feedback.html", "tariffs.html",
                                      "console_consumer.html"])
def test_every_cell_of_a_list_names_its_column_for_the_narrow_screen(template: str) -> None:
    """A list drawn as cards on a phone shows each value under its column's name: every cell of every row but
    the sequence number and the row of actions carries it, in the visitor's language."""
    rendered = [_render(name, user, page("uk") if callable(page) else page, "uk")
                for name, user, page in SCENARIOS + LOCALIZED_SCENARIOS if name == template]
    cells = [cell for page in rendered for table in re.findall(r'<table class="[^"]*table--cards.*?</table>', page,
                                                                 re.DOTALL)
             for cell in re.findall(r"<td(?: [^>]*)?>", table)]
    assert cells, f"{template} has no list drawn as cards"
    unnamed = [cell for cell in cells if "data-label=" not in cell and 'class="index"' not in cell
               and "actions-cell" not in cell]
    assert not unnamed, unnamed
    assert 'data-label="' in rendered[0] and 'data-label="No."' not in rendered[0]


def test_months_to_choose_from_are_the_pages_words_newest_first() -> None:
    months = billing_months(date(2026, 11, 7), "2013-08", "uk")
    assert months[0] == ("2026-11", "листопад 2026") and months[60] == ("2021-11", "листопад 2021")
    assert months[-1] == ("2013-08", "серпень 2013")  # the one asked for, long ago, is there too
    assert billing_months(date(2026, 11, 7), "", "ru", ahead=2)[:3] == [
        ("2027-01", "январь 2027"), ("2026-12", "декабрь 2026"), ("2026-11", "ноябрь 2026")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_control_is_drawn_in_the_browsers_own_language(language: str) -> None:
    """Month and date pickers and file inputs are drawn by the browser in its own language («November 2026»,
    «Choose File»): the pages offer lists and buttons of their own words instead."""
    pages = {template: _render(template, user, page(language) if callable(page) else page, language)
             for template, user, page in SCENARIOS + LOCALIZED_SCENARIOS}
    for template, rendered in pages.items():
        assert not re.search(r'type="(month|date|datetime-local|week)"', rendered), template
        for tag in re.findall(r'<input[^>]*type="file"[^>]*>', rendered):
            field_id = re.search(r'id="([^"]+)"', tag)
            assert field_id and 'class="file-field__input"' in tag, (template, tag)
            button = re.search(rf'<label class="button[^"]*" id="{field_id.group(1)}-button" for="{field_id.group(1)}">'
                               r"([^<]+)</label>", rendered)
            assert button and button.group(1) == CATALOGUES[language].gettext("Choose a file"), (template, tag)
    picker = pages["console_billing.html"]
    expected = CATALOGUES[language].gettext("Billing month")
    assert f'<label for="period-picker">{expected}</label>' in picker
    assert re.search(r'<option value="2013-08" selected>[^<]*2013</option>', picker)
    tariff_form = pages["tariffs.html"]
    assert re.search(r'<select class="field__input" id="tariff-effective_from" name="effective_from"', tariff_form)


def test_a_tariff_class_is_shown_by_its_name_and_staff_see_its_code_for_the_form() -> None:
    consumer = _visible_text(_render("tariffs.html", CONSUMER_USER, {
        "classes": [TARIFF_CLASS], "coefficients": [], "staff": False, "notice": None}, "uk"))
    assert "Непобутові споживачі, 2 клас напруги" in consumer and "non_household_2" not in consumer
    staff = _visible_text(_render("tariffs.html", STAFF_USER, {
        "classes": [TARIFF_CLASS], "coefficients": [], "staff": True, "notice": None, **TARIFF_FORMS}, "uk"))
    assert "Код класу: non_household_2" in staff


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_demo_system_says_where_its_keys_are_and_a_real_one_says_nothing(language: str) -> None:
    real = _render("help_e_signature.html", CONSUMER_USER, {}, language)
    demo = _render("help_e_signature.html", CONSUMER_USER, {"demo_keys": "/srv/cabinet/var/trust"}, language)
    assert "demo-keys" not in real
    text = _visible_text(demo)
    assert "/srv/cabinet/var/trust" in text and "consumer.key.pem" in text and "consumer-dstu.Key-6.dat" in text
    assert CATALOGUES[language].gettext("This is a demo system.") in text


def test_the_reconciliation_act_shows_the_books_balances_and_ageing() -> None:
    page = _render("reconciliation.html", CONSUMER_USER, _reconciliation_page(RECONCILIATION, CONSUMER_PAGES), "uk")
    text = " ".join(_visible_text(page).split())
    for expected in ("Сальдо на початок", "173.28", "Оплата, платіжна інструкція № @2PL998327",
                     "Коригувальний рахунок № 0789/7/1/П1", "Повернення оплати, платіжна інструкція № @2PL998328",
                     "Обороти за період", "775.79", "310.00", "Сальдо на кінець",
                     "Станом на 26.08.2013 заборгованість споживача перед постачальником становить 639.07 грн.",
                     "Сформувати акт звірки", "Що не збігається"):
        assert expected in text, expected
    assert re.search(r'data-ageing="days_0_30">223.20<', page)
    assert 'action="/reconciliation/disagreement"' in page
    staff = _render("reconciliation.html", STAFF_USER, _reconciliation_page(RECONCILIATION, STAFF_PAGES), "uk")
    assert f'action="/console/consumers/{CONSUMER.id}/reconciliation/acts"' in staff
    assert "/reconciliation/disagreement" not in staff
    overpaid = " ".join(_visible_text(_render("reconciliation.html", CONSUMER_USER,
                                              _reconciliation_page(OVERPAID_RECONCILIATION, CONSUMER_PAGES),
                                              "uk")).split())
    assert "заборгованість постачальника перед споживачем становить 50.00 грн" in overpaid
    assert "Заборгованість за днями прострочення" not in overpaid


def test_the_activity_log_says_who_did_what_and_where() -> None:
    page = _render("audit.html", CONSUMER_USER, _audit_page(AUDIT_ENTRIES, CONSUMER_PAGES, "uk", more=True), "uk")
    rows = {int(entry): " ".join(_visible_text(row).split()) for entry, row in re.findall(
        r'<tr data-audit-entry="(\d+)".*?>(.*?)</tr>', page, re.DOTALL)}
    assert list(rows) == [entry.id for entry in AUDIT_ENTRIES]
    # Kyiv time (UTC+3 in summer), the person's login and e-mail, the program's call with its key and answer
    assert rows[11].startswith("27.08.2013 00:30 avto2buh buh@avto2.example.ua")
    assert ("Виклик програми (API) GET /invoices/{invoice_id} Ключ «1С: Бухгалтерія», починається з cab_Xy7Q…"
            in rows[11])
    assert rows[11].endswith("Відповідь: 200 Програма (API)")
    assert "Внесено показання за серпень 2013" in rows[10]
    assert "01234567, Активна енергія, кВт·год, Зона 1: 12 345.6 → 12 500" in rows[10]
    assert "Зона 2: 99 990 → 15 (лічильник перейшов через нуль)" in rows[10]
    assert rows[10].endswith("Сторінки кабінету")
    assert "dogovir01" in rows[9] and "Виправлено показання за липень 2013 Причина: Помилка в акті" in rows[9]
    assert "Система РЕМ" in rows[8] and "Показання за липень 2013 прийнято 3 показання" in rows[8]
    assert "Електронна печатка постачальника" in rows[7]
    assert "Документ підписано Рахунок Від імені: Постачальник" in rows[7]
    assert "Відмова від підписання документа Акт передачі показань" in rows[6]
    assert "Причина: Не той період" in rows[6]
    assert "Користувач, якого вже немає в кабінеті" in rows[5]
    assert "Змінено: Розрахунковий день місяця, Електронний підпис" in rows[5]
    assert "Змінено логін avto2 → avto2buh" in rows[4]
    assert "Змінено пароль" in rows[3] and "Створено ключ доступу Ключ «1С: Бухгалтерія»" in rows[2]
    assert "Дія: something_new" in rows[1]
    assert 'href="/settings/audit?kind=&amp;offset=50" rel="next"' in page
    staff = _render("audit.html", STAFF_USER, _audit_page(AUDIT_ENTRIES[:1], STAFF_PAGES, "uk", offset=50), "uk")
    assert f'action="/console/consumers/{CONSUMER.id}/audit"' in staff
    assert f'href="/console/consumers/{CONSUMER.id}/audit?kind="' in staff and 'rel="next"' not in staff
