"""A small Rego tokenizer and the checks that make regopy fail closed.

regopy (rego-cpp 1.5.2) silently mis-evaluates some ordinary Rego: a variable first bound by a
ref index inside a call argument (``some i; endswith(input.x[i].image, ":latest")``) never
enumerates, so a deny rule yields nothing and the gate passes. Such constructs are refused
*before* evaluation, with ``file:line:col`` and the rewrite, instead of being evaluated wrongly.
The same tokens give the module's package, so reserved-package checks read the parsed
declaration (strings, raw strings and comments cannot fake one).

The tokenizer is exact for Rego's lexical grammar (strings with escapes, raw strings, comments,
numbers, identifiers, operators); the checks above it are conservative: when in doubt, refuse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aigate.errors import InputError, Position
from aigate.policy.interface import PolicyModule

KEYWORDS = frozenset(
    {"as", "default", "else", "every", "false", "if", "import", "in", "not", "null", "package"}
    | {"some", "true", "with", "contains"}
)
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\f\v]+)|(?P<nl>\n)|(?P<comment>\#[^\n]*)
    |(?P<raw>`[^`]*`)|(?P<str>"(?:[^"\\\n]|\\.)*")
    |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>:=|==|!=|<=|>=|[-+*/%&|=<>!.,;:\[\](){}])""",
    re.VERBOSE,
)
_OPERAND_END = frozenset({"ident", "str", "raw", "num"})
REWRITE = (
    "bind the element first: `some c in <collection>` or `c := <collection>[_]`, then use `c`; "
    "or evaluate with OPA's engine (--engine opa-go)"
)


@dataclass(frozen=True)
class Token:
    kind: str  # ident, str, raw, num, op
    text: str
    line: int
    col: int
    nl_before: bool  # a newline separates it from the previous token


def tokenize(source: str, name: str) -> list[Token]:
    """Rego tokens with 1-based line and column; a character Rego does not allow is exit 2."""
    out: list[Token] = []
    line, line_start, pos, nl = 1, 0, 0, True
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m:
            what = "unterminated string" if source[pos] in '"`' else f"unexpected character {source[pos]!r}"
            raise InputError(
                f"policy does not parse: {what}", position=Position(name, line, pos - line_start + 1)
            )
        kind = m.lastgroup or ""
        if kind == "nl":
            nl = True
            line, line_start = line + 1, m.end()
        elif kind not in ("ws", "comment"):
            out.append(Token(kind, m.group(), line, pos - line_start + 1, nl))
            nl = False
            if kind == "raw":
                line += m.group().count("\n")
                if "\n" in m.group():
                    line_start = pos + m.group().rindex("\n") + 1
        pos = m.end()
    return out


def _string_value(tok: Token) -> str:
    return tok.text[1:-1] if tok.kind == "raw" else str(json.loads(tok.text))


def parse_package(tokens: list[Token], name: str) -> tuple[str, Token]:
    """The module's package as a dotted path, from its ``package`` statement (the first statement).

    ``package a.b["c"]`` is ``a.b.c``; a quoted segment that is not an identifier is refused,
    since aigate addresses packages by dotted paths.
    """
    if not tokens or tokens[0].text != "package" or tokens[0].kind != "ident":
        where = Position(name, tokens[0].line, tokens[0].col) if tokens else Position(name, 1, 1)
        raise InputError(
            "no 'package' declaration (the first statement must be `package ...`)", position=where
        )
    i = 1
    parts: list[str] = []
    bad = InputError("malformed package declaration", position=Position(name, tokens[0].line, tokens[0].col))
    if i >= len(tokens) or tokens[i].kind != "ident" or tokens[i].text in KEYWORDS:
        raise bad
    parts.append(tokens[i].text)
    i += 1
    while i < len(tokens) and not tokens[i].nl_before:
        t = tokens[i]
        if t.text == "." and i + 1 < len(tokens) and tokens[i + 1].kind == "ident":
            parts.append(tokens[i + 1].text)
            i += 2
        elif (
            t.text == "["
            and i + 2 < len(tokens)
            and tokens[i + 1].kind in ("str", "raw")
            and tokens[i + 2].text == "]"
        ):
            seg = _string_value(tokens[i + 1])
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", seg):
                raise InputError(
                    f"package segment {seg!r} is not an identifier (aigate addresses packages by dotted paths)",
                    position=Position(name, t.line, t.col),
                )
            parts.append(seg)
            i += 3
        else:
            raise bad
    return ".".join(parts), tokens[0]


