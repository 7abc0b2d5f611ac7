"""The rules of letters to the supplier and messages to the developers: what a text may be, how its length is
counted, how a letter's state moves, how long a throttled writer waits.

Lengths count what the user sees: Unicode code points once line endings are `\\n` (a browser sends a text area's
line breaks as CRLF, yet its counter of characters left shows one character for each).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

SUBJECT_MAX = 200
LETTER_TEXT_MAX = 1000
REPLY_TEXT_MAX = 4000
FEEDBACK_TEXT_MAX = 2000
PAGE_URL_MAX = 2000

_LINE_ENDINGS = re.compile(r"\r\n?")
# what a text area never sends but a crafted request may: C0 controls but tab and line feed, DEL, and the C1 block
# (PostgreSQL refuses NUL outright)
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")



class LetterState(StrEnum):
    NEW = "new"
    #: replied to at least once
    ANSWERED = "answered"
    #: closed by staff
    HANDLED = "handled"


REQUIRED = "required"
TOO_LONG = "too_long"
INVALID_CHARACTERS = "invalid_characters"
URL_INVALID = "url_invalid"


def problems(**checks: str | None) -> dict[str, str]:
    """The fields that have a problem, with their codes."""
    return {field: problem for field, problem in checks.items() if problem}


def normalised_text(text: str) -> str:
    """Line endings made `\\n`, surrounding blanks dropped: the text as stored and counted."""
    return _LINE_ENDINGS.sub("\n", text).strip()


def text_problem(text: str, limit: int) -> str | None:
    """Why a (normalised) multi-line text cannot be taken, or None."""
    if not text:
        return REQUIRED
    if len(text) > limit:
        return TOO_LONG
    if _TEXT_CONTROLS.search(text):
        return INVALID_CHARACTERS
    return None


def line_problem(line: str, limit: int) -> str | None:
    """Why a (stripped) one-line value such as a subject cannot be taken, or None."""
    if not line:
        return REQUIRED
    if len(line) > limit:
        return TOO_LONG
    if _LINE_CONTROLS.search(line):
        return INVALID_CHARACTERS
    return None


def page_url_problem(url: str) -> str | None:
    """A page of the cabinet (`/readings?period=2024-05`) or an http(s) URL; never blanks or controls."""
    if not url:
        return REQUIRED
    if len(url) > PAGE_URL_MAX:
        return TOO_LONG
    if any(char.isspace() for char in url) or _LINE_CONTROLS.search(url):
        return URL_INVALID
    if url.startswith("/"):
        return URL_INVALID if url.startswith("//") else None  # `//host/...` is another site, not a page
    try:
        parts = urlsplit(url)
    except ValueError:
        return URL_INVALID
    return None if parts.scheme in ("http", "https") and parts.netloc else URL_INVALID


def state_after_reply(state: LetterState) -> LetterState:
    """A reply answers a letter; a letter staff closed stays closed."""
    return LetterState.HANDLED if state == LetterState.HANDLED else LetterState.ANSWERED


def retry_after(recent: Sequence[datetime], *, limit: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until one more may be written, given the moments (oldest first) of those written within the window;
    None when one may be written now."""
    if len(recent) < limit:
        return None
    # the moment enough of them have left the window
    frees_at = recent[len(recent) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))
