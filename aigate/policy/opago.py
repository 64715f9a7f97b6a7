"""OPA's Go engine in-process (the ``opa-golib-python-bindings`` wheel): OPA's own semantics.

The wheel is OPA compiled as a c-shared library behind ctypes. It evaluates with strict builtin
errors (``1/0``, ``to_number("x")`` and ``"a" + 1`` raise instead of being undefined), so a
deny rule that errors is an :class:`EngineError` naming the rule (exit 3), never an empty,
passing result. Parse errors surface from ``add_policy``, type and other compile errors from
the first preparation of a query; both become :class:`InputError` with ``file:line:col``.

What user policies may reach is narrowed here: the bridge starts OPA without runtime info, so
``opa.runtime()`` is ``{}`` (no ``env``); calls to the network builtins are refused on the
parsed module (exit 2); every query runs under the policy data's ``limits.eval_seconds``.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aigate.errors import EngineError, InputError, Position
from aigate.policy.interface import (
    FORBIDDEN_BUILTINS,
    Engine,
    PolicyModule,
    call_with_deadline,
    eval_seconds,
    forbidden_builtin_error,
    refuse_forbidden_builtins,
)

#: ``file:line: code: message`` as OPA formats one error (file names may contain colons).
_OPA_ERROR = re.compile(r"(?P<file>[^\n]+?):(?P<line>\d+): (?P<code>(?:rego|eval)_\w+): (?P<msg>[^\n]*)")
_RULE_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_]\w*)", re.M)
_KEYWORDS = {"package", "import", "default", "else", "some", "every", "not", "with", "as", "if"}


def available() -> bool:
    """Whether OPA's Go engine can run here: the wheel imports and its native library loads."""
    try:
        from opa_bindings import engine

        engine._get_lib()
    except Exception:
        return False
    return True


def parse_opa_errors(text: str) -> list[tuple[str, int, str, str]]:
    """OPA's error text as ``(file, line, code, message)`` tuples, in the order OPA gave them."""
    return [
        (m["file"].split(": ")[-1], int(m["line"]), m["code"], m["msg"]) for m in _OPA_ERROR.finditer(text)
    ]


def _caret_column(text: str, start: int) -> int | None:
    """The column of OPA's ``^`` marker after the error at ``start`` (OPA prints tab + line + tab + caret)."""
    lines = text[start:].split("\n")
    if (
        len(lines) >= 3
        and lines[1].startswith("\t")
        and lines[2].startswith("\t")
        and lines[2].strip() == "^"
    ):
        return len(lines[2]) - 1
    return None


def _rule_at(source: str, line: int) -> str | None:
    """The name of the rule whose head is at or above ``line`` (the rule a runtime error is in)."""
    best = None
    for m in _RULE_HEAD.finditer(source):
        if source.count("\n", 0, m.start()) + 1 > line:
            break
        if m.group(1) not in _KEYWORDS:
            best = m.group(1)
    return best


