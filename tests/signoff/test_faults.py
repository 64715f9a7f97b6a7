"""Faults: no repository (exit 2), no git binary (exit 3), shallow clones, bad approvers lists,
and the model digest definition checked against coreutils."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from signoff_helpers import MANIFEST, Project, default_approvals

from aigate.collect.interface import CollectContext
from aigate.collect.signoffs import SignoffsCollector
from aigate.errors import GateFailure, InputError
from aigate.signoff import check_signoffs, model_digest, model_digest_from_entries
from aigate.signoff.evaluate import ReleaseSubject

ENTRY = Path(__file__).with_name("approve_entry.py")


def _ctx(root: Path, approvals: Any) -> CollectContext:
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "model" / "model.safetensors").write_bytes(b"w")
    (root / "model" / "extra").mkdir(exist_ok=True)
    raw = yaml.safe_dump(MANIFEST).encode()
    (root / "aigate.yaml").write_bytes(raw)
    return CollectContext(
        root=root,
        manifest=MANIFEST,
        manifest_path=root / "aigate.yaml",
        manifest_digest=hashlib.sha256(raw).hexdigest(),
        policy_data={"approvals": approvals},
    )


def test_no_git_repository_is_an_input_error(tmp_path: Path, keys: Any) -> None:
    with pytest.raises(InputError, match="not inside a git repository") as info:
        SignoffsCollector().collect(_ctx(tmp_path, default_approvals(keys)))
    assert info.value.exit_code == 2


def test_approve_outside_a_repository_exits_2(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(b"w")
    manifest = dict(MANIFEST, model={**MANIFEST["model"], "artifacts": [{"path": "model/model.safetensors"}]})
    (tmp_path / "aigate.yaml").write_text(yaml.safe_dump(manifest))
    proc = subprocess.run(
        [sys.executable, str(ENTRY), "--role", "ml-lead", "-C", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2, proc.stderr
    assert "not inside a git repository" in proc.stderr and "Traceback" not in proc.stderr


def test_git_binary_missing_is_a_gate_failure(
    project: Project, no_git_path: dict[str, str], keys: Any
) -> None:
    # in-process: the collector raises GateFailure (exit 3)
    import os

    old = os.environ["PATH"]
    os.environ["PATH"] = no_git_path["PATH"]
    try:
        with pytest.raises(GateFailure, match="git binary was not found") as info:
            project.collect()
    finally:
        os.environ["PATH"] = old
    assert info.value.exit_code == 3
    # through the command: exit 3 with one line, no traceback
    proc = subprocess.run(
        [sys.executable, str(ENTRY), "--role", "ml-lead", "-C", str(project.root)],
        capture_output=True,
        text=True,
        env=no_git_path,
    )
    assert proc.returncode == 3, proc.stderr
    assert "git binary was not found" in proc.stderr and "Traceback" not in proc.stderr


def test_shallow_clone_without_the_previous_release_fails_closed(project: Project, tmp_path: Path) -> None:
    project.approve("alice", "security-lead")
    project.approve("bob", "ml-lead")
    assert project.signoffs()["satisfied"] is True
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{project.root}", str(clone)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "git",
            "-C",
            str(clone),
            "fetch",
            "-q",
            "origin",
            "+refs/tags/aigate/approvals/*:refs/tags/aigate/approvals/*",
        ],
        check=True,
        capture_output=True,
    )
    shallow = Project(clone, project.keys, project.approvals)
    data = shallow.signoffs()
    assert data["range"]["shallow"] is True and data["range"]["complete"] is False
    assert data["satisfied"] is False
    assert any("fetch-depth: 0" in p for p in data["problems"])
    assert data["roles"]["security-lead"]["satisfied"] is True  # the approvals themselves verified
    with pytest.raises(InputError, match="not a commit in this clone") as info:  # base not fetched
        shallow.signoffs(base="v1.0.0")
    assert "fetch-depth: 0" in info.value.one_line()
    # what the docs tell CI to do: full history plus the approval tags
    subprocess.run(
        ["git", "-C", str(clone), "fetch", "-q", "--unshallow", "--tags"], check=True, capture_output=True
    )
    assert shallow.signoffs()["satisfied"] is True


def test_explicit_range_base(project: Project) -> None:
    project.approve("alice", "security-lead")
    project.approve("bob", "ml-lead")
    first = project.git("rev-list", "--max-parents=0", "HEAD")
    data = project.signoffs(base=first)
    assert data["range"]["base"] == first and data["satisfied"] is True
    with pytest.raises(InputError, match="not a commit"):
        project.signoffs(base="no-such-tag")


def test_bad_approvers_list_is_an_input_error(project: Project) -> None:
    bad = default_approvals(project.keys)
    bad["roles"]["ml-lead"]["quorum"] = 0
    with pytest.raises(InputError, match=r"approvals\.roles\.ml-lead\.quorum"):
        project.signoffs(bad)
    bad = default_approvals(project.keys)
    bad["roles"]["ml-lead"]["members"][0]["ssh_keys"] = ["not a key"]
    with pytest.raises(InputError, match="allowed_signers"):
        project.signoffs(bad)
    bad = default_approvals(project.keys)
    bad["roles"]["ml-lead"]["members"][0]["ssh_keys"] = [project.keys.ssh["alice"].public]  # alice's key
    with pytest.raises(InputError, match=r"also listed for alice@example\.com"):
        project.signoffs(bad)
    bad = default_approvals(project.keys)
    bad["required_roles"] = ["nobody"]
    with pytest.raises(InputError, match="'nobody'"):
        project.signoffs(bad)


def test_no_approvers_configured_is_not_a_pass(project: Project) -> None:
    data = project.signoffs({})
    assert data["satisfied"] is False and data["problems"]
    raw = (project.root / "aigate.yaml").read_bytes()
    subject = ReleaseSubject("fraud-detector", "1.1.0", "sha256:" + "0" * 64, hashlib.sha256(raw).hexdigest())
    result = check_signoffs(project.root, subject, None)
    assert result.satisfied is False and "names no approvers" in result.problems[0]


def test_fast_path_skips_with_a_reason(project: Project) -> None:
    raw = (project.root / "aigate.yaml").read_bytes()
    ctx = CollectContext(
        root=project.root,
        manifest=yaml.safe_load(raw),
        manifest_path=project.root / "aigate.yaml",
        manifest_digest=hashlib.sha256(raw).hexdigest(),
        policy_data={},
        fast=True,
    )
    ev = SignoffsCollector().collect(ctx)
    assert ev.data is None and ev.skipped and "fast path" in ev.skipped


def test_model_digest_matches_coreutils(project: Project) -> None:
    digest = model_digest(project.root, project.manifest)
    files = ["model/extra/tokenizer.json", "model/model.safetensors"]
    listing = subprocess.run(["sha256sum", *files], cwd=project.root, capture_output=True, check=True).stdout
    lines = sorted(listing.decode().splitlines(keepends=True), key=lambda ln: ln.split("  ", 1)[1].encode())
    assert digest == "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
    entries = [(ln.split("  ", 1)[1].strip(), ln.split("  ", 1)[0]) for ln in lines]
    assert model_digest_from_entries(reversed(entries)) == digest


def test_model_digest_refuses_missing_and_escaping_artifacts(project: Project, tmp_path: Path) -> None:
    manifest = dict(MANIFEST, model={**MANIFEST["model"], "artifacts": [{"path": "model/missing.bin"}]})
    with pytest.raises(InputError, match="does not exist"):
        model_digest(project.root, manifest)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x")
    (project.root / "model" / "link.bin").symlink_to(outside)
    manifest = dict(MANIFEST, model={**MANIFEST["model"], "artifacts": [{"path": "model/link.bin"}]})
    with pytest.raises(InputError, match="outside the project"):
        model_digest(project.root, manifest)
