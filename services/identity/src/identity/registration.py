"""Registration: a consumer's people become users with a registration link (e-mailed to the agreement's address)
and an activation code (given by the supplier's staff, single-use).

Guesses at a code are throttled per link and network, per link and per network; questions whether a login is free
count too, since the answers tell which logins exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.domain import throttling
from identity.domain.activation_codes import activation_code_hash, new_activation_code, normalize_activation_code
from identity.domain.emails import same_mailbox
from identity.domain.logins import LoginProblem, clean_login
from identity.domain.tokens import new_token, token_hash
from identity.models import ActivationCode, ConsumerAccount, RegistrationLink, User, UserRole
from identity.runtime import Runtime, utcnow
from identity.users import Users
from shared import bus
from shared.auth import ConsumerRole
from shared.contracts.identity import RegistrationLinkIssued, UserRegistered
from shared.errors import Gone, Invalid, NotFound


class Registration:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.settings = runtime.settings
        self.throttle = runtime.throttle
        self.users = Users(session, runtime)

    async def link(self, token: str, *, for_update: bool = False) -> RegistrationLink:
        found = await registration_link(self.session, token_hash(token), for_update=for_update)
        if found is None:
            raise NotFound("unknown registration link", code="link_unknown")
        if found.used_at is not None:
            raise Gone("the registration link was used", code="link_used")
        if found.expires_at <= utcnow():
            raise Gone("the registration link has expired", code="link_expired")
        return found

    async def login_availability(self, token: str, login: str, client_address: str) -> LoginProblem | None:
        """Whether a login is free, for whoever holds a registration link: it tells which logins exist, so it is
        no question for anyone else, and every check counts (per link and per network)."""
        now = utcnow()
        link = await self.link(token)
        subjects = (
            (throttling.LOGIN_CHECK_PER_LINK, str(link.id)),
            (throttling.LOGIN_CHECK_PER_NETWORK, throttling.network_of(client_address)),
        )
        await self.throttle.check(self.session, *subjects, now=now)
        await self.throttle.count(*subjects, now=now)
        return await self.users.new_login_problem(clean_login(login))

    async def complete(
        self, *, token: str, activation_code: str, login: str, password: str, password_confirmation: str,
        client_address: str,
    ) -> User:
        now = utcnow()
        # locked: guesses at one link's code queue up behind each other, so its limit cannot be raced past
        link = await self.link(token, for_update=True)
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
        personal = (consumer.agreement_email, consumer.name, consumer.account_number, consumer.edrpou)
        fields |= await self.users.new_user_problems(login, password, password_confirmation, personal,
                                                     say_if_taken=code is not None)
        if fields:
            raise Invalid("registration data refused", fields=fields)
        assert code is not None

        user = User(
            login=login, email=consumer.agreement_email, password_hash=await self.users.hash_password(password),
            # whoever holds the supplier's activation code is the consumer's director: they invite the others
            role=UserRole.CONSUMER, consumer_id=consumer.id, consumer_role=ConsumerRole.DIRECTOR,
        )
        await self.users.save(user, login_field="login")
        code.used_at = now
        code.used_by = user.id
        link.used_at = now
        await bus.add(
            self.session,
            UserRegistered(user_id=user.id, consumer_id=consumer.id, login=user.login, email=user.email),
        )
        return await self.users.reloaded(user)

    async def _activation_code_of(self, consumer: ConsumerAccount, raw_code: str) -> ActivationCode | None:
        symbols = normalize_activation_code(raw_code)
        if symbols is None:
            return None
        code = await activation_code_by_hash(self.session, activation_code_hash(symbols), for_update=True)
        return code if code is not None and code.consumer_id == consumer.id else None

    async def resend(self, activation_code: str, email: str, client_address: str) -> str:
        """A new registration link to the agreement e-mail, if the code and the address belong together."""
        now = utcnow()
        attempt = (throttling.RESEND_PER_NETWORK, throttling.network_of(client_address))
        await self.throttle.check(self.session, attempt, now=now)
        await self.throttle.count(attempt, now=now)
        symbols = normalize_activation_code(activation_code)
        code = await activation_code_by_hash(self.session, activation_code_hash(symbols)) if symbols else None
        consumer = await self.session.get(ConsumerAccount, code.consumer_id) if code else None
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
        await self._issue_link(consumer, now)
        return consumer.agreement_email

    async def issue_activation_code(self, consumer: ConsumerAccount, *, issued_by: uuid.UUID | None) -> str:
        """A new single-use code (for one more user of the consumer) and a registration letter with it."""
        now = utcnow()
        code = new_activation_code()
        symbols = normalize_activation_code(code)
        assert symbols is not None
        self.session.add(
            ActivationCode(
                consumer_id=consumer.id, code_hash=activation_code_hash(symbols), issued_by=issued_by,
                created_at=now,
            )
        )
        await self._issue_link(consumer, now)
        return code

    async def _issue_link(self, consumer: ConsumerAccount, now: datetime) -> None:
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


async def activation_code_by_hash(
    session: AsyncSession, code_hash: bytes, *, for_update: bool = False
) -> ActivationCode | None:
    statement = select(ActivationCode).where(ActivationCode.code_hash == code_hash)
    return await session.scalar(statement.with_for_update() if for_update else statement)


async def registration_link(
    session: AsyncSession, token_hash: bytes, *, for_update: bool = False
) -> RegistrationLink | None:
    statement = (
        select(RegistrationLink)
        .where(RegistrationLink.token_hash == token_hash)
        .options(joinedload(RegistrationLink.consumer).joinedload(ConsumerAccount.branch))
    )
    if for_update:
        statement = statement.with_for_update(of=RegistrationLink)
    return await session.scalar(statement)
