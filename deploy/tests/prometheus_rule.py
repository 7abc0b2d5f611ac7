"""The PrometheusRule resource is alerts.yml wrapped for the Prometheus Operator; this keeps the two equal.

`python deploy/tests/prometheus_rule.py --write` regenerates deploy/k8s/monitoring/prometheus-rule.yaml;
test_monitoring.py fails when it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

MONITORING = Path(__file__).resolve().parents[1] / "k8s" / "monitoring"
ALERTS = MONITORING / "alerts.yml"
PROMETHEUS_RULE = MONITORING / "prometheus-rule.yaml"

HEADER = "# Generated from alerts.yml by deploy/tests/prometheus_rule.py --write; edit alerts.yml instead.\n"


class _BlockStyleDumper(yaml.SafeDumper):
    """Writes multi-line strings (the expressions) as `|` blocks, as they are written in alerts.yml."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockStyleDumper.add_representer(str, _represent_str)


def render() -> str:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    resource: dict[str, Any] = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "cabinet-alerts"},
        "spec": {"groups": groups},
    }
    return HEADER + yaml.dump(resource, Dumper=_BlockStyleDumper, sort_keys=False, allow_unicode=True, width=120)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        PROMETHEUS_RULE.write_text(render())
    else:
        sys.exit("usage: prometheus_rule.py --write")
