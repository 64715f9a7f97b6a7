"""Every hook of .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on a temporary git repository.

pre-commit builds each hook's environment the way it does for users (``language: python``: a
virtualenv and ``pip install`` of this repository). Here that install must stay offline: pip gets
no index (``PIP_NO_INDEX``) and no build isolation, and sees the packages of the venv running the
tests (``PYTHONPATH``), so it builds aigate with the installed hatchling and finds every dependency
already installed instead of downloading it.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
from pathlib import Path

import pytest
from integration_support import ROOT, VENV_BIN, git

PASSING_TEST = """package main

import rego.v1

test_deployments_are_denied if {
	count(deny) == 1 with input as {"kind": "Deployment"}
}
"""
POLICY = """package main

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	msg := "deployments go through the model registry"
}
"""


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the module: the hook environment is built once per repository state."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: Path, hook: str | None, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        {
            "PRE_COMMIT_HOME": str(home),
            "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of "do not isolate the build"
            "PYTHONPATH": sysconfig.get_paths()["purelib"],
            "PRE_COMMIT_COLOR": "never",
            "HOME": str(repo.parent),
        }
    )
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env['PATH']}"
    args = [str(VENV_BIN / "pre-commit"), "try-repo", str(ROOT)]
    if hook:
        args.append(hook)
    proc = subprocess.run(
        [*args, "--all-files", "--verbose"], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )
    return proc


def hook_lines(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """``{hook name: Passed|Failed|Skipped}`` from pre-commit's summary lines."""
    out = {}
    for line in proc.stdout.splitlines():
        for word in ("Passed", "Failed", "(no files to check)Skipped"):
            if line.endswith(word) and "..." in line:
                out[line.split("...")[0].rstrip(".")] = word.removeprefix("(no files to check)")
    return out


def with_policy(ws: Path, test: str) -> Path:
    (ws / "policy").mkdir()
    (ws / "policy" / "deploy.rego").write_text(POLICY)
    (ws / "policy" / "deploy_test.rego").write_text(test)
    git(ws, "add", "policy")
    git(ws, "commit", "-q", "-m", "policy")
    return ws


def test_all_hooks_pass(workspace, pre_commit_home):
    """try-repo without a hook id runs every hook of the manifest: a new hook must be added here."""
    ws = with_policy(workspace("fraud-detector"), PASSING_TEST)
    proc = try_repo(ws, None, pre_commit_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hook_lines(proc) == {
        "aigate check (dry run, fast path)": "Passed",
        "aigate validate (manifest schema)": "Passed",
        "aigate policy test (Rego unit tests)": "Passed",
    }


def test_check_fails_on_the_failing_example(workspace, pre_commit_home):
    proc = try_repo(workspace("fraud-detector-failing"), "aigate-check", pre_commit_home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hook_lines(proc) == {"aigate check (dry run, fast path)": "Failed"}
    assert "exit code: 1" in proc.stdout  # denied, not an input error
    assert "decision: FAIL" in proc.stdout


def test_validate_fails_on_a_schema_error(workspace, pre_commit_home):
    ws = workspace("fraud-detector")
    manifest = ws / "aigate.yaml"
    manifest.write_text(manifest.read_text().replace("kind: ModelDeployment", "kind: Deployment", 1))
    git(ws, "commit", "-q", "-am", "break the manifest")
    proc = try_repo(ws, "aigate-validate", pre_commit_home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hook_lines(proc) == {"aigate validate (manifest schema)": "Failed"}
    assert "exit code: 2" in proc.stdout
    assert "aigate.yaml:" in proc.stdout  # the message names the file and position


def test_policy_test_fails_on_a_failing_rego_test(workspace, pre_commit_home):
    ws = with_policy(
        workspace("fraud-detector"), PASSING_TEST.replace("count(deny) == 1", "count(deny) == 0")
    )
    proc = try_repo(ws, "aigate-policy-test", pre_commit_home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hook_lines(proc) == {"aigate policy test (Rego unit tests)": "Failed"}
    assert "1 failure" in proc.stdout
