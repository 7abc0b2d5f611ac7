"""Base of every event contract.

An event is a pydantic model with a stable name and version. The routing key and the AMQP `type` property
are both `<name>.v<version>`; a breaking change makes a new version class, and producers may publish both
while consumers move over.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

import email_validator
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.auth import Principal

# E-mail fields (pydantic's EmailStr) admit `.local` addresses: local runs and the demo write to them and the
# local mail catcher takes them. email-validator refuses that special-use name unless it is taken off its list.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


#: a partner system's name as its routing keys carry it (one word of a topic routing key), e.g. `roe-donetsk`
PARTNER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_name: ClassVar[str]
    event_version: ClassVar[int] = 1
    #: a one-line description for the generated reference page
    summary: ClassVar[str] = ""
    #: a message between the cabinet and one partner system (a RES system): its routing key names that system,
    #: `<message type>.<partner>` — the sender of what a partner sends (the broker lets each partner's user
    #: publish only its own), the addressee of what the cabinet answers (each partner may read only its own)
    routed_per_partner: ClassVar[bool] = False

    occurred_at: AwareDatetime = Field(default_factory=utcnow)

    @classmethod
    def message_type(cls) -> str:
        return f"{cls.event_name}.v{cls.event_version}"

    @classmethod
    def routing_key(cls, partner: str | None = None) -> str:
        """The message type, and for a message routed per partner the partner's name after it."""
        if cls.routed_per_partner != (partner is not None):
            raise ValueError(f"{cls.message_type()} is {'' if cls.routed_per_partner else 'not '}routed per partner")
        return cls.message_type() if partner is None else f"{cls.message_type()}.{partner}"


class Actor(BaseModel):
    """Who did what an event tells, for the consumer's audit trail (identity keeps it and knows the user's name):
    a signed-in person, in the cabinet's pages or through a program's personal access token (the public API)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: UUID
    via: Literal["page", "api"] = "page"

    @classmethod
    def of(cls, principal: Principal) -> Actor | None:
        """The person a request acts for; None for a service or a visitor who has not signed in."""
        if principal.user_id is None:
            return None
        return cls(user_id=principal.user_id, via="page" if principal.access_token_id is None else "api")


class ResAnswer(Event):
    """What the cabinet answers one RES system, routed to it alone.

    The body names its own type (`type`, equal to the message type): a plain client such as `amqp-consume` hands a
    program the body and nothing else. A reader ignores the fields it does not know: an answer may gain fields
    within its version.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
    routed_per_partner = True

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if getattr(cls, "event_name", None) is None:
            return
        field = cls.model_fields.get("type")
        if field is None or field.default != cls.message_type():
            raise TypeError(f"{cls.__name__} must have the field `type` = {cls.message_type()!r}")


class Registry:
    """All known event contracts by message type; the consumer side uses it to parse what arrives."""

    def __init__(self) -> None:
        self._by_type: dict[str, type[Event]] = {}

    def register(self, event_cls: type[Event]) -> type[Event]:
        message_type = event_cls.message_type()
        if message_type in self._by_type:
            raise ValueError(f"event {message_type} registered twice")
        self._by_type[message_type] = event_cls
        return event_cls

    def get(self, message_type: str) -> type[Event] | None:
        return self._by_type.get(message_type)

    def all(self) -> list[type[Event]]:
        return sorted(self._by_type.values(), key=lambda cls: cls.message_type())


REGISTRY = Registry()
event = REGISTRY.register
