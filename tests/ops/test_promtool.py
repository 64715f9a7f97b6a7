"""ALERT with Prometheus' own promtool, through the real ``aigate check`` on a committed copy of the
example project: ``promtool check rules`` on the rules file and ``promtool test rules`` on the team's
rule unit tests. In CI promtool must be installed (its absence fails here, it is not skipped);
elsewhere, without promtool, the test proves the other promise: ALERT's basis is declared and the
unrun unit tests are a warning."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aigate_cli import check_json, committed_copy, git
from ci_support import missing

HAVE_PROMTOOL = shutil.which("promtool") is not None


def test_promtool_is_installed_in_ci() -> None:
    if os.environ.get("CI"):
        assert HAVE_PROMTOOL, "CI must install promtool (Debian's prometheus package)"
    else:
        assert HAVE_PROMTOOL or shutil.which("promtool") is None  # outside CI either is allowed


def _alert(tmp_path: Path, edit: str | None = None, old: str = "", new: str = "") -> tuple[dict, list[dict]]:
    project = committed_copy("fraud-detector", tmp_path)
    if edit:
        target = project / edit
        text = target.read_text()
        assert old in text
        target.write_text(text.replace(old, new))
        git(tmp_path, "commit", "-qam", "edit")
    _, doc = check_json(project, data=project / "policy-data.yaml")
    return doc, [f for f in doc["findings"] if f["control"] == "ALERT"]


def _rules(findings: list[dict], severity: str) -> set[str]:
    return {f["rule"] for f in findings if f["severity"] == severity}


def test_example_rules_and_unit_tests(tmp_path: Path) -> None:
    _, findings = _alert(tmp_path)
    if HAVE_PROMTOOL:
        assert _rules(findings, "deny") == set() and _rules(findings, "warn") == set(), findings
    else:
        assert _rules(findings, "warn") == {"promtool-tests-not-run"}, findings


def test_broken_promql_denies(tmp_path: Path) -> None:
    if not HAVE_PROMTOOL:
        missing("promtool is not installed (Debian's prometheus package)")
    _, findings = _alert(
        tmp_path, "monitoring/alerts.yaml", "max(model_feature_psi", "max(model_feature_psi{{"
    )
    denies = {f["rule"]: f for f in findings if f["severity"] == "deny"}
    # the unit tests load the same broken file, so they fail too
    assert set(denies) == {"promtool-check-failed", "promtool-test-failed"}, findings
    assert "alerts.yaml" in denies["promtool-check-failed"]["message"]


def test_failing_rule_unit_test_denies(tmp_path: Path) -> None:
    if not HAVE_PROMTOOL:
        missing("promtool is not installed (Debian's prometheus package)")
    _, findings = _alert(
        tmp_path,
        "monitoring/alerts.test.yaml",
        "exp_labels: {severity: page, kind: error_rate}",
        "exp_labels: {severity: ticket, kind: error_rate}",
    )
    denies = [f for f in findings if f["severity"] == "deny"]
    assert [f["rule"] for f in denies] == ["promtool-test-failed"], findings
    assert "FraudErrorRateHigh" in denies[0]["message"]
