"""OPA's own conformance cases (a vendored slice, tests/policy/opa_cases/) through both engines.

OPA's Go engine (the reference) must pass every case. regopy must pass a case, or aigate must
refuse it up front (aigate.policy.regolint, exit 2), or the case must be listed in
KNOWN_REGOPY_DIFFERENCES with what aigate does about it (docs/engines.md says the same): a
regopy difference can never be silent. The counts printed at the end go to docs/engines.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigate.errors import AigateError, InputError
from aigate.policy.interface import PolicyModule

CASES_DIR = Path(__file__).parent / "opa_cases"
# note -> what aigate does about it (kept in step with docs/engines.md, "Conformance")
KNOWN_REGOPY_DIFFERENCES: dict[str, str] = {}

# Differences aigate found beyond OPA's slice, as aigate's regopy engine gives them (strict
# builtin errors on): (Rego expression, OPA Go's outcome, regopy's outcome), each ("ok", value)
# or ("error", None). docs/engines.md lists each with what aigate does about it.
FOUND_DIFFERENCES: list[tuple[str, tuple[str, Any], tuple[str, Any]]] = [
    ('sprintf("%s", [[1, 2]])', ("ok", "[1, 2]"), ("ok", "")),
    ('sprintf("%s", [{"a": 1}])', ("ok", '{"a": 1}'), ("ok", "")),
    ('sprintf("%s", [{"a", "b"}])', ("ok", '{"a", "b"}'), ("ok", "")),
    ('sprintf("%s", [null])', ("ok", "null"), ("ok", "")),
    ('sprintf("%.2f", [1])', ("ok", "%!f(int64=01)"), ("ok", "1.00")),
    ('sprintf("%d", ["x"])', ("ok", "%!d(string=x)"), ("error", None)),
    ('to_number("1.4.0")', ("error", None), ("ok", 1.4)),
    ('sum([1, "a"])', ("error", None), ("ok", None)),
    # trim() re-reads backslash escapes in its result: "C:\\temp" comes back with a TAB, and an
    # invalid escape ("\\x") is an error regopy reports as "Invalid escape sequence"
    ('trim("C:\\\\temp", "")', ("ok", "C:\\temp"), ("ok", "C:\temp")),
    ('trim("a\\\\xb", "")', ("ok", "a\\xb"), ("error", None)),
    ('substring("a\\\\xb", 0, -1)', ("ok", "a\\xb"), ("ok", "a\\xb")),
]


def _require_opa_go() -> None:
    """In CI the wheel is installed by the test install step: a missing engine fails, never skips."""
    if os.environ.get("CI"):
        import opa_bindings.engine  # noqa: F401
    else:
        pytest.importorskip("opa_bindings.engine", reason="OPA Go engine wheel not installed")


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES_DIR.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for i, case in enumerate(doc["cases"]):
            out.append((f"{path.relative_to(CASES_DIR)}#{i}", case))
    return out


CASES = _cases()


def _normalise(rows: list[dict[str, Any]], sort: bool) -> list[dict[str, Any]]:
    if not sort:
        return rows
    return [
        {k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in row.items()} for row in rows
    ]


def _want(case: dict[str, Any]) -> tuple[str, Any]:
    if "want_error" in case or "want_error_code" in case:
        return "error", case.get("want_error_code") or case.get("want_error")
    return "result", _normalise(case.get("want_result") or [], bool(case.get("sort_bindings")))


def run_opa_go(case: dict[str, Any]) -> tuple[str, Any]:
    from opa_bindings.engine import OpaEngine, OpaError

    engine = OpaEngine()
    try:
        for i, source in enumerate(case["modules"]):
            engine.add_policy(f"test-{i}.rego", source)
        if case.get("data"):
            engine.add_data(case["data"])
        rows = engine.eval_query(case["query"], case.get("input"))
    except OpaError as exc:
        return "error", exc.code
    finally:
        engine.close()
    return "result", _normalise(rows, bool(case.get("sort_bindings")))


def _query_path(query: str) -> str:
    """OPA's cases query ``data.<path> = x``; aigate's engines query a path."""
    left, _, right = query.partition("=")
    assert right.strip() == "x" and left.strip().startswith("data."), query
    return left.strip()[len("data.") :]


def run_regopy(case: dict[str, Any]) -> tuple[str, Any]:
    """The case as aigate runs user policies on regopy: regolint first, then the embedded engine."""
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.regolint import lint_for_regopy

    modules = [PolicyModule(f"test-{i}.rego", src) for i, src in enumerate(case["modules"])]
    try:
        lint_for_regopy(modules)
    except InputError as exc:
        return "refused", exc.one_line()
    engine = EmbeddedEngine()
    try:
        engine.compile(modules, case.get("data") or {})
        value = engine.query(_query_path(case["query"]), case.get("input"))
    except AigateError as exc:
        return "error", type(exc).__name__
    rows = [] if value is None else [{"x": value}]
    return "result", _normalise(rows, bool(case.get("sort_bindings")))


def _agrees(got: tuple[str, Any], want: tuple[str, Any]) -> bool:
    if want[0] == "error":
        return got[0] == "error"
    return got == want


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_opa_go_passes_opa_conformance_case(name: str, case: dict[str, Any]) -> None:
    _require_opa_go()
    got = run_opa_go(case)
    assert _agrees(got, _want(case)), f"{name}: OPA Go gave {got}, the case wants {_want(case)}"


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_regopy_passes_refuses_or_is_listed(name: str, case: dict[str, Any]) -> None:
    got = run_regopy(case)
    if got[0] == "refused":
        return  # aigate refuses it up front (exit 2): not a silent difference
    if case["note"] in KNOWN_REGOPY_DIFFERENCES:
        assert not _agrees(got, _want(case)), f"{name} now passes on regopy: drop it from the known list"
        return
    assert _agrees(got, _want(case)), f"{name}: regopy gave {got}, OPA's case wants {_want(case)}"


def _eval_expr(engine: str, expr: str) -> tuple[str, Any]:
    source = f"package t\nimport rego.v1\nr := {expr}\n"
    if engine == "opa-go":
        from opa_bindings.engine import OpaEngine, OpaError

        opa = OpaEngine()
        try:
            opa.add_policy("t.rego", source)
            rows = opa.eval_query("x = data.t.r")
        except OpaError:
            return "error", None
        finally:
            opa.close()
        return "ok", rows[0]["x"] if rows else None
    from aigate.policy.embedded import EmbeddedEngine

    embedded = EmbeddedEngine()
    try:
        embedded.compile([PolicyModule("t.rego", source)], {})
        return "ok", embedded.query("t.r", None)
    except AigateError:
        return "error", None


@pytest.mark.parametrize(
    ("expr", "opa", "regopy"), FOUND_DIFFERENCES, ids=[e for e, _, _ in FOUND_DIFFERENCES]
)
def test_documented_difference_is_real(expr: str, opa: tuple[str, Any], regopy: tuple[str, Any]) -> None:
    """Each difference docs/engines.md records is measured: OPA Go's outcome and regopy's, as written."""
    _require_opa_go()
    assert _eval_expr("opa-go", expr) == opa
    assert _eval_expr("regopy", expr) == regopy


def conformance_counts() -> dict[str, dict[str, int]]:
    """Per engine: passed / refused / failed over the vendored cases (for docs/engines.md)."""
    counts = {"opa-go": {"passed": 0, "failed": 0}, "regopy": {"passed": 0, "refused": 0, "failed": 0}}
    for _, case in CASES:
        counts["opa-go"]["passed" if _agrees(run_opa_go(case), _want(case)) else "failed"] += 1
        got = run_regopy(case)
        key = "refused" if got[0] == "refused" else "passed" if _agrees(got, _want(case)) else "failed"
        counts["regopy"][key] += 1
    return counts


if __name__ == "__main__":
    print(json.dumps(conformance_counts(), indent=1))
    for n, c in CASES:
        r = run_regopy(c)
        if r[0] == "refused" or not _agrees(r, _want(c)):
            print(n, c["note"], r)


@pytest.mark.parametrize("text", ["bad \\x escape", "C:\\temp\\new", "\\u00zz", 'q\\"x'])
@pytest.mark.parametrize("engine", ["opa-go", "regopy"])
def test_builtin_say_keeps_backslashes(engine: str, text: str) -> None:
    """Evidence text with a backslash reaches a built-in message unchanged on both engines.

    It used to come back with a TAB/newline, or fail the control with "policy does not compile:
    Invalid escape sequence" (regopy's trim() re-reads escapes in its result).
    """
    if engine == "opa-go":
        _require_opa_go()
    from aigate.policy.library import builtin_set

    util = next(m for m in builtin_set().modules if m.package == "aigate.lib.util")
    probe = PolicyModule(
        "probe.rego",
        "package probe\nimport rego.v1\nimport data.aigate.lib.util\n"
        'm := util.say("%v: %v", [object.get(input, "member", "f.pkl"), input.text])\n'
        'lit := util.say("%v|%v", [lower("ABC"), "lit"])\n',
    )
    if engine == "opa-go":
        from opa_bindings.engine import OpaEngine

        opa = OpaEngine()
        try:
            for m in (util, probe):
                opa.add_policy(m.name, m.source)
            got = opa.eval_query("x = data.probe.m", {"text": text})[0]["x"]
            lit = opa.eval_query("x = data.probe.lit", {})[0]["x"]
        finally:
            opa.close()
    else:
        from aigate.policy.embedded import EmbeddedEngine

        embedded = EmbeddedEngine()
        embedded.compile([util, probe], {})
        got = embedded.query("probe.m", {"text": text})
        lit = embedded.query("probe.lit", {})
    assert got == f"f.pkl: {text}"
    assert lit == "abc|lit"
