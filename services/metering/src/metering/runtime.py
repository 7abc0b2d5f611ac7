"""What the use cases need beside a transaction; one per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from metering.settings import MeteringSettings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: MeteringSettings
    #: the time now; tests set the business date they need
    clock: Callable[[], datetime] = utcnow
