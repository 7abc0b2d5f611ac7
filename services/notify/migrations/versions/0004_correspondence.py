"""Correspondence with the supplier and messages to the developers; the users and consumers notify learns of
from identity's events. Seeds the addressee types and letter types (data the supplier may change later). Also gives
the outgoing letters' CHECK constraints the names the models give them.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_moment = sa.DateTime(timezone=True)
_names = ("name_uk", "name_ru", "name_en")
_descriptions = ("description_uk", "description_ru", "description_en")

ADDRESSEE_TYPES = [
    ("settlements",
     ("Розрахунковий відділ", "Расчётный отдел", "Settlement department"),
     ("Показання лічильників і акти їх передачі, рахунки, оплати, сальдо, податкові накладні.",
      "Показания счётчиков и акты их передачи, счета, оплаты, сальдо, налоговые накладные.",
      "Meter readings and the acts transferring them, invoices, payments, saldo, tax invoices.")),
    ("contracts",
     ("Договірний відділ", "Договорной отдел", "Contracts department"),
     ("Договір постачання, додаткові угоди, зміна реквізитів споживача, підключення нових об'єктів.",
      "Договор поставки, дополнительные соглашения, изменение реквизитов потребителя, подключение новых объектов.",
      "The supply contract, supplementary agreements, changes of the consumer's details, connecting new sites.")),
    ("metering",
     ("Служба обліку електроенергії (РЕМ)", "Служба учёта электроэнергии (РЭС)", "Metering service (RES)"),
     ("Лічильники й точки обліку, пломби, повірка, показання з підстанцій, перерви в електропостачанні.",
      "Счётчики и точки учёта, пломбы, поверка, показания с подстанций, перерывы в электроснабжении.",
      "Meters and metering points, seals, meter checks, readings from substations, supply interruptions.")),
    ("cabinet_support",
     ("Технічна підтримка кабінету", "Техническая поддержка кабинета", "Technical support of the cabinet"),
     ("Вхід і реєстрація, логін, пароль, e-mail, електронний цифровий підпис, помилки в роботі кабінету.",
      "Вход и регистрация, логин, пароль, e-mail, электронная цифровая подпись, ошибки в работе кабинета.",
      "Signing in and registration, login, password, e-mail, the electronic signature, errors of the cabinet.")),
]

LETTER_TYPES = [
    ("question", ("Питання", "Вопрос", "Question")),
    ("complaint", ("Скарга", "Жалоба", "Complaint")),
    ("documents_request", ("Запит документів", "Запрос документов", "Request for documents")),
    ("application", ("Заява", "Заявление", "Application")),
    ("other", ("Інше", "Другое", "Other")),
]


#: the names 0002 and 0003 gave the letters' CHECK constraints went through the naming convention once more than the
#: models' names do; renamed here to what the models say
_DOUBLED_CHECKS = [
    ("ck_outgoing_letters_ck_outgoing_letters_status_known", "ck_outgoing_letters_status_known"),
    ("ck_outgoing_letters_ck_outgoing_letters_attachment_complete", "ck_outgoing_letters_attachment_complete"),
]


def _rename_checks(pairs: list[tuple[str, str]]) -> None:
    for old, new in pairs:
        op.execute(f"ALTER TABLE outgoing_letters RENAME CONSTRAINT {old} TO {new}")


def upgrade() -> None:
    _rename_checks(_DOUBLED_CHECKS)
    addressee_types = op.create_table(
        "addressee_types",
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *(sa.Column(name, sa.Text, nullable=False) for name in (*_names, *_descriptions)),
        sa.PrimaryKeyConstraint("code", name="pk_addressee_types"),
    )
    letter_types = op.create_table(
        "letter_types",
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *(sa.Column(name, sa.Text, nullable=False) for name in _names),
        sa.PrimaryKeyConstraint("code", name="pk_letter_types"),
    )
    op.bulk_insert(addressee_types, [
        {"code": code, "position": position, **dict(zip(_names, names, strict=True)),
         **dict(zip(_descriptions, descriptions, strict=True))}
        for position, (code, names, descriptions) in enumerate(ADDRESSEE_TYPES, start=1)
    ])
    op.bulk_insert(letter_types, [
        {"code": code, "position": position, **dict(zip(_names, names, strict=True))}
        for position, (code, names) in enumerate(LETTER_TYPES, start=1)
    ])

    op.create_table(
        "supplier_letters",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("consumer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("author_user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("addressee_type", sa.Text, nullable=False),
        sa.Column("letter_type", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", _moment, nullable=False, server_default=sa.func.now()),
        sa.Column("answered_at", _moment),
        sa.Column("handled_at", _moment),
        sa.Column("handled_by", UUID(as_uuid=True)),
        sa.PrimaryKeyConstraint("id", name="pk_supplier_letters"),
        sa.ForeignKeyConstraint(["addressee_type"], ["addressee_types.code"],
                                name="fk_supplier_letters_addressee_type_addressee_types"),
        sa.ForeignKeyConstraint(["letter_type"], ["letter_types.code"],
                                name="fk_supplier_letters_letter_type_letter_types"),
        sa.CheckConstraint("state IN ('new', 'answered', 'handled')", name="state_known"),
    )
    op.create_index("ix_supplier_letters_consumer", "supplier_letters", ["consumer_id", "created_at"])
    op.create_index("ix_supplier_letters_inbox", "supplier_letters", ["addressee_type", "state", "created_at"])

    op.create_table(
        "letter_replies",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("letter_id", UUID(as_uuid=True), nullable=False),
        sa.Column("author_user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", _moment, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_letter_replies"),
        sa.ForeignKeyConstraint(["letter_id"], ["supplier_letters.id"],
                                name="fk_letter_replies_letter_id_supplier_letters"),
    )
    op.create_index("ix_letter_replies_letter", "letter_replies", ["letter_id", "created_at"])

    op.create_table(
        "feedback_messages",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("consumer_id", UUID(as_uuid=True)),
        sa.Column("page_url", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", _moment, nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", _moment),
        sa.Column("read_by", UUID(as_uuid=True)),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_messages"),
    )
    op.create_index("ix_feedback_messages_created", "feedback_messages", ["created_at"])
    op.create_index("ix_feedback_messages_user", "feedback_messages", ["user_id", "created_at"])

    op.create_table(
        "known_users",
        sa.Column("user_id", UUID(as_uuid=True), nullable=False),
        sa.Column("consumer_id", UUID(as_uuid=True)),
        sa.Column("login", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("as_of", _moment, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_known_users"),
    )
    op.create_table(
        "known_consumers",
        sa.Column("consumer_id", UUID(as_uuid=True), nullable=False),
        sa.Column("account_number", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("as_of", _moment, nullable=False),
        sa.PrimaryKeyConstraint("consumer_id", name="pk_known_consumers"),
    )


def downgrade() -> None:
    for table in ("known_consumers", "known_users", "feedback_messages", "letter_replies", "supplier_letters",
                  "letter_types", "addressee_types"):
        op.drop_table(table)
    _rename_checks([(new, old) for old, new in _DOUBLED_CHECKS])
