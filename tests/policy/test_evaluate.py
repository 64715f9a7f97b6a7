"""Control evaluation fails closed: nothing a rule produced is dropped, nothing unevaluated passes."""

from __future__ import annotations

import dataclasses

import pytest

from aigate.errors import EngineError
from aigate.findings import Basis, Severity
from aigate.policy.embedded import EmbeddedEngine
from aigate.policy.evaluate import evaluate_controls, maturity
from aigate.policy.interface import PolicyModule
from aigate.report.interface import ControlInfo

CONTROL = ControlInfo(
    id="TEST",
    title="Test control",
    level=1,
    stream="A",
    kind="aima",
    description="",
    package="aigate.controls.test",
)


def _run(source: str) -> list:
    engine = EmbeddedEngine()
    engine.compile(
        [PolicyModule("builtin:test.rego", "package aigate.controls.test\nimport rego.v1\n" + source)], {}
    )
    return evaluate_controls(engine, {"x": 1}, (CONTROL,), None)


def test_malformed_deny_values_still_deny() -> None:
    findings = _run(
        'basis := "evidence"\ndeny contains 42 if input.x == 1\ndeny contains "plain text" if true\n'
    )
    denies = sorted(f.message for f in findings if f.severity is Severity.DENY)
    assert denies == ["42", "plain text"]
    assert not [f for f in findings if f.severity is Severity.PASS]


def test_a_control_without_basis_was_not_evaluated() -> None:
    with pytest.raises(EngineError, match=r"control TEST .* was not evaluated"):
        _run('deny contains {"rule": "r", "msg": "m"} if false\n')


def test_declared_pass_is_marked() -> None:
    findings = _run('basis := "declared"\n')
    assert [(f.severity, f.basis) for f in findings] == [(Severity.PASS, Basis.DECLARED)]
    assert "declared in the manifest" in findings[0].message


def test_maturity_stops_at_the_first_failing_level() -> None:
    controls = (
        ControlInfo("A1", "a1", 1, "A", "aima", ""),
        ControlInfo("A2", "a2", 2, "A", "aima", ""),
        ControlInfo("A3", "a3", 3, "A", "aima", ""),
        ControlInfo("B1", "b1", 1, "B", "aima", ""),
    )
    deny = _run('basis := "evidence"\ndeny contains "x" if true\n')[0]
    failing = [dataclasses.replace(deny, control="A2")]
    levels = {m.stream: (m.level, m.failing) for m in maturity(failing, controls, {"A": 1, "B": 1})}
    # A: level 1 passes, A2 holds level 2; B: no controls above level 1 in this catalog
    assert levels == {"A": (1, ("A2",)), "B": (1, ())}
