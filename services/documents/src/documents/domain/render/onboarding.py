"""The e-signature onboarding documents (manual «Оформление ЭЦП»): public contract, registration application,
act of services, invoice for payment, voice-authentication passphrase form and instructions. All six are drawn
from one data model: the consumer's form and the provider's details."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict, Field
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, ListFlowable, ListItem, Paragraph, Spacer, Table, TableStyle

from documents.domain.render.furniture import (
    CONTENT_WIDTH,
    RULE_COLOR,
    STYLES,
    amount_in_words,
    format_date,
    format_money,
)
from documents.domain.render.layouts import (
    Column,
    InvoiceLikePage,
    Signature,
    details_table,
    parties_table,
    render_invoice_like,
    render_text_document,
    signatures_table,
)
from documents.domain.render.registry import TEMPLATES
from shared.contracts.documents import Party
from shared.vat import vat_of

CERTIFICATE_VALIDITY = "1 рік"
PAYMENT_TERM_DAYS = 5


class EdsOnboardingData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: the package's number: the contract's, the application's, the invoice's and the act's
    number: str = Field(min_length=1, max_length=40)
    issued_on: date
    provider: Party
    customer: Party
    signer_name: str = Field(min_length=1, max_length=200)
    signer_position: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    #: one certificate, without VAT
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    vat_rate: Decimal = Field(ge=0, le=1)

    @property
    def vat(self) -> Decimal:
        """Rounded as on every document of the cabinet; the provider's own price and rate, which no invoice of
        billing's repeats (the certificate is the provider's service, not the supplier's)."""
        return vat_of(self.price, self.vat_rate)

    @property
    def total(self) -> Decimal:
        return self.price + self.vat

    @property
    def vat_percent(self) -> str:
        return f"{(self.vat_rate * 100).normalize():f}%"

    @property
    def reference(self) -> str:
        return f"№ {self.number} від {format_date(self.issued_on)}"

    @property
    def service(self) -> str:
        return (f"Формування кваліфікованого сертифіката відкритого ключа підписувача {self.signer_name} "
                f"(строк чинності {CERTIFICATE_VALIDITY})")


# helpers for running text: values from the form are plain text, paragraphs are markup
def _paragraph(markup: str, style: str = "body") -> Paragraph:
    return Paragraph(markup, STYLES[style])


def _heading(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["heading"])


def _numbered(items: Sequence[str]) -> ListFlowable:
    return ListFlowable(
        [ListItem(_paragraph(item), leftIndent=6 * mm) for item in items],
        bulletType="1", bulletFormat="%s.", bulletFontName=STYLES["body"].fontName,
        bulletFontSize=STYLES["body"].fontSize,
        leftIndent=6 * mm,
    )


#: the table of the act of services and of the invoice for payment
SERVICE_COLUMNS = [
    Column("№", "center"), Column("Найменування послуги"), Column("Од.", "center"),
    Column("К-сть", "right"), Column("Ціна без ПДВ, грн", "right"),
    Column("Сума без ПДВ, грн", "right"),
]


def _service_rows(data: EdsOnboardingData) -> list[list[str]]:
    price = format_money(data.price)
    return [["1", data.service, "посл.", "1", price, price]]


def _totals(data: EdsOnboardingData, last: str) -> list[tuple[str, str]]:
    return [("Разом без ПДВ", format_money(data.price)), (f"ПДВ {data.vat_percent}", format_money(data.vat)),
            (last, format_money(data.total))]


def _customer_in_person(data: EdsOnboardingData) -> str:
    customer = data.customer
    return (f"<b>{escape(customer.name)}</b>, код ЄДРПОУ {escape(customer.edrpou)} (далі — Замовник), від імені "
            f"якого на підставі установчих документів діє {escape(data.signer_position)} "
            f"{escape(data.signer_name)}")


