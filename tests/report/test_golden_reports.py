"""Golden files: every format renders the shared decisions to exactly the reviewed bytes."""

from __future__ import annotations

import pytest
from aigate_cli import aigate, committed_copy

from aigate.report import FORMATS, render

OWN = ("sarif", "junit", "markdown", "github", "gitlab")
SUFFIX = {
    "sarif": "sarif.json",
    "junit": "junit.xml",
    "markdown": "md",
    "github": "github.txt",
    "gitlab": "gitlab.json",
}


@pytest.mark.parametrize("fmt", OWN)
@pytest.mark.parametrize("case", ["failing", "passing"])
def test_golden(fmt, case, request, golden):
    assert fmt in FORMATS
    ctx = request.getfixturevalue(f"{case}_ctx")
    text = render(fmt, ctx)
    golden(f"{case}.{SUFFIX[fmt]}", text)


def test_rendering_is_deterministic_across_processes(tmp_path):
    """Two separate ``aigate`` processes, with different hash seeds, write byte-identical reports.

    Rendering twice in one process would share every dict and set ordering; two processes with
    different ``PYTHONHASHSEED`` values do not.
    """
    project = committed_copy("fraud-detector-failing", tmp_path)
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        out.mkdir()
        args = ["check", "--dry-run", "-C", str(project), "--data", str(project / "policy-data.yaml")]
        for fmt in ("json", *OWN):
            args += ["--format", fmt, "--output", str(out / f"report.{SUFFIX.get(fmt, 'json')}")]
        r = aigate(*args, env={"PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1764000000"})
        assert r.returncode == 1, r
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert len(outputs[0]) == len(OWN) + 1
    assert outputs[0] == outputs[1]
