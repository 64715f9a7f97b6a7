"""Every hook of .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on a temporary git repository.

pre-commit builds each hook's environment the way it does for users (``language: python``: a
virtualenv and ``pip install`` of this repository). Here that install must stay offline: pip gets
no index (``PIP_NO_INDEX``) and no build isolation, and sees the packages of the venv running the
tests (``PYTHONPATH``), so it builds aigate with the installed hatchling and finds every dependency
already installed instead of downloading it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sysconfig
from pathlib import Path

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


def try_repo(repo: Path, hook: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        {
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


def section(stdout: str, hook_name: str) -> str:
    """The part of ``--verbose`` output that belongs to one hook (up to the next hook's line)."""
    start = stdout.index(hook_name)
    nxt = re.search(r"^aigate .*\.\.\.", stdout[start + len(hook_name) :], re.M)
    return stdout[start : start + len(hook_name) + nxt.start()] if nxt else stdout[start:]


def with_policy(ws: Path, test: str) -> Path:
    (ws / "policy").mkdir()
    (ws / "policy" / "deploy.rego").write_text(POLICY)
    (ws / "policy" / "deploy_test.rego").write_text(test)
    git(ws, "add", "policy")
    git(ws, "commit", "-q", "-m", "policy")
    return ws


def test_all_hooks_pass(workspace):
    """try-repo without a hook id runs every hook of the manifest: a new hook must be added here."""
    ws = with_policy(workspace("fraud-detector"), PASSING_TEST)
    proc = try_repo(ws, None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hook_lines(proc) == {
        "aigate check (dry run, fast path)": "Passed",
        "aigate validate (manifest schema)": "Passed",
        "aigate policy test (Rego unit tests)": "Passed",
    }


def test_check_and_policy_test_fail(workspace):
    """The failing example (schema-valid, denied) with a failing Rego unit test: two hooks fail,
    each for its own reason, and validate still passes. (One try-repo run: each builds its own
    hook environment, which takes seconds.)"""
    failing = PASSING_TEST.replace("count(deny) == 1", "count(deny) == 0")
    ws = with_policy(workspace("fraud-detector-failing"), failing)
    proc = try_repo(ws, None)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hook_lines(proc) == {
        "aigate check (dry run, fast path)": "Failed",
        "aigate validate (manifest schema)": "Passed",
        "aigate policy test (Rego unit tests)": "Failed",
    }
    check = section(proc.stdout, "aigate check")
    assert "exit code: 1" in check and "decision: FAIL" in check  # denied, not an input error
    policy = section(proc.stdout, "aigate policy test")
    assert "exit code: 1" in policy and "1 failure" in policy


def test_validate_fails_on_a_schema_error(workspace):
    ws = workspace("fraud-detector")
    manifest = ws / "aigate.yaml"
    manifest.write_text(manifest.read_text().replace("kind: ModelDeployment", "kind: Deployment", 1))
    git(ws, "commit", "-q", "-am", "break the manifest")
    proc = try_repo(ws, "aigate-validate")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert hook_lines(proc) == {"aigate validate (manifest schema)": "Failed"}
    assert "exit code: 2" in proc.stdout
    assert "aigate.yaml:" in proc.stdout  # the message names the file and position


def test_check_hook_in_an_isolated_environment(workspace):
    """The hook environment is built from aigate's own metadata alone, as pre-commit does for users.

    No PYTHONPATH into the test venv and no offline shortcuts: pip resolves every runtime
    dependency from the package index into a fresh virtualenv, with build isolation. A runtime
    import missing from ``[project].dependencies`` fails here, where the tests above (which share
    the test venv's packages) cannot see it.
    """
    ws = workspace("fraud-detector")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"PRE_COMMIT_COLOR": "never", "HOME": str(ws.parent)})
    proc = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "try-repo", str(ROOT), "aigate-check", "--all-files", "--verbose"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert hook_lines(proc) == {"aigate check (dry run, fast path)": "Passed"}
    # try-repo builds the hook environment in a throw-away store; its log says it did
    assert "Installing environment for" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
