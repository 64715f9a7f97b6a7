"""scripts/action/outputs.py on its own: outputs, summary, and the cases where it must not say pass."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from actions_runner import read_outputs
from integration_support import ROOT

SCRIPT = ROOT / "scripts" / "action" / "outputs.py"


def publish(tmp_path: Path, code: int, report: dict | None, md: str | None = "## report\n"):
    reports = tmp_path / "reports"
    reports.mkdir(exist_ok=True)
    if report is not None:
        (reports / "aigate.json").write_text(json.dumps(report))
    if md is not None:
        (reports / "aigate.md").write_text(md)
    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--exit-code", str(code), "--report-dir", str(reports)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return read_outputs(out), summary.read_text()


REPORT = {
    "decision": "pass",
    "maturity": {"A": {"level": 1, "required": 1}, "B": {"level": 2, "required": 2}},
    "bundle": {"path": "/b", "digest": "sha256:" + "a" * 64},
}


def test_pass(tmp_path):
    out, summary = publish(tmp_path, 0, REPORT)
    assert out["decision"] == "pass" and out["level-a"] == "1" and out["level-b"] == "2"
    assert out["bundle-path"] == "/b" and out["bundle-digest"] == "sha256:" + "a" * 64
    assert out["sarif-file"] == ""  # no SARIF file written
    assert summary == "## report\n"


def test_report_and_exit_code_disagree(tmp_path):
    out, _ = publish(tmp_path, 1, REPORT)  # report says pass, aigate exited 1
    assert out["decision"] == "error"


def test_unreadable_report_is_an_error(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "aigate.json").write_text("{not json")
    out, summary = publish(tmp_path, 0, None)
    assert out["decision"] == "error" and "aigate: **error** (exit 0)" in summary


def test_bundle_digest_from_index_when_report_has_none(tmp_path):
    (tmp_path / "reports" / "bundle").mkdir(parents=True)
    index = tmp_path / "reports" / "bundle" / "index.json"
    index.write_text('{"files": {}}')
    out, _ = publish(tmp_path, 1, {**REPORT, "decision": "fail", "bundle": None})
    assert out["decision"] == "fail"
    assert out["bundle-digest"] == "sha256:" + hashlib.sha256(index.read_bytes()).hexdigest()


def test_huge_summary_is_truncated(tmp_path):
    _, summary = publish(tmp_path, 0, REPORT, md="x" * (2 * 1024 * 1024))
    assert len(summary.encode()) <= 1024 * 1024
    assert summary.endswith("the full report is aigate.md in the uploaded artifact.\n")


def test_outputs_survive_newlines(tmp_path):
    out, _ = publish(tmp_path, 0, {**REPORT, "bundle": {"path": "/odd\npath", "digest": "sha256:x"}})
    assert out["bundle-path"] == "/odd\npath"
