"""Identity use cases: registration, sessions, the user's settings, and the supplier's consumer accounts.

Each use case runs in the caller's transaction and writes its events to the outbox in that same transaction.
Failed guesses are the exception: they are counted in a transaction of their own (`Throttle.count`), because
the use case then fails and its transaction is rolled back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity import repository
from identity.domain import throttling
from identity.domain.activation_codes import (
    activation_code_hash,
    new_activation_code,
    normalize_activation_code,
)
from identity.domain.consumers import (
    billing_day_in_range,
    clean_account_number,
    clean_edrpou,
    clean_iban,
    clean_name,
    ipn_refusal,
    normalize_ipn,
)
from identity.domain.emails import normalize_email, same_mailbox
from identity.domain.logins import LoginProblem, clean_login, login_key, login_problem
from identity.domain.passwords import PasswordHashing, PasswordProblem, password_problem
from identity.domain.throttling import ThrottleRule
from identity.domain.tokens import new_token, token_hash
from identity.models import (
    ActivationCode,
    ConsumerAccount,
    EmailChange,
    EmailChangeStatus,
    RegistrationLink,
    Session,
    SupplierBranch,
    User,
    UserRole,
)
from identity.settings import IdentitySettings
from shared import bus
from shared.auth import Principal, Role
from shared.contracts.identity import (
    ConsumerAccountCreated,
    ConsumerAccountUpdated,
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
    UserRegistered,
)
from shared.db import Database
from shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Throttled, Unauthorized

#: most consumers a search answers with
SEARCH_LIMIT = 50

Subject = tuple[ThrottleRule, str]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Throttle:
    """Counts attempts in the database, so every replica sees them and a restart forgets none."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def check(self, session: AsyncSession, *subjects: Subject, now: datetime) -> None:
        """Refuse (429) when any subject has to wait before its next attempt."""
        waits = []
        for rule, subject in subjects:
            recent = await repository.recent_attempts(session, rule, subject, now - rule.window)
            wait = rule.retry_after(recent, now)
            if wait is not None:
                waits.append(wait)
        if waits:
            raise Throttled(max(waits))

    async def count(self, *subjects: Subject, now: datetime) -> None:
        """Record an attempt in a transaction of its own: it must stay even when the request then fails."""
        async with self._database.transaction() as session:
            await repository.add_attempts(session, subjects, now)


@dataclass(frozen=True)
class Runtime:
    """What the use cases need beside a transaction; one per process."""

    settings: IdentitySettings
    hashing: PasswordHashing
    throttle: Throttle

    @classmethod
    def create(cls, settings: IdentitySettings, *, attempts_database: Database) -> Runtime:
        return cls(settings, PasswordHashing(settings.password_hashing), Throttle(attempts_database))


@dataclass(frozen=True)
class NewSession:
    token: str
    session: Session


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


@dataclass(frozen=True)
class Viewer:
    """Who looks at consumer accounts from the supplier's side, and how far they see."""

    user_id: uuid.UUID | None
    #: None: every branch (administrators, other services)
    branch_id: uuid.UUID | None

    def sees(self, consumer: ConsumerAccount) -> bool:
        return self.branch_id is None or consumer.branch_id == self.branch_id


def pending_email(user: User, now: datetime) -> str | None:
    change = user.pending_email_change
    return change.new_email if change is not None and change.expires_at > now else None


