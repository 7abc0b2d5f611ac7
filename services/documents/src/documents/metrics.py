"""The documents service's own metrics (beside the ones every service has, `shared.metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INTEGRITY_FAILURES = Counter(
    "cabinet_document_integrity_failures_total",
    "Documents whose stored bytes were missing or did not match their SHA-256 when read",
    ["reason"],
)
RENDER_SECONDS = Histogram(
    "cabinet_document_render_seconds", "Time to render one document to PDF", ["document_type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
