"""Data-driven bad-input cases (tests/cases/bad-input/*/case.yaml).

Each case runs the real CLI in a private copy of its folder and must: exit 2, print exactly one
line on stderr (``aigate: error: <file>:<line>:<col>: ...`` where a position exists) matching the
case's ``expect`` pattern, print no traceback, and leave the folder exactly as it was (nothing
written, nothing half-written).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from aigate_cli import aigate

CASES = Path(__file__).parent / "cases" / "bad-input"
BASE = Path(__file__).parent / "cases" / "_base"


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def prepare(case_dir: Path, spec: dict, dest: Path) -> Path:
    if spec.get("base"):
        shutil.copytree(BASE, dest, dirs_exist_ok=True)
    shutil.copytree(case_dir, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("case.yaml"))
    if "generate" in spec:
        gen = spec["generate"]
        line = b"# padding padding padding padding padding padding padding padding padding\n"
        with (dest / gen["path"]).open("wb") as fh:
            fh.write(b"apiVersion: aigate.dev/v1\nkind: ModelDeployment\n")
            fh.write(line * (gen["megabytes"] * 1024 * 1024 // len(line) + 1))
    if "symlink" in spec:
        link = dest / spec["symlink"]["path"]
        if link.exists() or link.is_symlink():
            shutil.rmtree(link) if link.is_dir() and not link.is_symlink() else link.unlink()
        link.symlink_to(spec["symlink"]["target"])
    if "mkdir" in spec:
        (dest / spec["mkdir"]).mkdir(parents=True, exist_ok=True)
    return dest


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "case.yaml").exists()))
def test_bad_input(case: str, tmp_path: Path) -> None:
    case_dir = CASES / case
    spec = yaml.safe_load((case_dir / "case.yaml").read_text())
    project = prepare(case_dir, spec, tmp_path / "project")
    before = snapshot(project)
    run = aigate(*spec["args"], cwd=project)
    assert run.returncode == 2, run
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run
    assert lines[0].startswith("aigate: error: "), run
    assert "Traceback" not in run.stderr + run.stdout, run
    assert re.search(spec["expect"], lines[0]), f"expected /{spec['expect']}/\n{run}"
    assert run.stdout == "", run
    assert snapshot(project) == before, "the failed run changed the project directory"


def test_at_least_fifteen_cases() -> None:
    assert len([p for p in CASES.iterdir() if (p / "case.yaml").exists()]) >= 15
