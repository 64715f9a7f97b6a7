"""Dual-engine cross-check: every query on OPA's Go engine and on regopy; any difference is exit 3.

OPA's semantics are the reference, and regopy is a separate implementation of them. Running both
turns a silent mis-evaluation in either (a rule that never enumerates, a builtin that answers
differently) into a failure that names the package, the rule and both values, instead of a
verdict nobody can trust. The primary engine (OPA Go) supplies the answer when both agree.
"""

from __future__ import annotations

import json
from typing import Any

from aigate.errors import AigateError, EngineError
from aigate.policy.interface import Engine, PolicyModule


def _canon(value: Any) -> Any:
    """Compare as OPA would print: sets come back as lists in engine-specific order, so sort them."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canon(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first sub-path where two canonical values differ, with both values there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return (f"{path}.{key}", a.get(key, "<undefined>"), b.get(key, "<undefined>"))
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    return None if a == b else (path, a, b)


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


class CrossCheckEngine(Engine):
    """Wrap two engines; the result is the primary's, and only when the secondary agrees.

    Sets are compared order-insensitively (``_canon``); everything else must be equal. An error
    on one engine only is itself a difference: one engine judged what the other could not.
    """

    def __init__(self, primary: Engine, secondary: Engine) -> None:
        self.primary = primary
        self.secondary = secondary
        self.name = f"{primary.name}+{secondary.name}"
        self.differences = 0

    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        self.primary.compile(modules, data)
        self.secondary.compile(modules, data)

    def query(self, path: str, input_doc: Any) -> Any:
        results: list[tuple[Any, AigateError | None]] = []
        for engine in (self.primary, self.secondary):
            try:
                results.append((engine.query(path, input_doc), None))
            except AigateError as exc:
                results.append((None, exc))
        (a, err_a), (b, err_b) = results
        if err_a is not None and err_b is not None:
            raise err_a  # both failed: the reference engine's message is the one to read
        if err_a is not None or err_b is not None:
            failed, ok = (self.primary, self.secondary) if err_a else (self.secondary, self.primary)
            err = err_a or err_b
            self.differences += 1
            raise EngineError(
                f"engines disagree on package {path}: {failed.name} failed ({err.one_line() if err else ''}), "
                f"{ok.name} answered",
                hint="the cross-check fails closed; report the policy and input",
            )
        diff = first_difference(_canon(a), _canon(b))
        if diff is not None:
            self.differences += 1
            where, va, vb = diff
            raise EngineError(
                f"engines disagree on package {path}, rule {path}{where}: "
                f"{self.primary.name}={_short(va)} {self.secondary.name}={_short(vb)}",
                hint="the cross-check fails closed; OPA's result is the reference (see docs/engines.md)",
            )
        return a

    def close(self) -> None:
        try:
            self.primary.close()
        finally:
            self.secondary.close()
