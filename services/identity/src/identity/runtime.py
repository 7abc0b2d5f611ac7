"""What the use cases need beside a transaction; one per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from identity.domain.passwords import PasswordHashing
from identity.settings import IdentitySettings
from identity.throttle import Throttle
from shared.db import Database


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    settings: IdentitySettings
    hashing: PasswordHashing
    throttle: Throttle

    @classmethod
    def create(cls, settings: IdentitySettings, *, attempts_database: Database) -> Runtime:
        return cls(settings, PasswordHashing(settings.password_hashing), Throttle(attempts_database))
