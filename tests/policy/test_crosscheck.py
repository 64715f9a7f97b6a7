"""The cross-check: both embedded engines judge; a difference or a one-sided failure is exit 3.

The attack: regopy's known silent false negative (a variable first bound by a ref index inside a
call argument never enumerates) must not pass under the cross-check; OPA's Go engine denies, and
the difference itself fails the gate, naming the package and both values.
"""

from __future__ import annotations

import os

import pytest

from aigate.errors import EngineError
from aigate.policy import opago
from aigate.policy.crosscheck import CrossCheckEngine
from aigate.policy.embedded import EmbeddedEngine
from aigate.policy.interface import PolicyModule

CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")
if not opago.available():
    if CI:
        pytest.fail("OPA's Go engine wheel (opa_bindings) is not installed; CI must install it", pytrace=False)
    pytest.skip("OPA's Go engine wheel is not installed (outside CI only)", allow_module_level=True)

LATEST = """package main

deny contains msg if {
  some i
  endswith(input.spec.template.spec.containers[i].image, ":latest")
  msg := "latest"
}
"""

AGREE = """package main

deny contains msg if {
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
  msg := sprintf("%s uses latest", [c.name])
}
"""

DOC = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:latest"}]}}}}


def _engine(source: str) -> CrossCheckEngine:
    engine = CrossCheckEngine(opago.OpaGoEngine(), EmbeddedEngine())
    engine.compile([PolicyModule("policy/p.rego", source, False, "main")], {})
    return engine


def test_a_regopy_false_negative_fails_the_cross_check() -> None:
    engine = _engine(LATEST)
    assert opago.OpaGoEngine  # the reference alone denies:
    ref = opago.OpaGoEngine()
    ref.compile([PolicyModule("policy/p.rego", LATEST, False, "main")], {})
    assert ref.query("main", DOC) == {"deny": ["latest"]}
    with pytest.raises(EngineError) as err:
        engine.query("main", DOC)
    text = err.value.one_line()
    assert "package main" in text and "opa-go=" in text and "regopy=" in text and "latest" in text


def test_agreeing_engines_return_the_reference_value() -> None:
    assert _engine(AGREE).query("main", DOC) == {"deny": ["b uses latest"]}


def test_an_error_on_both_engines_is_exit_3() -> None:
    engine = _engine('package main\n\ndeny contains "x" if {\n  to_number("x") > 0\n}\n')
    with pytest.raises(EngineError) as err:
        engine.query("main", {})
    assert err.value.exit_code == 3 and "main.deny" in err.value.one_line()


@pytest.mark.parametrize(("ci", "expected"), [("true", True), ("", False)])
def test_on_by_default_in_ci(ci: str, expected: bool) -> None:
    import json

    from aigate_cli import EXAMPLES, aigate

    run = aigate("check", "--dry-run", "--fast", "-C", str(EXAMPLES / "fraud-detector"), "--format", "json", env={"CI": ci})
    assert run.returncode == 0, run
    out = json.loads(run.stdout)
    meta = out.get("meta") or out.get("decision_meta") or {}
    text = aigate("check", "--dry-run", "--fast", "-C", str(EXAMPLES / "fraud-detector"), env={"CI": ci})
    assert ("cross-checked with regopy" in text.stdout) is expected, text
    assert meta == {} or meta.get("cross_check") is expected
