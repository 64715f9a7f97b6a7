"""``--rego-version`` on ``aigate check``: v1 is evaluated, v0 is refused on every engine.

Neither embedded engine parses Rego v0 (regopy reads it with another meaning, the OPA Go wheel
parses v1 only), and an OPA server parses every PUT policy with its own startup options
(``ParseModuleWithOpts(id, buf, s.manager.ParserOptions())`` in OPA's ``v1/server/server.go``:
no per-request rego version), so ``--rego-version v0`` is exit 2 before any work, naming the
flag and the migration. v0 syntax in a file while v1 is asked stays exit 2 at file:line:col.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aigate_cli import aigate, committed_copy

from aigate.policy import opago

V1 = 'package main\nimport rego.v1\n\ndeny contains "always" if input.kind == "Deployment"\n'
V0 = 'package main\n\ndeny[msg] {\n  input.kind == "Deployment"\n  msg := "v0"\n}\n'
DEPLOYMENT = "kind: Deployment\nmetadata: {name: d}\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return committed_copy("fraud-detector", tmp_path_factory.mktemp("regover"))


def _write(tmp_path: Path, source: str) -> tuple[Path, Path]:
    (tmp_path / "policy").mkdir(exist_ok=True)
    (tmp_path / "policy" / "p.rego").write_text(source)
    (tmp_path / "d.yaml").write_text(DEPLOYMENT)
    return tmp_path / "policy", tmp_path / "d.yaml"


@pytest.mark.parametrize("engine", ["embedded", "regopy", "opa-go", "opa"])
def test_v0_is_refused_on_every_engine(project: Path, tmp_path: Path, engine: str) -> None:
    policy, doc = _write(tmp_path, V0)
    extra = ("--opa-url", "http://127.0.0.1:9") if engine == "opa" else ()  # never contacted
    run = aigate(
        "check", "--dry-run", "--fast", "-C", str(project), "--policy", str(policy), "--input", str(doc),
        "--engine", engine, "--rego-version", "v0", *extra, cwd=project,
    )  # fmt: skip
    assert run.returncode == 2, run
    assert "--rego-version v0 is not supported" in run.stderr and "opa fmt --v0-v1" in run.stderr, run
    assert "127.0.0.1:9" not in run.stderr, run  # refused before any server is contacted


def test_v1_is_the_default_and_explicit_v1_is_the_same(project: Path, tmp_path: Path) -> None:
    policy, doc = _write(tmp_path, V1)
    base = ("check", "--dry-run", "--fast", "-C", str(project), "--policy", str(policy), "--input", str(doc))
    default, explicit = aigate(*base, cwd=project), aigate(*base, "--rego-version", "v1", cwd=project)
    assert default.returncode == explicit.returncode == 1, (default, explicit)
    assert "FAIL - " in default.stdout and "always" in default.stdout, default


@pytest.mark.parametrize("engine", ["regopy", "opa-go"])
def test_v0_syntax_under_v1_is_exit_2_at_its_position(project: Path, tmp_path: Path, engine: str) -> None:
    if engine == "opa-go" and not opago.available():
        pytest.skip("OPA's Go engine wheel is not installed")
    policy, doc = _write(tmp_path, V0)
    run = aigate(
        "check", "--dry-run", "--fast", "-C", str(project), "--policy", str(policy), "--input", str(doc),
        "--engine", engine, "--no-cross-check", cwd=project,
    )  # fmt: skip
    assert run.returncode == 2, run
    # the v0 body opens on line 3 (`deny[msg] {`): both engines name the file, line and column
    assert re.search(r"p\.rego:3:\d+", run.stderr), run
