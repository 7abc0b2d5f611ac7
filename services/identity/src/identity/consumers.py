"""Consumer accounts, kept by the supplier's staff: found, created (with the first activation code and the
registration letter), corrected. Staff see and change their own branch's consumers only; another branch's are
answered as unknown.

Every change publishes the account's whole state (`ConsumerAccountCreated`, `ConsumerAccountUpdated`): the other
services keep a copy of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.audit import record
from identity.colleagues import users_of
from identity.domain.consumers import (
    billing_day_in_range,
    clean_account_number,
    clean_edrpou,
    clean_name,
    ipn_refusal,
    normalize_ipn,
)
from identity.domain.emails import normalize_email
from identity.models import AuditKind, ConsumerAccount, User, UserRole
from identity.registration import Registration
from identity.runtime import Runtime, utcnow
from identity.staff import branch_by_id
from identity.users import Users, user_by_id
from shared import bus
from shared.auth import Principal, Role
from shared.contracts.identity import ConsumerAccountCreated, ConsumerAccountUpdated
from shared.errors import Conflict, Forbidden, Invalid, NotFound

#: most consumers a search answers with
SEARCH_LIMIT = 50

_CONSUMER_IN_FULL = joinedload(ConsumerAccount.branch)


@dataclass(frozen=True)
class ConsumerFields:
    account_number: str
    name: str
    edrpou: str
    branch_id: uuid.UUID
    agreement_email: str
    billing_day: int
    self_calculation: bool
    e_signature: bool
    #: the buyer on tax invoices; a VAT payer's ІПН may follow later
    vat_payer: bool = True
    ipn: str | None = None


@dataclass(frozen=True)
class ConsumerChanges:
    """What staff may change of a consumer account (None: unchanged); account number and branch stay."""

    name: str | None = None
    edrpou: str | None = None
    agreement_email: str | None = None
    billing_day: int | None = None
    self_calculation: bool | None = None
    e_signature: bool | None = None
    vat_payer: bool | None = None
    #: "" takes the ІПН away; a consumer who stops being a VAT payer loses it as well
    ipn: str | None = None


@dataclass(frozen=True)
class Viewer:
    """Who looks at consumer accounts from the supplier's side, and how far they see."""

    user_id: uuid.UUID | None
    #: None: every branch (administrators, other services)
    branch_id: uuid.UUID | None

    def sees(self, consumer: ConsumerAccount) -> bool:
        return self.branch_id is None or consumer.branch_id == self.branch_id


def _consumer_state(
    event: type[ConsumerAccountCreated], consumer: ConsumerAccount
) -> ConsumerAccountCreated:
    return event(
        consumer_id=consumer.id, account_number=consumer.account_number, name=consumer.name,
        edrpou=consumer.edrpou, branch_id=consumer.branch.id, branch_name=consumer.branch.name,
        agreement_email=consumer.agreement_email, billing_day=consumer.billing_day,
        self_calculation=consumer.self_calculation, e_signature=consumer.e_signature,
        vat_payer=consumer.vat_payer, ipn=consumer.ipn,
    )


