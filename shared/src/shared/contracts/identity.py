"""Events published by the identity service."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, EmailStr, StringConstraints

from shared.contracts.base import Event, event


@event
class ConsumerAccountCreated(Event):
    event_name = "identity.consumer_account_created"
    summary = "Supplier staff created a consumer account; other services keep their own copy of it."

    consumer_id: UUID
    account_number: str
    name: str
    edrpou: str
    branch_id: UUID
    branch_name: str
    agreement_email: EmailStr
    billing_day: int
    self_calculation: bool
    e_signature: bool
    #: the buyer on tax invoices: a VAT payer (with its ІПН, 12 digits, once staff enter it) or not; messages
    #: published before these fields were added parse as a VAT payer whose ІПН is not known yet
    vat_payer: bool = True
    ipn: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None


@event
class ConsumerAccountUpdated(ConsumerAccountCreated):
    event_name = "identity.consumer_account_updated"
    summary = "A consumer account's details changed; the payload is the whole new state."


@event
class RegistrationLinkIssued(Event):
    event_name = "identity.registration_link_issued"
    summary = "A single-use registration link was issued; notify e-mails it to the agreement address."

    link_id: UUID
    consumer_id: UUID
    account_number: str
    consumer_name: str
    email: EmailStr
    link_url: str
    expires_at: AwareDatetime


@event
class ColleagueInvited(Event):
    event_name = "identity.colleague_invited"
    summary = ("A consumer's director invited a colleague with a role; notify e-mails the single-use link to the "
               "colleague's address.")

    invitation_id: UUID
    consumer_id: UUID
    account_number: str
    consumer_name: str
    email: EmailStr
    #: `shared.auth.ConsumerRole`: director, accountant, engineer or viewer
    consumer_role: str
    invited_by_login: str
    link_url: str
    expires_at: AwareDatetime


@event
class UserRegistered(Event):
    event_name = "identity.user_registered"
    summary = "A consumer user completed registration, or accepted a colleague's invitation."

    user_id: UUID
    consumer_id: UUID
    login: str
    email: EmailStr


@event
class EmailChangeRequested(Event):
    event_name = "identity.email_change_requested"
    summary = "A user asked to change their e-mail; notify sends the verification link to the new address."

    change_id: UUID
    user_id: UUID
    login: str
    current_email: EmailStr
    new_email: EmailStr
    confirm_url: str
    expires_at: AwareDatetime


@event
class EmailChanged(Event):
    event_name = "identity.email_changed"
    summary = "A user followed the verification link; the new e-mail is in force. Both addresses are told."

    user_id: UUID
    login: str
    old_email: EmailStr
    new_email: EmailStr


@event
class LoginChanged(Event):
    event_name = "identity.login_changed"
    summary = "A user changed their login; they are told at their e-mail."

    user_id: UUID
    email: EmailStr
    old_login: str
    new_login: str


@event
class PasswordChanged(Event):
    event_name = "identity.password_changed"
    summary = "A user changed their password; they are told at their e-mail."

    user_id: UUID
    login: str
    email: EmailStr
