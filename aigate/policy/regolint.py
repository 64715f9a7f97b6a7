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
from collections.abc import Iterator
from dataclasses import dataclass

from aigate.errors import InputError, Position, UsageError
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
    return list(iter_tokens(source, name))


def iter_tokens(source: str, name: str) -> Iterator[Token]:
    """:func:`tokenize` lazily: a caller that needs only the head of a module stops early."""
    line, line_start, pos, nl = 1, 0, 0, True
    match = _TOKEN.match
    while pos < len(source):
        m = match(source, pos)
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
            yield Token(kind, m.group(), line, pos - line_start + 1, nl)
            nl = False
            if kind == "raw":
                line += m.group().count("\n")
                if "\n" in m.group():
                    line_start = pos + m.group().rindex("\n") + 1
        pos = m.end()


def head_tokens(source: str, name: str) -> list[Token]:
    """The tokens of the first statement (the package declaration) and the one after it.

    Enough for :func:`parse_package`, which stops at the first token on a new line; reading a
    library of modules for their packages then costs a few tokens each, not a full tokenization.
    """
    out: list[Token] = []
    for tok in iter_tokens(source, name):
        out.append(tok)
        if len(out) > 1 and tok.nl_before:
            break
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
    return parse_package(head_tokens(source, name), name)[0]


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


REGO_V0_REFUSAL = (
    "--rego-version v0 is not supported on any engine: regopy reads v0 with another meaning, the OPA "
    "Go engine wheel (opa_bindings 0.4.4) parses Rego v1 only, and an OPA server parses every policy "
    "with its own startup setting (`opa run --v0-compatible`), not a per-request option; aigate never "
    "reinterprets v0"
)
REGO_V0_HINT = "migrate the policies to v1: `opa fmt --v0-v1 -w DIR` (check with `opa check --v0-v1 DIR`)"


def require_rego_v1(version: str) -> None:
    """``--rego-version``: v1 is evaluated; v0 is refused (exit 2), never parsed as v1."""
    if version == "v1":
        return
    if version != "v0":
        raise UsageError(f"unknown --rego-version {version!r}; choose v0 or v1")
    raise UsageError(REGO_V0_REFUSAL, hint=REGO_V0_HINT)


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


def v0_body_position(module: PolicyModule) -> Position | None:
    """Where the module's first Rego v0 rule body opens (``{`` without ``if``), if it has one.

    OPA's parser reports ``if keyword is required before rule body`` with a line only; this gives
    the column too. A module that does not tokenize has no answer here (its parser error stands).
    """
    try:
        statements = _statements(tokenize(module.source, module.name))
        for stmt in statements:
            if stmt[0].kind == "ident" and stmt[0].text in ("package", "import"):
                continue
            _rule_parts(module.name, stmt)
    except InputError as exc:
        if exc.hint == V0_HINT:
            return exc.position
    return None


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


def _is_callee(prev: Token) -> bool:
    """``prev`` names a function called by the ``(`` after it (``contains`` is also a builtin)."""
    return prev.kind == "ident" and (prev.text not in KEYWORDS or prev.text == "contains")


def _index_var(body: list[Token], i: int) -> Token | None:
    """The variable of a ref index ``x[v]`` opened at ``body[i]``, if it is one."""
    prev = body[i - 1] if i else None
    if (
        body[i].text == "["
        and prev is not None
        and (prev.kind == "ident" or prev.text in ("]", ")"))
        and i + 2 < len(body)
        and body[i + 1].kind == "ident"
        and body[i + 1].text not in KEYWORDS
        and body[i + 2].text == "]"
    ):
        return body[i + 1]
    return None


_COMPARE = frozenset({"==", "!=", "<", "<=", ">", ">="})
_ARITH = frozenset({"+", "-", "*", "/", "%", "&", "|"})
_BIND = frozenset({":=", "="})
OPERAND_HINT = (
    "bind the element first (`some x in <collection>`, or `x := <collection>[_]` on its own line), "
    "then compare or compute with `x`; or evaluate with OPA's engine (--engine opa-go)"
)


