"""Demo data in the identity database, made through the use cases: `python -m identity.demo`.

`--staff-password P` sets the staff member's password (else one is generated and printed); `--json` prints the
result as one line of JSON, for `make run` and the end-to-end tests.

The consumer has had a user since its history began: its chief accountant, who signed the half year of acts and
invoices `devtools.demo` makes (a login nobody is told the password of); the newcomer following the README registers
a login of their own with the fresh activation code.

Idempotent: the branch, the staff member, the consumer № 0789 and its accountant are created once (a consumer made
before consumers had their VAT details gets them); every run issues a fresh activation code for the consumer
(printed) together with a registration letter, which the outbox relay of the running identity service publishes
and notify delivers to the local mail catcher.

A second branch, «ПАТ «ДТЕК Західенерго»», and its staff member `manager2` (with the password `--staff-password`
gives, else the first staff member's new one, else a new one) are made once too: a tenant that sees none of the first
branch's consumers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from identity.consumers import ConsumerChanges, ConsumerFields, Consumers, Viewer, consumer_by_account_number
from identity.models import SupplierBranch, User, UserRole
from identity.registration import Registration
from identity.runtime import Runtime
from identity.settings import IdentitySettings, get_settings
from identity.staff import Staff, branch_by_name
from identity.users import Users, user_by_login
from shared import migrations
from shared.auth import ConsumerRole
from shared.db import Database
from shared.errors import Invalid

# EDRPOU, ІПН and IBAN are demo values with correct check digits, not the real companies'
BRANCH = {
    "name": "ПАТ «ДТЕК ПЕМ-Енерговугілля»",
    "edrpou": "31793056",
    "iban": "UA213052990000000026001234567",
    "address": "м. Київ, вул. Лейпцизька, 15",
    "phone": "+380 44 000 00 00",
    "email": "pem@cabinet.local",
}
STAFF_LOGIN = "manager"
STAFF_EMAIL = "manager@cabinet.local"
#: a second branch with a staff member of its own (the same password): a tenant, seeing none of the first one's data
SECOND_BRANCH = {
    "name": "ПАТ «ДТЕК Західенерго»",
    "edrpou": "24549601",
    "iban": "UA373052990000000026007654321",
    "address": "м. Львів, вул. Козельницька, 15",
    "phone": "+380 32 000 00 00",
    "email": "zakhid@cabinet.local",
}
SECOND_STAFF_LOGIN = "manager2"
SECOND_STAFF_EMAIL = "manager2@cabinet.local"
CONSUMER_NUMBER = "0789"
CONSUMER_NAME = 'Кооператив "Автомобіліст-2"'
CONSUMER_EMAIL = "demo@cabinet.local"
CONSUMER_EDRPOU = "12345678"
#: a VAT payer: the first seven digits of its EDRPOU, the tax office (26 59, as the seller's) and a check digit
CONSUMER_IPN = "123456726590"
#: the consumer's user who signed its history (the test CA's `accountant` signer)
ACCOUNTANT_LOGIN = "kunin_lm"
ACCOUNTANT_EMAIL = "buh@cabinet.local"
#: how long ago the accountant registered: before the demo's six months of history
ACCOUNTANT_SINCE = timedelta(days=240)


def demo_consumer(branch_id: uuid.UUID) -> ConsumerFields:
    return ConsumerFields(
        account_number=CONSUMER_NUMBER, name=CONSUMER_NAME, edrpou=CONSUMER_EDRPOU, branch_id=branch_id,
        agreement_email=CONSUMER_EMAIL, billing_day=25, self_calculation=True, e_signature=True, vat_payer=True,
        ipn=CONSUMER_IPN,
    )


@dataclass(frozen=True)
class DemoData:
    branch_id: str
    staff_login: str
    staff_user_id: str
    #: None when the staff member existed already (their password is whatever it was set to)
    staff_password: str | None
    consumer_id: str
    activation_code: str
    accountant_user_id: str
    second_branch_id: str = ""
    second_staff_login: str = SECOND_STAFF_LOGIN
    #: None when `manager2` existed already
    second_staff_password: str | None = None


def new_staff_password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


async def create_demo_data(settings: IdentitySettings, staff_password: str | None = None) -> DemoData:
    await migrations.upgrade(migrations.migrations_dir_of("identity"), settings.database_url)
    database = Database(settings.database_url, pool_size=2)
    try:
        runtime = Runtime.create(settings, attempts_database=database)
        async with database.transaction() as session:
            staff_side, consumers = Staff(session, runtime), Consumers(session, runtime)
            branch = await branch_by_name(session, BRANCH["name"]) or await staff_side.create_branch(**BRANCH)
            staff = await user_by_login(session, STAFF_LOGIN)
            new_password = None
            if staff is None:
                new_password = staff_password or new_staff_password()
                staff = await staff_side.create_staff_user(
                    login=STAFF_LOGIN, email=STAFF_EMAIL, password=new_password, role=UserRole.STAFF, branch=branch
                )
            viewer = Viewer(user_id=staff.id, branch_id=branch.id)
            consumer = await consumer_by_account_number(session, CONSUMER_NUMBER)
            if consumer is None:
                consumer, code = await consumers.create(viewer, demo_consumer(branch.id))
            else:
                if consumer.vat_payer and consumer.ipn is None:  # made before consumers had their VAT details
                    consumer = await consumers.change(viewer, consumer.id, ConsumerChanges(ipn=CONSUMER_IPN))
                code = await Registration(session, runtime).issue_activation_code(consumer, issued_by=viewer.user_id)
            accountant = await user_by_login(session, ACCOUNTANT_LOGIN) or await _accountant(
                Users(session, runtime), consumer.id)
            second_branch, second_password = await _second_branch(staff_side, new_password or staff_password)
            return DemoData(str(branch.id), staff.login, str(staff.id), new_password, str(consumer.id), code,
                            str(accountant.id), str(second_branch.id), second_staff_password=second_password)
    finally:
        await database.dispose()


async def _accountant(users: Users, consumer_id: uuid.UUID) -> User:
    """The user who registered when the consumer's history began (with a password nobody is told)."""
    accountant = User(
        login=ACCOUNTANT_LOGIN, email=ACCOUNTANT_EMAIL, role=UserRole.CONSUMER, consumer_id=consumer_id,
        consumer_role=ConsumerRole.DIRECTOR, password_hash=await users.hash_password(secrets.token_urlsafe(24)),
        created_at=datetime.now(UTC) - ACCOUNTANT_SINCE,
    )
    users.session.add(accountant)
    await users.session.flush()
    return accountant


