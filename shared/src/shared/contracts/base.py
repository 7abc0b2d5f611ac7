"""Base of every event contract.

An event is a pydantic model with a stable name and version. The routing key and the AMQP `type` property
are both `<name>.v<version>`; a breaking change makes a new version class, and producers may publish both
while consumers move over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import email_validator
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# E-mail fields (pydantic's EmailStr) admit `.local` addresses: local runs and the demo write to them and the
# local mail catcher takes them. email-validator refuses that special-use name unless it is taken off its list.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_name: ClassVar[str]
    event_version: ClassVar[int] = 1
    #: a one-line description for the generated reference page
    summary: ClassVar[str] = ""

    occurred_at: AwareDatetime = Field(default_factory=utcnow)

    @classmethod
    def message_type(cls) -> str:
        return f"{cls.event_name}.v{cls.event_version}"


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