@TEMPLATES.template("eds_public_contract", title="Публічний договір", data=EdsOnboardingData)
def public_contract(data: EdsOnboardingData) -> bytes:
    provider = escape(data.provider.name)
    body: list[Flowable] = [
        _paragraph(f"<b>{provider}</b> (далі — Надавач), з одного боку, та {_customer_in_person(data)}, з другого "
                   "боку, уклали цей договір шляхом приєднання Замовника до його умов (стаття 634 Цивільного "
                   "кодексу України)."),
        _heading("1. Предмет договору"),
        _paragraph(f"1.1. Надавач надає Замовнику кваліфіковані електронні довірчі послуги: реєструє підписувача "
                   f"{escape(data.signer_name)} ({escape(data.signer_position)}) і формує та обслуговує його "
                   f"кваліфікований сертифікат відкритого ключа строком на {CERTIFICATE_VALIDITY}."),
        _paragraph("1.2. Сертифікат призначений для накладання кваліфікованого електронного підпису на документи "
                   "Замовника, зокрема в особистому кабінеті споживача електричної енергії."),
        _heading("2. Вартість послуг і порядок оплати"),
        _paragraph(f"2.1. Вартість послуг — {format_money(data.total)} грн, у тому числі ПДВ "
                   f"{format_money(data.vat)} грн ({escape(amount_in_words(data.total))})."),
        _paragraph(f"2.2. Замовник оплачує послуги за рахунком № {escape(data.number)} протягом "
                   f"{PAYMENT_TERM_DAYS} банківських днів від дати рахунку."),
        _heading("3. Права та обов'язки сторін"),
        _paragraph("3.1. Надавач формує сертифікат протягом трьох робочих днів після оплати та ідентифікації "
                   "підписувача і забезпечує перевірку статусу сертифіката в будь-який час."),
        _paragraph("3.2. Замовник забезпечує, щоб особистий ключ підписувача зберігався в таємниці, і негайно "
                   "повідомляє Надавача про його втрату чи компрометацію; для блокування сертифіката телефоном "
                   "підписувач називає парольну фразу з бланка голосової автентифікації."),
        _paragraph("3.3. Після надання послуг сторони підписують акт приймання-передачі наданих послуг."),
        _heading("4. Строк дії договору"),
        _paragraph(f"4.1. Договір набирає чинності з дня оплати рахунку і діє до закінчення строку чинності "
                   f"сертифіката ({CERTIFICATE_VALIDITY})."),
        # the parties' details and signatures are not parted from their heading by a page break
        KeepTogether([
            _heading("5. Реквізити та підписи сторін"),
            parties_table([("Надавач", data.provider), ("Замовник", data.customer)]),
            signatures_table([
                Signature("Від Надавача", "уповноважена особа"),
                Signature("Від Замовника", data.signer_name, data.signer_position),
            ]),
        ]),
    ]
    return render_text_document(
        issuer=data.provider.name, reference=f"Договір {data.reference}",
        title="Публічний договір про надання кваліфікованих електронних довірчих послуг",
        subtitle=f"{data.reference}", body=body,
    )


