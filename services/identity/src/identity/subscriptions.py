"""What the identity service consumes from the bus: nothing yet. Identity is where accounts begin, and no
other context's event changes them so far."""

from shared.bus import Subscriptions

SUBSCRIPTIONS = Subscriptions()
