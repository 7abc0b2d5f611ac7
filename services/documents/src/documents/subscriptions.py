"""What the documents service consumes from the bus: nothing yet. Documents arrive through the API; the
contexts that issue them (billing, metering) will call `POST /api/v1/documents/render` or get handlers here."""

from shared.bus import Subscriptions

SUBSCRIPTIONS = Subscriptions()