@TEMPLATES.template("eds_registration_application", title="Заявка на реєстрацію", data=EdsOnboardingData)
def registration_application(data: EdsOnboardingData) -> bytes:
    customer = data.customer
    body: list[Flowable] = [
        _paragraph(f"Надавачу кваліфікованих електронних довірчих послуг <b>{escape(data.provider.name)}</b>"),
        Spacer(1, 2 * mm),
        _paragraph("Прошу зареєструвати підписувача та сформувати кваліфікований сертифікат відкритого ключа для "
                   "накладання кваліфікованого електронного підпису від імені юридичної особи:"),
        details_table([
            ("Найменування юридичної особи", customer.name),
            ("Код ЄДРПОУ", customer.edrpou),
            ("Місцезнаходження", customer.address or "—"),
            ("Телефон", customer.phone or "—"),
            ("Електронна пошта", data.email),
            ("Підписувач (прізвище, ім'я, по батькові)", data.signer_name),
            ("Посада підписувача", data.signer_position),
            ("Тип сертифіката", "Кваліфікований сертифікат електронного підпису"),
            ("Строк чинності", CERTIFICATE_VALIDITY),
            ("Призначення", "Підписання документів в особистому кабінеті юридичного споживача"),
        ]),
        Spacer(1, 3 * mm),
        _paragraph("Підтверджую достовірність наведених даних. Підписувач погоджується на обробку його "
                   "персональних даних відповідно до Закону України «Про захист персональних даних» для надання "
                   "електронних довірчих послуг."),
        signatures_table([
            Signature("Керівник", data.signer_name, data.signer_position),
            Signature("Дата", format_date(data.issued_on)),
        ]),
    ]
    return render_text_document(
        issuer=data.provider.name, reference=f"Заява {data.reference}",
        title="Заява про реєстрацію підписувача та формування кваліфікованого сертифіката",
        subtitle=data.reference, body=body,
    )


@TEMPLATES.template("eds_act_of_services", title="Акт про отримання послуг", data=EdsOnboardingData)
def act_of_services(data: EdsOnboardingData) -> bytes:
    return render_invoice_like(InvoiceLikePage(
        issuer=data.provider.name, reference=f"Акт {data.reference}",
        title=f"Акт приймання-передачі наданих послуг № {data.number}",
        subtitle=f"від {format_date(data.issued_on)} до договору № {data.number}",
        parties=[("Виконавець", data.provider), ("Замовник", data.customer)],
        columns=SERVICE_COLUMNS, rows=_service_rows(data), totals=_totals(data, "Всього з ПДВ"),
        amount_in_words=amount_in_words(data.total),
        notes=[
            "Послуги надано в повному обсязі та в строк. Замовник претензій щодо обсягу, якості та строків "
            "надання послуг не має.",
            f"Від імені Замовника діє {data.signer_position} {data.signer_name}.",
        ],
        signatures=[
            Signature("Від Виконавця", "уповноважена особа"),
            Signature("Від Замовника", data.signer_name, data.signer_position),
        ],
    ))


@TEMPLATES.template("eds_invoice", title="Рахунок на оплату", data=EdsOnboardingData)
def invoice(data: EdsOnboardingData) -> bytes:
    return render_invoice_like(InvoiceLikePage(
        issuer=data.provider.name, reference=f"Рахунок {data.reference}",
        title=f"Рахунок на оплату № {data.number}", subtitle=f"від {format_date(data.issued_on)}",
        parties=[("Постачальник", data.provider), ("Платник", data.customer)],
        columns=SERVICE_COLUMNS, rows=_service_rows(data), totals=_totals(data, "Всього до сплати"),
        amount_in_words=amount_in_words(data.total),
        notes=[
            f"Рахунок дійсний до сплати протягом {PAYMENT_TERM_DAYS} банківських днів. У призначенні платежу "
            f"вкажіть: «Оплата за рахунком № {data.number}, код ЄДРПОУ {data.customer.edrpou}».",
        ],
        signatures=[Signature("Рахунок виписав(ла)", "уповноважена особа")],
    ))


