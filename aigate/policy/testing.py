"""Rego unit tests (``test_`` rules), run like ``opa test`` / ``conftest verify``.

A test rule that is false or undefined is absent from the query result, so the test names are
read from the sources and every named test that is not ``true`` fails: a test cannot pass by
not being evaluated. Evaluation runs in a forked child: regopy can crash the process on some
constructs (whole-input ``with input as {...}`` over rules that call builtins), and a crash must
be a clear error, not a dead gate. When the child crashes, each package is re-run alone so the
error names the package that crashed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from aigate.errors import AigateError, EngineError, InputError
from aigate.policy.interface import PolicyModule

_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestResult:
    package: str
    name: str
    passed: bool
    file: str
    line: int
    error: str | None = None


def test_names(module: PolicyModule) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    for m in _TEST_RULE.finditer(module.source):
        seen.setdefault(m.group(1), module.source[: m.start()].count("\n") + 1)
    return sorted(seen.items(), key=lambda kv: kv[1])


def _evaluate(
    modules: list[PolicyModule],
    tests: list[PolicyModule],
    data: dict[str, Any],
    packages: list[str],
    exact: bool = False,
) -> dict[str, Any]:
    from aigate.policy.embedded import EmbeddedEngine

    engine = EmbeddedEngine()
    engine.compile(modules + tests, data)
    if exact:
        return {ref: engine.query(ref, {}) for ref in packages}
    # regopy compiles the whole program on every query, so ask once per top-level package
    # and walk down to each test package, instead of once per package
    out: dict[str, Any] = {}
    for root in sorted({p.split(".")[0] for p in packages}):
        tree = engine.query(root, {})
        for pkg in (p for p in packages if p.split(".")[0] == root):
            node: Any = tree
            for part in pkg.split(".")[1:]:
                node = node.get(part) if isinstance(node, dict) else None
            out[pkg] = node
    return out


def _in_child(
    modules: list[PolicyModule],
    tests: list[PolicyModule],
    data: dict[str, Any],
    packages: list[str],
    exact: bool = False,
) -> tuple[str, Any]:
    """Run ``_evaluate`` in a forked child; return ("ok", results) | ("error", AigateError) | ("crash", signal)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = {"ok": _evaluate(modules, tests, data, packages, exact)}
        except AigateError as exc:
            payload = {"error": {"type": type(exc).__name__, "line": exc.one_line()}}
        except BaseException as exc:  # report, never hang the parent
            payload = {"error": {"type": "EngineError", "line": f"{type(exc).__name__}: {exc}"}}
        with os.fdopen(write_fd, "w") as fh:
            fh.write(json.dumps(payload))
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        raw = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "crash", os.WTERMSIG(status)
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError:
        return "crash", 0
    if "ok" in payload:
        return "ok", payload["ok"]
    err = payload["error"]
    cls = InputError if err["type"] == "InputError" else EngineError
    return "error", cls(err["line"])


CRASH_HINT = (
    "regopy cannot evaluate whole-input `with input as {...}` overrides of rules that call "
    "builtins (it fails or crashes); override single keys (`with input.manifest as ...`) instead"
)


def _evaluate_each(
    modules: list[PolicyModule], tests: list[PolicyModule], data: dict[str, Any]
) -> list[TestResult]:
    """Fallback when the one-query run failed: each test rule alone, so one bad test names itself."""
    out: list[TestResult] = []
    for module in tests:
        for name, line in test_names(module):
            ref = f"{module.package}.{name}"
            status, value = _in_child(modules, tests, data, [ref], exact=True)
            if status == "ok":
                passed = value.get(ref) is True
                out.append(
                    TestResult(
                        module.package,
                        name,
                        passed,
                        module.name,
                        line,
                        None if passed else "false or undefined",
                    )
                )
            elif status == "error" and isinstance(value, InputError):
                raise value
            else:
                what = "crashed" if status == "crash" else "failed"
                out.append(
                    TestResult(
                        module.package,
                        name,
                        False,
                        module.name,
                        line,
                        f"the embedded engine {what} evaluating it (in regopy one failing rule "
                        f"fails every query of its package); {CRASH_HINT}",
                    )
                )
    return out


def run_tests(
    modules: list[PolicyModule], tests: list[PolicyModule], data: dict[str, Any]
) -> list[TestResult]:
    packages = sorted({t.package for t in tests})
    status, value = _in_child(modules, tests, data, packages)
    if status == "error" and isinstance(value, InputError):
        raise value  # a policy or test that does not compile: exit 2
    if status != "ok":
        return _evaluate_each(modules, tests, data)
    out: list[TestResult] = []
    for module in tests:
        result = value.get(module.package)
        for name, line in test_names(module):
            passed = isinstance(result, dict) and result.get(name) is True
            out.append(
                TestResult(
                    module.package, name, passed, module.name, line, None if passed else "false or undefined"
                )
            )
    return out
