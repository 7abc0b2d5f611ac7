"""A consumer's people: its director invites colleagues by e-mail, each with a role (`shared.auth.ConsumerRole`),
changes their roles and removes them.

An invitation is a single-use link (its token stored only as a hash) to the colleague's address; following it before
it expires, the colleague chooses a login and password and becomes the consumer's user with the role named. The link
is the secret: 32 random bytes, unguessable, so trying links needs no throttling; the letters a consumer has sent are
limited, the mailbox of whoever is named must not be flooded. A consumer always keeps a director: the last one is
neither removed nor given another role, and a director changes only the others (another director changes them).
A removed user signs in no more: their sessions end and their access tokens are revoked at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from identity.audit import record_own_change
from identity.domain import throttling
from identity.domain.emails import normalize_email
from identity.domain.logins import clean_login
from identity.domain.tokens import new_token, token_hash
from identity.models import AccessToken, AuditKind, ColleagueInvitation, ConsumerAccount, User, UserRole
from identity.runtime import Runtime, utcnow
from identity.sessions import end_other_sessions
from identity.users import Users
from shared import bus
from shared.auth import CAPABILITIES, Capability, ConsumerRole, Principal
from shared.contracts.identity import ColleagueInvited, UserRegistered
from shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound


class Colleagues:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.settings = runtime.settings
        self.throttle = runtime.throttle
        self.users = Users(session, runtime)

    async def director(self, principal: Principal) -> User:
        """The signed-in user, if their role manages the consumer's users (403 otherwise)."""
        principal.require(Capability.MANAGE_USERS)
        user = await self.users.current(principal)
        # the stored role decides: the token may have been issued before another director changed it
        if user.consumer_role is None or Capability.MANAGE_USERS not in CAPABILITIES[user.consumer_role]:
            raise Forbidden("the user's role does not manage users", code="capability_forbidden")
        return user

    async def listing(self, director: User) -> tuple[Sequence[User], Sequence[ColleagueInvitation]]:
        """The consumer's users, and the invitations still waiting to be accepted."""
        assert director.consumer_id is not None
        now = utcnow()
        return (await users_of(self.session, director.consumer_id),
                await pending_invitations(self.session, director.consumer_id, now))

    async def invite(self, director: User, email: str, role: ConsumerRole) -> ColleagueInvitation:
        now = utcnow()
        address = normalize_email(email)
        if address is None:
            raise Invalid("not an e-mail address", fields={"email": "invalid"})
        consumer = await self.session.get(ConsumerAccount, director.consumer_id)
        assert consumer is not None
        letters = (throttling.INVITATIONS_PER_CONSUMER, str(consumer.id))
        await self.throttle.check(self.session, letters, now=now)
        await self.throttle.count(letters, now=now)
        # a new invitation to the same address replaces the one before (its link opens no more)
        await self.session.execute(
            update(ColleagueInvitation)
            .where(ColleagueInvitation.consumer_id == consumer.id,
                   func.lower(ColleagueInvitation.email) == address.lower(),
                   ColleagueInvitation.accepted_at.is_(None), ColleagueInvitation.withdrawn_at.is_(None))
            .values(withdrawn_at=now)
        )
        token = new_token()
        invitation = ColleagueInvitation(
            id=uuid.uuid4(), consumer_id=consumer.id, email=address, consumer_role=role,
            token_hash=token_hash(token), invited_by=director.id, created_at=now,
            expires_at=now + self.settings.invitation_ttl,
        )
        self.session.add(invitation)
        await bus.add(self.session, ColleagueInvited(
            invitation_id=invitation.id, consumer_id=consumer.id, account_number=consumer.account_number,
            consumer_name=consumer.name, email=address, consumer_role=role.value, invited_by_login=director.login,
            link_url=self.settings.invitation_url(token), expires_at=invitation.expires_at,
        ))
        await self.session.flush()
        await record_own_change(self.session, director, AuditKind.COLLEAGUE_INVITED, now,
                                {"email": address, "consumer_role": role.value})
        return invitation

    async def withdraw(self, director: User, invitation_id: uuid.UUID) -> None:
        invitation = await self.session.get(ColleagueInvitation, invitation_id)
        if (invitation is None or invitation.consumer_id != director.consumer_id
                or invitation.accepted_at is not None or invitation.withdrawn_at is not None):
            raise NotFound("no such invitation", code="invitation_not_found")
        invitation.withdrawn_at = utcnow()

    async def change_role(self, director: User, user_id: uuid.UUID, role: ConsumerRole) -> User:
        colleague = await self._colleague(director, user_id)
        if colleague.consumer_role == ConsumerRole.DIRECTOR and role != ConsumerRole.DIRECTOR:
            await self._keep_a_director(colleague)
        if colleague.consumer_role != role:
            await record_own_change(self.session, director, AuditKind.COLLEAGUE_ROLE_CHANGED, utcnow(),
                                    {"login": colleague.login, "consumer_role": role.value})
        colleague.consumer_role = role
        return colleague

    async def remove(self, director: User, user_id: uuid.UUID) -> None:
        """The colleague signs in no more: their sessions end and their programs' tokens are revoked now."""
        colleague = await self._colleague(director, user_id)
        if colleague.consumer_role == ConsumerRole.DIRECTOR:
            await self._keep_a_director(colleague)
        now = utcnow()
        colleague.removed_at = now
        await end_other_sessions(self.session, colleague.id, keep=None, now=now)
        await self.session.execute(
            update(AccessToken).where(AccessToken.user_id == colleague.id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await record_own_change(self.session, director, AuditKind.COLLEAGUE_REMOVED, now, {"login": colleague.login})

    async def _colleague(self, director: User, user_id: uuid.UUID) -> User:
        # a director neither removes nor demotes themselves (nor locks themselves out by a slip): another director does
        if user_id == director.id:
            raise Conflict("a director does not change their own role nor remove themselves", code="own_user")
        colleague = await self.session.scalar(select(User).where(User.id == user_id).with_for_update())
        # another consumer's user is answered as a missing one
        if colleague is None or colleague.consumer_id != director.consumer_id or colleague.removed_at is not None:
            raise NotFound("no such user", code="user_not_found")
        return colleague

    async def _keep_a_director(self, colleague: User) -> None:
        """Two directors changing each other at the same moment must not leave the consumer without one."""
        assert colleague.consumer_id is not None
        # the consumer's directors locked: two directors removing each other at once cannot leave none
        directors = await self.session.scalars(
            select(User.id).where(User.consumer_id == colleague.consumer_id, User.removed_at.is_(None),
                                  User.consumer_role == ConsumerRole.DIRECTOR).with_for_update()
        )
        if set(directors.all()) <= {colleague.id}:
            raise Conflict("the consumer would have no director", code="last_director")

    # the colleague's side
    async def invitation(self, token: str, *, for_update: bool = False) -> ColleagueInvitation:
        statement = (
            select(ColleagueInvitation).where(ColleagueInvitation.token_hash == token_hash(token))
            .options(joinedload(ColleagueInvitation.consumer))
        )
        if for_update:
            statement = statement.with_for_update(of=ColleagueInvitation)
        found = await self.session.scalar(statement)
        if found is None:
            raise NotFound("unknown invitation", code="invitation_unknown")
        if found.accepted_at is not None or found.withdrawn_at is not None:
            raise Gone("the invitation was used", code="invitation_used")
        if found.expires_at <= utcnow():
            raise Gone("the invitation has expired", code="invitation_expired")
        return found

    async def accept(self, token: str, login: str, password: str, password_confirmation: str) -> User:
        now = utcnow()
        # locked: the link is accepted once, however many times it is sent at the same moment
        invitation = await self.invitation(token, for_update=True)
        consumer = invitation.consumer
        login = clean_login(login)
        personal = (invitation.email, consumer.name, consumer.account_number, consumer.edrpou)
        if fields := await self.users.new_user_problems(login, password, password_confirmation, personal):
            raise Invalid("the colleague's data refused", fields=fields)
        user = User(
            login=login, email=invitation.email, password_hash=await self.users.hash_password(password),
            role=UserRole.CONSUMER, consumer_id=consumer.id, consumer_role=invitation.consumer_role,
        )
        await self.users.save(user, login_field="login")
        invitation.accepted_at = now
        invitation.accepted_by = user.id
        await record_own_change(self.session, user, AuditKind.COLLEAGUE_JOINED, now,
                                {"consumer_role": invitation.consumer_role.value})
        await bus.add(
            self.session,
            UserRegistered(user_id=user.id, consumer_id=consumer.id, login=user.login, email=user.email),
        )
        return await self.users.reloaded(user)


async def users_of(session: AsyncSession, consumer_id: uuid.UUID) -> Sequence[User]:
    """The consumer's users who have not been removed, the earliest first."""
    return (await session.scalars(
        select(User).where(User.consumer_id == consumer_id, User.removed_at.is_(None)).order_by(User.created_at)
    )).all()


async def pending_invitations(
    session: AsyncSession, consumer_id: uuid.UUID, now: datetime
) -> Sequence[ColleagueInvitation]:
    return (await session.scalars(
        select(ColleagueInvitation)
        .where(ColleagueInvitation.consumer_id == consumer_id, ColleagueInvitation.accepted_at.is_(None),
               ColleagueInvitation.withdrawn_at.is_(None), ColleagueInvitation.expires_at > now)
        .order_by(ColleagueInvitation.created_at)
    )).all()
