"""Throttling of guessable secrets: how many counted attempts a subject may make in a sliding window.

Attempts are stored (by the service) so that the limits hold across replicas and restarts; here is only the
arithmetic of the window and the rules themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleRule:
    #: stored with each attempt; never rename a rule in use
    name: str
    limit: int
    window: timedelta


def retry_after(rule: ThrottleRule, recent_attempts: Sequence[datetime], now: datetime) -> int | None:
    """Seconds until the subject may try again, or None when it may try now.

    `recent_attempts` are the subject's latest attempts under `rule` (at least the `limit` newest, if there
    are that many). The subject is held while `limit` attempts lie inside the window, that is until the
    `limit`-th newest of them leaves it.
    """
    in_window = sorted((at for at in recent_attempts if at > now - rule.window), reverse=True)
    if len(in_window) < rule.limit:
        return None
    free_at = in_window[rule.limit - 1] + rule.window
    return max(1, math.ceil((free_at - now).total_seconds()))


# Wrong passwords at login: per login (guessing one account) and per client address (trying many accounts).
LOGIN_PER_ACCOUNT = ThrottleRule("login.account", limit=5, window=timedelta(minutes=15))
LOGIN_PER_ADDRESS = ThrottleRule("login.address", limit=20, window=timedelta(minutes=15))
# Wrong activation codes when completing registration.
ACTIVATION_PER_LINK = ThrottleRule("activation.link", limit=5, window=timedelta(minutes=15))
ACTIVATION_PER_ADDRESS = ThrottleRule("activation.address", limit=20, window=timedelta(hours=1))
# "The letter did not arrive": every attempt counts, since each may send a letter or probe a code.
RESEND_PER_ADDRESS = ThrottleRule("resend.address", limit=10, window=timedelta(hours=1))
RESEND_PER_EMAIL = ThrottleRule("resend.email", limit=5, window=timedelta(hours=1))
# "Is this login free?": every check counts; it tells which logins exist.
LOGIN_CHECK_PER_ADDRESS = ThrottleRule("login_check.address", limit=60, window=timedelta(minutes=15))
# A wrong current password when changing e-mail, login or password in Settings.
CURRENT_PASSWORD_PER_USER = ThrottleRule("current_password.user", limit=5, window=timedelta(minutes=15))

RULES = (
    LOGIN_PER_ACCOUNT, LOGIN_PER_ADDRESS, ACTIVATION_PER_LINK, ACTIVATION_PER_ADDRESS, RESEND_PER_ADDRESS,
    RESEND_PER_EMAIL, LOGIN_CHECK_PER_ADDRESS, CURRENT_PASSWORD_PER_USER,
)
#: attempts older than this count for no rule and may be purged
LONGEST_WINDOW = max(rule.window for rule in RULES)