@TEMPLATES.template("eds_passphrase_form", title="Бланк парольної фрази", data=EdsOnboardingData)
def passphrase_form(data: EdsOnboardingData) -> bytes:
    # the passphrase is a secret: the consumer writes it by hand, it never passes through the cabinet
    boxes = Table([[""] * 30], colWidths=[CONTENT_WIDTH / 30] * 30, rowHeights=[9 * mm])
    boxes.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, RULE_COLOR)]))
    body: list[Flowable] = [
        _paragraph("Парольна фраза потрібна, щоб підписувач міг телефоном заблокувати свій сертифікат або "
                   "скасувати його блокування, наприклад коли носій особистого ключа втрачено. Оператор надавача "
                   "запитає парольну фразу і звірить її з цим бланком."),
        details_table([
            ("Юридична особа", data.customer.name),
            ("Код ЄДРПОУ", data.customer.edrpou),
            ("Підписувач", data.signer_name),
            ("Посада підписувача", data.signer_position),
        ]),
        Spacer(1, 4 * mm),
        _paragraph("<b>Парольна фраза</b> (власноруч, друкованими літерами, від 6 до 30 знаків, по одному знаку "
                   "в клітинці):"),
        boxes,
        Spacer(1, 4 * mm),
        _paragraph("Не повідомляйте парольну фразу стороннім особам і не надсилайте цей бланк електронною поштою: "
                   "передайте оригінал надавачу разом із заявою на реєстрацію."),
        signatures_table([
            Signature("Підписувач", data.signer_name, data.signer_position),
            Signature("Дата", format_date(data.issued_on)),
        ]),
    ]
    return render_text_document(
        issuer=data.provider.name, reference=f"Бланк до заяви {data.reference}",
        title="Бланк парольної фрази для голосової автентифікації", subtitle=f"до заяви {data.reference}",
        body=body,
    )


@TEMPLATES.template("eds_instructions", title="Інструкція з отримання ЕЦП", data=EdsOnboardingData)
def instructions(data: EdsOnboardingData) -> bytes:
    customer, provider = data.customer, data.provider
    signer = f"{escape(data.signer_name)} ({escape(data.signer_position)})"
    contacts = ", ".join(escape(part) for part in (provider.phone, provider.email) if part)
    body: list[Flowable] = [
        _paragraph(f"Для: <b>{escape(customer.name)}</b>, код ЄДРПОУ {escape(customer.edrpou)}; підписувач "
                   f"{signer}."),
        _paragraph("Архів містить публічний договір, заяву на реєстрацію, акт приймання-передачі наданих послуг, "
                   "рахунок на оплату, бланк парольної фрази та цю інструкцію."),
        _numbered([
            f"Роздрукуйте заяву на реєстрацію та бланк парольної фрази. Їх підписує {signer}; парольну фразу "
            "впишіть у бланк власноруч.",
            f"Оплатіть рахунок № {escape(data.number)} на суму {format_money(data.total)} грн (у тому числі ПДВ "
            f"{format_money(data.vat)} грн). Оплата означає приєднання до публічного договору.",
            f"Передайте надавачу <b>{escape(provider.name)}</b> підписані заяву і бланк парольної фрази; "
            "підписувач проходить ідентифікацію з документом, що посвідчує особу.",
            f"Після оплати на адресу {escape(data.email)} надійде програма для генерації ключів. Згенеруйте "
            "особистий ключ на своєму комп'ютері або на захищеному носії: особистий ключ нікому не передається, "
            "зокрема й нам.",
            f"Отримайте кваліфікований сертифікат: у ньому буде зазначено код ЄДРПОУ {escape(customer.edrpou)}.",
            "Зареєструйте сертифікат в особистому кабінеті. Кабінет перевірить ланцюжок довіри, строк чинності, "
            "призначення ключа, відкликання та те, що сертифікат належить вашій організації.",
            "Підпишіть акт приймання-передачі наданих послуг і поверніть його надавачу.",
        ]),
        Spacer(1, 3 * mm),
        _paragraph(f"Питання щодо сертифіката: {escape(provider.name)}, {contacts}." if contacts else
                   f"Питання щодо сертифіката: {escape(provider.name)}."),
    ]
    return render_text_document(
        issuer=provider.name, reference=f"Інструкція до заяви {data.reference}", title="Інструкція з отримання ЕЦП",
        subtitle=f"до договору {data.reference}", body=body,
    )


#: the package's documents in the manual's order
ONBOARDING_DOCUMENTS = (
    public_contract, registration_application, act_of_services, invoice, passphrase_form, instructions,
)