def _calls_forbidden(node: Any) -> str | None:
    """A forbidden builtin referenced anywhere in a parsed module's JSON AST (any spelling)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("value")
            if item.get("type") == "ref" and isinstance(value, list) and len(value) >= 2:
                head, second = value[0], value[1]
                if isinstance(head, dict) and isinstance(second, dict):
                    name = f"{head.get('value')}.{second.get('value')}"
                    if name in FORBIDDEN_BUILTINS:
                        return name
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


class OpaGoEngine(Engine):
    """One OPA Go engine instance per gate run; modules keyed by their display name."""

    name = "opa-go"

    def __init__(self) -> None:
        from opa_bindings.engine import OpaEngine

        self._opa = OpaEngine()
        self._opa.print_handler = self._on_print
        self._modules: dict[str, PolicyModule] = {}
        self._deadline = eval_seconds({})
        self._parser: Any = None
        self._timed_out = False
        #: ``print()`` output of the queries so far, as ``(location, message)``.
        self.prints: list[tuple[str, str]] = []

    def _on_print(self, message: str, location: str) -> None:
        self.prints.append((location, message))

    # -- errors -------------------------------------------------------------------------
    def _position(self, file: str, line: int, column: int | None = None) -> Position:
        module = self._modules.get(file)
        return Position(module.name if module else file, line, column)

    def _compile_error(self, text: str, fallback: str | None = None) -> InputError:
        errors = list(_OPA_ERROR.finditer(text))
        if not errors:
            first = text.strip().splitlines()[0] if text.strip() else "unknown error"
            return InputError(
                f"policy does not compile: {first}", position=Position(fallback) if fallback else None
            )
        m = errors[0]
        position = self._position(m["file"].split(": ")[-1], int(m["line"]), _caret_column(text, m.start()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return InputError(f"policy does not compile: {m['code']}: {m['msg']}{more}", position=position)

    @staticmethod
    def _with_v0_column(error: InputError, module: PolicyModule) -> InputError:
        """A v0 rule body: OPA names the line only; the column comes from aigate's tokenizer."""
        pos = error.position
        if pos is None or pos.column is not None or "keyword is required" not in error.message:
            return error
        from aigate.policy.regolint import V0_HINT, v0_body_position

        found = v0_body_position(module)
        if found is None or found.line != pos.line:
            return error
        return InputError(error.message, position=Position(pos.file, pos.line, found.column), hint=V0_HINT)

    def _eval_error(self, path: str, text: str) -> EngineError:
        m = _OPA_ERROR.search(text)
        if not m:
            return EngineError(f"OPA could not evaluate data.{path}: {' '.join(text.split())[:300]}")
        file, line = m["file"].split(": ")[-1], int(m["line"])
        module = self._modules.get(file)
        rule = _rule_at(module.source, line) if module else None
        package = module.package if module and module.package else path
        where = f"rule {package}.{rule}" if rule else f"data.{path}"
        return EngineError(
            f"{where} raised an error while evaluating: {m['code']}: {m['msg']}",
            position=self._position(file, line),
            hint="a rule that errors is not a pass; fix the rule or its input",
        )

    # -- Engine -------------------------------------------------------------------------
    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        from opa_bindings.engine import OpaError

        for module in modules:
            if not module.source.strip():
                raise InputError("policy file is empty", position=Position(module.name, 1, 1))
            refuse_forbidden_builtins(module)
            self._modules[module.name] = module
            try:
                self._opa.add_policy(module.name, module.source)
            except OpaError as exc:
                raise self._with_v0_column(self._compile_error(exc.message, module.name), module) from None
            if not module.builtin:
                self._refuse_parsed(module)
        try:
            self._opa.add_data(data)
        except OpaError as exc:
            raise EngineError(f"OPA rejected the policy data: {exc.message[:200]}") from None
        self._deadline = eval_seconds(data)
        # No trial query: preparing a query compiles the whole set, so type errors surface from
        # the first real query (``prepare_error``), still as InputError with file:line.

    def _refuse_parsed(self, module: PolicyModule) -> None:
        """Refuse network builtins however they are spelt (``http["send"](...)``), on OPA's AST."""
        from opa_bindings.engine import OpaEngine, OpaError

        if self._parser is None:  # a separate, empty engine: parsing never compiles the set
            self._parser = OpaEngine()
        try:
            rows = self._parser.eval_query(
                "x := rego.parse_module(input.f, input.s)", {"f": module.name, "s": module.source}
            )
        except OpaError:
            return  # add_policy parsed it; a failure here is caught by compilation
        name = _calls_forbidden(rows[0]["x"]) if rows else None
        if name:
            raise forbidden_builtin_error(name, Position(module.name))

    background_compile = True

    def prepare(self, path: str) -> None:
        """Prepare (compile) the query for ``data.<path>`` so the real query reuses it.

        The bindings keep a prepared query per query text: the first evaluation compiles the
        whole policy set (~0.1 s for the built-in library), later ones only evaluate. This primes
        that cache with an empty input; any error is left for the real query to raise, with its
        position, so preparing never changes what a run decides.
        """
        from opa_bindings.engine import OpaError

        printed = len(self.prints)
        with contextlib.suppress(OpaError):
            self._opa.eval_document(path, {})
        del self.prints[printed:]

    def query(self, path: str, input_doc: Any) -> Any:
        from opa_bindings.engine import OpaError, OpaUndefinedError

        def run() -> Any:
            try:
                return self._opa.eval_document(path, input_doc)
            except OpaUndefinedError:
                return None

        try:
            return call_with_deadline(run, self._deadline, f"package {path}")
        except EngineError:
            self._timed_out = True  # the abandoned evaluation still holds the engine
            raise
        except OpaError as exc:
            if exc.code in ("prepare_error", "parse_error", "compile_error"):
                raise self._compile_error(exc.message) from None
            raise self._eval_error(path, exc.message) from None

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()
        if not self._timed_out:  # never free an engine a running evaluation still uses
            self._opa.close()
