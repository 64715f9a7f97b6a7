"""ALERT coverage through the real ``aigate check`` on a committed copy of the example project.

Each case edits real files of ``examples/fraud-detector`` (rules, manifest, runbooks, dashboard),
commits them in the copy's own repository and reads ALERT's findings from the JSON report. The
expected outcome of every case is written here from the edited files, by hand: which alert lacks
what, which metric name is used where. ``promtool check rules`` must still accept the edited
example rules (it runs inside ALERT; in CI promtool is required, see test_promtool.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy, git
from ci_support import missing

Edit = Callable[[Path], None]


def replace(rel: str, old: str, new: str, count: int = 1) -> Edit:
    def edit(project: Path) -> None:
        target = project / rel
        text = target.read_text()
        assert text.count(old) == count, (rel, old, text.count(old))
        target.write_text(text.replace(old, new))

    return edit


def _check(tmp_path: Path, *edits: Edit, data: str | None = None) -> tuple[dict, Path]:
    project = committed_copy("fraud-detector", tmp_path)
    for edit in edits:
        edit(project)
    if edits:
        git(tmp_path, "add", "-A")
        git(tmp_path, "commit", "-qm", "edit")
    args = ["check", "--dry-run", "-C", str(project), "--format", "json"]
    args += ["--data", str(project / "policy-data.yaml")]
    if data is not None:
        extra = tmp_path / "extra-policy-data.yaml"
        extra.write_text(data)
        args += ["--data", str(extra)]
    bundle = tmp_path / "bundle"
    args += ["--bundle-dir", str(bundle)]
    run = aigate(*args)
    assert run.returncode in (0, 1), run
    return json.loads(run.stdout), bundle


def alert_findings(tmp_path: Path, *edits: Edit, data: str | None = None) -> dict[str, list[dict]]:
    doc, _ = _check(tmp_path, *edits, data=data)
    out: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        if f["control"] == "ALERT" and f["severity"] in ("deny", "warn"):
            out.setdefault(f["rule"], []).append(f)
    return out


def only(findings: dict[str, list[dict]], rule: str) -> str:
    """The one message of the one rule that fired (and nothing else denies ALERT)."""
    denies = {r for r, fs in findings.items() if any(f["severity"] == "deny" for f in fs)}
    assert denies == {rule}, findings
    assert len(findings[rule]) == 1, findings[rule]
    return str(findings[rule][0]["message"])


def _promtool_accepts(project: Path) -> None:
    exe = shutil.which("promtool")
    if exe is None:
        missing("promtool is not installed (Debian's prometheus package)")
    import subprocess

    proc = subprocess.run(
        [exe, "check", "rules", "alerts.yaml"],
        cwd=project / "monitoring",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(
        [exe, "test", "rules", "alerts.test.yaml"],
        cwd=project / "monitoring",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the passing configuration -------------------------------------------------------------------


def test_example_passes_with_evidence(tmp_path: Path) -> None:
    doc, bundle = _check(tmp_path)
    alert = [f for f in doc["findings"] if f["control"] == "ALERT"]
    assert {f["severity"] for f in alert} <= {"pass", "warn"}, alert
    assert not [f for f in alert if f["severity"] == "warn" and f["rule"] != "promtool-tests-not-run"]
    evidence = json.loads((bundle / "input.json").read_text())["reports"]["alerts"]
    by_name = {r["name"]: r for r in evidence["rules"]}
    # written from examples/fraud-detector/monitoring/alerts.yaml
    assert set(by_name) == {
        "FraudScoreAnomaly",
        "FraudErrorRateHigh",
        "FraudLatencyHigh",
        "FraudFeatureDrift",
    }
    assert by_name["FraudFeatureDrift"]["severity"] == "ticket"
    assert by_name["FraudLatencyHigh"]["severity"] == "page"
    for rule in by_name.values():
        rb = rule["runbook"]
        assert rb["annotation"] == "runbook_url" and rb["type"] == "path" and rb["exists"] is True, rule
        assert (tmp_path / "examples" / "fraud-detector" / rb["value"].split("#")[0]).is_file()
    metrics = evidence["metrics"]
    assert set(metrics) == {"invocations", "latency", "errors"}
    # the latency histogram is used as its _bucket series by the p99 rule and the dashboard
    latency = metrics["latency"]
    assert latency["name"] == "model_latency_seconds"
    assert {
        "file": "monitoring/alerts.yaml",
        "rule": "FraudLatencyHigh",
        "as": "model_latency_seconds_bucket",
    } in latency["found"]
    assert any(p.get("file") == "monitoring/dashboards/fraud-detector.json" for p in latency["found"])
    assert all(m["found"] for m in metrics.values())
    _promtool_accepts(tmp_path / "examples" / "fraud-detector")


# --- severity ------------------------------------------------------------------------------------


def test_missing_severity_denies(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        replace("monitoring/alerts.yaml", "labels: {severity: ticket, kind: drift}", "labels: {kind: drift}"),
    )
    msg = only(findings, "alert-severity-missing")
    assert "FraudFeatureDrift" in msg and "monitoring/alerts.yaml" in msg and "severity" in msg, msg


def test_unknown_severity_denies(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        replace(
            "monitoring/alerts.yaml",
            "labels: {severity: ticket, kind: drift}",
            "labels: {severity: meh, kind: drift}",
        ),
    )
    msg = only(findings, "alert-severity-missing")
    assert "FraudFeatureDrift" in msg and "meh" in msg and "ticket" in msg, msg


# --- runbooks ------------------------------------------------------------------------------------


def test_runbook_path_that_does_not_exist_denies(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        lambda p: (p / "runbooks/alerts/latency.md").unlink(),
    )
    msg = only(findings, "alert-runbook-not-found")
    assert (
        "FraudLatencyHigh" in msg and "runbooks/alerts/latency.md" in msg and "monitoring/alerts.yaml" in msg
    ), msg


def test_no_runbook_annotation_denies(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        replace(
            "monitoring/alerts.yaml",
            "          runbook_url: runbooks/alerts/drift.md\n",
            "",
        ),
    )
    msg = only(findings, "alert-runbook-missing")
    assert "FraudFeatureDrift" in msg and "runbook_url" in msg, msg


def test_runbook_annotation_alias_is_accepted(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        replace(
            "monitoring/alerts.yaml",
            "runbook_url: runbooks/alerts/drift.md",
            "runbook: runbooks/alerts/drift.md",
        ),
    )
    assert not [r for r, fs in findings.items() if fs[0]["severity"] == "deny"], findings


def test_runbook_url_not_under_an_allowed_prefix_denies(tmp_path: Path) -> None:
    url = "https://wiki.example.com/runbooks/fraud/drift"
    edit = replace("monitoring/alerts.yaml", "runbook_url: runbooks/alerts/drift.md", f"runbook_url: {url}")
    msg = only(alert_findings(tmp_path / "a", edit), "alert-runbook-url-not-allowed")
    assert url in msg and "alerting.runbook_url_prefixes" in msg and "FraudFeatureDrift" in msg, msg
    # a prefix that is the allowed one plus more host (wiki.example.com.evil.test) is not under it
    evil = "https://wiki.example.com.evil.test/runbooks/drift"
    edit2 = replace("monitoring/alerts.yaml", "runbook_url: runbooks/alerts/drift.md", f"runbook_url: {evil}")
    allowed = "alerting:\n  runbook_url_prefixes: ['https://wiki.example.com']\n"
    msg = only(alert_findings(tmp_path / "b", edit2, data=allowed), "alert-runbook-url-not-allowed")
    assert evil in msg, msg
    # the same URL passes once the organisation lists its wiki
    findings = alert_findings(tmp_path / "c", edit, data=allowed)
    assert not [r for r, fs in findings.items() if fs[0]["severity"] == "deny"], findings


@pytest.mark.parametrize(
    "value",
    ["../../outside-runbook.md", "/etc/hostname", "runbooks/alerts/escape.md"],
    ids=["dotdot", "absolute", "symlink"],
)
def test_runbook_escaping_the_project_denies(tmp_path: Path, value: str) -> None:
    outside = tmp_path / "outside-runbook.md"
    outside.write_text("# outside the project\n")

    def link(project: Path) -> None:
        (project / "runbooks/alerts/escape.md").symlink_to(outside)

    edits: list[Edit] = [
        replace("monitoring/alerts.yaml", "runbook_url: runbooks/alerts/drift.md", f"runbook_url: {value}")
    ]
    if value.endswith("escape.md"):
        edits.append(link)
    msg = only(alert_findings(tmp_path, *edits), "alert-runbook-outside")
    assert value in msg and "FraudFeatureDrift" in msg, msg


# --- LLM deployments -----------------------------------------------------------------------------

LLM_MARK = replace("aigate.yaml", "  format: safetensors\n", "  format: safetensors\n  llm: true\n")

GROUNDEDNESS_RULE = """      - alert: AnswerGroundednessLow
        expr: avg_over_time(llm_groundedness_score{model="fraud-detector"}[1h]) < 0.8
        for: 30m
        labels: {severity: page}
        annotations:
          summary: Answers are less grounded in the retrieved context than the release evaluation
          runbook_url: runbooks/alerts/score-anomaly.md