def package_of(source: str, name: str) -> str:
    return parse_package(tokenize(source, name), name)[0]


_CONTINUES = frozenset({"if", "else", ":=", "=", ",", "contains"})


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """Top-level statements: a new one starts at a token on a new line at bracket depth 0."""
    out: list[list[Token]] = []
    depth = 0
    for i, t in enumerate(tokens):
        continued = bool(out and out[-1] and out[-1][-1].text in _CONTINUES)
        if (
            depth == 0
            and (i == 0 or t.nl_before)
            and t.text not in ("else", "if", "{", "|")
            and not continued
        ):
            out.append([])
        out[-1].append(t)
        if t.text in "([{" and t.kind == "op":
            depth += 1
        elif t.text in ")]}" and t.kind == "op":
            depth = max(depth - 1, 0)
    return out


def _match(tokens: list[Token], i: int) -> int:
    """Index of the bracket closing ``tokens[i]``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind == "op" and tokens[j].text in "([{":
            depth += 1
        elif tokens[j].kind == "op" and tokens[j].text in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _refuse(name: str, tok: Token, message: str, hint: str) -> InputError:
    return InputError(message, position=Position(name, tok.line, tok.col), hint=hint)


def _skip_head_ref(stmt: list[Token], i: int) -> tuple[int, list[str]]:
    """Skip ``name(.name|[...]|(...))*``; return the next index and function parameter names."""
    params: list[str] = []
    i += 1
    while i < len(stmt):
        t = stmt[i]
        if t.text == "." and i + 1 < len(stmt) and stmt[i + 1].kind == "ident":
            i += 2
        elif t.kind == "op" and t.text in "[(":
            end = _match(stmt, i)
            if t.text == "(":
                params += [x.text for x in stmt[i + 1 : end] if x.kind == "ident"]
            i = end + 1
        else:
            break
    return i, params


V0_HINT = (
    "write it as Rego v1 (`deny contains msg if { ... }`, `p if { ... }`; `opa fmt --v0-v1` rewrites a "
    "file); aigate never reinterprets v0"
)
_VALUE_START = frozenset({":=", "=", "contains", ",", "+", "-", "*", "/", "%", "&", "|", "==", "!="})


def _rule_parts(name: str, stmt: list[Token]) -> tuple[list[str], list[list[Token]]]:
    """Split a rule into its function parameters and its bodies; refuse a v0 body (no ``if``).

    regopy accepts v0 rule bodies and gives them another meaning (``deny[msg] { ... }`` becomes
    an object), so a body not introduced by ``if`` is refused rather than reinterpreted.
    """
    i = 1 if stmt[0].text == "default" else 0
    i, params = _skip_head_ref(stmt, i)
    bodies: list[list[Token]] = []
    prev: Token | None = stmt[i - 1] if i > 0 else None
    while i < len(stmt):
        t = stmt[i]
        if t.kind == "ident" and t.text == "if":
            if i + 1 < len(stmt) and stmt[i + 1].text == "{":
                end = _match(stmt, i + 1)
                bodies.append(stmt[i + 2 : end])
            else:
                end = i + 1
                while end < len(stmt) and not (stmt[end].kind == "ident" and stmt[end].text == "else"):
                    end = (
                        _match(stmt, end) + 1
                        if stmt[end].text in "([{" and stmt[end].kind == "op"
                        else end + 1
                    )
                bodies.append(stmt[i + 1 : end])
                end -= 1
            prev, i = stmt[end], end + 1
            continue
        if t.kind == "op" and t.text in "([{":
            end = _match(stmt, i)
            if t.text == "{" and (prev is None or prev.text not in _VALUE_START or prev.kind == "str"):
                raise _refuse(
                    name,
                    t,
                    "rule body without `if` (Rego v0 syntax): regopy gives it another meaning",
                    V0_HINT,
                )
            prev, i = stmt[end], end + 1
            continue
        prev, i = t, i + 1
    return params, bodies


def _is_comprehension(tokens: list[Token], i: int, end: int) -> bool:
    depth = 0
    for j in range(i, end):
        t = tokens[j]
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 1 and t.kind == "op" and t.text == "|":
            return True
    return False


def _in_call_argument(stack: list[str]) -> bool:
    """Inside a call's arguments, not reset by a comprehension (its body is a new query)."""
    for kind in reversed(stack):
        if kind == "comp":
            return False
        if kind == "call":
            return True
    return False


