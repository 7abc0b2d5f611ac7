"""The signature service's own metrics (beside the common ones); the trust alerts of deploy/k8s use them."""

from __future__ import annotations

from prometheus_client import Gauge

TRUST_CRL_NEXT_UPDATE = Gauge(
    "cabinet_trust_crl_next_update_timestamp_seconds",
    "nextUpdate of the newest CRL loaded for a trusted CA (Unix time)", ["service", "ca"],
)
TRUST_CA_NOT_AFTER = Gauge(
    "cabinet_trust_ca_not_after_timestamp_seconds",
    "notAfter of a trusted CA's certificate (Unix time)", ["service", "ca"],
)
