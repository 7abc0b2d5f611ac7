"""Setting up the supplier's branches and their people: `python -m identity.admin <command>`.

    branches                      the branches, with their ids and staff
    create-branch                 a new branch (a tenant: its staff see only its consumers)
    add-staff --branch B          a staff member of branch B (its name or id)
    add-admin                     an administrator (works for every branch)
    announce-consumers            every consumer account announced again, so that the other services learn what
                                  they did not keep before (each consumer's branch, after an upgrade)

A new user's password is generated and printed unless `--password` gives one. Refusals (a taken login, a weak
password, a malformed EDRPOU...) exit with status 2 and say which fields and why. The events (`announce-consumers`)
are published by the running identity service's outbox relay.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from identity.consumers import Consumers
from identity.demo import new_staff_password
from identity.models import SupplierBranch, UserRole
from identity.runtime import Runtime
from identity.settings import IdentitySettings, get_settings
from identity.staff import Staff, branch_by_id, branch_by_name, branches, staff_of_branch
from shared import migrations
from shared.db import Database
from shared.errors import Invalid

T = TypeVar("T")


async def _in_transaction(
    settings: IdentitySettings, work: Callable[[AsyncSession, Runtime], Awaitable[T]]
) -> T:
    await migrations.upgrade(migrations.migrations_dir_of("identity"), settings.database_url)
    database = Database(settings.database_url, pool_size=2)
    try:
        async with database.transaction() as session:
            return await work(session, Runtime.create(settings, attempts_database=database))
    finally:
        await database.dispose()


async def _branch(session: AsyncSession, name_or_id: str) -> SupplierBranch:
    try:
        found = await branch_by_id(session, uuid.UUID(name_or_id))
    except ValueError:
        found = await branch_by_name(session, name_or_id)
    if found is None:
        raise Invalid("no such branch", fields={"branch": "unknown"})
    return found


async def list_branches(session: AsyncSession) -> list[str]:
    lines = []
    for branch in await branches(session):
        staff = await staff_of_branch(session, branch.id)
        logins = ", ".join(user.login for user in staff) or "no staff"
        lines.append(f"{branch.id}  {branch.name} (ЄДРПОУ {branch.edrpou}): {logins}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m identity.admin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("branches", help="the branches, with their ids and staff")
    create = commands.add_parser("create-branch", help="a new branch")
    for field in ("name", "edrpou", "iban", "address", "phone", "email"):
        create.add_argument(f"--{field}", required=True)
    for command, what in (("add-staff", "a staff member of a branch"), ("add-admin", "an administrator")):
        person = commands.add_parser(command, help=what)
        if command == "add-staff":
            person.add_argument("--branch", required=True, help="the branch's name or id")
        person.add_argument("--login", required=True)
        person.add_argument("--email", required=True)
        person.add_argument("--password", help="else one is generated and printed")
    commands.add_parser("announce-consumers", help="every consumer account announced again")
    arguments = parser.parse_args(argv)
    settings = get_settings()

    async def work(session: AsyncSession, runtime: Runtime) -> list[str]:
        match arguments.command:
            case "branches":
                return await list_branches(session)
            case "create-branch":
                created = await Staff(session, runtime).create_branch(
                    name=arguments.name, edrpou=arguments.edrpou, iban=arguments.iban, address=arguments.address,
                    phone=arguments.phone, email=arguments.email,
                )
                return [f"branch created: {created.name} ({created.id})"]
            case "add-staff" | "add-admin":
                staff = arguments.command == "add-staff"
                branch = await _branch(session, arguments.branch) if staff else None
                password = arguments.password or new_staff_password()
                user = await Staff(session, runtime).create_staff_user(
                    login=arguments.login, email=arguments.email, password=password,
                    role=UserRole.STAFF if staff else UserRole.ADMIN, branch=branch,
                )
                where = f"staff of {branch.name}" if branch else "an administrator"
                shown = "" if arguments.password else f" / {password}"
                return [f"{where}: login {user.login}{shown}"]
            case _:
                count = await Consumers(session, runtime).announce()
                return [f"{count} consumer accounts announced again"]

    try:
        lines = asyncio.run(_in_transaction(settings, work))
    except Invalid as refusal:
        reasons = ", ".join(f"{field}: {reason}" for field, reason in refusal.fields.items())
        parser.exit(2, f"refused: {reasons}\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
