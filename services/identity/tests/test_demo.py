"""`python -m identity.demo`: the demo branch, staff member and consumer № 0789, made once; a fresh code each run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from stdnum import iban
from stdnum.ua import edrpou

from identity.demo import create_demo_data
from identity.settings import IdentitySettings
from shared.db import Database


async def test_demo_data_is_made_once_and_gives_a_fresh_code_each_time(settings: IdentitySettings) -> None:
    first = await create_demo_data(settings, "zelenyi-kashtan-u-dvori-9")
    second = await create_demo_data(settings)
    assert (second.branch_id, second.consumer_id, second.staff_login) == (
        first.branch_id, first.consumer_id, first.staff_login)
    assert first.staff_password == "zelenyi-kashtan-u-dvori-9" and second.staff_password is None
    assert first.activation_code != second.activation_code
    assert first.accountant_user_id == second.accountant_user_id != first.staff_user_id

    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            counts = [
                (await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
                for table in ("supplier_branches", "users", "consumer_accounts", "activation_codes")
            ]
            # the second branch and its staff member; the staff member and the consumer's accountant who signed its
            # history
            assert counts == [2, 3, 1, 2]
            branches = {row.name: row for row in await session.execute(sa.text(
                "SELECT name, edrpou, iban FROM supplier_branches"))}
            consumer = (await session.execute(sa.text(
                "SELECT account_number, name, edrpou, agreement_email, billing_day, self_calculation, e_signature "
                "FROM consumer_accounts"))).one()
            letters = [json.loads(body) for body in (await session.execute(sa.text(
                "SELECT body FROM outbox WHERE message_type = 'identity.registration_link_issued.v1'"))).scalars()]
    finally:
        await database.dispose()
    assert set(branches) == {"ПАТ «ДТЕК ПЕМ-Енерговугілля»", "ПАТ «ДТЕК Західенерго»"}
    assert all(edrpou.is_valid(row.edrpou) and iban.is_valid(row.iban) and row.iban.startswith("UA")
               for row in branches.values())
    assert tuple(consumer) == ("0789", 'Кооператив "Автомобіліст-2"', "12345678", "demo@cabinet.local", 25, True, True)
    assert [letter["email"] for letter in letters] == ["demo@cabinet.local"] * 2


async def test_the_demo_staff_member_and_code_work(settings: IdentitySettings, app: FastAPI, api: Any) -> None:
    demo = await create_demo_data(settings, "zelenyi-kashtan-u-dvori-9")
    staff = api.principal_of((await api.sign_in("manager", "zelenyi-kashtan-u-dvori-9"))["user"])
    assert (await api.ok("GET", f"/consumers/{demo.consumer_id}", staff))["consumer"]["account_number"] == "0789"
    [letter] = await api.outbox("identity.registration_link_issued.v1")
    user = await api.ok("POST", "/registration/complete", json={
        "token": api.link_token(letter["link_url"]), "activation_code": demo.activation_code, "login": "avtomobilist",
        "password": api.STRONG_PASSWORD, "password_confirmation": api.STRONG_PASSWORD})
    assert user["user"]["consumer"]["id"] == demo.consumer_id

    # the second branch's staff member, with the same password, sees none of the first branch's consumers
    assert demo.second_staff_password == "zelenyi-kashtan-u-dvori-9"
    manager2 = api.principal_of((await api.sign_in("manager2", "zelenyi-kashtan-u-dvori-9"))["user"])
    assert str(manager2.branch_id) == demo.second_branch_id
    assert await api.ok("GET", "/consumers", manager2) == []
    assert (await api.call("GET", f"/consumers/{demo.consumer_id}", manager2)).status_code == 404


def test_the_command_line_answers_in_json_for_scripts(settings: IdentitySettings) -> None:
    env = {
        **os.environ, "CABINET_POSTGRES_URL": settings.postgres_url, "CABINET_DATABASE_NAME": settings.database_name,
        "CABINET_SERVICE_TOKEN_SECRET": settings.service_token_secret.get_secret_value(),
        "CABINET_PASSWORD_HASH_TIME_COST": "1", "CABINET_PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    command = [sys.executable, "-m", "identity.demo", "--json", "--staff-password"]
    weak = subprocess.run([*command, "manager12345"], env=env, capture_output=True, text=True, timeout=120)
    assert weak.returncode == 2 and "contains_login" in weak.stderr

    result = subprocess.run([*command, "zelenyi-kashtan-u-dvori-9"], env=env, capture_output=True, text=True,
                            check=True, timeout=120)
    demo = json.loads(result.stdout.strip().splitlines()[-1])
    assert demo["staff_login"] == "manager" and demo["staff_password"] == "zelenyi-kashtan-u-dvori-9"
    assert (demo["account_number"], demo["consumer_name"], demo["agreement_email"]) == (
        "0789", 'Кооператив "Автомобіліст-2"', "demo@cabinet.local")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", demo["activation_code"])
