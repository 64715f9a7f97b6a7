"""The README tells the truth: generated sections match the real CLI.

Sections between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` are produced by running aigate.
Run ``AIGATE_UPDATE_README=1 python -m pytest tests/test_readme.py`` to regenerate them after a
change, then review the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from aigate_cli import REPO, aigate, committed_copy

README = REPO / "README.md"
UPDATE = os.environ.get("AIGATE_UPDATE_README") == "1"


def _section(name: str, text: str) -> str:
    m = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert m, f"README has no {name} section"
    return m.group(1)


def _replace(name: str, body: str) -> None:
    text = README.read_text()
    new = re.sub(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    README.write_text(new)


def _check(name: str, expected: str) -> None:
    if UPDATE:
        _replace(name, expected)
    assert _section(name, README.read_text()) == expected, f"README section {name} is stale; regenerate it (see module docstring)"


def test_controls_table_matches_the_catalog() -> None:
    run = aigate("controls", "--format", "markdown")
    assert run.returncode == 0, run
    _check("controls", run.stdout)


def test_failing_example_output_is_real(tmp_path: Path) -> None:
    # a committed copy in its own repository: the output must not depend on whether the aigate
    # checkout has uncommitted changes (ENV warns on a dirty work tree)
    committed_copy("fraud-detector-failing", tmp_path)
    run = aigate("check", "--dry-run", "-C", "examples/fraud-detector-failing", "--data",
                 "examples/fraud-detector-failing/policy-data.yaml", cwd=tmp_path)
    assert run.returncode == 1, run
    keep = [ln for ln in run.stdout.splitlines()
            if ln.startswith(("FAIL - ", "  stream ", "decision: ")) or re.fullmatch(r"\d+ tests, .*", ln)]
    body = (
        "A release that fails (`examples/fraud-detector-failing`; the full output also lists warnings,\n"
        "advisory findings above the required level, and a table of all twenty controls):\n\n"
        "```console\n$ aigate check --dry-run -C examples/fraud-detector-failing --data examples/fraud-detector-failing/policy-data.yaml\n"
        + "\n".join(keep)
        + "\n$ echo $?\n1\n```\n"
    )
    _check("example-output", body)


def test_check_help_is_current() -> None:
    run = aigate("check", "--help", env={"COLUMNS": "100"})
    assert run.returncode == 0, run
    _check("check-help", "```console\n$ aigate check --help\n" + run.stdout + "```\n")


def test_readme_set_up_commands_are_the_ci_commands() -> None:
    text = README.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    setup = [ln for ln in blocks[0].splitlines() if ln and not ln.startswith("#")]
    assert setup[0] == "python3 -m pip install . && aigate check --dry-run -C examples/fraud-detector"
    ci = (REPO / ".ci" / "run").read_text()
    assert setup[1] in ci, ".ci/run must run the README's test command verbatim"
    # the example named by the first command passes
    proc = subprocess.run(["git", "ls-files", "examples/fraud-detector"], cwd=REPO, capture_output=True, text=True)
    assert "examples/fraud-detector/aigate.yaml" in proc.stdout