async def _second_branch(staff_side: Staff, staff_password: str | None) -> tuple[SupplierBranch, str | None]:
    """The second branch, and its staff member with the first one's password (or a new one): the password, if made."""
    branch = await branch_by_name(staff_side.session, SECOND_BRANCH["name"])
    if branch is None:
        branch = await staff_side.create_branch(**SECOND_BRANCH)
    if await user_by_login(staff_side.session, SECOND_STAFF_LOGIN) is not None:
        return branch, None
    password = staff_password or new_staff_password()
    await staff_side.create_staff_user(login=SECOND_STAFF_LOGIN, email=SECOND_STAFF_EMAIL, password=password,
                                     role=UserRole.STAFF, branch=branch)
    return branch, password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff-password", help=f"password for the staff login {STAFF_LOGIN!r} (else generated)")
    parser.add_argument("--json", action="store_true", help="print the result as one line of JSON (for scripts)")
    arguments = parser.parse_args()
    try:
        demo = asyncio.run(create_demo_data(get_settings(), arguments.staff_password))
    except Invalid as refusal:
        parser.exit(2, f"refused: {refusal.fields}\n")
    if arguments.json:
        print(json.dumps({
            **asdict(demo), "branch_name": BRANCH["name"], "account_number": CONSUMER_NUMBER,
            "consumer_name": CONSUMER_NAME, "agreement_email": CONSUMER_EMAIL,
        }, ensure_ascii=False))
        return
    print(f"supplier branch:  {BRANCH['name']} ({demo.branch_id})")
    if demo.staff_password:
        print(f"staff login:      {demo.staff_login} / {demo.staff_password}")
    else:
        print(f"staff login:      {demo.staff_login} (existed; password unchanged)")
    second_password = f" / {demo.second_staff_password}" if demo.second_staff_password else " (existed)"
    print(f"second branch:    {SECOND_BRANCH['name']} ({demo.second_branch_id}), staff login "
          f"{SECOND_STAFF_LOGIN}{second_password}")
    print(f"consumer:         № {CONSUMER_NUMBER} {CONSUMER_NAME} ({demo.consumer_id})")
    print(f"activation code:  {demo.activation_code}")
    print(f"registration letter to {CONSUMER_EMAIL} is in the outbox")


if __name__ == "__main__":
    main()
