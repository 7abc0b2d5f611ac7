"""What notify consumes: every event that someone must be told about (or sent something) by e-mail, and identity's
events naming users' e-mails and consumers' names (kept for the correspondence with the supplier)."""

from notify.handlers import in_turn, queue_letters, remember_consumer, remember_user, tell_of_reply
from shared.bus import Subscriptions, on
from shared.contracts.documents import EdsOnboardingPackageReady
from shared.contracts.identity import (
    ColleagueInvited,
    ConsumerAccountCreated,
    ConsumerAccountUpdated,
    EmailChanged,
    EmailChangeRequested,
    LoginChanged,
    PasswordChanged,
    RegistrationLinkIssued,
    UserRegistered,
)
from shared.contracts.notify import LetterAnswered

SUBSCRIPTIONS = Subscriptions(
    on(RegistrationLinkIssued, queue_letters),
    on(ColleagueInvited, queue_letters),
    on(EmailChangeRequested, queue_letters),
    on(EmailChanged, in_turn(remember_user, queue_letters)),
    on(LoginChanged, in_turn(remember_user, queue_letters)),
    on(PasswordChanged, in_turn(remember_user, queue_letters)),
    on(EdsOnboardingPackageReady, queue_letters),
    on(UserRegistered, remember_user),
    on(ConsumerAccountCreated, remember_consumer),
    on(ConsumerAccountUpdated, remember_consumer),
    on(LetterAnswered, tell_of_reply),
)
