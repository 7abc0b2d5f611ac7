"""What notify consumes: every event that someone must be told about (or sent something) by e-mail."""

from notify.handlers import queue_letters
from shared.bus import Subscriptions, on
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import (
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
)

SUBSCRIPTIONS = Subscriptions(
    on(RegistrationLinkIssued, queue_letters),
    on(EmailChangeRequested, queue_letters),
    on(EmailChanged, queue_letters),
    on(LoginChanged, queue_letters),
    on(PasswordChanged, queue_letters),
    on(EdsOnboardingPackageReady, queue_letters),
)
