"""Acceptance tests of ``aigate check`` on the bundled examples, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aigate_cli import EXAMPLES, aigate

AIMA = [
    "ENV",
    "DEP",
    "TRACK",
    "MON",
    "IOLOG",
    "USAGE",
    "APPROVAL",
    "ROLLBACK",
    "AUDIT",
    "RBAC",
    "ACCESSLOG",
    "ENCRYPT",
    "COMPLY",
    "AUTOMATE",
    "AUDITREADY",
    "RESILIENCE",
    "DRIFT",
    "ALERT",
]
EXTENSIONS = ["MODELSAFE", "LICENSE"]
PASSING = EXAMPLES / "fraud-detector"
FAILING = EXAMPLES / "fraud-detector-failing"


def check_json(project: Path, *extra: str) -> tuple[int, dict]:
    run = aigate(
        "check",
        "--dry-run",
        "-C",
        str(project),
        "--data",
        str(project / "policy-data.yaml"),
        "--format",
        "json",
        *extra,
    )
    doc = json.loads(run.stdout)
    assert run.returncode == (0 if doc["decision"] == "pass" else 1), run  # the exit code is the verdict's
    return run.returncode, doc


def test_passing_example_exits_0_with_the_json_contract() -> None:
    code, doc = check_json(PASSING)
    assert code == 0, json.dumps(
        [f for f in doc["findings"] if f["severity"] == "deny" and f["blocking"]], indent=1
    )
    assert doc["decision"] == "pass"
    controls = {f["control"] for f in doc["findings"]}
    assert set(AIMA + EXTENSIONS) <= controls
    assert set(doc["maturity"]) == {"A", "B"}
    for stream in ("A", "B"):
        assert {"level", "required"} <= set(doc["maturity"][stream])
        assert doc["maturity"][stream]["level"] >= doc["maturity"][stream]["required"]
    for f in doc["findings"]:
        assert {"control", "rule", "severity", "message"} <= set(f)
        assert f["severity"] in ("deny", "warn", "waived", "pass", "exception")
        assert f["evidence"] != f["declared"]
    assert set(doc["summary"]) >= {"tests", "passed", "warnings", "failures", "exceptions"}
    assert doc["bundle"] is None  # a dry run writes no bundle unless asked
    # the example shows what a newcomer should see: declared-only passes and warnings
    assert any(f["declared"] and f["severity"] == "pass" for f in doc["findings"])
    assert any(f["severity"] == "warn" for f in doc["findings"])


def test_failing_example_exits_1_and_says_what_to_fix() -> None:
    run = aigate("check", "--dry-run", "-C", str(FAILING), "--data", str(FAILING / "policy-data.yaml"))
    assert run.returncode == 1, run
    fails = [ln for ln in run.stdout.splitlines() if ln.startswith("FAIL - ")]
    assert fails, run
    for line in fails:
        # FAIL - aigate.yaml:LINE:COL - CONTROL/rule - message
        where, rule, message = line.split(" - ", 3)[1:]
        assert where.startswith(
            f"{FAILING.relative_to(Path.cwd()) if FAILING.is_relative_to(Path.cwd()) else FAILING}/aigate.yaml:"
        )
        assert "/" in rule and len(message) > 20
    assert "decision: FAIL (dry run)" in run.stdout
    assert "BELOW REQUIRED" in run.stdout


def test_every_format_renders_for_the_failing_example(tmp_path: Path) -> None:
    outs = {
        fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "sarif", "junit", "markdown", "github", "gitlab")
    }
    args = []
    for fmt, path in outs.items():
        args += ["--format", fmt, "--output", str(path)]
    run = aigate(
        "check",
        "--dry-run",
        "-C",
        str(FAILING),
        "--data",
        str(FAILING / "policy-data.yaml"),
        *args,
        "--format",
        "text",
    )
    assert run.returncode == 1, run
    assert "decision: FAIL" in run.stdout
    for fmt, path in outs.items():
        assert path.stat().st_size > 0, fmt
    assert json.loads(outs["json"].read_text())["decision"] == "fail"
    assert json.loads(outs["sarif"].read_text())["version"] == "2.1.0"


def test_fail_on_warn_turns_a_pass_into_exit_1() -> None:
    code, _ = check_json(PASSING, "--fail-on-warn")
    assert code == 1


def test_fast_path_skips_evidence_and_says_so() -> None:
    run = aigate(
        "check",
        "--dry-run",
        "--fast",
        "-C",
        str(PASSING),
        "--data",
        str(PASSING / "policy-data.yaml"),
        "--format",
        "json",
    )
    doc = json.loads(run.stdout)
    assert any("fast path" in n for n in doc["notes"]), doc["notes"]
    env = [f for f in doc["findings"] if f["control"] == "ENV"]
    assert env and all(f["declared"] for f in env)


def test_controls_lists_twenty_with_references() -> None:
    run = aigate("controls", "--format", "json")
    assert run.returncode == 0, run
    controls = json.loads(run.stdout)["controls"]
    assert [c["id"] for c in controls] == AIMA + EXTENSIONS
    for c in controls:
        if c["kind"] == "aima":
            assert c["level"] in (1, 2, 3) and c["stream"] in ("A", "B")
        assert c["references"], c["id"]
        assert set(c["references"]) <= {"eu_ai_act", "nist_ai_rmf", "iso_42001"}


def test_quiet_prints_only_the_verdict() -> None:
    run = aigate("check", "--dry-run", "-q", "-C", str(FAILING), "--data", str(FAILING / "policy-data.yaml"))
    assert run.returncode == 1 and run.stdout == "" and run.stderr == "aigate: fail\n", run


@pytest.mark.parametrize("value", ["2", "xyz"])
def test_source_date_epoch_must_be_an_integer(value: str) -> None:
    run = aigate("check", "--dry-run", "--fast", "-C", str(PASSING), env={"SOURCE_DATE_EPOCH": value})
    if value.isdigit():
        assert run.returncode == 0, run  # the passing example; a small epoch is still an epoch
    else:
        assert run.returncode == 2 and "SOURCE_DATE_EPOCH must be an integer" in run.stderr, run
