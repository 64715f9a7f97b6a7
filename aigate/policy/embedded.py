"""The embedded Rego engine (regopy): no server, no binary.

regopy reports errors as S-expressions (``(error 8:bad.rego|17|1 (errormsg 16:...))``) and
prints a human rendering of them on the C-level stdout. This module silences that noise, parses
the S-expression, and turns byte offsets into ``file:line:col`` so a broken policy is one clean
line (exit 2). It talks to regopy's C API for queries because ``regopy.Output`` decodes results
eagerly and crashes on some failed outputs; a failed query is an :class:`EngineError` (exit 3),
never an empty result.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from aigate.errors import EngineError, InputError, Position
from aigate.policy.interface import (
    Engine,
    PolicyModule,
    call_with_deadline,
    eval_seconds,
    refuse_forbidden_builtins,
)

_RULE_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_]\w*)", re.M)
_KEYWORDS = {"package", "import", "default", "else", "some", "every", "not", "with", "as", "if"}


@contextlib.contextmanager
def _empty_environment(active: bool) -> Iterator[None]:
    """Empty the process environment while user policies evaluate.

    regopy's ``opa.runtime()`` reads the live environment at call time; OPA's answer for a
    gate is ``env: {}``. The environment is restored as soon as the query returns.
    """
    if not active:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    try:
        yield
    finally:
        os.environ.update(saved)


def _error_detail(out: Any) -> str:
    """The message and code of a failed regopy output (its Error nodes), e.g. ``divide by zero``."""
    from regopy.rego_shared import (
        rego_node_get,
        rego_node_size,
        rego_node_type,
        rego_node_value,
        rego_output_node,
    )

    try:
        stack = [rego_output_node(out)]
        found: list[str] = []
        while stack and len(found) < 4:
            node = stack.pop()
            kind = rego_node_type(node)
            if kind in (1801, 1803):  # ErrorMsg, ErrorCode
                found.append(rego_node_value(node))
            elif kind in (1800, 1804):  # Error, ErrorSeq
                stack.extend(rego_node_get(node, i) for i in reversed(range(rego_node_size(node))))
        return ": ".join(reversed(found[:2])) if found else ""
    except Exception:
        return ""


#: Nesting depth of fd redirection: the outer caller owns it, so a query thread abandoned at
#: its deadline never restores (or keeps) the descriptors under the caller's feet.
_REDIRECTED = [0]


@contextlib.contextmanager
def _quiet_c_output() -> Iterator[list[str]]:
    """Capture what native code writes to fds 1 and 2 while regopy compiles or evaluates."""
    captured: list[str] = []
    if _REDIRECTED[0]:  # already redirected by an outer caller (maybe on another thread)
        yield captured
        return
    _REDIRECTED[0] += 1
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            _REDIRECTED[0] -= 1
            sink.seek(0)
            captured.append(sink.read(65536).decode("utf-8", "replace"))


def _read_counted(text: str, start: int) -> tuple[str, int]:
    """Read a ``<len>:<bytes>`` atom at ``start``; return it and the index after it."""
    m = re.compile(r"(\d+):").match(text, start)
    if not m:
        return "", start
    n = int(m.group(1))
    body_start = m.end()
    raw = text[body_start:].encode("utf-8")[:n].decode("utf-8", "replace")
    return raw, body_start + len(raw)


_ERROR_LOC = re.compile(r"\(error\s+(\d+):")


def parse_regopy_errors(text: str) -> list[tuple[str, int, int, str]]:
    """Parse regopy's error S-expression into ``(file, byte_offset, length, message)`` tuples."""
    out: list[tuple[str, int, int, str]] = []
    for m in _ERROR_LOC.finditer(text):
        name, after = _read_counted(text, m.start(1))
        loc = re.compile(r"\|(\d+)\|(\d+)").match(text, after)
        offset, length = (int(loc.group(1)), int(loc.group(2))) if loc else (0, 0)
        msg_at = text.find("(errormsg ", after)
        message = ""
        if msg_at >= 0:
            message, _ = _read_counted(text, msg_at + len("(errormsg "))
        out.append((name, offset, length, message))
    if not out and "(errormsg " in text:
        message, _ = _read_counted(text, text.index("(errormsg ") + len("(errormsg "))
        out.append(("", 0, 0, message))
    return out