class Consumers:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.users = Users(session, runtime)
        self.registration = Registration(session, runtime)

    async def viewer(self, principal: Principal) -> Viewer:
        """Staff see their own branch's consumers; administrators and other services see all."""
        if principal.role == Role.SERVICE:
            return Viewer(user_id=None, branch_id=None)
        user = await self.users.current(principal)
        if user.role == UserRole.ADMIN:
            return Viewer(user_id=user.id, branch_id=None)
        if user.role == UserRole.STAFF:
            return Viewer(user_id=user.id, branch_id=user.branch_id)
        raise Forbidden("only supplier staff may do this", code="role_forbidden")

    async def find(self, viewer: Viewer, text: str) -> Sequence[ConsumerAccount]:
        return await find_consumers(self.session, text.strip(), branch_id=viewer.branch_id, limit=SEARCH_LIMIT)

    async def consumer(self, viewer: Viewer, consumer_id: uuid.UUID) -> ConsumerAccount:
        consumer = await consumer_by_id(self.session, consumer_id)
        # another branch's consumer is answered as unknown: its existence is not this viewer's business
        if consumer is None or not viewer.sees(consumer):
            raise NotFound("no such consumer", code="consumer_not_found")
        return consumer

    async def users_of(self, consumer: ConsumerAccount) -> Sequence[User]:
        return await users_of(self.session, consumer.id)

    async def create(self, viewer: Viewer, data: ConsumerFields) -> tuple[ConsumerAccount, str]:
        """A new consumer account, its first activation code (returned, shown once), the registration letter."""
        now = utcnow()
        fields: dict[str, str] = {}
        account_number = clean_account_number(data.account_number)
        name = clean_name(data.name)
        edrpou = clean_edrpou(data.edrpou)
        email = normalize_email(data.agreement_email)
        ipn = normalize_ipn(data.ipn)
        branch = await branch_by_id(self.session, data.branch_id)
        for field, value in (("account_number", account_number), ("name", name), ("edrpou", edrpou)):
            if value is None:
                fields[field] = "invalid"
        if refusal := ipn_refusal(ipn, vat_payer=data.vat_payer, edrpou=edrpou):
            fields["ipn"] = refusal
        if email is None:
            fields["agreement_email"] = "invalid"
        if not billing_day_in_range(data.billing_day):
            fields["billing_day"] = "out_of_range"
        if branch is None:
            fields["branch_id"] = "unknown"
        if fields:
            raise Invalid("consumer account refused", fields=fields)
        assert account_number and name and edrpou and email and branch
        if viewer.branch_id is not None and branch.id != viewer.branch_id:
            raise Forbidden("staff create consumers of their own branch only", code="branch_forbidden")
        if await consumer_by_account_number(self.session, account_number) is not None:
            raise Conflict("the account number is taken", code="account_number_taken")

        consumer = ConsumerAccount(
            id=uuid.uuid4(), account_number=account_number, name=name, edrpou=edrpou, branch_id=branch.id,
            branch=branch, agreement_email=email, billing_day=data.billing_day,
            self_calculation=data.self_calculation, e_signature=data.e_signature, vat_payer=data.vat_payer,
            ipn=ipn, created_at=now,
        )
        self.session.add(consumer)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # created by a concurrent request since the check above
            raise Conflict("the account number is taken", code="account_number_taken") from exc
        await bus.add(self.session, _consumer_state(ConsumerAccountCreated, consumer))
        code = await self.registration.issue_activation_code(consumer, issued_by=viewer.user_id)
        return consumer, code

    async def change(self, viewer: Viewer, consumer_id: uuid.UUID, changes: ConsumerChanges) -> ConsumerAccount:
        """Staff correct a consumer's details or rights; the other services learn the whole new state."""
        await lock_consumer(self.session, consumer_id)
        consumer = await self.consumer(viewer, consumer_id)
        before = _changeable(consumer)
        fields: dict[str, str] = {}
        if changes.name is not None:
            name = clean_name(changes.name)
            if name is None:
                fields["name"] = "invalid"
            consumer.name = name or consumer.name
        if changes.edrpou is not None:
            edrpou = clean_edrpou(changes.edrpou)
            if edrpou is None:
                fields["edrpou"] = "invalid"
            consumer.edrpou = edrpou or consumer.edrpou
        if changes.agreement_email is not None:
            email = normalize_email(changes.agreement_email)
            if email is None:
                fields["agreement_email"] = "invalid"
            consumer.agreement_email = email or consumer.agreement_email
        if changes.billing_day is not None:
            if not billing_day_in_range(changes.billing_day):
                fields["billing_day"] = "out_of_range"
            else:
                consumer.billing_day = changes.billing_day
        if changes.vat_payer is not None:
            consumer.vat_payer = changes.vat_payer
        if changes.ipn is not None:
            consumer.ipn = normalize_ipn(changes.ipn)
        elif not consumer.vat_payer:
            consumer.ipn = None
        edrpou_in_force = None if "edrpou" in fields else consumer.edrpou
        if refusal := ipn_refusal(consumer.ipn, vat_payer=consumer.vat_payer, edrpou=edrpou_in_force):
            fields["ipn"] = refusal
        if fields:
            raise Invalid("consumer account changes refused", fields=fields)
        if changes.self_calculation is not None:
            consumer.self_calculation = changes.self_calculation
        if changes.e_signature is not None:
            consumer.e_signature = changes.e_signature
        await bus.add(self.session, _consumer_state(ConsumerAccountUpdated, consumer))
        if changed := [name for name, value in _changeable(consumer).items() if before[name] != value]:
            staff = await user_by_id(self.session, viewer.user_id) if viewer.user_id else None
            await record(self.session, consumer.id, AuditKind.CONSUMER_CHANGED, {"fields": changed}, at=utcnow(),
                         actor=staff, actor_user_id=viewer.user_id)
        return consumer

    async def announce(self) -> int:
        """Every consumer account's whole state once more (`ConsumerAccountUpdated`), so that the services keeping a
        copy learn what they did not keep before (each consumer's branch); how many were announced."""
        consumers = await all_consumers(self.session)
        await bus.add(self.session, *(_consumer_state(ConsumerAccountUpdated, consumer) for consumer in consumers))
        return len(consumers)


def _changeable(consumer: ConsumerAccount) -> dict[str, object]:
    """What staff change of a consumer's account (`Consumers.change`), as the audit trail names it."""
    return {name: getattr(consumer, name) for name in (
        "name", "edrpou", "agreement_email", "billing_day", "vat_payer", "ipn", "self_calculation", "e_signature")}


async def consumer_by_id(session: AsyncSession, consumer_id: uuid.UUID) -> ConsumerAccount | None:
    return await session.scalar(
        select(ConsumerAccount).where(ConsumerAccount.id == consumer_id).options(_CONSUMER_IN_FULL)
    )


async def lock_consumer(session: AsyncSession, consumer_id: uuid.UUID) -> None:
    """Concurrent changes of one consumer account take turns (each publishes the whole state it leaves)."""
    await session.execute(select(ConsumerAccount.id).where(ConsumerAccount.id == consumer_id).with_for_update())


async def consumer_by_account_number(session: AsyncSession, account_number: str) -> ConsumerAccount | None:
    return await session.scalar(
        select(ConsumerAccount)
        .where(ConsumerAccount.account_number == account_number)
        .options(_CONSUMER_IN_FULL)
    )


async def find_consumers(
    session: AsyncSession, text: str, *, branch_id: uuid.UUID | None, limit: int
) -> Sequence[ConsumerAccount]:
    """Consumers whose account number, EDRPOU or name contains `text`; of one branch if `branch_id` is given."""
    statement = select(ConsumerAccount).options(_CONSUMER_IN_FULL).order_by(ConsumerAccount.account_number)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                ConsumerAccount.account_number.ilike(pattern),
                ConsumerAccount.edrpou.ilike(pattern),
                ConsumerAccount.name.ilike(pattern),
            )
        )
    if branch_id is not None:
        statement = statement.where(ConsumerAccount.branch_id == branch_id)
    return (await session.scalars(statement.limit(limit))).all()


async def all_consumers(session: AsyncSession) -> Sequence[ConsumerAccount]:
    """Every consumer account with its branch, by account number."""
    return (await session.scalars(
        select(ConsumerAccount).options(_CONSUMER_IN_FULL).order_by(ConsumerAccount.account_number)
    )).all()

