"""The embedded regopy engine: results read from the result tree, errors as clean lines."""

from __future__ import annotations

import pytest

from aigate.errors import EngineError, InputError
from aigate.policy.embedded import EmbeddedEngine, parse_regopy_errors
from aigate.policy.interface import PolicyModule


def _engine(source: str, name: str = "policy/p.rego") -> EmbeddedEngine:
    engine = EmbeddedEngine()
    engine.compile([PolicyModule(name, source)], {"aigate": {"config": {"limit": 3}}})
    return engine


def test_strings_survive_regopys_sprintf_quoting() -> None:
    # regopy prints a literal-bound %s argument with its JSON quotes and without escaping them;
    # reading the result tree keeps the structure intact whatever the strings contain
    engine = _engine(
        "package main\nimport rego.v1\n"
        'deny contains msg if { x := "lit"; msg := sprintf("value %s here", [x]) }\n'
        'warn contains msg if { msg := sprintf("name %s", [input.name]) }\n'
    )
    hostile = 'x"], "deny": [], "y": ["'
    result = engine.query("main", {"name": hostile})
    assert result == {"deny": ['value "lit" here'], "warn": [f"name {hostile}"]}


def test_values_of_every_kind() -> None:
    engine = _engine(
        "package main\nimport rego.v1\n"
        'obj := {"a": [1, 2.5, null, true, false, "s"], "n": {"k": {"v"}}}\n'
        "limit := data.aigate.config.limit\n"
    )
    assert engine.query("main", {}) == {"obj": {"a": [1, 2.5, None, True, False, "s"], "n": {"k": ["v"]}}, "limit": 3}


def test_undefined_is_none_not_an_error() -> None:
    assert _engine("package main\nimport rego.v1\nx := 1 if input.never\n").query("main", {}) == {}
    assert _engine("package main\nx := 1\n").query("nothing.here", {}) is None


def test_runtime_error_fails_closed() -> None:
    engine = _engine("package main\nimport rego.v1\nb := 1 if input.x\nb := 2 if input.y\n")
    with pytest.raises(EngineError, match=r"failed to evaluate data\.main"):
        engine.query("main", {"x": True, "y": True})


def test_compile_errors_name_file_line_column() -> None:
    with pytest.raises(InputError) as err:
        _engine("package q\nimport rego.v1\n\ndeny contains msg if {\n  msg := input.x +\n}\n")
    assert err.value.one_line() == "policy/p.rego:5:18: policy does not compile: Invalid arithmetic operator"
    engine = _engine("package q\nimport rego.v1\n\ndeny contains msg if { msg := no_such_fn(1) }\n")
    with pytest.raises(InputError) as err:
        engine.query("q", {})
    assert err.value.one_line() == "policy/p.rego:4:31: policy does not compile: Function not found: no_such_fn"


def test_error_sexpression_parser() -> None:
    text = "(rego-errorseq\n  (error 8:bad.rego|17|1\n    (errormsg 16:this is unclosed)\n    (errorast |17|1)))"
    assert parse_regopy_errors(text) == [("bad.rego", 17, 1, "this is unclosed")]


def test_empty_policy_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match="policy file is empty"):
        _engine("   \n")
