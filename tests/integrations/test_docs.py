"""docs/integrations.md shows the files the tests run, verbatim, and names every knob they have.

``<!-- snippet: PATH -->`` before a fenced block: the block is the whole file PATH.
``<!-- excerpt: PATH -->``: every line of the block is a line of PATH (a shortened real output).
Regenerate the snippets after changing a file:
``AIGATE_UPDATE_DOCS=1 pytest tests/integrations/test_docs.py``.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from integration_support import ROOT

DOC = ROOT / "docs" / "integrations.md"
BLOCK = re.compile(r"<!-- (snippet|excerpt): (\S+) -->\n```[a-z]*\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    found = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert found, "no snippets found in docs/integrations.md"
    return found


def test_snippets_are_the_files():
    text = DOC.read_text(encoding="utf-8")
    if os.environ.get("AIGATE_UPDATE_DOCS") == "1":

        def sub(m: re.Match[str]) -> str:
            if m.group(1) != "snippet":
                return m.group(0)
            body = (ROOT / m.group(2)).read_text(encoding="utf-8")
            return m.group(0).replace(m.group(3), body)

        text = BLOCK.sub(sub, text)
        DOC.write_text(text, encoding="utf-8")
    snippets = [(path, body) for kind, path, body in blocks() if kind == "snippet"]
    assert {p for p, _ in snippets} == {
        "examples/ci/github-workflow.yml",
        "examples/ci/gitlab-ci.yml",
        "examples/ci/gitlab-ci-shell-runner.yml",
        "examples/ci/pre-commit-config.yaml",
    }
    for path, body in snippets:
        assert body == (ROOT / path).read_text(encoding="utf-8"), f"docs snippet of {path} is stale"


def test_excerpts_are_real_output():
    excerpts = [(path, body) for kind, path, body in blocks() if kind == "excerpt"]
    assert excerpts
    for path, body in excerpts:
        lines = set((ROOT / path).read_text(encoding="utf-8").splitlines())
        missing = [line for line in body.splitlines() if line not in lines]
        assert not missing, f"lines not in {path}: {missing}"


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("action.yml", lambda d: [*d["inputs"], *d["outputs"]]),
        (
            ".gitlab-ci-template.yml",
            lambda d: [k for k in d[".aigate"]["variables"] if k.startswith("AIGATE_")],
        ),
        (".pre-commit-hooks.yaml", lambda d: [h["id"] for h in d]),
    ],
)
def test_every_knob_is_documented(source, names):
    text = DOC.read_text(encoding="utf-8")
    data = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
    undocumented = [n for n in names(data) if f"`{n}`" not in text]
    assert not undocumented, f"{source}: not in docs/integrations.md: {undocumented}"


def test_snippets_validate():
    """The documented pre-commit config is valid for pre-commit itself."""
    import subprocess

    from integration_support import VENV_BIN

    r = subprocess.run(
        [str(VENV_BIN / "pre-commit"), "validate-config", "examples/ci/pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
