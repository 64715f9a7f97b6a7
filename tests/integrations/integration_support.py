"""Helpers for the integration tests: example projects as real git repositories, tool lookup.

``workspace(example)`` copies ``examples/<example>`` into a fresh git repository (one commit, as a
CI checkout would have it) and returns its path. The examples are the project's own: a passing
one (``fraud-detector``) and a failing one (``fraud-detector-failing``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ci_support import missing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VENV_BIN = Path(sys.executable).parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Bot",
    "GIT_AUTHOR_EMAIL": "release-bot@example.com",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "release-bot@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd.parent)}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout


def make_workspace(dest: Path, example: str) -> Path:
    src = EXAMPLES / example
    assert (src / "aigate.yaml").is_file(), f"example project {src} is missing"
    shutil.copytree(src, dest, symlinks=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", f"release of {example}")
    return dest


def env_with_aigate() -> dict[str, str]:
    """The test's environment with this checkout's aigate (the venv running pytest) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def require_tool(path: str | None, what: str, install: str) -> str:
    """A tool an integration test needs: skip locally when missing, fail in CI (never a silent pass)."""
    if path and Path(path).exists():
        return path
    missing(f"{what} is not installed; install it with: {install}")
    raise AssertionError("unreachable")
