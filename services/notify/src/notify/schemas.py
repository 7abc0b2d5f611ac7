"""The HTTP API's response models."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from notify.domain.letters import LetterKind
from notify.models import LetterStatus


class LetterSummary(BaseModel):
    """A letter as support sees it: to whom, what, and how its sending goes — not its body, which may carry a
    single-use link meant for the recipient alone."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: LetterKind
    recipient: str
    subject: str
    status: LetterStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
