"""``aigate approve`` through click's CliRunner and as a real process (the stand-in entry)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from signoff_helpers import Project

from aigate.cli.approve import command
from aigate.errors import InputError

ENTRY = Path(__file__).with_name("approve_entry.py")


def _as(project: Project, signer: str) -> None:
    ident = project.keys.ssh[signer]
    project.git("config", "gpg.format", "ssh")
    project.git("config", "user.signingkey", str(ident.private))
    project.git("config", "user.email", ident.email)


def test_approve_json_then_check_counts_it(project: Project) -> None:
    _as(project, "bob")
    result = CliRunner().invoke(
        command, ["--role", "ml-lead", "--comment", "eval ok", "-C", str(project.root), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["role"] == "ml-lead" and out["signature_format"] == "ssh"
    assert out["commit"] == project.git("rev-parse", "HEAD")
    assert out["push"] == f"git push origin {out['ref']}"
    data = project.signoffs()
    rec = next(a for a in data["approvals"] if a["id"] == out["ref"])
    assert rec["counted"] is True and rec["comment"] == "eval ok"


def test_approve_text_as_a_process(project: Project) -> None:
    _as(project, "alice")
    proc = subprocess.run(
        [sys.executable, str(ENTRY), "--role", "security-lead", "-C", str(project.root)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("approved fraud-detector 1.1.0 as security-lead at commit ")
    assert (
        "push it:   git push origin refs/tags/aigate/approvals/fraud-detector/1.1.0/security-lead/"
        in proc.stdout
    )


def test_unknown_role_with_policy_data_is_refused(project: Project) -> None:
    _as(project, "alice")
    result = CliRunner().invoke(
        command,
        ["--role", "sekurity", "-C", str(project.root), "--data", str(project.root / project.policy_file)],
    )
    assert isinstance(result.exception, InputError), result.output
    assert "'sekurity' is not defined" in str(result.exception)
    assert project.git("tag", "-l", "aigate/*") == ""


def test_uncommitted_manifest_is_refused(project: Project) -> None:
    _as(project, "alice")
    (project.root / "aigate.yaml").write_text((project.root / "aigate.yaml").read_text() + "# wip\n")
    result = CliRunner().invoke(command, ["--role", "security-lead", "-C", str(project.root)])
    assert isinstance(result.exception, InputError)
    assert "uncommitted changes in aigate.yaml" in str(result.exception)


def test_no_signing_key_exits_2(project: Project) -> None:
    project.git("config", "gpg.format", "ssh")
    proc = subprocess.run(
        [sys.executable, str(ENTRY), "--role", "security-lead", "-C", str(project.root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project.root), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "could not sign" in proc.stderr and "user.signingkey" in proc.stderr
