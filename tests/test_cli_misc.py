"""``aigate init``, ``aigate validate``, ``aigate policy test``, ``--version``, usage errors."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from aigate_cli import aigate, clean_env, committed_copy, git

from aigate import __version__


def test_init_scaffold_validates_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "model.onnx").write_bytes(b"\x08\x07")
    run = aigate("init", "-C", str(tmp_path), "--name", "Churn Model", "--version", "2.0.1")
    assert run.returncode == 0, run
    manifest = (tmp_path / "aigate.yaml").read_text()
    assert "name: churn-model" in manifest and 'version: "2.0.1"' in manifest
    assert "path: weights/model.onnx" in manifest and "format: onnx" in manifest
    for path in (
        ".aigate/policy-data.yaml",
        ".aigate/ci/github-workflow.yml",
        ".aigate/ci/gitlab-ci.yml",
        ".aigate/ci/pre-commit-config.yaml",
    ):
        assert (tmp_path / path).is_file(), path
    valid = aigate("validate", "-C", str(tmp_path), "--data", str(tmp_path / ".aigate/policy-data.yaml"))
    assert valid.returncode == 0 and "aigate.yaml: valid (churn-model 2.0.1)" in valid.stdout, valid
    before = manifest
    again = aigate("init", "-C", str(tmp_path))
    assert again.returncode == 2 and "already exist" in again.stderr and "--force" in again.stderr, again
    assert (tmp_path / "aigate.yaml").read_text() == before
    forced = aigate("init", "-C", str(tmp_path), "--force", "--version", "3.0.0")
    assert forced.returncode == 0 and 'version: "3.0.0"' in (tmp_path / "aigate.yaml").read_text()


def test_init_then_check_runs_the_gate(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(
        (Path(__file__).parent / "cases" / "_base" / "model" / "model.safetensors").read_bytes()
    )
    assert aigate("init", "-C", str(tmp_path)).returncode == 0
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "scaffold")
    run = aigate("check", "--dry-run", "-C", str(tmp_path), "--format", "json")
    # the scaffold names documents the project does not have yet: the gate says so and fails
    assert run.returncode == 1, run
    doc = json.loads(run.stdout)
    assert any(f["rule"] == "model-card-missing" for f in doc["findings"])


def _policy_dir(tmp_path: Path, test_body: str) -> Path:
    d = tmp_path / "policy"
    d.mkdir()
    (d / "k8s.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'deny contains msg if { input.kind == "Deployment"; not input.spec.replicas\n  msg := "replicas must be set" }\n'
    )
    (d / "k8s_test.rego").write_text("package main_test\nimport rego.v1\nimport data.main\n\n" + test_body)
    return d


def test_policy_test_passes_and_fails(tmp_path: Path) -> None:
    d = _policy_dir(
        tmp_path,
        'test_deny_without_replicas if { count(main.deny) == 1 with input.kind as "Deployment" }\n'
        'test_wrong_expectation if { count(main.deny) == 0 with input.kind as "Deployment" }\n',
    )
    run = aigate("policy", "test", "--no-builtin", "--policy", str(d), "--format", "json")
    assert run.returncode == 1, run
    doc = json.loads(run.stdout)
    results = {t["name"]: t["passed"] for t in doc["tests"]}
    assert results == {"test_deny_without_replicas": True, "test_wrong_expectation": False}
    text = aigate("policy", "test", "--no-builtin", "--policy", str(d))
    assert (
        "FAIL - " in text.stdout
        and "data.main_test.test_wrong_expectation (false or undefined)" in text.stdout
    )
    assert "2 tests, 1 passed, 0 warnings, 1 failure, 0 exceptions" in text.stdout


def test_policy_test_with_on_regopy_is_refused_and_runs_on_opa_go(tmp_path: Path) -> None:
    # whole-input `with input as {...}` over a rule that calls a builtin fails or crashes regopy
    # 1.5.2: on regopy a user test using `with` is refused up front (exit 2, file:line:col),
    # never "0 passed"; OPA's Go engine evaluates it with OPA's semantics
    d = tmp_path / "policy"
    d.mkdir()
    (d / "k8s.rego").write_text(
        "package main\nimport rego.v1\n\n"
        'deny contains msg if { input.kind != "Service"; not input.spec.replicas\n  msg := "replicas must be set" }\n'
    )
    (d / "k8s_test.rego").write_text(
        "package main_test\nimport rego.v1\nimport data.main\n\n"
        'test_whole_input if { count(main.deny) == 1 with input as {"kind": "Deployment"} }\n'
        'test_single_key if { count(main.deny) == 1 with input.kind as "Deployment" }\n'
    )
    run = aigate("policy", "test", "--no-builtin", "--engine", "regopy", "--policy", str(d))
    assert run.returncode == 2, run
    assert "k8s_test.rego:5:45: `with` overrides" in run.stderr and "--engine opa-go" in run.stderr, run
    opa = aigate("policy", "test", "--no-builtin", "--engine", "opa-go", "--policy", str(d))
    assert opa.returncode == 0 and "2 tests, 2 passed" in opa.stdout, opa


def test_policy_test_with_no_tests_is_not_a_pass(tmp_path: Path) -> None:
    d = tmp_path / "policy"
    d.mkdir()
    (d / "p.rego").write_text('package main\nimport rego.v1\ndeny contains "x" if input.bad\n')
    run = aigate("policy", "test", "--no-builtin", "--policy", str(d))
    assert run.returncode == 2 and "no Rego test files" in run.stderr, run


def test_builtin_library_tests_pass() -> None:
    run = aigate("policy", "test", "--format", "json")
    assert run.returncode == 0, run
    summary = json.loads(run.stdout)["summary"]
    assert summary["failures"] == 0 and summary["tests"] >= 100


def test_version_and_usage_errors() -> None:
    run = aigate("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"aigate, version {__version__}"
    bad = aigate("check", "--no-such-flag")
    assert bad.returncode == 2 and "No such option" in bad.stderr and "Traceback" not in bad.stderr
    unknown = aigate("frobnicate")
    assert unknown.returncode == 2


def test_init_ci_snippets_are_the_tested_example_files() -> None:
    from aigate_cli import REPO

    templates = REPO / "aigate" / "data" / "templates"
    for name in ("github-workflow.yml", "gitlab-ci.yml", "pre-commit-config.yaml"):
        assert (templates / name).read_text() == (REPO / "examples" / "ci" / name).read_text(), name


def test_reports_written_with_output_respect_the_umask(tmp_path: Path) -> None:
    """--output files get 0666 less the umask (as `>` in a shell would), not mkstemp's 0600."""
    project = committed_copy("fraud-detector", tmp_path)
    out = tmp_path / "reports"
    code = (
        "import os, sys; os.umask(int(sys.argv[1], 8)); from aigate.cli import main; "
        "sys.argv = ['aigate'] + sys.argv[2:]; main()"
    )
    for umask, expected in (("022", 0o644), ("077", 0o600)):
        target = out / f"report-{umask}.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                umask,
                "check",
                "--dry-run",
                "--fast",
                "-C",
                str(project),
                "--format",
                "json",
                "--output",
                str(target),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=clean_env(),
        )
        assert proc.returncode == 0, proc.stderr
        assert stat.S_IMODE(target.stat().st_mode) == expected, (umask, oct(target.stat().st_mode))
