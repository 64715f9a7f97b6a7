"""Golden files: every format renders the shared decisions to exactly the reviewed bytes."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("fmt", OWN)
def test_rendering_is_deterministic(fmt, failing_ctx):
    assert render(fmt, failing_ctx) == render(fmt, failing_ctx)