class _Operands:
    """regopy rewrites infix operators and collection literals into calls, and then mis-evaluates an
    index variable first bound inside them, as it does in call arguments (measured on rego-cpp 1.5.2):

    - on both sides of a comparison (``some i, j; xs[i] == ys[j]``, ``xs[_] == ys[_]``): nothing, or
      the error "Invalid bracket argument";
    - in any operand of ``in`` (``some i; xs[i] in s``, ``xs[_] in s``);
    - in a later operand of arithmetic (``1 + xs[i] == 3``, ``x := xs[i] + ys[j]``);
    - inside an array, set or object literal (``[1, xs[i]] == [1, 2]``).

    Allowed (measured to agree with OPA): a fresh index in the first operand of one side only
    (``xs[i] == 2``, ``2 == xs[i]``, ``xs[i] + 1 == 3``, ``(xs[i] + 1) == 3``), and unification
    (``xs[_] = ys[_]``), whose sides are checked separately.
    """

    def __init__(self, name: str, body: list[Token], fresh: set[int], indexed: set[int]) -> None:
        self.name, self.body, self.fresh, self.indexed = name, body, fresh, indexed
        self.var_sides: list[bool] = []

    def _refuse(self, i: int, what: str) -> InputError:
        t = self.body[i]
        return _refuse(
            self.name,
            t,
            f"`{t.text}` is first bound by a ref index {what}: regopy mis-evaluates it (it yields "
            "nothing or fails with 'Invalid bracket argument')",
            OPERAND_HINT,
        )

    def _top(self, lo: int, hi: int) -> list[int]:
        """Indices of the tokens at bracket depth 0 in ``[lo, hi)``."""
        out, i = [], lo
        while i < hi:
            out.append(i)
            t = self.body[i]
            i = _match(self.body, i) + 1 if t.kind == "op" and t.text in "([{" else i + 1
        return out

    def literals(self, lo: int, hi: int) -> None:
        """Each literal of a query (split at ``;`` and new lines at depth 0)."""
        start = lo
        top = self._top(lo, hi)
        for k in top:
            t = self.body[k]
            prev = self.body[k - 1] if k > lo else None
            continued = (
                prev is not None and prev.kind == "op" and prev.text in _COMPARE | _ARITH | _BIND | {","}
            )
            if t.text == ";" or (
                k > start and t.nl_before and not continued and t.text not in _COMPARE | _ARITH
            ):
                self.literal(start, k)
                start = k + 1 if t.text == ";" else k
        self.literal(start, hi)

    def literal(self, lo: int, hi: int) -> None:
        if lo >= hi:
            return
        if self.body[lo].kind == "ident" and self.body[lo].text == "not":
            fresh = [j for j in range(lo, hi) if j in self.fresh]
            if fresh:  # OPA: rego_unsafe_var_error (a compile error); regopy evaluates it
                raise _refuse(
                    self.name,
                    self.body[fresh[0]],
                    f"`{self.body[fresh[0]].text}` is first bound inside a negated expression: OPA refuses it "
                    "as unsafe (rego_unsafe_var_error) and regopy evaluates it",
                    "bind the variable in an earlier literal, or express the negation with a helper rule",
                )
            lo += 1
        first = self.body[lo] if lo < hi else None
        if first is None:
            return
        top = self._top(lo, hi)
        if first.kind == "ident" and first.text == "some":
            ins = [k for k in top if self.body[k].kind == "ident" and self.body[k].text == "in"]
            if ins:
                self.expr(ins[0] + 1, hi)
            return
        if first.kind == "ident" and first.text == "every":
            for k in top:
                if self.body[k].text == "{":
                    self.literals(k + 1, _match(self.body, k))
            return
        for k in top:  # `with x as y` modifiers are not operands
            if self.body[k].kind == "ident" and self.body[k].text == "with":
                hi = k
                break
        start = lo
        for k in self._top(lo, hi):
            if self.body[k].kind == "op" and self.body[k].text in _BIND:
                self.expr(start, k)
                start = k + 1
        self.expr(start, hi)

    def expr(self, lo: int, hi: int) -> int | None:
        """Check one expression; return the first fresh index variable in it (for the enclosing one)."""
        sides: list[list[int | None]] = [[]]  # per side, the first fresh token of each term
        bounds = [lo]  # where each side starts
        term: int | None = None
        term_start = True
        has_in = False
        for k in self._top(lo, hi):
            t = self.body[k]
            is_in = t.kind == "ident" and t.text == "in"
            if (t.kind == "op" and t.text in _COMPARE) or is_in:
                has_in = has_in or is_in
                sides[-1].append(term)
                sides.append([])
                bounds.append(k + 1)
                term, term_start = None, True
                continue
            if t.kind == "op" and t.text in _ARITH and not (term_start and t.text == "-"):
                sides[-1].append(term)
                term, term_start = None, True
                continue
            term_start = False
            found = self._atom(k)
            if term is None:
                term = found
        sides[-1].append(term)
        bounds.append(hi)
        firsts = [next((x for x in side if x is not None), None) for side in sides]
        with_fresh = [x for x in firsts if x is not None]
        if has_in and with_fresh:
            raise self._refuse(with_fresh[0], "in an operand of `in`")
        for n, first in enumerate(firsts):
            if first is None:
                continue
            others = [
                j
                for m in range(len(sides))
                if m != n
                for j in range(bounds[m], bounds[m + 1])
                if (j in self.fresh or j in self.indexed)
                and (self.body[j].text == "_" or self.body[j].text != self.body[first].text)
            ]
            if others:  # `xs[i] == ys[_]`, also with `i` bound by an earlier literal
                raise self._refuse(
                    first,
                    f"in a comparison whose other side is indexed by a variable (`{self.body[others[0]].text}`)",
                )
        for side in sides:
            later = [x for x in side[1:] if x is not None]
            if later:
                raise self._refuse(later[0], "in a later operand of an arithmetic expression")
        return with_fresh[0] if with_fresh else None

    def _atom(self, k: int) -> int | None:
        """The first fresh index variable in the term token at ``k`` (a bracket: its whole group)."""
        t = self.body[k]
        if k in self.fresh:
            return k
        if not (t.kind == "op" and t.text in "([{"):
            return None
        end = _match(self.body, k)
        prev = self.body[k - 1] if k else None
        if t.text == "(":
            if prev is not None and _is_callee(prev):
                return None  # call arguments: refused by _check_index
            return self.expr(k + 1, end)
        if _is_comprehension(self.body, k, end + 1):
            bar = next(j for j in self._top(k + 1, end) if self.body[j].text == "|")
            self.expr(k + 1, bar)
            self.literals(bar + 1, end)
            return None
        if (
            t.text == "["
            and prev is not None
            and (prev.kind in ("ident", "str") or prev.text in ("]", ")", "}"))
        ):
            found = None  # a ref index: its variable is in self.fresh, nested refs are checked below
            for j in range(k + 1, end):
                if j in self.fresh and found is None:
                    found = j
            return found
        for j in range(k + 1, end):  # an array, set or object literal
            if j in self.fresh:
                raise self._refuse(j, "inside an array, set or object literal")
        return None


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
    fresh: set[int] = set()  # token indices of index variables bound there for the first time
    indexed: set[int] = set()  # token indices of index variables bound before
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
            if t.text == "(" and prev is not None and _is_callee(prev):
                stack.append("call")
            elif t.text in "[{" and _is_comprehension(body, i, _match(body, i) + 1):
                stack.append("comp")
            else:
                stack.append("group")
            if in_call:
                _check_index(name, body, i, seen | globals_)
            else:
                var = _index_var(body, i)
                if var is not None and (var.text == "_" or var.text not in seen | globals_):
                    fresh.add(i + 1)
                elif var is not None and var.text not in globals_:
                    indexed.add(i + 1)
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
    _Operands(name, body, fresh, indexed).literals(0, len(body))


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
