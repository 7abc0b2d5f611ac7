"""Bodies of the identity HTTP API (docs/api-identity.md).

Requests bound only the size of what arrives; the rules of logins, passwords, codes and addresses are the
domain's, so that every refusal comes back with the domain's reason code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from identity.access_tokens import DEFAULT_DAYS, Scope
from identity.account import pending_email
from identity.domain.logins import LoginProblem
from identity.models import (
    AuditEntry,
    AuditKind,
    AuditVia,
    ColleagueInvitation,
    ConsumerAccount,
    SupplierBranch,
    User,
)
from shared.auth import ConsumerRole, Role

Short = Annotated[str, StringConstraints(max_length=320)]
#: longer than any password the policy accepts, so that a too long one is refused with the policy's reason
Password = Annotated[str, StringConstraints(max_length=1024)]
Token = Annotated[str, StringConstraints(max_length=128)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# answers
class BranchRef(BaseModel):
    id: uuid.UUID
    name: str

    @classmethod
    def of(cls, branch: SupplierBranch) -> BranchRef:
        return cls(id=branch.id, name=branch.name)


class ConsumerRef(BaseModel):
    id: uuid.UUID
    account_number: str
    name: str
    edrpou: str
    branch: BranchRef
    #: the consumer's agreement provides for electronic signatures (otherwise documents are signed on paper)
    e_signature: bool

    @classmethod
    def of(cls, consumer: ConsumerAccount) -> ConsumerRef:
        return cls(
            id=consumer.id, account_number=consumer.account_number, name=consumer.name,
            edrpou=consumer.edrpou, branch=BranchRef.of(consumer.branch), e_signature=consumer.e_signature,
        )


class UserOut(BaseModel):
    id: uuid.UUID
    login: str
    email: str
    #: the address waiting for confirmation, if any; `email` stays in force until then
    pending_email: str | None
    role: Role
    #: a consumer's user's role inside the consumer (`shared.auth.ConsumerRole`); None for the supplier's people
    consumer_role: ConsumerRole | None
    consumer: ConsumerRef | None
    #: the supplier branch the user deals with: a consumer's serving branch, a staff member's employer
    branch: BranchRef | None

    @classmethod
    def of(cls, user: User, now: datetime) -> UserOut:
        consumer = user.consumer
        branch = consumer.branch if consumer is not None else user.branch
        return cls(
            id=user.id, login=user.login, email=user.email, pending_email=pending_email(user, now),
            role=Role(user.role), consumer_role=user.consumer_role,
            consumer=ConsumerRef.of(consumer) if consumer else None,
            branch=BranchRef.of(branch) if branch else None,
        )


class UserEnvelope(BaseModel):
    user: UserOut


class SessionCreated(BaseModel):
    session_token: str
    expires_at: datetime
    user: UserOut


class SessionResolved(BaseModel):
    session_id: uuid.UUID
    expires_at: datetime
    user: UserOut


class LinkedConsumer(BaseModel):
    account_number: str
    name: str


class RegistrationLinkOut(BaseModel):
    consumer: LinkedConsumer


class LoginAvailability(BaseModel):
    login: str
    available: bool
    reason: LoginProblem | None


class EmailOut(BaseModel):
    email: str


class PendingEmailOut(BaseModel):
    pending_email: str


class BranchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    edrpou: str
    iban: str
    address: str
    phone: str
    email: str


class ConsumerOut(BaseModel):
    id: uuid.UUID
    account_number: str
    name: str
    edrpou: str
    branch: BranchRef
    agreement_email: str
    billing_day: int
    self_calculation: bool
    e_signature: bool
    vat_payer: bool
    ipn: str | None
    created_at: datetime

    @classmethod
    def of(cls, consumer: ConsumerAccount) -> ConsumerOut:
        return cls(
            id=consumer.id, account_number=consumer.account_number, name=consumer.name,
            edrpou=consumer.edrpou,
            branch=BranchRef.of(consumer.branch), agreement_email=consumer.agreement_email,
            billing_day=consumer.billing_day, self_calculation=consumer.self_calculation,
            e_signature=consumer.e_signature, vat_payer=consumer.vat_payer, ipn=consumer.ipn,
            created_at=consumer.created_at,
        )


class ConsumerUserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    login: str
    email: str
    consumer_role: ConsumerRole | None
    created_at: datetime


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    consumer_role: ConsumerRole
    created_at: datetime
    expires_at: datetime


class ColleaguesOut(BaseModel):
    """A consumer's users, and the invitations waiting to be accepted."""

    users: list[ConsumerUserOut]
    invitations: list[InvitationOut]

    @classmethod
    def of(cls, users: Sequence[User], invitations: Sequence[ColleagueInvitation]) -> ColleaguesOut:
        return cls(users=[ConsumerUserOut.model_validate(user) for user in users],
                   invitations=[InvitationOut.model_validate(invitation) for invitation in invitations])


