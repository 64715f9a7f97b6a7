"""Every ``test_`` rule of the built-in library's Rego unit tests evaluates to true."""

from __future__ import annotations

from typing import Any


def test_rego_unit(rego_case: Any, rego_run: Any) -> None:
    results = rego_run.results(rego_case.package)
    assert results.get(rego_case.name) is True, f"{rego_case.file.name}: {rego_case.name} is not true"


def test_every_control_has_tests_for_pass_deny_and_basis(control: str, all_rego_tests: list[Any]) -> None:
    """Each control's test file covers a pass, a deny, and the declared/evidence basis."""
    names = [t.name for t in all_rego_tests if t.package == f"aigate.controls.{control}_test"]
    assert any("pass" in n for n in names), f"{control}: no passing-case test"
    assert any("deny" in n for n in names), f"{control}: no deny test"
    assert any("basis" in n for n in names), f"{control}: no basis (declared vs evidence) test"
