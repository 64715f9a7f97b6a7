"""`.ci/run` cannot pass without running tests: its control flow, driven with stand-in tools.

The real `.ci/run` and `.ci/check-junit.py` run in a scratch tree. `python3` on PATH is a
stand-in that creates the venv's `activate` script, accepts `pip install`, and plays pytest as the
scenario says (pass, fail, collect nothing, skip); everything else it hands to the real
interpreter. `ruff` and `mypy` are stand-ins that succeed. What is under test is the script's
handling of each step's exit status, not the tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

JUNIT_PASS = '<testsuites><testsuite tests="3" failures="0" errors="0" skipped="0"><testcase classname="t" name="a"/></testsuite></testsuites>'
JUNIT_SKIP = '<testsuites><testsuite tests="3" failures="0" errors="0" skipped="1"><testcase classname="t" name="a"><skipped message="tool missing"/></testcase></testsuite></testsuites>'
JUNIT_EMPTY = '<testsuites><testsuite tests="0" failures="0" errors="0" skipped="0"/></testsuites>'

FAKE_PYTHON = """#!/bin/sh
# stand-in python3 for the .ci/run control-flow test
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  printf 'PATH="%s:$PATH"\\nexport PATH\\n' "$FAKEBIN" > "$3/bin/activate"
  exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo pip >> "$LOG"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "pytest" ]; then
  echo pytest >> "$LOG"
  junit=$(echo "$PYTEST_ADDOPTS" | sed -n 's/.*--junitxml=\\([^ ]*\\).*/\\1/p')
  case "$SCENARIO" in
    pass) printf '%s' "$JUNIT_PASS" > "$junit"; exit 0;;
    fail) printf '%s' "$JUNIT_PASS" | sed 's/failures="0"/failures="1"/' > "$junit"; exit 1;;
    empty) printf '%s' "$JUNIT_EMPTY" > "$junit"; exit 5;;
    empty0) printf '%s' "$JUNIT_EMPTY" > "$junit"; exit 0;;
    skip) printf '%s' "$JUNIT_SKIP" > "$junit"; exit 0;;
    nojunit) exit 0;;
  esac
fi
exec "$REALPY" "$@"
"""


def run_ci(tmp_path: Path, scenario: str, install_ok: bool = True) -> tuple[int, str]:
    tree = tmp_path / "checkout"
    (tree / ".ci").mkdir(parents=True)
    (tree / "tests").mkdir()
    for name in ("run", "check-junit.py"):
        shutil.copy2(ROOT / ".ci" / name, tree / ".ci" / name)
    (tree / "tests" / "install-deps.sh").write_text(
        "echo install >> \"$LOG\"\n" + ("exit 0\n" if install_ok else "exit 1\n")
    )
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    for tool in ("ruff", "mypy"):
        (fakebin / tool).write_text(f'#!/bin/sh\necho {tool} >> "$LOG"\nexit 0\n')
    (fakebin / "python3").write_text(FAKE_PYTHON)
    for f in fakebin.iterdir():
        f.chmod(0o755)
    log = tmp_path / "log"
    env = {
        "PATH": f"{fakebin}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "FAKEBIN": str(fakebin),
        "REALPY": sys.executable,
        "LOG": str(log),
        "SCENARIO": scenario,
        "JUNIT_PASS": JUNIT_PASS,
        "JUNIT_SKIP": JUNIT_SKIP,
        "JUNIT_EMPTY": JUNIT_EMPTY,
        "CI": "true",
    }
    proc = subprocess.run(
        ["bash", str(tree / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    steps = log.read_text() if log.exists() else ""
    return proc.returncode, steps + proc.stderr


def test_all_steps_pass_exits_zero(tmp_path: Path) -> None:
    code, out = run_ci(tmp_path, "pass")
    assert code == 0, out
    assert out.split()[:6] == ["install", "pip", "pytest", "ruff", "ruff", "mypy"]


def test_failing_install_step_fails_the_run(tmp_path: Path) -> None:
    code, out = run_ci(tmp_path, "pass", install_ok=False)
    assert code != 0
    assert "pytest" not in out.split() and "ruff" not in out.split()


@pytest.mark.parametrize("scenario", ["fail", "empty", "empty0", "skip", "nojunit"])
def test_a_run_that_proves_nothing_fails(tmp_path: Path, scenario: str) -> None:
    code, out = run_ci(tmp_path, scenario)
    assert code != 0, f"{scenario}: .ci/run exited 0\n{out}"
    assert "ruff" not in out.split(), "lint ran after a failed test step"
