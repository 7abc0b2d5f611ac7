"""Notify's HTTP API: a read-only view of outgoing letters for supplier staff ("did my letter go out?")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from notify import repository
from notify.models import LetterStatus
from notify.schemas import LetterSummary
from shared.auth import Principal, Role, require_roles
from shared.db import SessionDep

router = APIRouter(prefix="/api/v1")

StaffOnly = Annotated[Principal, Depends(require_roles(Role.STAFF, Role.ADMIN))]


@router.get("/letters", response_model=list[LetterSummary])
async def list_letters(
    session: SessionDep,
    _: StaffOnly,
    recipient: Annotated[str | None, Query(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] = None,
    status: LetterStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LetterSummary]:
    """Newest first; `recipient` matches the address case-insensitively."""
    letters = await repository.list_letters(session, recipient=recipient, status=status, limit=limit)
    return [LetterSummary.model_validate(letter) for letter in letters]
