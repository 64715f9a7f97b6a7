"""Shared fixtures for the built-in Rego library tests.

Until ``aigate policy test`` exists, this is the harness: every ``.rego`` file under
``policies/`` (controls, helpers and ``*_test.rego`` files) is compiled once per session with
regopy, and every ``test_`` rule of every test package must evaluate to ``true``.

regopy notes that shape the harness: a query whose output is not ``ok()`` must not be turned into
a string (that segfaults), and a failing ``test_`` rule is simply absent from the package's value,
so the expected rule names are read from the source files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
DEFAULT_DATA = ROOT / "aigate" / "data" / "default-policy-data.yaml"
SCHEMAS = ROOT / "aigate" / "schemas"
EXAMPLES = ROOT / "examples"

_PACKAGE = re.compile(r"^package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]+)\s+if\b", re.MULTILINE)


@dataclass(frozen=True)
class RegoTest:
    package: str
    name: str
    file: Path

    @property
    def id(self) -> str:
        return f"{self.package.rsplit('.', 1)[-1]}::{self.name}"


def rego_files(include_tests: bool = True) -> list[Path]:
    files = sorted(POLICIES.rglob("*.rego"))
    return [f for f in files if include_tests or not f.name.endswith("_test.rego")]


def discover_tests() -> list[RegoTest]:
    found: list[RegoTest] = []
    for path in rego_files():
        if not path.name.endswith("_test.rego"):
            continue
        text = path.read_text(encoding="utf-8")
        package = _PACKAGE.search(text)
        assert package, f"{path}: no package line"
        names = _TEST_RULE.findall(text)
        assert len(names) == len(set(names)), f"{path}: duplicate test rule names"
        found += [RegoTest(package.group(1), n, path) for n in names]
    return found


def default_policy_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_DATA.read_text(encoding="utf-8"))
    return data


def new_interpreter(include_tests: bool, data: dict[str, Any] | None = None) -> Any:
    from regopy import Interpreter

    interp = Interpreter()
    for path in rego_files(include_tests):
        interp.add_module(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    config = default_policy_data() if data is None else data
    interp.add_data_json(json.dumps({"aigate": {"config": config}}))
    return interp


def query_value(interp: Any, ref: str) -> Any:
    """Evaluate ``x = <ref>`` and return x, or raise AssertionError if regopy reports an error."""
    out = interp.query(f"x = {ref}")
    if not out.ok():
        # never str() a failed output: regopy segfaults on it
        raise AssertionError(f"regopy could not evaluate {ref}")
    text = str(out)
    if text == "undefined":
        return None
    return json.loads(text)["bindings"]["x"]


class RegoTestRun:
    """Evaluates every test package in one query (regopy compiles per query, ~0.6 s each)."""

    def __init__(self) -> None:
        self.interp = new_interpreter(include_tests=True)
        self._all: dict[str, Any] | None = None

    def results(self, package: str) -> dict[str, Any]:
        if self._all is None:
            value = query_value(self.interp, "data.aigate")
            self._all = value if isinstance(value, dict) else {}
        node: Any = self._all
        for part in package.split(".")[1:]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}


@pytest.fixture(scope="session")
def rego_run() -> RegoTestRun:
    return RegoTestRun()


def evaluate_library(input_doc: dict[str, Any], data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the production library (no test files) over one input; return data.aigate.controls."""
    interp = new_interpreter(include_tests=False, data=data)
    interp.set_input_term(json.dumps(input_doc))
    value = query_value(interp, "data.aigate.controls")
    assert isinstance(value, dict)
    return value


CONTROLS = (
    "env dep track mon iolog usage approval rollback audit rbac accesslog encrypt "
    "comply automate auditready resilience drift alert modelsafe license"
).split()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rego_case" in metafunc.fixturenames:
        tests = discover_tests()
        metafunc.parametrize("rego_case", tests, ids=[t.id for t in tests])
    if "control" in metafunc.fixturenames:
        metafunc.parametrize("control", CONTROLS)


@pytest.fixture(scope="session")
def all_rego_tests() -> list[RegoTest]:
    return discover_tests()


@pytest.fixture(scope="session")
def evaluate() -> Any:
    """The production library evaluated over one input document (see :func:`evaluate_library`)."""
    return evaluate_library
