"""Alert rules checked by Prometheus' own tool: ``promtool check rules`` and ``promtool test rules``.

The result is evidence (``input.reports.alerts``): ``pass``, ``fail`` (with the tail of promtool's
output) or ``absent`` when promtool is not on PATH. A rule file that promtool rejects, or a rule
unit test that fails, is denied by ALERT; an absent promtool leaves ALERT's basis *declared*
(the file was only read as YAML), which every report shows.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from aigate.errors import GateFailure

TIMEOUT_S = 60
OUTPUT_TAIL = 800


def _run(args: list[str], cwd: Path) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=cwd, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise GateFailure(f"`{' '.join(args[:3])}` did not finish within {TIMEOUT_S} s") from None
    except OSError as exc:
        raise GateFailure(f"could not run promtool: {exc}") from None
    out = {"result": "pass" if proc.returncode == 0 else "fail"}
    if proc.returncode != 0:
        out["output"] = (proc.stdout + proc.stderr).strip()[-OUTPUT_TAIL:]
    return out


def promtool_path() -> str | None:
    return shutil.which("promtool")


def check_rules(path: Path) -> dict[str, Any]:
    """``promtool check rules FILE``: PromQL syntax, rule names, labels and annotations."""
    exe = promtool_path()
    if exe is None:
        return {"result": "absent"}
    return _run([exe, "check", "rules", path.name], path.parent)


def test_rules(paths: list[Path]) -> dict[str, Any]:
    """``promtool test rules FILE...``: the team's rule unit tests (alerts fire on series they expect).

    Run from each test file's directory, since promtool resolves ``rule_files`` relative to it."""
    exe = promtool_path()
    if exe is None:
        return {"result": "absent", "files": len(paths)}
    results = [_run([exe, "test", "rules", p.name], p.parent) for p in paths]
    failed = [r for r in results if r["result"] == "fail"]
    out: dict[str, Any] = {"result": "fail" if failed else "pass", "files": len(paths)}
    if failed:
        out["output"] = failed[0]["output"]
    return out
