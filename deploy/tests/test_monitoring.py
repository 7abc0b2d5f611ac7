"""Alert rules and dashboards: valid, tested, documented, and built only on metrics that exist or are required."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prometheus_rule
import promql_parser
import pytest
import yaml
from deploy_manifests import K8S, OPERATIONS_DOC, REPO

ALERTS = K8S / "monitoring" / "alerts.yml"
ALERT_TESTS = Path(__file__).parent / "alerts_test.yml"
DASHBOARDS = sorted((K8S / "monitoring" / "dashboards").glob("*.json"))
METRICS_MODULE = REPO / "shared" / "src" / "shared" / "metrics.py"

#: what Grafana puts in place of its variables before a query reaches Prometheus
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (Debian package prometheus): cannot check the alert rules")
    return path


def test_alert_rules_pass_promtool_check() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_their_unit_tests() -> None:
    result = subprocess.run([promtool(), "test", "rules", str(ALERT_TESTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = {case["alertname"] for test in yaml.safe_load(ALERT_TESTS.read_text())["tests"]
              for case in test["alert_rule_test"]}
    assert len(tested) >= 3


def test_prometheus_rule_embeds_exactly_the_alert_rules() -> None:
    assert prometheus_rule.PROMETHEUS_RULE.read_text() == prometheus_rule.render(), (
        "prometheus-rule.yaml is out of date: run .venv/bin/python deploy/tests/prometheus_rule.py --write")


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_every_alert_is_described_and_has_a_runbook_section() -> None:
    anchors = _anchors(OPERATIONS_DOC.read_text(encoding="utf-8"))
    alerts = _alerts()
    assert len({alert["alert"] for alert in alerts}) == len(alerts)
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        annotations = alert["annotations"]
        assert annotations["summary"] and annotations["description"], alert["alert"]
        document, _, anchor = annotations["runbook_url"].partition("#")
        assert document == "docs/operations.md", alert["alert"]
        assert anchor in anchors, f"{alert['alert']}: no section #{anchor} in docs/operations.md"


def test_the_required_alerts_exist() -> None:
    expressions = {alert["alert"]: alert["expr"] for alert in _alerts()}
    for metric in ("cabinet_http_requests_total", "cabinet_http_request_duration_seconds_bucket",
                   "cabinet_events_dead_lettered_total", "cabinet_outbox_oldest_age_seconds",
                   "cabinet_queue_messages", "cabinet_broker_connected", "cabinet_business_events_total",
                   "cabinet_trust_crl_next_update_timestamp_seconds", "cabinet_trust_ca_not_after_timestamp_seconds",
                   "kube_pod_status_ready"):
        assert any(metric in expression for expression in expressions.values()), metric


def _dashboard_queries(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield from re.findall(r"label_values\((.+), \w+\)", variable["definition"])


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _as_prometheus_sees_it(query: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    return re.sub(r"\$\w+", "x", query)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    assert dashboard["uid"] == f"cabinet-{path.stem}"
    assert "cabinet" in dashboard["tags"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
    panels = list(_panels(dashboard))
    assert len({p["id"] for p in panels}) == len(panels)
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        columns, rows = range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])
        cells = {(x, y) for x in columns for y in rows}
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval"}
                assert used <= variables, f"{panel['title']} uses undefined variables {used - variables}"
    for query in _dashboard_queries(dashboard):
        promql_parser.parse(_as_prometheus_sees_it(query))


def _metric_names(expression: Any) -> Iterator[str]:
    if type(expression).__name__ == "VectorSelector":
        yield expression.name
        return
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector", "args"):
        child = getattr(expression, attribute, None)
        for node in child if isinstance(child, list) else [child]:
            if node is not None:
                yield from _metric_names(node)


def test_metric_names_are_found_in_a_parsed_expression() -> None:
    expression = promql_parser.parse(
        'histogram_quantile(0.9, sum by (le) (rate(a_bucket{x="1"}[5m]))) / on() group_left b - time() + -(c)')
    assert set(_metric_names(expression)) == {"a_bucket", "b", "c"}


def _defined_metrics() -> set[str]:
    """The series names shared/metrics.py makes: a counter `x_total`, a gauge `x`, a histogram `x_bucket`..."""
    names = set()
    for node in ast.walk(ast.parse(METRICS_MODULE.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            name = node.args[0]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                continue
            if node.func.id == "Counter":
                names.add(name.value if name.value.endswith("_total") else f"{name.value}_total")
            elif node.func.id == "Gauge":
                names.add(name.value)
            elif node.func.id == "Histogram":
                names |= {f"{name.value}_{suffix}" for suffix in ("bucket", "sum", "count")}
    return names


def _required_section() -> str:
    text = OPERATIONS_DOC.read_text(encoding="utf-8")
    section = re.search(r"^### Required metrics$(.+?)^## ", text, flags=re.MULTILINE | re.DOTALL)
    assert section, "docs/operations.md has no '### Required metrics' section"
    return section.group(1)


def _first_cells(columns: int) -> set[str]:
    """The backticked names in the first column of the section's tables that have so many columns."""
    names = set()
    for line in _required_section().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == columns and re.fullmatch(r"`[a-z_:]+`", cells[0]):
            names.add(cells[0].strip("`"))
    return names


def _required_metrics() -> set[str]:
    return _first_cells(5)


def test_metric_definitions_are_read_from_shared_metrics() -> None:
    defined = _defined_metrics()
    assert {"cabinet_http_requests_total", "cabinet_http_request_duration_seconds_bucket",
            "cabinet_queue_messages", "cabinet_business_events_total"} <= defined


def test_dashboards_and_alerts_use_only_defined_or_required_metrics() -> None:
    expressions = [alert["expr"] for alert in _alerts()]
    for path in DASHBOARDS:
        expressions += list(_dashboard_queries(json.loads(path.read_text(encoding="utf-8"))))
    used = {name for e in expressions for name in _metric_names(promql_parser.parse(_as_prometheus_sees_it(e)))}
    defined, required = _defined_metrics(), _required_metrics()
    assert used - defined - required == set(), "not in shared/metrics.py nor in docs/operations.md 'Required metrics'"
    # the list of required metrics holds no leftovers either
    assert required - used == set()


def test_business_event_kinds_in_queries_are_documented() -> None:
    used: set[str] = set()
    expressions = [alert["expr"] for alert in _alerts()]
    for path in DASHBOARDS:
        expressions += list(_dashboard_queries(json.loads(path.read_text(encoding="utf-8"))))
    for expression in expressions:
        for matcher in re.findall(r'cabinet_business_events_total\{[^}]*kind=~?"([^"]+)"', expression):
            used |= set(matcher.split("|"))
    documented = _first_cells(3)
    assert used and used <= documented