def _string(raw: str) -> str:
    """Decode a regopy string node.

    regopy keeps two string forms: JSON strings (quoted and escaped, ``"text"``) and raw strings
    (escaped content without quotes); its ``sprintf`` can also splice a quoted JSON string into
    a raw one. Decode the quoted form, then the escaped form, else keep the text as it is.
    """
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, str):
            return value
    try:
        value = json.loads('"' + raw + '"')
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, str) else raw


def _node_value(impl: Any) -> Any:
    """Convert a regopy result node to Python data, walking the tree (see ``_run``)."""
    from regopy import NodeKind
    from regopy.rego_shared import rego_node_get, rego_node_size, rego_node_type, rego_node_value

    kind = rego_node_type(impl)
    if kind in (NodeKind.Term, NodeKind.Scalar):
        return _node_value(rego_node_get(impl, 0))
    size = rego_node_size(impl)
    if kind == NodeKind.Object:
        out: dict[str, Any] = {}
        for i in range(size):
            item = rego_node_get(impl, i)
            key = _node_value(rego_node_get(item, 0))
            out[key if isinstance(key, str) else json.dumps(key, sort_keys=True)] = _node_value(
                rego_node_get(item, 1)
            )
        return out
    if kind in (NodeKind.Array, NodeKind.Set):
        return [_node_value(rego_node_get(impl, i)) for i in range(size)]
    if kind == NodeKind.String:
        return _string(rego_node_value(impl))
    if kind == NodeKind.Int:
        return int(rego_node_value(impl))
    if kind == NodeKind.Float:
        return float(rego_node_value(impl))
    if kind == NodeKind.True_:
        return True
    if kind == NodeKind.False_:
        return False
    if kind == NodeKind.Boolean:
        return rego_node_value(impl) == "true"
    if kind == NodeKind.Null:
        return None
    raise EngineError(f"the embedded engine returned an unexpected {kind.name} node")


def _line_col(source: str, offset: int) -> tuple[int, int]:
    raw = source.encode("utf-8")[:offset]
    line = raw.count(b"\n") + 1
    col = len(raw) - (raw.rfind(b"\n") + 1) + 1
    return line, col


