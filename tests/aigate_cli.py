"""Shared test helpers: drive the real ``aigate`` command on real files.

(A plain module on the test path, not a conftest.py: several test folders have their own
conftest.py, and ``from conftest import ...`` would pick whichever was imported first.)

``run_aigate`` runs ``python -m aigate`` in a subprocess with an environment stripped of CI
variables (so results are the same with and without ``CI=true``; tests that need CI metadata
set it explicitly) and shows stdout and stderr when an assertion fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CI_VARS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_ID")


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"aigate {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CI_VARS}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def aigate(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "aigate", *args],
        cwd=cwd,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Run(list(args), proc.returncode, proc.stdout, proc.stderr)


def check_json(project: Path, *extra: str, data: Path | None = None) -> tuple[int, dict[str, Any]]:
    """``aigate check --dry-run --format json`` on ``project``: (exit code, decision document).

    A run that neither passed nor denied (exit 2 or 3) fails the calling test with its output.
    """
    args = ["check", "--dry-run", "-C", str(project), "--format", "json"]
    if data is not None:
        args += ["--data", str(data)]
    run = aigate(*args, *extra)
    assert run.returncode in (0, 1), run
    return run.returncode, json.loads(run.stdout)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    base = {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd),
    }
    proc = subprocess.run(
        [
            "git",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        env={**os.environ, **base, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def committed_copy(name: str, parent: Path) -> Path:
    """A copy of ``examples/<name>`` at ``parent/examples/<name>``, committed in its own repository,
    so that a test's output does not depend on the state of the aigate checkout."""
    import shutil

    dest = parent / "examples" / name
    shutil.copytree(EXAMPLES / name, dest)
    git(parent, "init", "-q")
    git(parent, "add", "-A")
    git(parent, "commit", "-qm", "release")
    return dest
