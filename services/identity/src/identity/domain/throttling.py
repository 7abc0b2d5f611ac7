"""Throttling of guesses: when a subject may try again, from the times of its counted attempts.

The cabinet's rule is to throttle the guesser and never lock out the victim. A guess at a secret is counted against
the pair of what is guessed and where the guess comes from (a login and the client's network), so a stranger's
wrong passwords never hold up the owner at her own address. The pair's waits grow with each failure, as Keycloak's
brute force detection does: a few free failures, then a wait that doubles up to a longest wait. Against many
addresses taking turns, what is guessed has a ceiling far above what a person does (OWASP ASVS 4.0, V2.2.1: no more
than 100 failed attempts per hour on one account), and each network has a ceiling over all it guesses.

Attempts are stored (by the service) so that the limits hold across replicas and restarts; here is only the
arithmetic and the rules themselves.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def _newest_first(attempts: Sequence[datetime], since: datetime) -> list[datetime]:
    return sorted((at for at in attempts if at > since), reverse=True)


def _seconds_until(free_at: datetime, now: datetime) -> int | None:
    if free_at <= now:
        return None
    return max(1, math.ceil((free_at - now).total_seconds()))


@dataclass(frozen=True)
class Limit:
    """At most `limit` attempts within any `window`: a subject that has made them waits until the oldest leaves it."""

    #: stored with each attempt; never reuse a name for another meaning
    name: str
    limit: int
    window: timedelta

    @property
    def counted(self) -> int:
        """How many of the subject's newest attempts `retry_after` needs to see."""
        return self.limit

    def retry_after(self, recent_attempts: Sequence[datetime], now: datetime) -> int | None:
        """Seconds until the subject may try again, or None when it may try now.

        `recent_attempts` are the subject's latest attempts (at least the `counted` newest, if there are that many).
        """
        in_window = _newest_first(recent_attempts, now - self.window)
        if len(in_window) < self.limit:
            return None
        return _seconds_until(in_window[self.limit - 1] + self.window, now)


@dataclass(frozen=True)
class Backoff:
    """`free` attempts, then a wait after each further one: `first_wait`, doubling with every failure up to
    `longest_wait`. Attempts older than `window` are forgotten."""

    #: stored with each attempt; never reuse a name for another meaning
    name: str
    free: int
    first_wait: timedelta
    longest_wait: timedelta
    window: timedelta

    @property
    def counted(self) -> int:
        # beyond `free` + this many attempts the wait stays at its longest
        return self.free + math.ceil(math.log2(self.longest_wait / self.first_wait))

    def wait_after(self, attempts: int) -> timedelta | None:
        """How long the subject waits after its latest of `attempts` attempts in the window."""
        if attempts < self.free:
            return None
        return min(self.first_wait * 2 ** (attempts - self.free), self.longest_wait)

    def retry_after(self, recent_attempts: Sequence[datetime], now: datetime) -> int | None:
        """Seconds until the subject may try again, or None when it may try now (arguments as `Limit`'s)."""
        in_window = _newest_first(recent_attempts, now - self.window)
        wait = self.wait_after(len(in_window))
        return None if wait is None else _seconds_until(in_window[0] + wait, now)


ThrottleRule = Limit | Backoff

#: the network an IPv6 client holds: any address of its /64 is its own to take (RFC 6177, RFC 7217)
IPV6_CLIENT_PREFIX = 64


def network_of(client_address: str) -> str:
    """Where guesses come from, as counted: an IPv4 address itself, an IPv6 address its /64.

    Whoever has one IPv6 address has the whole /64 around it, and counting its addresses one by one would give each
    guesser some 2^64 fresh budgets. Anything that is not an address is counted as it is.
    """
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return client_address
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


def pair(guessed: str, network: str) -> str:
    """The subject of a guessed secret and the network guessing it (logins and link ids have no `|`)."""
    return f"{guessed}|{network}"


def _progressive(name: str) -> Backoff:
    """A person's typos go free; a guesser at one account from one network soon waits a quarter of an hour."""
    return Backoff(name, free=5, first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=15),
                   window=timedelta(hours=1))


#: what is guessed may take this many failures an hour from all networks together (ASVS V2.2.1)
CEILING_PER_HOUR = 100

# Wrong passwords at sign-in: per login and network (the owner's typos, a guesser at one address), per network (one
# address trying many logins), per login from networks its user has not signed in from lately (many addresses
# taking turns at one login: the ceiling never holds up the user at her usual addresses).
SIGN_IN_PER_LOGIN_AND_NETWORK = _progressive("sign_in.login_network")
SIGN_IN_PER_NETWORK = Limit("sign_in.network", limit=20, window=timedelta(minutes=15))
SIGN_IN_PER_LOGIN = Limit("sign_in.login", limit=CEILING_PER_HOUR, window=timedelta(hours=1))
#: a network the user signed in from within this time is theirs: the per-login ceiling does not apply there
#: (identity keeps ended sessions 30 days)
KNOWN_NETWORK_DAYS = 30
# Wrong activation codes when completing registration: only whoever holds the link (sent to the agreement e-mail)
# can try, per link and network, with a ceiling per link; per network over all links.
ACTIVATION_PER_LINK_AND_NETWORK = _progressive("activation.link_network")
ACTIVATION_PER_LINK = Limit("activation.link_total", limit=CEILING_PER_HOUR, window=timedelta(hours=1))
ACTIVATION_PER_NETWORK = Limit("activation.network", limit=20, window=timedelta(hours=1))
# "The letter did not arrive": every attempt counts per network, since each may probe a code; letters sent count per
# consumer, so that its mailbox is not flooded (only whoever has the code and the e-mail can make one be sent).
RESEND_PER_NETWORK = Limit("resend.network", limit=10, window=timedelta(hours=1))
RESEND_LETTERS_PER_CONSUMER = Limit("resend.letters", limit=5, window=timedelta(hours=1))
# "Is this login free?" at registration: asked with a registration link, every check counts per link and network.
LOGIN_CHECK_PER_LINK = Limit("login_check.link", limit=30, window=timedelta(hours=1))
LOGIN_CHECK_PER_NETWORK = Limit("login_check.network", limit=60, window=timedelta(hours=1))
# A wrong current password when changing e-mail, login or password in Settings: per session, so that someone at a
# browser left signed in is held up, not the user in her own sessions.
CURRENT_PASSWORD_PER_SESSION = _progressive("current_password.session")
# A director's invitations of colleagues: the letters a consumer sends, so that nobody's mailbox is flooded from it.
INVITATIONS_PER_CONSUMER = Limit("invitations.letters", limit=20, window=timedelta(hours=1))

RULES: tuple[ThrottleRule, ...] = (
    SIGN_IN_PER_LOGIN_AND_NETWORK, SIGN_IN_PER_NETWORK, SIGN_IN_PER_LOGIN, ACTIVATION_PER_LINK_AND_NETWORK,
    ACTIVATION_PER_LINK, ACTIVATION_PER_NETWORK, RESEND_PER_NETWORK, RESEND_LETTERS_PER_CONSUMER,
    LOGIN_CHECK_PER_LINK, LOGIN_CHECK_PER_NETWORK, CURRENT_PASSWORD_PER_SESSION, INVITATIONS_PER_CONSUMER,
)
#: attempts older than this count for no rule and may be purged
LONGEST_WINDOW = max(rule.window for rule in RULES)