class Identity:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.settings = runtime.settings
        self.hashing = runtime.hashing
        self.throttle = runtime.throttle

    # ------------------------------------------------------------------ passwords (slow on purpose, off the loop)
    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hashing.hash, password)

    async def _verify(self, user: User | None, password: str) -> bool:
        return await asyncio.to_thread(self.hashing.verify, user.password_hash if user else None, password)

    @staticmethod
    async def _password_problem(password: str, login: str, personal: Sequence[str]) -> PasswordProblem | None:
        # zxcvbn takes up to a tenth of a second on a long password
        return await asyncio.to_thread(partial(password_problem, password, login=login, personal=personal))

    async def _current_password_is_right(
        self, user: User, password: str, fields: dict[str, str], now: datetime, session_id: uuid.UUID | None
    ) -> bool:
        """For changes in Settings: a wrong current password is a guess, counted against the browser's session."""
        subject = (throttling.CURRENT_PASSWORD_PER_SESSION, str(session_id or user.id))
        await self.throttle.check(self.session, subject, now=now)
        if await self._verify(user, password):
            return True
        await self.throttle.count(subject, now=now)
        fields["current_password"] = PasswordProblem.WRONG
        return False

    # ------------------------------------------------------------------ sessions
    async def sign_in(self, login: str, password: str, client_address: str) -> NewSession:
        """Each wrong password counts against the login from this network, against this network, and against the
        login from everywhere; the last holds only where the user has not signed in lately (module throttling)."""
        now = utcnow()
        login = clean_login(login)
        network = throttling.network_of(client_address)
        from_here = (throttling.SIGN_IN_PER_LOGIN_AND_NETWORK, throttling.pair(login_key(login), network))
        this_network = (throttling.SIGN_IN_PER_NETWORK, network)
        from_everywhere = (throttling.SIGN_IN_PER_LOGIN, login_key(login))
        user = await repository.user_by_login(self.session, login)
        if user is not None and network in await self._sign_in_networks(user, now):
            await self.throttle.check(self.session, from_here, this_network, now=now)
        else:
            await self.throttle.check(self.session, from_here, this_network, from_everywhere, now=now)
        if not await self._verify(user, password):
            await self.throttle.count(from_here, this_network, from_everywhere, now=now)
            raise Unauthorized("wrong login or password", code="invalid_credentials")
        assert user is not None
        if self.hashing.needs_rehash(user.password_hash):
            user.password_hash = await self._hash(password)
        # the user's own slips are forgiven; what strangers tried against the login stays counted
        await repository.clear_attempts(self.session, *from_here)
        token = new_token()
        signed_in = Session(
            user_id=user.id, user=user, token_hash=token_hash(token), client_address=client_address,
            created_at=now, expires_at=self.settings.session_lifetime.expiry(signed_in_at=now, now=now),
        )
        self.session.add(signed_in)
        await self.session.flush()
        return NewSession(token, signed_in)

    async def _sign_in_networks(self, user: User, now: datetime) -> set[str]:
        since = now - timedelta(days=throttling.KNOWN_NETWORK_DAYS)
        return {throttling.network_of(address) for address in await repository.sign_in_addresses(
            self.session, user.id, since
        )}

    async def resolve_session(self, token: str) -> Session:
        now = utcnow()
        found = await repository.live_session(self.session, token_hash(token), now)
        if found is None:
            raise Unauthorized("the session has ended", code="session_invalid")
        lifetime = self.settings.session_lifetime
        if lifetime.needs_refresh(expires_at=found.expires_at, signed_in_at=found.created_at, now=now):
            found.expires_at = lifetime.expiry(signed_in_at=found.created_at, now=now)
        return found

    async def sign_out(self, token: str) -> None:
        found = await repository.session_by_token(self.session, token_hash(token))
        if found is not None and found.revoked_at is None:
            found.revoked_at = utcnow()

    # ------------------------------------------------------------------ registration
    async def registration_link(self, token: str, *, for_update: bool = False) -> RegistrationLink:
        link = await repository.registration_link(self.session, token_hash(token), for_update=for_update)
        if link is None:
            raise NotFound("unknown registration link", code="link_unknown")
        if link.used_at is not None:
            raise Gone("the registration link was used", code="link_used")
        if link.expires_at <= utcnow():
            raise Gone("the registration link has expired", code="link_expired")
        return link

    async def login_availability(self, token: str, login: str, client_address: str) -> LoginProblem | None:
        """Whether a login is free, for whoever holds a registration link: it tells which logins exist, so it is
        no question for anyone else, and every check counts (per link and per network)."""
        now = utcnow()
        link = await self.registration_link(token)
        subjects = (
            (throttling.LOGIN_CHECK_PER_LINK, str(link.id)),
            (throttling.LOGIN_CHECK_PER_NETWORK, throttling.network_of(client_address)),
        )
        await self.throttle.check(self.session, *subjects, now=now)
        await self.throttle.count(*subjects, now=now)
        return await self._new_login_problem(clean_login(login))

    async def _new_login_problem(self, login: str, *, say_if_taken: bool = True) -> LoginProblem | None:
        problem = login_problem(login)
        if problem is None and say_if_taken and await repository.login_taken(self.session, login):
            return LoginProblem.TAKEN
        return problem

    async def complete_registration(
        self, *, token: str, activation_code: str, login: str, password: str, password_confirmation: str,
        client_address: str,
    ) -> User:
        now = utcnow()
        # locked: guesses at one link's code queue up behind each other, so its limit cannot be raced past
        link = await self.registration_link(token, for_update=True)
        network = throttling.network_of(client_address)
        subjects = (
            (throttling.ACTIVATION_PER_LINK_AND_NETWORK, throttling.pair(str(link.id), network)),
            (throttling.ACTIVATION_PER_LINK, str(link.id)),
            (throttling.ACTIVATION_PER_NETWORK, network),
        )
        await self.throttle.check(self.session, *subjects, now=now)
        consumer = link.consumer
        fields: dict[str, str] = {}

        code = await self._activation_code_of(consumer, activation_code)
        if code is None:
            await self.throttle.count(*subjects, now=now)
            fields["activation_code"] = "code_invalid"
        elif code.used_at is not None:
            fields["activation_code"] = "code_used"
        login = clean_login(login)
        # whether a login is taken is told to whoever has the link and its code; the link alone asks
        # `login_availability`, which counts every question
        if login_issue := await self._new_login_problem(login, say_if_taken=code is not None):
            fields["login"] = login_issue
        personal = (consumer.agreement_email, consumer.name, consumer.account_number, consumer.edrpou)
        if password_issue := await self._password_problem(password, login, personal):
            fields["password"] = password_issue
        if password_confirmation != password:
            fields["password_confirmation"] = PasswordProblem.MISMATCH
        if fields:
            raise Invalid("registration data refused", fields=fields)
        assert code is not None

        user = User(
            login=login, email=consumer.agreement_email, password_hash=await self._hash(password),
            role=UserRole.CONSUMER, consumer_id=consumer.id,
        )
        await self._save_user(user, login_field="login")
        code.used_at = now
        code.used_by = user.id
        link.used_at = now
        await bus.add(
            self.session,
            UserRegistered(user_id=user.id, consumer_id=consumer.id, login=user.login, email=user.email),
        )
        return await self._reloaded(user)

    async def _activation_code_of(self, consumer: ConsumerAccount, raw_code: str) -> ActivationCode | None:
        symbols = normalize_activation_code(raw_code)
        if symbols is None:
            return None
        code = await repository.activation_code(self.session, activation_code_hash(symbols), for_update=True)
        return code if code is not None and code.consumer_id == consumer.id else None

    async def _save_user(self, user: User, *, login_field: str) -> None:
        """Write the user now, so that a login taken by a concurrent request gets the usual answer."""
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if "uq_users_login_key" not in str(exc.orig):
                raise
            raise Invalid("login taken", fields={login_field: LoginProblem.TAKEN}) from exc

    async def resend_registration(self, activation_code: str, email: str, client_address: str) -> str:
        """A new registration link to the agreement e-mail, if the code and the address belong together."""
        now = utcnow()
        attempt = (throttling.RESEND_PER_NETWORK, throttling.network_of(client_address))
        await self.throttle.check(self.session, attempt, now=now)
        await self.throttle.count(attempt, now=now)
        symbols = normalize_activation_code(activation_code)
        code = await repository.activation_code(self.session, activation_code_hash(symbols)) if symbols else None
        consumer = await repository.consumer(self.session, code.consumer_id) if code else None
        if (
            code is None or code.used_at is not None or consumer is None
            or not same_mailbox(consumer.agreement_email, email.strip())
        ):
            # one answer for every mismatch: which of the two was wrong would help a guesser
            raise NotFound("no consumer with this activation code and e-mail", code="no_match")
        # only whoever has the code can have letters sent; the mailbox still gets no more than a few an hour
        letter = (throttling.RESEND_LETTERS_PER_CONSUMER, str(consumer.id))
        await self.throttle.check(self.session, letter, now=now)
        await self.throttle.count(letter, now=now)
        await self._issue_registration_link(consumer, now)
        return consumer.agreement_email

    async def _issue_registration_link(self, consumer: ConsumerAccount, now: datetime) -> None:
        token = new_token()
        link = RegistrationLink(
            id=uuid.uuid4(), consumer_id=consumer.id, token_hash=token_hash(token),
            email=consumer.agreement_email, created_at=now, expires_at=now + self.settings.registration_link_ttl,
        )
        self.session.add(link)
        await bus.add(
            self.session,
            RegistrationLinkIssued(
                link_id=link.id, consumer_id=consumer.id, account_number=consumer.account_number,
                consumer_name=consumer.name, email=consumer.agreement_email,
                link_url=self.settings.registration_link_url(token), expires_at=link.expires_at,
            ),
        )

    # ------------------------------------------------------------------ the signed-in user
    async def current_user(self, principal: Principal) -> User:
        """The user the gateway says is signed in, if the token agrees with what is stored."""
        if principal.user_id is None:
            raise Unauthorized("sign in first", code="not_signed_in")
        user = await repository.user(self.session, principal.user_id)
        if user is None:
            raise Unauthorized("unknown user", code="user_unknown")
        if principal.role != Role(user.role) or principal.consumer_id != user.consumer_id:
            raise Forbidden("the token does not match the user", code="principal_mismatch")
        return user

    async def request_email_change(
        self, user: User, new_email: str, current_password: str, *, session_id: uuid.UUID | None = None
    ) -> EmailChange:
        now = utcnow()
        fields: dict[str, str] = {}
        await self._current_password_is_right(user, current_password, fields, now, session_id)
        address = normalize_email(new_email)
        if address is None:
            fields["new_email"] = "invalid"
        elif same_mailbox(address, user.email):
            fields["new_email"] = "same_as_current"
        if fields:
            raise Invalid("e-mail change refused", fields=fields)
        assert address is not None
        await self._cancel_pending_email_change(user, now)
        token = new_token()
        change = EmailChange(
            id=uuid.uuid4(), user_id=user.id, old_email=user.email, new_email=address,
            token_hash=token_hash(token), status=EmailChangeStatus.PENDING,
            expires_at=now + self.settings.email_change_ttl,
        )
        self.session.add(change)
        await bus.add(
            self.session,
            EmailChangeRequested(
                change_id=change.id, user_id=user.id, login=user.login, current_email=user.email,
                new_email=address,
                confirm_url=self.settings.email_confirmation_url(token), expires_at=change.expires_at,
            ),
        )
        return change

    async def cancel_email_change(self, user: User) -> None:
        await self._cancel_pending_email_change(user, utcnow())

    async def _cancel_pending_email_change(self, user: User, now: datetime) -> None:
        pending = await repository.pending_email_change(self.session, user.id)
        if pending is not None:
            pending.status = EmailChangeStatus.CANCELLED
            pending.decided_at = now
            # before a new pending change goes in: there may be only one per user
            await self.session.flush()

    async def confirm_email_change(self, token: str) -> str:
        now = utcnow()
        change = await repository.email_change(self.session, token_hash(token), for_update=True)
        if change is None:
            raise NotFound("unknown confirmation link", code="link_unknown")
        if change.status != EmailChangeStatus.PENDING:
            # followed before, or the change was cancelled (or replaced by a newer one)
            raise Gone("the confirmation link is no longer valid", code="link_used")
        if change.expires_at <= now:
            raise Gone("the confirmation link has expired", code="link_expired")
        user = await repository.user(self.session, change.user_id)
        assert user is not None
        old_email = user.email
        user.email = change.new_email
        change.status = EmailChangeStatus.CONFIRMED
        change.decided_at = now
        await bus.add(
            self.session,
            EmailChanged(user_id=user.id, login=user.login, old_email=old_email, new_email=change.new_email),
        )
        return change.new_email

    async def change_login(
        self, user: User, new_login: str, current_password: str, *, session_id: uuid.UUID | None = None
    ) -> User:
        now = utcnow()
        fields: dict[str, str] = {}
        password_right = await self._current_password_is_right(user, current_password, fields, now, session_id)
        new_login = clean_login(new_login)
        old_login = user.login
        if new_login == old_login:
            fields["new_login"] = LoginProblem.SAME_AS_CURRENT
        elif (problem := login_problem(new_login)) is not None:
            fields["new_login"] = problem
        # whether another login is taken is told only with the right password: it says which logins exist
        elif password_right and login_key(new_login) != login_key(old_login) and await repository.login_taken(
            self.session, new_login
        ):
            fields["new_login"] = LoginProblem.TAKEN
        if fields:
            raise Invalid("login change refused", fields=fields)
        user.login = new_login
        await self._save_user(user, login_field="new_login")
        await bus.add(
            self.session,
            LoginChanged(user_id=user.id, email=user.email, old_login=old_login, new_login=new_login),
        )
        return user

    async def change_password(
        self, user: User, current_password: str, new_password: str, new_password_confirmation: str,
        *, keep_session: uuid.UUID | None = None,
    ) -> None:
        """A new password also ends the user's other sessions: whoever knew the old one is signed out."""
        now = utcnow()
        fields: dict[str, str] = {}
        await self._current_password_is_right(user, current_password, fields, now, keep_session)
        personal: tuple[str, ...] = (user.email,)
        if user.consumer is not None:
            personal += (user.consumer.name, user.consumer.account_number, user.consumer.edrpou)
        if problem := await self._password_problem(new_password, user.login, personal):
            fields["new_password"] = problem
        if new_password_confirmation != new_password:
            fields["new_password_confirmation"] = PasswordProblem.MISMATCH
        if fields:
            raise Invalid("password change refused", fields=fields)
        user.password_hash = await self._hash(new_password)
        await repository.end_other_sessions(self.session, user.id, keep_session, now)
        await bus.add(self.session, PasswordChanged(user_id=user.id, login=user.login, email=user.email))

    # ------------------------------------------------------------------ the supplier's side
    async def viewer(self, principal: Principal) -> Viewer:
        """Staff see their own branch's consumers; administrators and other services see all."""
        if principal.role == Role.SERVICE:
            return Viewer(user_id=None, branch_id=None)
        user = await self.current_user(principal)
        if user.role == UserRole.ADMIN:
            return Viewer(user_id=user.id, branch_id=None)
        if user.role == UserRole.STAFF:
            return Viewer(user_id=user.id, branch_id=user.branch_id)
        raise Forbidden("only supplier staff may do this", code="role_forbidden")

    async def branches(self) -> Sequence[SupplierBranch]:
        return await repository.branches(self.session)

    async def find_consumers(self, viewer: Viewer, text: str) -> Sequence[ConsumerAccount]:
        return await repository.find_consumers(
            self.session, text.strip(), branch_id=viewer.branch_id, limit=SEARCH_LIMIT
        )

    async def consumer(self, viewer: Viewer, consumer_id: uuid.UUID) -> ConsumerAccount:
        consumer = await repository.consumer(self.session, consumer_id)
        # another branch's consumer is answered as unknown: its existence is not this viewer's business
        if consumer is None or not viewer.sees(consumer):
            raise NotFound("no such consumer", code="consumer_not_found")
        return consumer

    async def users_of(self, consumer: ConsumerAccount) -> Sequence[User]:
        return await repository.users_of_consumer(self.session, consumer.id)

    async def create_consumer(self, viewer: Viewer, data: ConsumerFields) -> tuple[ConsumerAccount, str]:
        """A new consumer account, its first activation code (returned, shown once), the registration letter."""
        now = utcnow()
        fields: dict[str, str] = {}
        account_number = clean_account_number(data.account_number)
        name = clean_name(data.name)
        edrpou = clean_edrpou(data.edrpou)
        email = normalize_email(data.agreement_email)
        ipn = normalize_ipn(data.ipn)
        branch = await repository.branch(self.session, data.branch_id)
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
        if await repository.consumer_by_account_number(self.session, account_number) is not None:
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
        code = await self.issue_activation_code(viewer, consumer)
        return consumer, code

    async def change_consumer(
        self, viewer: Viewer, consumer_id: uuid.UUID, changes: ConsumerChanges
    ) -> ConsumerAccount:
        """Staff correct a consumer's details or rights; the other services learn the whole new state."""
        await repository.lock_consumer(self.session, consumer_id)
        consumer = await self.consumer(viewer, consumer_id)
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
        return consumer

    async def issue_activation_code(self, viewer: Viewer, consumer: ConsumerAccount) -> str:
        """A new single-use code (for one more user of the consumer) and a registration letter with it."""
        now = utcnow()
        code = new_activation_code()
        symbols = normalize_activation_code(code)
        assert symbols is not None
        self.session.add(
            ActivationCode(
                consumer_id=consumer.id, code_hash=activation_code_hash(symbols), issued_by=viewer.user_id,
                created_at=now,
            )
        )
        await self._issue_registration_link(consumer, now)
        return code

    # ------------------------------------------------------------------ setting up (demo data, administrators)
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
        if login_issue := await self._new_login_problem(login):
            fields["login"] = login_issue
        if address is None:
            fields["email"] = "invalid"
        if password_issue := await self._password_problem(password, login, (email,)):
            fields["password"] = password_issue
        if role == UserRole.STAFF and branch is None:
            fields["branch_id"] = "unknown"
        if fields:
            raise Invalid("staff user refused", fields=fields)
        assert address is not None
        user = User(
            login=login, email=address, password_hash=await self._hash(password), role=role,
            branch_id=branch.id if branch else None,
        )
        await self._save_user(user, login_field="login")
        return await self._reloaded(user)

    async def announce_consumers(self) -> int:
        """Every consumer account's whole state once more (`ConsumerAccountUpdated`), so that the services keeping a
        copy learn what they did not keep before (each consumer's branch); how many were announced."""
        consumers = await repository.all_consumers(self.session)
        await bus.add(self.session, *(_consumer_state(ConsumerAccountUpdated, consumer) for consumer in consumers))
        return len(consumers)

    async def _reloaded(self, user: User) -> User:
        """The user with everything an answer shows loaded."""
        loaded = await repository.user(self.session, user.id)
        assert loaded is not None
        return loaded