"""


def test_llm_deployment_without_a_hallucination_rule_denies(tmp_path: Path) -> None:
    msg = only(alert_findings(tmp_path, LLM_MARK), "alert-kind-missing")
    assert "hallucination" in msg and "LLM" in msg, msg


def test_llm_deployment_with_a_groundedness_rule_passes(tmp_path: Path) -> None:
    def add_rule(project: Path) -> None:
        with (project / "monitoring/alerts.yaml").open("a") as fh:
            fh.write(GROUNDEDNESS_RULE)

    findings = alert_findings(tmp_path, LLM_MARK, add_rule)
    assert not [r for r, fs in findings.items() if fs[0]["severity"] == "deny"], findings


# --- usage metrics in rules or dashboards -------------------------------------------------------


def test_declared_metric_absent_from_rules_and_dashboards_denies(tmp_path: Path) -> None:
    findings = alert_findings(
        tmp_path,
        replace("aigate.yaml", "errors: model_errors_total", "errors: model_failed_requests_total"),
    )
    msg = only(findings, "usage-metric-unused")
    assert "model_failed_requests_total" in msg and "errors" in msg, msg


def test_metric_used_only_in_the_dashboard_passes(tmp_path: Path) -> None:
    # FraudErrorRateHigh counts errors with a new name; only the dashboard panel still uses it
    findings = alert_findings(
        tmp_path,
        replace("aigate.yaml", "errors: model_errors_total", "errors: model_rejected_total"),
        replace(
            "monitoring/dashboards/fraud-detector.json",
            'sum(rate(model_errors_total{model=\\"fraud-detector\\"}[$__rate_interval]))',
            'sum(rate(model_rejected_total{model=\\"fraud-detector\\"}[$__rate_interval]))',
        ),
    )
    assert not [r for r, fs in findings.items() if fs[0]["severity"] == "deny"], findings


def test_metric_name_only_a_prefix_of_a_used_name_denies(tmp_path: Path) -> None:
    # model_latency is a prefix of model_latency_seconds_bucket, which the rules and the dashboard
    # use; as a metric name it appears nowhere.
    findings = alert_findings(
        tmp_path, replace("aigate.yaml", "latency: model_latency_seconds", "latency: model_latency")
    )
    msg = only(findings, "usage-metric-unused")
    assert "model_latency " in msg or "model_latency (" in msg or "model_latency," in msg, msg


def test_metric_only_in_a_label_value_or_string_denies(tmp_path: Path) -> None:
    # the name appears in the rules file only inside a label matcher and a string literal
    findings = alert_findings(
        tmp_path,
        replace("aigate.yaml", "invocations: model_invocations_total", "invocations: fraud_calls_total"),
        replace(
            "monitoring/alerts.yaml",
            'max(model_feature_psi{model="fraud-detector"})',
            'max(label_replace(model_feature_psi{model="fraud-detector",source!="fraud_calls_total"}, "x", "fraud_calls_total", "", ""))',
        ),
    )
    msg = only(findings, "usage-metric-unused")
    assert "fraud_calls_total" in msg, msg


def test_dashboard_declared_but_missing_denies(tmp_path: Path) -> None:
    findings = alert_findings(tmp_path, lambda p: (p / "monitoring/dashboards/fraud-detector.json").unlink())
    assert "dashboard-missing" in findings, findings
    assert "monitoring/dashboards/fraud-detector.json" in findings["dashboard-missing"][0]["message"]


# --- the PromQL tokenizer and the dashboard reader, on expressions whose names are read by hand ---

PROMQL_CASES = [
    # (expression, the metric names it selects, written by reading the expression)
    ('sum by (le) (rate(model_latency_seconds_bucket{model="x"}[5m]))', {"model_latency_seconds_bucket"}),
    ("rate(a_total[5m]) / ignoring(code) group_left(instance) rate(b_total[5m:1m])", {"a_total", "b_total"}),
    ('{__name__="model_invocations_total", job="api"} > 0', {"model_invocations_total"}),
    ('{__name__=~"model_.*"} > 0', set()),
    ('{"model.requests.total", job="api"}', {"model.requests.total"}),
    ('label_replace(up{job="model_errors_total"}, "dst", "model_errors_total", "", "")', {"up"}),
    ("foo offset 1h30m and bool bar # model_errors_total in a comment\n", {"foo", "bar"}),
    ("sum without (instance, le) (x:latency:rate5m) > 1e-3 unless on(job) y", {"x:latency:rate5m", "y"}),
    ("rate(model_errors_total[$__rate_interval]) * ${factor} / $rate", {"model_errors_total"}),
    ("histogram_quantile(0.99, sum(rate(req_bucket[5m])) by (le)) > 0x1f", {"req_bucket"}),
    ('count_values("version", build_info) or vector(0) atan2 NaN + Inf', {"build_info"}),
]


@pytest.mark.parametrize(("expr", "names"), PROMQL_CASES, ids=range(len(PROMQL_CASES)))
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    from aigate.ops.alerting import metric_names

    assert metric_names(expr) == names


def test_recording_rule_feeding_an_alert_counts(tmp_path: Path) -> None:
    # the latency histogram is used only by a recording rule; the alert uses the recorded series
    recorded = """  - name: fraud-detector-recorded
    rules:
      - record: job:fraud_latency_seconds:p99
        expr: histogram_quantile(0.99, sum by (le) (rate(model_latency_seconds_bucket[5m])))
