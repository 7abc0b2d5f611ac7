"""The correspondence with the supplier as the pages show it: the states of a letter.

Pure logic, no calls.
"""

from __future__ import annotations

from typing import Final

from gateway.i18n import N_
from gateway.notify_client import LetterState

LETTER_STATE_LABELS: Final = {
    LetterState.NEW: N_("Waiting for a reply"),
    LetterState.ANSWERED: N_("Answered"),
    LetterState.HANDLED: N_("Closed"),
}

