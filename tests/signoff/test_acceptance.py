"""Done-when 3 through the real command: ``aigate check --dry-run`` on a project with two valid
approvals passes APPROVAL; removing one fails it with a message naming the missing role."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from signoff_helpers import Project


def _approval_findings(project: Project) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aigate",
            "check",
            "--dry-run",
            "-C",
            str(project.root),
            "--data",
            str(project.root / project.policy_file),
            "--since",  # no verified previous release here: the range base is declared (docs/signoffs.md)
            "v1.0.0",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr  # other controls may deny; the gate finished
    report = json.loads(proc.stdout)
    return [f for f in report["findings"] if f["control"] == "APPROVAL"]


def test_check_passes_approval_with_two_signoffs_and_names_the_missing_role(project: Project) -> None:
    project.approve("alice", "security-lead")
    ml = project.approve("bob", "ml-lead")
    findings = _approval_findings(project)
    # passes on evidence; the only warnings say what anchors this run (no verified previous
    # release: the range is declared by --since; the policy data is read from the release's tree)
    assert [f["severity"] for f in findings if f["severity"] != "warn"] == ["pass"], findings
    assert {f["rule"] for f in findings if f["severity"] == "warn"} <= {
        "range-not-anchored",
        "policy-data-from-release-tree",
    }
    assert next(f for f in findings if f["severity"] == "pass")["evidence"] is True
    project.git("tag", "-d", ml.removeprefix("refs/tags/"))
    findings = _approval_findings(project)
    denies = [f for f in findings if f["severity"] == "deny"]
    assert denies and all("ml-lead" in f["message"] for f in denies), findings
    assert not any("security-lead" in f["message"] for f in denies)


def test_check_denies_a_release_that_adds_its_own_approver(project: Project) -> None:
    from signoff_helpers import default_approvals, member

    changed = default_approvals(project.keys)
    changed["roles"]["security-lead"]["members"].append(member(project.keys, "mallory"))
    project.commit("add mallory as security lead", {project.policy_file: project.write_policy(changed)})
    project.approve("bob", "ml-lead")
    project.approve("mallory", "security-lead")
    denies = [f for f in _approval_findings(project) if f["severity"] == "deny"]
    assert denies, "a release that changes the approvers list must not pass on its own new approver"
    assert any("policy" in f["message"] and "security-lead" in f["message"] for f in denies), denies


def test_real_cli_exit_codes_without_repository_and_without_git(
    project: Project, tmp_path: Any, no_git_path: dict[str, str]
) -> None:
    plain = tmp_path / "plain"
    (plain / "model" / "extra").mkdir(parents=True)
    for rel in ("aigate.yaml", "model/model.safetensors", "model/extra/tokenizer.json"):
        (plain / rel).write_bytes((project.root / rel).read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", "check", "--dry-run", "-C", str(plain)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not inside a git repository" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", "approve", "--role", "ml-lead", "-C", str(project.root)],
        capture_output=True,
        text=True,
        env=no_git_path,
    )
    assert proc.returncode == 3, proc.stderr
    assert "git binary was not found" in proc.stderr and "Traceback" not in proc.stderr