"""

    def add(project: Path) -> None:
        with (project / "monitoring/alerts.yaml").open("a") as fh:
            fh.write(recorded)

    p99 = 'histogram_quantile(0.99, sum by (le) (rate(model_latency_seconds_bucket{model="fraud-detector"}[5m])))'
    drop_dash = replace(
        "aigate.yaml", "  dashboards: [monitoring/dashboards/fraud-detector.json]", "  dashboards: []"
    )
    uses = replace(
        "monitoring/alerts.yaml", f"expr: {p99} > 0.05", "expr: job:fraud_latency_seconds:p99 > 0.05"
    )
    doc, bundle = _check(tmp_path / "a", drop_dash, uses, add)
    latency = json.loads((bundle / "input.json").read_text())["reports"]["alerts"]["metrics"]["latency"]
    assert latency["found"] == [
        {
            "file": "monitoring/alerts.yaml",
            "record": "job:fraud_latency_seconds:p99",
            "as": "model_latency_seconds_bucket",
        }
    ], latency
    assert not [f for f in doc["findings"] if f["control"] == "ALERT" and f["severity"] == "deny"]
    # a recording rule nothing uses does not count
    unused = replace("monitoring/alerts.yaml", f"expr: {p99} > 0.05", 'expr: up{job="fraud"} == 0')
    findings = alert_findings(tmp_path / "b", drop_dash, unused, add)
    assert "model_latency_seconds" in only(findings, "usage-metric-unused")


def test_dashboard_rows_and_export_wrapper() -> None:
    from aigate.ops.alerting import dashboard_queries

    board = {
        "dashboard": {
            "panels": [
                {
                    "type": "row",
                    "collapsed": True,
                    "panels": [{"title": "in row", "targets": [{"expr": "a"}]}],
                },
                {"title": "top", "targets": [{"expr": "b"}, {"refId": "B"}]},
            ],
        }
    }
    assert dashboard_queries(board) == (3, [("in row", "a"), ("top", "b")])
    legacy = {"rows": [{"panels": [{"title": "old", "targets": [{"expr": "c"}]}]}]}
    assert dashboard_queries(legacy) == (1, [("old", "c")])
