"""The supplier's side: its branches (the tenants: a staff member sees only their own branch's consumers) and its
people, staff of a branch and administrators of all. They are set up by `identity.admin` (and `identity.demo`),
never by consumers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.domain.consumers import clean_edrpou, clean_iban, clean_name
from identity.domain.emails import normalize_email
from identity.domain.logins import clean_login
from identity.models import SupplierBranch, User, UserRole
from identity.runtime import Runtime
from identity.users import Users
from shared.errors import Invalid


class Staff:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.users = Users(session, runtime)

    async def branches(self) -> Sequence[SupplierBranch]:
        return await branches(self.session)

    async def create_branch(
        self, *, name: str, edrpou: str, iban: str, address: str, phone: str, email: str
    ) -> SupplierBranch:
        clean = {"name": clean_name(name), "edrpou": clean_edrpou(edrpou), "iban": clean_iban(iban),
                 "email": normalize_email(email)}
        fields = {field: "invalid" for field, value in clean.items() if value is None}
        if fields:
            raise Invalid("branch refused", fields=fields)
        branch = SupplierBranch(
            name=clean["name"], edrpou=clean["edrpou"], iban=clean["iban"], address=address.strip(),
            phone=phone.strip(), email=clean["email"],
        )
        self.session.add(branch)
        await self.session.flush()
        return branch

    async def create_staff_user(
        self, *, login: str, email: str, password: str, role: UserRole, branch: SupplierBranch | None
    ) -> User:
        if role == UserRole.CONSUMER:
            raise ValueError("consumer users register themselves with an activation code")
        login = clean_login(login)
        fields: dict[str, str] = {}
        address = normalize_email(email)
        if login_issue := await self.users.new_login_problem(login):
            fields["login"] = login_issue
        if address is None:
            fields["email"] = "invalid"
        if password_issue := await self.users.password_problem(password, login, (email,)):
            fields["password"] = password_issue
        if role == UserRole.STAFF and branch is None:
            fields["branch_id"] = "unknown"
        if fields:
            raise Invalid("staff user refused", fields=fields)
        assert address is not None
        user = User(
            login=login, email=address, password_hash=await self.users.hash_password(password), role=role,
            branch_id=branch.id if branch else None,
        )
        await self.users.save(user, login_field="login")
        return await self.users.reloaded(user)


async def branches(session: AsyncSession) -> Sequence[SupplierBranch]:
    return (await session.scalars(select(SupplierBranch).order_by(SupplierBranch.name))).all()


async def branch_by_id(session: AsyncSession, branch_id: uuid.UUID) -> SupplierBranch | None:
    return await session.get(SupplierBranch, branch_id)


async def branch_by_name(session: AsyncSession, name: str) -> SupplierBranch | None:
    return await session.scalar(select(SupplierBranch).where(SupplierBranch.name == name))


async def staff_of_branch(session: AsyncSession, branch_id: uuid.UUID) -> Sequence[User]:
    return (await session.scalars(
        select(User).where(User.branch_id == branch_id, User.role == UserRole.STAFF).order_by(User.login)
    )).all()
