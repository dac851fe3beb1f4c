"""deploy/monitoring: the alert rules parse, each expression is well formed enough to load
(promtool is not available: balanced brackets, a known function set) and names only metrics
that exist: the services' own (scraped from one in-process service's /metrics, with the
names servicekit.metrics declares) or the Kafka Exporter's and Prometheus' few listed here.
The Grafana dashboard's queries are held to the same rule."""

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
# Not the services': Prometheus' own and Strimzi's Kafka Exporter's.
EXTERNAL = {
    "up",
    "kafka_consumergroup_lag",
    "kafka_topic_partition_current_offset",
    "kafka_topic_partition_oldest_offset",
}
FUNCTIONS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "deriv", "histogram_quantile",
    "label_values", "by", "without", "and", "or", "unless", "on", "ignoring", "bool",
    "time", "max_over_time", "absent_over_time",
}  # fmt: skip
SEVERITIES = {"critical", "warning", "info"}


def exported_names() -> set[str]:
    """Every sample name a service's registry exposes (counters with _total, histograms with
    _bucket/_sum/_count), after touching each labelled metric once so it is listed."""
    metrics = ServiceMetrics("probe")
    metrics.requests.labels("probe", "GET", "/x", "200").inc()
    metrics.latency.labels("probe", "GET", "/x").observe(0.1)
    metrics.outbox_pending.labels("probe").set(0)
    metrics.outbox_age.labels("probe").set(0)
    metrics.event("t", "applied")
    metrics.partition_lag("t", 0, 0)
    metrics.upstream_call("u", 200, 0.1)
    metrics.upstream_call("u", None, 0.1, "timeout")
    metrics.job_succeeded("j")
    metrics.watch_pool(create_async_engine("sqlite+aiosqlite:///probe.db"))  # no connection is made
    text = metrics.render().decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def referenced_metrics(expr: str) -> set[str]:
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_ranges)
    words = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", without_groupings))
    return {w for w in words if w not in FUNCTIONS and not re.fullmatch(r"\d.*", w)}


def balanced(expr: str) -> bool:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for ch in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack


def alert_rules() -> list[dict[str, object]]:
    data = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_alert_rules_are_well_formed() -> None:
    data = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    names = [g["name"] for g in data["groups"]]
    assert len(names) == len(set(names))
    rules = alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        expr = str(rule["expr"]).strip()
        assert expr and balanced(expr), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", "0s"))), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES  # type: ignore[index]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]  # type: ignore[index]


def test_alerts_cover_lag_outbox_dead_letters_and_errors() -> None:
    exprs = " ".join(str(r["expr"]) for r in alert_rules())
    for needed in (
        "consumer_lag",
        "outbox_oldest_pending_age_seconds",
        'outcome="dead_lettered"',
        'status=~"5.."',
        'job_last_success_timestamp_seconds{job="deadline_scan"}',
    ):
        assert needed in exprs


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: str(r["alert"]))
def test_alert_names_only_metrics_that_exist(rule: dict[str, object]) -> None:
    names = referenced_metrics(str(rule["expr"]))
    assert names, "an expression without a metric"
    unknown = names - exported_names() - EXTERNAL
    assert not unknown, unknown


def test_the_metric_check_could_fail() -> None:
    assert referenced_metrics('sum by (service) (rate(http_request_total{status=~"5.."}[5m])) > 0') == {
        "http_request_total"
    }
    assert "http_request_total" not in exported_names()
    assert not balanced("sum(rate(x[5m])")


def test_dashboard_queries_name_only_metrics_that_exist() -> None:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    known = exported_names() | EXTERNAL
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$service", "x")
            assert balanced(expr), panel["title"]
            assert referenced_metrics(expr) <= known, (panel["title"], referenced_metrics(expr) - known)