class EmbeddedEngine(Engine):
    name = "regopy"

    def __init__(self) -> None:
        from regopy import Interpreter

        self._interp = Interpreter()
        # OPA's strict builtin errors: 1/0, to_number("x") raise instead of being undefined,
        # so a deny rule that errors fails the query (exit 3) instead of vanishing.
        self._interp.strict_built_in_errors = True
        self._modules: dict[str, PolicyModule] = {}
        self._deadline = eval_seconds({})
        self._user_modules = False

    # -- errors -------------------------------------------------------------------------
    def _compile_error(self, text: str, fallback_module: str | None = None) -> InputError:
        errors = parse_regopy_errors(text)
        if not errors:
            return InputError(
                f"policy does not compile: {text.strip().splitlines()[0] if text.strip() else 'unknown error'}",
                position=Position(fallback_module) if fallback_module else None,
            )
        name, offset, _length, message = errors[0]
        module = self._modules.get(name)
        if module is None and fallback_module:
            module = self._modules.get(fallback_module)
            name = fallback_module
        position = None
        if module is not None:
            line, col = _line_col(module.source, offset)
            position = Position(module.name, line, col)
        fn = re.match(r"Function not found: ([\w.]+)", message)
        if fn and not offset:
            position = self._locate(fn.group(1) + "(") or position
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return InputError(f"policy does not compile: {message}{more}", position=position)

    def _locate(self, needle: str) -> Position | None:
        for module in self._modules.values():
            idx = module.source.find(needle)
            if idx >= 0:
                line, col = _line_col(module.source, len(module.source[:idx].encode("utf-8")))
                return Position(module.name, line, col)
        return None

    # -- Engine -------------------------------------------------------------------------
    def compile(self, modules: list[PolicyModule], data: dict[str, Any]) -> None:
        from regopy import RegoError

        for module in modules:
            if not module.source.strip():
                raise InputError("policy file is empty", position=Position(module.name, 1, 1))
            refuse_forbidden_builtins(module)
            self._user_modules = self._user_modules or not module.builtin
            self._modules[module.name] = module
            with _quiet_c_output():
                try:
                    self._interp.add_module(module.name, module.source)
                except RegoError as exc:
                    raise self._compile_error(str(exc), module.name) from None
        with _quiet_c_output():
            try:
                self._interp.add_data_json(json.dumps(data))
            except RegoError as exc:
                raise EngineError(f"regopy rejected the policy data: {str(exc).strip()[:200]}") from None
        self._deadline = eval_seconds(data)
        # No trial query here: regopy compiles the whole program on every query (a trivial
        # query costs as much as the real one), so compile errors surface from the first real
        # query, where they are still turned into InputError with file:line:col.

    def _run(self, query: str) -> Any:
        """Run ``x = <ref>`` and return the value bound to ``x`` (``None`` when undefined).

        The value is read from regopy's result *tree*, not from its JSON text: regopy's
        ``sprintf`` can put unescaped quotes into a string (a literal-bound ``%s`` argument is
        printed with its JSON quotes), which makes the JSON text unparseable or, worse,
        parseable into a different structure. The tree keeps structure and strings apart.
        """
        from regopy import RegoError
        from regopy.rego_shared import (
            rego_free_output,
            rego_output_binding_at_index,
            rego_output_ok,
            rego_output_string,
            rego_query,
        )

        with _quiet_c_output():
            try:
                out = rego_query(self._interp._impl, query)
            except RegoError as exc:
                raise self._compile_error(str(exc)) from None
            try:
                ok = rego_output_ok(out)
                detail = "" if ok else _error_detail(out)
                text = rego_output_string(out) if ok else ""
                stripped = text.lstrip()
                value: Any = None
                if ok and stripped and not stripped.startswith("(error") and stripped != "undefined":
                    node = rego_output_binding_at_index(out, 0, "x")
                    value = _node_value(node) if node else None
            finally:
                rego_free_output(out)
        if not ok:
            raise EngineError(
                f"regopy failed to evaluate {query.split('=', 1)[-1].strip()}"
                + (f": {detail}" if detail else ""),
                hint="a rule raised a runtime error; a rule that errors is not a pass",
            )
        if stripped.startswith("(error"):
            raise self._compile_error(stripped)
        return value

    def query(self, path: str, input_doc: Any) -> Any:
        from regopy import RegoError

        with _quiet_c_output():
            try:
                self._interp.set_input_term(json.dumps(input_doc))
            except RegoError as exc:
                raise EngineError(f"regopy rejected the input document: {str(exc).strip()[:200]}") from None
        with _empty_environment(self._user_modules), _quiet_c_output():
            try:
                return call_with_deadline(
                    lambda: self._run(f"x = data.{path}"), self._deadline, f"package {path}"
                )
            except EngineError as exc:
                if "took longer" in exc.message:
                    raise
                raise self._name_failing_rule(path, exc) from None

    def _name_failing_rule(self, path: str, exc: EngineError) -> EngineError:
        """Probe the package's rules one by one so the error names the rule that raised."""
        for module in self._modules.values():
            if module.package != path:
                continue
            for rule in dict.fromkeys(m.group(1) for m in _RULE_HEAD.finditer(module.source)):
                if rule in _KEYWORDS:
                    continue
                try:
                    self._run(f"x = data.{path}.{rule}")
                except EngineError as inner:
                    return EngineError(
                        f"rule {path}.{rule} raised an error while evaluating"
                        + (f": {inner.message.split(': ', 1)[1]}" if ": " in inner.message else ""),
                        position=Position(module.name),
                        hint=exc.hint,
                    )
        return exc