class InvitationLinkOut(BaseModel):
    """What the colleague who follows the link is told: which consumer invites them, to which address, as whom."""

    consumer: LinkedConsumer
    email: str
    consumer_role: ConsumerRole


class ConsumerDetails(BaseModel):
    consumer: ConsumerOut
    users: list[ConsumerUserOut]


class ConsumerCreated(BaseModel):
    consumer: ConsumerOut
    #: shown this once: only its hash is stored
    activation_code: str


class ActivationCodeIssued(BaseModel):
    activation_code: str


class AccessTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scopes: list[Scope]
    #: the token's first characters, to tell which one a program holds
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class AccessTokenCreated(BaseModel):
    #: shown this once: only its hash is stored
    token: str
    access_token: AccessTokenOut


class ApiCallAdmitted(BaseModel):
    #: the call's entry in the consumer's audit trail, for its status once answered
    call_id: int
    access_token: AccessTokenOut
    user: UserOut


class AuditActorOut(BaseModel):
    user_id: uuid.UUID
    #: as they were when they did it (None: a user no longer known)
    login: str | None
    email: str | None


class AuditEntryOut(BaseModel):
    id: int
    occurred_at: datetime
    kind: AuditKind
    #: None: the system (a RES system's readings, the supplier's seal)
    actor: AuditActorOut | None
    #: where the person did it: the cabinet's pages or a program's access token (the public API)
    via: AuditVia | None
    #: by kind: period, act and readings; document; fields changed; the token's name; a call's method and route
    details: dict[str, object]
    #: the status a public API call was answered with
    status: int | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        actor = None if entry.actor_user_id is None else AuditActorOut(
            user_id=entry.actor_user_id, login=entry.actor_login, email=entry.actor_email)
        return cls(id=entry.id, occurred_at=entry.occurred_at, kind=entry.kind, actor=actor, via=entry.via,
                   details=entry.details, status=entry.status)


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    offset: int
    limit: int
    #: whether older entries follow
    more: bool


# requests
class ApiCall(Request):
    token: Token
    method: Annotated[str, StringConstraints(max_length=10)]
    #: the route as declared (`/invoices/{invoice_id}`): no ids of objects in the trail
    route: Annotated[str, StringConstraints(max_length=300)]
    #: the gateway's limit of calls a minute per token
    per_minute: Annotated[int, Field(ge=1, le=100_000)]


class ApiCallAnswered(Request):
    status: Annotated[int, Field(ge=100, le=599)]


class NewAccessToken(Request):
    name: Short
    scopes: Annotated[list[Scope], Field(max_length=len(Scope))]
    #: days until the token expires (a year at most)
    expires_in_days: int = DEFAULT_DAYS


class SignIn(Request):
    login: Short
    password: Password


class SessionToken(Request):
    session_token: Token


class CompleteRegistration(Request):
    token: Token
    activation_code: Short
    login: Short
    password: Password
    password_confirmation: Password


class ResendRegistration(Request):
    activation_code: Short
    email: Short


class EmailChangeRequest(Request):
    new_email: Short
    current_password: Password


class ConfirmEmailChange(Request):
    token: Token


class LoginChangeRequest(Request):
    new_login: Short
    current_password: Password


class PasswordChangeRequest(Request):
    current_password: Password
    new_password: Password
    new_password_confirmation: Password


class ConsumerChanges(Request):
    name: Annotated[str, StringConstraints(max_length=1000)] | None = None
    edrpou: Short | None = None
    agreement_email: Short | None = None
    billing_day: int | None = None
    self_calculation: bool | None = None
    e_signature: bool | None = None
    vat_payer: bool | None = None
    #: "" takes the ІПН away
    ipn: Short | None = None


class NewConsumer(Request):
    account_number: Short
    name: Annotated[str, StringConstraints(max_length=1000)]
    edrpou: Short
    branch_id: uuid.UUID
    agreement_email: Short
    billing_day: int
    self_calculation: bool
    e_signature: bool
    #: the buyer on tax invoices; a VAT payer's ІПН may follow later
    vat_payer: bool = True
    ipn: Short | None = None


class NewInvitation(Request):
    email: Short
    consumer_role: ConsumerRole


class RoleChange(Request):
    consumer_role: ConsumerRole


class AcceptInvitation(Request):
    token: Token
    login: Short
    password: Password
    password_confirmation: Password
