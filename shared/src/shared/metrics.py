"""Prometheus metrics every service exposes on `/metrics`. Names are what dashboards and alerts use."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "cabinet_http_requests_total", "HTTP requests served", ["service", "route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "cabinet_http_request_duration_seconds", "HTTP request duration", ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "cabinet_events_published_total", "Events relayed from the outbox to the broker", ["service", "message_type"]
)
EVENTS_CONSUMED = Counter(
    "cabinet_events_consumed_total", "Events taken from the service's queue",
    ["service", "message_type", "outcome"],
)
EVENTS_RETRIED = Counter(
    "cabinet_events_retried_total", "Events sent back for a later attempt", ["service", "message_type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "cabinet_events_dead_lettered_total", "Events moved to the dead-letter queue",
    ["service", "message_type", "reason"],
)
OUTBOX_BACKLOG = Gauge("cabinet_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "cabinet_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
QUEUE_DEPTH = Gauge("cabinet_queue_messages", "Messages waiting in a queue", ["service", "queue"])
HANDLER_LATENCY = Histogram(
    "cabinet_event_handling_seconds", "Time from an event's publication to its handling", ["service"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600),
)
DB_POOL_CHECKED_OUT = Gauge("cabinet_db_pool_checked_out", "Database connections in use", ["service"])
BUSINESS_EVENTS = Counter(
    "cabinet_business_events_total", "Business counters (registrations, readings, invoices, payments...)",
    ["service", "kind"],
)
BROKER_CONNECTED = Gauge("cabinet_broker_connected", "1 when the service holds a broker connection", ["service"])
