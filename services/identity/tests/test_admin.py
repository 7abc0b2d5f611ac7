"""`python -m identity.admin`: branches created and staffed without code, administrators made, consumer accounts
announced again for the services to learn their branches."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from fastapi import FastAPI

from identity.settings import IdentitySettings

PASSWORD = "zelenyi-kashtan-u-dvori-9"
BRANCH = ["--name", "ПАТ «ДТЕК Західенерго»", "--edrpou", "23269555", "--iban", "UA213052990000000026001234567",
          "--address", "м. Львів, вул. Козельницька, 15", "--phone", "+380 32 000 00 00",
          "--email", "zakhid@cabinet.local"]


def admin(settings: IdentitySettings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ, "CABINET_POSTGRES_URL": settings.postgres_url, "CABINET_DATABASE_NAME": settings.database_name,
        "CABINET_SERVICE_TOKEN_SECRET": settings.service_token_secret.get_secret_value(),
        "CABINET_PASSWORD_HASH_TIME_COST": "1", "CABINET_PASSWORD_HASH_MEMORY_KIB": "8192",
    }
    return subprocess.run([sys.executable, "-m", "identity.admin", *arguments], env=env, capture_output=True,
                          text=True, timeout=120)


async def test_a_branch_is_created_and_staffed_and_its_staff_see_its_consumers_only(
    settings: IdentitySettings, app: FastAPI, api: Any, world: Any
) -> None:
    created = admin(settings, "create-branch", *BRANCH)
    assert created.returncode == 0, created.stderr
    branch_id = re.fullmatch(r"branch created: ПАТ «ДТЕК Західенерго» \(([0-9a-f-]{36})\)\n", created.stdout)
    assert branch_id
    again = admin(settings, "create-branch", *BRANCH[:2], "--edrpou", "123", *BRANCH[4:])
    assert (again.returncode, again.stderr) == (2, "refused: edrpou: invalid\n")

    staffed = admin(settings, "add-staff", "--branch", "ПАТ «ДТЕК Західенерго»", "--login", "manager2",
                    "--email", "manager2@cabinet.local")
    assert staffed.returncode == 0, staffed.stderr
    password = re.fullmatch(r"staff of ПАТ «ДТЕК Західенерго»: login manager2 / (\S+)\n", staffed.stdout)
    assert password
    unknown = admin(settings, "add-staff", "--branch", "ТОВ «Немає такої»", "--login", "nobody",
                    "--email", "nobody@cabinet.local", "--password", PASSWORD)
    assert (unknown.returncode, unknown.stderr) == (2, "refused: branch: unknown\n")
    made = admin(settings, "add-admin", "--login", "holovnyi", "--email", "holovnyi@cabinet.local",
                 "--password", PASSWORD)
    assert (made.returncode, made.stdout) == (0, "an administrator: login holovnyi\n"), made.stderr

    listed = admin(settings, "branches").stdout
    assert f"{branch_id.group(1)}  ПАТ «ДТЕК Західенерго» (ЄДРПОУ 23269555): manager2" in listed
    assert "ПАТ «ДТЕК ПЕМ-Енерговугілля» (ЄДРПОУ 31793056): manager" in listed

    # the new branch's staff member signs in and sees none of the first branch's consumers; the administrator all
    manager2 = api.principal_of((await api.sign_in("manager2", password.group(1)))["user"])
    assert str(manager2.branch_id) == branch_id.group(1)
    assert await api.ok("GET", "/consumers", manager2) == []
    assert (await api.call("GET", f"/consumers/{world.consumer['id']}", manager2)).status_code == 404
    chief = api.principal_of((await api.sign_in("holovnyi", PASSWORD))["user"])
    assert [found["id"] for found in await api.ok("GET", "/consumers", chief)] == [world.consumer["id"]]


async def test_consumer_accounts_are_announced_again_with_their_branches(
    settings: IdentitySettings, api: Any, world: Any
) -> None:
    announced = admin(settings, "announce-consumers")
    assert (announced.returncode, announced.stdout) == (0, "1 consumer accounts announced again\n")
    [update] = await api.outbox("identity.consumer_account_updated.v1")
    assert (update["consumer_id"], update["branch_id"]) == (world.consumer["id"], world.branch_a["id"])
