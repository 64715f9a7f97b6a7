"""Rego unit tests (``test_`` rules), run like ``opa test`` / ``conftest verify``.

OPA's Go engine (``opa_bindings``) runs them when it is installed: it has OPA's ``with``
semantics (``with input as {...}``, ``with data.x as ...``), so it is the default. On regopy,
user tests that use ``with`` and user modules it mis-evaluates are refused up front
(:mod:`aigate.policy.regolint`): "0 passed" must never be the result of an engine limitation.
Rego v0 is parsed by neither embedded engine (regopy reinterprets it, opa_bindings 0.4.4 parses
v1 only), so ``--rego-version v0`` is refused rather than reinterpreted.

A test rule that is false or undefined is absent from the query result, so the test names are
read from the sources and every named test that is not ``true`` fails: a test cannot pass by
not being evaluated. Evaluation runs in a forked child: regopy can crash the process on some
constructs (whole-input ``with input as {...}`` over rules that call builtins), and a crash must
be a clear error, not a dead gate. When the child crashes, each package is re-run alone so the
error names the package that crashed.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from aigate.errors import AigateError, EngineError, InputError, UsageError
from aigate.policy.interface import PolicyModule

_TEST_RULE = re.compile(r"^(test_[A-Za-z0-9_]*)\b", re.MULTILINE)
ENGINES = ("auto", "opa-go", "regopy")
OPA_GO_INSTALL = "pip install --ignore-requires-python opa-golib-python-bindings==0.4.4"


@dataclass(frozen=True)
class TestResult:
    package: str
    name: str
    passed: bool
    file: str
    line: int
    error: str | None = None
    engine: str = "regopy"
    #: ``print()`` output while the test ran (OPA Go), as ``location: message`` lines
    output: tuple[str, ...] = ()


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


def opa_go_available() -> bool:
    """OPA's Go engine is usable when its wheel imports and its shared library loads."""
    try:
        from opa_bindings.engine import OpaEngine
    except (ImportError, OSError):
        return False
    try:
        OpaEngine().close()
    except Exception:  # a wheel for another platform: the library does not load
        return False
    return True


def choose_engine(engine: str, rego_version: str = "v1") -> str:
    """The engine that runs the tests: ``auto`` is OPA's Go engine when installed, else regopy."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose {', '.join(ENGINES)}")
    from aigate.policy.regolint import require_rego_v1

    require_rego_v1(rego_version)
    if engine == "auto":
        return "opa-go" if opa_go_available() else "regopy"
    if engine == "opa-go" and not opa_go_available():
        raise UsageError("--engine opa-go: OPA's Go engine is not installed", hint=OPA_GO_INSTALL)
    return engine


def run_tests_opa_go(
    modules: list[PolicyModule], tests: list[PolicyModule], data: dict[str, Any]
) -> list[TestResult]:
    """Every test rule evaluated by OPA's Go engine; an evaluation error fails the test, with it."""
    from opa_bindings.engine import OpaEngine, OpaError

    engine = OpaEngine()
    printed: list[str] = []  # this test's print() output, shown as `opa test` does (failures, -v)
    engine.print_handler = lambda message, location: printed.append(f"{location}: {message}")
    try:
        for module in modules + tests:
            try:
                engine.add_policy(module.name, module.source)
            except OpaError as exc:
                raise InputError(f"policy does not compile: {_first_line(exc.message)}") from None
        try:
            engine.add_data(data)
        except OpaError as exc:
            raise EngineError(f"OPA rejected the policy data: {_first_line(exc.message)}") from None
        try:  # the whole set compiles here: a type error is the policy's, exit 2
            engine.eval_query("x = true")
        except OpaError as exc:
            raise InputError(f"policy does not compile: {_first_line(exc.message)}") from None
        out: list[TestResult] = []
        for module in tests:
            for name, line in test_names(module):
                error: str | None = None
                printed.clear()
                try:
                    rows = _eval_test(engine, module.package, name)
                    passed = bool(rows) and rows[0].get("x") is True
                except OpaError as exc:
                    passed, error = False, _first_line(exc.message)
                if not passed and error is None:
                    error = "false or undefined"
                out.append(
                    TestResult(
                        module.package, name, passed, module.name, line, error, "opa-go", tuple(printed)
                    )
                )
        return out
    finally:
        engine.close()


_REF_KEY = "__aigate_test_ref"


def _eval_test(engine: Any, package: str, name: str) -> Any:
    """Evaluate one test rule through a prepared query shared by all tests of the same depth.

    The bindings prepare (compile) every distinct query string, which costs ~0.2 s on the
    built-in library; a dynamic ref ``data[input.k[0]]...`` keeps one query per package depth.
    The test sees only that key in ``input`` (a test that reads ``input.__aigate_test_ref``
    would differ from ``opa test``, which evaluates tests without input).
    """
    parts = [*package.split("."), name]
    query = "x = data" + "".join(f"[input.{_REF_KEY}[{i}]]" for i in range(len(parts)))
    return engine.eval_query(query, {_REF_KEY: parts})


PRINT_UNAVAILABLE = (
    "print() output is not available on regopy (it discards print); run with --engine opa-go to see it "
    f"({OPA_GO_INSTALL})"
)


def print_notice(modules: list[PolicyModule], engine: str) -> str | None:
    """Said once when a module calls ``print`` and the engine cannot show its output (regopy)."""
    if engine == "opa-go":
        return None
    from aigate.policy.regolint import tokenize

    for module in modules:
        try:
            tokens = tokenize(module.source, module.name)
        except InputError:
            continue
        for a, b in itertools.pairwise(tokens):
            if a.kind == "ident" and a.text == "print" and b.text == "(" and not b.nl_before:
                return PRINT_UNAVAILABLE
    return None


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return " ".join(lines[:2])[:300] if lines else "unknown error"


def run_tests(
    modules: list[PolicyModule],
    tests: list[PolicyModule],
    data: dict[str, Any],
    engine: str = "regopy",
) -> list[TestResult]:
    """Run every test rule on ``engine`` (a name from :func:`choose_engine`)."""
    if engine == "opa-go":
        return run_tests_opa_go(modules, tests, data)
    from aigate.policy.regolint import lint_for_regopy

    lint_for_regopy([m for m in modules + tests if not m.builtin])
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
