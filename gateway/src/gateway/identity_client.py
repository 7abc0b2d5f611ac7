"""Typed calls to the identity service (docs/api-identity.md).

Each call takes the principal the request acts for: anonymous with the client address before login, the
signed-in user afterwards. Refusals arrive as `shared.errors.ServiceCallError` carrying the service's code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from shared.auth import ConsumerRole, Principal, Role
from shared.http import ServiceClient

_API = "/api/v1"


class _Answer(BaseModel):
    # answers may grow new fields; the gateway reads what it knows
    model_config = ConfigDict(extra="ignore", frozen=True)


class BranchRef(_Answer):
    id: UUID
    name: str


class ConsumerRef(_Answer):
    id: UUID
    account_number: str
    name: str
    edrpou: str
    branch: BranchRef
    e_signature: bool


class User(_Answer):
    id: UUID
    login: str
    email: str
    pending_email: str | None = None
    role: Role
    #: a consumer's user's role inside the consumer (director, accountant, engineer, viewer)
    consumer_role: ConsumerRole | None = None
    consumer: ConsumerRef | None = None
    branch: BranchRef | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)


class NewSession(_Answer):
    session_token: str
    expires_at: AwareDatetime
    user: User


class ResolvedSession(_Answer):
    session_id: UUID
    expires_at: AwareDatetime
    user: User


class LinkedConsumer(_Answer):
    account_number: str
    name: str


class RegistrationLink(_Answer):
    consumer: LinkedConsumer


class LoginAvailability(_Answer):
    login: str
    available: bool
    #: "too_short", "too_long", "invalid_characters", "taken"
    reason: str | None = None


class Branch(_Answer):
    id: UUID
    name: str
    edrpou: str
    iban: str
    address: str
    phone: str
    email: str


class Consumer(_Answer):
    id: UUID
    account_number: str
    name: str
    edrpou: str
    branch: BranchRef
    agreement_email: str
    billing_day: int
    self_calculation: bool
    e_signature: bool
    #: the buyer on tax invoices: a VAT payer and its ІПН (None until entered), or not a payer
    vat_payer: bool = True
    ipn: str | None = None
    created_at: datetime


class ConsumerUser(_Answer):
    id: UUID
    login: str
    email: str
    consumer_role: ConsumerRole | None = None
    created_at: datetime | None = None


class Invitation(_Answer):
    id: UUID
    email: str
    consumer_role: ConsumerRole
    expires_at: datetime


class Colleagues(_Answer):
    """A consumer's users, and the invitations waiting to be accepted."""

    users: list[ConsumerUser]
    invitations: list[Invitation]


class InvitationLink(_Answer):
    consumer: LinkedConsumer
    email: str
    consumer_role: ConsumerRole


class ConsumerDetails(_Answer):
    consumer: Consumer
    users: list[ConsumerUser]


class ConsumerCreated(_Answer):
    consumer: Consumer
    activation_code: str


class NewConsumer(BaseModel):
    account_number: str
    name: str
    edrpou: str
    branch_id: UUID
    agreement_email: str
    billing_day: int
    self_calculation: bool
    e_signature: bool
    vat_payer: bool
    ipn: str | None


class ConsumerChanges(BaseModel):
    """What staff may change of a consumer (`PATCH /consumers/{id}`); the account number and branch stay."""

    name: str
    edrpou: str
    agreement_email: str
    billing_day: int
    self_calculation: bool
    e_signature: bool
    vat_payer: bool
    #: "" takes the ІПН away
    ipn: str


class AccessToken(_Answer):
    id: UUID
    name: str
    #: `gateway.api_access.Scope` values
    scopes: list[str]
    prefix: str
    created_at: AwareDatetime
    expires_at: AwareDatetime
    last_used_at: AwareDatetime | None = None


class NewAccessToken(_Answer):
    #: the secret, shown this once
    token: str
    access_token: AccessToken


class AdmittedCall(_Answer):
    """A program's call of the public API as identity took it: counted against its token's limit and recorded in
    the consumer's audit trail as `call_id`."""

    call_id: int
    access_token: AccessToken
    user: User


class AuditActor(_Answer):
    user_id: UUID
    #: as they were then (None: a user no longer known)
    login: str | None = None
    email: str | None = None


