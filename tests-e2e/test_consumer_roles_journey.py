"""Issue 18's people inside one consumer, in real Chromium: the director invites an accountant by e-mail, the
accountant joins through the letter's single-use link, sees the invoices, is told on the readings page that the role
does not allow it, and the metering service refuses the accountant's token too."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from journeys import Mailbox, complete_registration, create_consumer, page_on, sign_in, sign_out
from shared.auth import ConsumerRole, Principal, Role, ServiceTokens

PASSPHRASE = "зелений трамвай їде через сім мостів"


def test_a_director_invites_an_accountant_who_sees_money_but_no_readings(
    page: Page, browser: Browser, mailbox: Mailbox, demo: dict, system: Any, service_token_secret: str,
) -> None:
    suffix = secrets.token_hex(3)
    agreement_email, accountant_email = f"dir-{suffix}@avto.example", f"buh-{suffix}@avto.example"
    director_login, accountant_login = f"dir{suffix}", f"buh{suffix}"

    sign_in(page, demo["staff_login"], demo["staff_password"])
    code = create_consumer(page, account_number=str(5000 + int(suffix, 16) % 4000), name=f"ТОВ «Роли-{suffix}»",
                           agreement_email=agreement_email)
    consumer_id = re.search(r"/console/consumers/([0-9a-f-]{36})", page.content())
    assert consumer_id, "the console names the new consumer"
    sign_out(page)
    [registration] = mailbox.wait_for(agreement_email)
    complete_registration(page, mailbox.link(registration, "/registration/complete/"), code=code,
                          login=director_login, password=PASSPHRASE)

    # the director (the registrant) invites the accountant from «Користувачі»
    sign_in(page, director_login, PASSPHRASE)
    page.goto("/settings/users")
    page.get_by_label("Електронна пошта колеги").fill(accountant_email)
    page.get_by_label("Роль", exact=True).select_option("accountant")
    page.get_by_role("button", name="Надіслати запрошення").click()
    expect(page.locator("main")).to_contain_text("Запрошення надіслано")
    expect(page.locator("[data-invitation]")).to_contain_text(accountant_email)

    [invitation] = mailbox.wait_for(accountant_email, "Запрошення")
    assert "Ваша роль: бухгалтер" in invitation["text"]
    link = mailbox.link(invitation, "/invitations/")
    with page_on(browser, system) as accountant:
        accountant.goto(link)
        expect(accountant.get_by_role("heading", name="Приєднання до кабінету")).to_be_visible()
        accountant.get_by_label("Логін").fill(accountant_login)
        accountant.get_by_label("Пароль", exact=True).fill(PASSPHRASE)
        accountant.get_by_label("Підтвердження пароля").fill(PASSPHRASE)
        accountant.get_by_role("button", name="Приєднатися").click()
        accountant.wait_for_url(re.compile(r"/login"))
        # the link is single-use
        accountant.goto(link)
        expect(accountant.locator("main")).to_contain_text("вже використано")

        sign_in(accountant, accountant_login, PASSPHRASE)
        navigation = accountant.locator("nav.main-nav")
        expect(navigation).to_contain_text("Гроші")
        expect(navigation).not_to_contain_text("Товар")
        accountant.goto("/invoices")
        expect(accountant.get_by_role("heading", name="Рахунки", exact=True)).to_be_visible()
        refused = accountant.goto("/readings")
        assert refused is not None and refused.status == 403
        expect(accountant.locator("main")).to_contain_text("Ваша роль у кабінеті не дозволяє відкрити цю сторінку")

    # the director sees the accountant among the users
    page.goto("/settings/users")
    expect(page.locator(f"[data-colleague='{accountant_login}']")).to_contain_text("Бухгалтер")

    # the metering service itself refuses the accountant, whatever a page shows
    accountant_principal = Principal(user_id=uuid.uuid4(), consumer_id=uuid.UUID(consumer_id.group(1)),
                                     role=Role.CONSUMER, consumer_role=ConsumerRole.ACCOUNTANT)
    token = ServiceTokens(service_token_secret, issuer="gateway").issue(accountant_principal)
    answer = httpx.post(f"{system.layout.url('metering')}/api/v1/consumers/{consumer_id.group(1)}/readings",
                        json={"period": "2013-08", "readings": []}, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)
    assert (answer.status_code, answer.json()["detail"]["code"]) == (403, "capability_forbidden")