def _check_index(name: str, body: list[Token], i: int, known: set[str]) -> None:
    """``body[i]`` is a ``[`` inside a call argument: refuse ``x[v]`` with ``v`` unbound or ``_``."""
    prev = body[i - 1] if i else None
    if not (
        body[i].text == "["
        and prev is not None
        and (prev.kind == "ident" or prev.text in ("]", ")"))
        and i + 2 < len(body)
        and body[i + 1].kind == "ident"
        and body[i + 2].text == "]"
    ):
        return
    var = body[i + 1]
    if var.text == "_":
        raise _refuse(name, var, "`_` inside a call argument: regopy rejects or mis-evaluates it", REWRITE)
    if var.text not in known:
        raise _refuse(
            name,
            var,
            f"`{var.text}` is first bound by a ref index inside a call argument: regopy does not "
            "enumerate it (the rule would silently yield nothing)",
            REWRITE,
        )


def _check_body(name: str, body: list[Token], bound: set[str], globals_: set[str]) -> None:
    """Walk a rule body in order; refuse an index variable first seen inside a call argument.

    ``bound`` holds names already bound (function parameters, earlier occurrences); ``some x``
    without ``in`` only declares a name, it does not bind it.
    """
    seen = set(bound)
    stack: list[str] = []  # "call", "group", "comp" per open bracket
    declaring = False  # inside `some a, b` until `in` or the end of the statement
    pending: list[str] = []
    for i, t in enumerate(body):
        if declaring and (t.nl_before or t.text == ";" or (t.kind == "ident" and t.text == "in")):
            if t.text == "in":
                seen.update(pending)
            declaring, pending = False, []
        in_call = _in_call_argument(stack)
        if t.kind == "op" and t.text in "([{":
            prev = body[i - 1] if i else None
            if t.text == "(" and prev is not None and prev.kind == "ident" and prev.text not in KEYWORDS:
                stack.append("call")
            elif t.text in "[{" and _is_comprehension(body, i, _match(body, i) + 1):
                stack.append("comp")
            else:
                stack.append("group")
            if in_call:
                _check_index(name, body, i, seen | globals_)
            continue
        if t.kind == "op" and t.text in ")]}":
            if stack:
                stack.pop()
            continue
        if t.kind != "ident" or t.text in KEYWORDS:
            if t.kind == "ident" and t.text in ("some", "every"):
                declaring, pending = True, []
            continue
        if i and body[i - 1].text == ".":
            continue
        if declaring:
            pending.append(t.text)
            continue
        seen.add(t.text)


def _globals(statements: list[list[Token]]) -> set[str]:
    """Names that are not local variables: rule names and import aliases of the module."""
    out = {"input", "data"}
    for stmt in statements:
        head = stmt[0]
        if head.text == "import" and head.kind == "ident":
            idents = [t.text for t in stmt if t.kind == "ident"]
            out.add(idents[-1])
        elif head.kind == "ident":
            out.add(stmt[1].text if head.text == "default" and len(stmt) > 1 else head.text)
    return out


def lint_for_regopy(modules: list[PolicyModule], *, allow_with: bool = False) -> None:
    """Refuse (InputError, exit 2) what regopy is known to mis-evaluate, naming file:line:col.

    Checked: v0 rule bodies, a variable first bound by a ref index inside a call argument
    (also ``_`` there), and ``with`` (regopy fails or crashes on whole-document overrides).
    """
    parsed = [(m, _statements(tokenize(m.source, m.name))) for m in modules]
    globals_: set[str] = set()
    for _, statements in parsed:
        globals_ |= _globals(statements)
    for module, statements in parsed:
        for stmt in statements:
            if stmt[0].kind == "ident" and stmt[0].text in ("package", "import"):
                continue
            for t in stmt:
                if not allow_with and t.kind == "ident" and t.text == "with":
                    raise _refuse(
                        module.name,
                        t,
                        "`with` overrides are not evaluated reliably by regopy (whole-document overrides fail "
                        "or crash it)",
                        "run with OPA's engine (--engine opa-go; pip install --ignore-requires-python "
                        "opa-golib-python-bindings==0.4.4)",
                    )
            params, bodies = _rule_parts(module.name, stmt)
            for body in bodies:
                _check_body(module.name, body, set(params), globals_ - set(params))