class AuditEntry(_Answer):
    id: int
    occurred_at: AwareDatetime
    kind: str
    #: None: the system (a RES system's readings, the supplier's seal)
    actor: AuditActor | None = None
    #: `page` or `api` (a program's personal access token)
    via: str | None = None
    details: dict[str, Any] = {}
    #: the status a public API call was answered with
    status: int | None = None


class AuditPage(_Answer):
    items: list[AuditEntry]
    offset: int
    limit: int
    more: bool


_ACCESS_TOKENS = TypeAdapter(list[AccessToken])
_BRANCHES = TypeAdapter(list[Branch])
_CONSUMERS = TypeAdapter(list[Consumer])


class IdentityClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    # sessions
    async def log_in(self, principal: Principal, login: str, password: str) -> NewSession:
        answer = await self._client.post(
            f"{_API}/sessions", principal, json={"login": login, "password": password}
        )
        return NewSession.model_validate(answer)

    async def resolve_session(self, principal: Principal, session_token: str) -> ResolvedSession:
        answer = await self._client.post(
            f"{_API}/sessions/resolve", principal, json={"session_token": session_token}
        )
        return ResolvedSession.model_validate(answer)

    async def log_out(self, principal: Principal, session_token: str) -> None:
        await self._client.delete(
            f"{_API}/sessions/current", principal, json={"session_token": session_token}
        )

    # registration
    async def registration_link(self, principal: Principal, token: str) -> RegistrationLink:
        return RegistrationLink.model_validate(
            await self._client.get(f"{_API}/registration/links/{token}", principal)
        )

    async def login_availability(self, principal: Principal, token: str, login: str) -> LoginAvailability:
        """Asked with the registration link's token: identity answers only whoever holds one."""
        return LoginAvailability.model_validate(
            await self._client.get(
                f"{_API}/registration/links/{token}/login-availability", principal, params={"login": login}
            )
        )

    async def complete_registration(
        self,
        principal: Principal,
        *,
        token: str,
        activation_code: str,
        login: str,
        password: str,
        password_confirmation: str,
    ) -> User:
        answer = await self._client.post(
            f"{_API}/registration/complete",
            principal,
            json={
                "token": token,
                "activation_code": activation_code,
                "login": login,
                "password": password,
                "password_confirmation": password_confirmation,
            },
        )
        return User.model_validate(answer["user"])

    async def resend_registration(self, principal: Principal, activation_code: str, email: str) -> str:
        answer = await self._client.post(
            f"{_API}/registration/resend",
            principal,
            json={"activation_code": activation_code, "email": email},
        )
        return str(answer["email"])

    # the signed-in user
    async def me(self, principal: Principal) -> User:
        return User.model_validate(await self._client.get(f"{_API}/me", principal))

    async def request_email_change(self, principal: Principal, new_email: str, current_password: str) -> str:
        answer = await self._client.post(
            f"{_API}/me/email",
            principal,
            json={"new_email": new_email, "current_password": current_password},
        )
        return str(answer["pending_email"])

    async def cancel_email_change(self, principal: Principal) -> None:
        await self._client.delete(f"{_API}/me/email/pending", principal)

    async def confirm_email_change(self, principal: Principal, token: str) -> str:
        answer = await self._client.post(f"{_API}/email-changes/confirm", principal, json={"token": token})
        return str(answer["email"])

    async def change_login(self, principal: Principal, new_login: str, current_password: str) -> User:
        answer = await self._client.post(
            f"{_API}/me/login",
            principal,
            json={"new_login": new_login, "current_password": current_password},
        )
        return User.model_validate(answer["user"])

    async def change_password(
        self, principal: Principal, current_password: str, new_password: str, new_password_confirmation: str
    ) -> None:
        await self._client.post(
            f"{_API}/me/password",
            principal,
            json={
                "current_password": current_password,
                "new_password": new_password,
                "new_password_confirmation": new_password_confirmation,
            },
        )

    # personal access tokens
    async def access_tokens(self, principal: Principal) -> list[AccessToken]:
        return _ACCESS_TOKENS.validate_python(await self._client.get(f"{_API}/me/access-tokens", principal))

    async def create_access_token(
        self, principal: Principal, name: str, scopes: list[str], expires_in_days: int
    ) -> NewAccessToken:
        answer = await self._client.post(f"{_API}/me/access-tokens", principal, json={
            "name": name, "scopes": scopes, "expires_in_days": expires_in_days})
        return NewAccessToken.model_validate(answer)

    async def revoke_access_token(self, principal: Principal, token_id: UUID) -> None:
        await self._client.delete(f"{_API}/me/access-tokens/{token_id}", principal)

    async def admit_api_call(self, principal: Principal, token: str, method: str, route: str,
                             per_minute: int) -> AdmittedCall:
        answer = await self._client.post(f"{_API}/api-calls", principal, json={
            "token": token, "method": method, "route": route, "per_minute": per_minute})
        return AdmittedCall.model_validate(answer)

    async def api_call_answered(self, principal: Principal, call_id: int, status: int) -> None:
        await self._client.request("PUT", f"{_API}/api-calls/{call_id}/status", principal, json={"status": status})

    # the consumer's audit trail
    async def audit_trail(self, principal: Principal, consumer_id: UUID, *, kinds: list[str], offset: int,
                          limit: int) -> AuditPage:
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}/audit", principal,
                                        params={"kind": kinds, "offset": offset, "limit": limit})
        return AuditPage.model_validate(answer)

    # a consumer's colleagues, managed by its director
    async def colleagues(self, principal: Principal) -> Colleagues:
        return Colleagues.model_validate(await self._client.get(f"{_API}/me/colleagues", principal))

    async def invite_colleague(self, principal: Principal, email: str, consumer_role: str) -> None:
        await self._client.post(f"{_API}/me/colleagues/invitations", principal,
                                json={"email": email, "consumer_role": consumer_role})

    async def withdraw_invitation(self, principal: Principal, invitation_id: UUID) -> None:
        await self._client.delete(f"{_API}/me/colleagues/invitations/{invitation_id}", principal)

    async def change_colleague_role(self, principal: Principal, user_id: UUID, consumer_role: str) -> None:
        await self._client.request("PATCH", f"{_API}/me/colleagues/{user_id}", principal,
                                   json={"consumer_role": consumer_role})

    async def remove_colleague(self, principal: Principal, user_id: UUID) -> None:
        await self._client.delete(f"{_API}/me/colleagues/{user_id}", principal)

    async def invitation(self, principal: Principal, token: str) -> InvitationLink:
        return InvitationLink.model_validate(await self._client.get(f"{_API}/invitations/{token}", principal))

    async def accept_invitation(
        self, principal: Principal, *, token: str, login: str, password: str, password_confirmation: str
    ) -> User:
        answer = await self._client.post(f"{_API}/invitations/accept", principal, json={
            "token": token, "login": login, "password": password, "password_confirmation": password_confirmation})
        return User.model_validate(answer["user"])

    # supplier staff
    async def branches(self, principal: Principal) -> list[Branch]:
        return _BRANCHES.validate_python(await self._client.get(f"{_API}/branches", principal))

    async def find_consumers(self, principal: Principal, query: str) -> list[Consumer]:
        answer = await self._client.get(f"{_API}/consumers", principal, params={"query": query})
        return _CONSUMERS.validate_python(answer)

    async def create_consumer(self, principal: Principal, new_consumer: NewConsumer) -> ConsumerCreated:
        answer = await self._client.post(
            f"{_API}/consumers", principal, json=new_consumer.model_dump(mode="json")
        )
        return ConsumerCreated.model_validate(answer)

    async def consumer(self, principal: Principal, consumer_id: UUID) -> ConsumerDetails:
        answer = await self._client.get(f"{_API}/consumers/{consumer_id}", principal)
        return ConsumerDetails.model_validate(answer)

    async def change_consumer(self, principal: Principal, consumer_id: UUID, changes: ConsumerChanges) -> Consumer:
        response = await self._client.request(
            "PATCH", f"{_API}/consumers/{consumer_id}", principal, json=changes.model_dump(mode="json")
        )
        return Consumer.model_validate(response.json())

    async def issue_activation_code(self, principal: Principal, consumer_id: UUID) -> str:
        answer = await self._client.post(f"{_API}/consumers/{consumer_id}/activation-codes", principal)
        return str(answer["activation_code"])
