"""The attack suite: every case folder under tests/attacks/ run through the real CLI.

Each case is what a hostile release author tried to make the gate say PASS (or crash); the test
asserts the exit code and a message substring (tests/attacks/README.md has the case format).
Every case was run on main before its fix and passed wrongly there, or (a guard written with its
feature) on a mutation of the code that removes the guard: its ``SEEN`` says how.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from attack_runner import Attack, make_attack, output_of
from signoff_helpers import Keys, keys

__all__ = ["keys"]

HERE = Path(__file__).parent
CASES = sorted(p.parent for p in [*HERE.glob("*/case.py"), *HERE.glob("*/case.yaml")])


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"attack_case_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case(folder: Path) -> dict[str, Any]:
    """A case as data: exit, message, seen, xfail, project and a setup(attack) -> args."""
    if (folder / "case.py").is_file():
        mod = _load_module(folder / "case.py")
        return {
            "exit": mod.EXIT,
            "message": mod.MESSAGE,
            "seen": mod.SEEN,
            "xfail": getattr(mod, "XFAIL", None),
            "project": getattr(mod, "PROJECT", "fraud-detector"),
            "setup": mod.setup,
        }
    spec = yaml.safe_load((folder / "case.yaml").read_text())

    def setup(attack: Attack) -> list[str]:
        if spec.get("files"):
            attack.commit(f"attack {folder.name}", dict(spec["files"]))
        subst = {"root": str(attack.root), "tmp": str(attack.tmp)}
        return [str(a).format(**subst) for a in spec["args"]]

    return {
        "exit": spec["exit"],
        "message": spec["message"],
        "seen": spec["seen"],
        "xfail": spec.get("xfail"),
        "project": spec.get("project", "fraud-detector"),
        "setup": setup,
    }


def _params() -> list[Any]:
    out = []
    for folder in CASES:
        case = _case(folder)
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case["xfail"] else []
        out.append(pytest.param(folder, id=folder.name, marks=marks))
    return out


def test_every_case_says_what_it_saw_before_the_fix() -> None:
    assert len(CASES) >= 7
    for folder in CASES:
        case = _case(folder)
        assert isinstance(case["exit"], int) and case["exit"] in (1, 2, 3), folder
        assert str(case["message"]).strip() and str(case["seen"]).strip(), folder


@pytest.mark.parametrize("folder", _params())
def test_attack(folder: Path, tmp_path: Path, keys: Keys) -> None:
    case = _case(folder)
    attack = make_attack(tmp_path, keys, case["project"])
    args = case["setup"](attack)
    run = attack.aigate(*args)
    assert run.returncode == case["exit"], f"{folder.name}: expected exit {case['exit']}\n{run}"
    assert case["message"] in output_of(run), f"{folder.name}: expected {case['message']!r}\n{run}"
    assert "Traceback" not in run.stderr, run
