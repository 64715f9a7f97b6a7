"""``aigate drift`` without the ``aigate[drift]`` extra: the real CLI in a subprocess where numpy,
scipy or pyarrow cannot be imported (a ``sitecustomize`` on PYTHONPATH installs a meta-path finder
that fails their import the way a missing package does), so the import failure is real, not a
mocked aigate function. Expected: exit 2 and one line naming ``pip install 'aigate[drift]'``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aigate_cli import Run, aigate

EV = Path(__file__).parent / "evidently"
EXTRA = "pip install 'aigate[drift]'"

SITECUSTOMIZE = """
import os, sys

BLOCKED = set(os.environ["AIGATE_TEST_BLOCK_IMPORTS"].split(","))


class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
"""


def _without(tmp_path: Path, modules: str) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "AIGATE_TEST_BLOCK_IMPORTS": modules}


def _parquet_pair(tmp_path: Path) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = []
    for side, shift in (("reference", 0.0), ("current", 5.0)):
        path = tmp_path / f"{side}.parquet"
        pq.write_table(pa.table({"x": [shift + i / 10 for i in range(50)], "c": ["a", "b"] * 25}), path)
        out.append(path)
    return out[0], out[1]


def _one_line_naming_the_extra(run: Run) -> None:
    assert run.returncode == 2, run
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run
    assert EXTRA in lines[0], run
    assert "Traceback" not in run.stderr and run.stdout == "", run


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    """The finder makes ``import numpy`` fail in a child interpreter (and only what it names)."""
    import subprocess
    import sys

    env = {**os.environ, **_without(tmp_path, "numpy")}
    code = "import json\ntry:\n    import numpy\nexcept ImportError as e:\n    print(type(e).__name__)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ModuleNotFoundError", out


@pytest.mark.parametrize("blocked", ["numpy,scipy,pyarrow", "numpy", "scipy"])
def test_csv_without_the_extra_is_exit_2_naming_it(tmp_path: Path, blocked: str) -> None:
    run = aigate(
        "drift",
        "--reference",
        str(EV / "small-reference.csv"),
        "--current",
        str(EV / "small-current.csv"),
        env=_without(tmp_path, blocked),
    )
    _one_line_naming_the_extra(run)


def test_parquet_without_pyarrow_is_exit_2_naming_the_extra(tmp_path: Path) -> None:
    ref, cur = _parquet_pair(tmp_path)
    assert (
        aigate("drift", "--reference", str(ref), "--current", str(cur)).returncode == 1
    )  # with pyarrow: drift
    run = aigate("drift", "--reference", str(ref), "--current", str(cur), env=_without(tmp_path, "pyarrow"))
    _one_line_naming_the_extra(run)
