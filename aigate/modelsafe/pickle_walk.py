"""A symbolic pickle walker: every opcode of protocols 0-5, executed on stand-ins, never on objects.

Why our own walker and not fickling or a denylist scanner: the verdict must name *exactly* which
callables a file imports and calls (the policy judges them against an allowlist), it must survive
every benign file real libraries write (protocol 0 ``FLOAT``, protocol 5 ``BYTEARRAY8``, joblib's
raw array buffers inside the pickle stream) and it must fail closed on everything else.

The walker follows CPython's ``_pickle`` semantics (``Lib/pickle.py`` is the readable reference):
``GLOBAL``/``INST`` names are UTF-8 lines, protocol < 3 names go through ``_compat_pickle``'s
2-to-3 mapping like ``fix_imports`` does, ``STACK_GLOBAL`` takes two strings from the stack (a
name that is not a literal string is *dynamic* and unsafe), the memo is a dict shared by
reference (so ``PUT``/``GET`` tricks see the same stand-in), ``POP`` on an empty stack pops a mark.
Loaders that take another serialised object (``pickle.loads``, ``torch.storage._load_from_bytes``,
...) get their literal ``bytes`` argument scanned too, through a callback, so a payload nested
inside a benign-looking call is found. Every input is bounded: opcode count, nesting, distinct
globals; running past a bound is an error, never a pass.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: opcodes executed per pickle before the walker gives up (fail closed)
MAX_OPS = 5_000_000
#: distinct imported callables per pickle before the walker gives up
MAX_GLOBALS = 500
#: nested pickles inside nested pickles
MAX_NESTING = 4

#: callables that deserialise their argument: a payload can hide inside them, and an allowlist
#: module prefix never admits them (only an exact entry can)
NESTED_LOADERS = frozenset(
    {
        "torch.storage._load_from_bytes",
        "torch.load",
        "torch.serialization.load",
        "torch.jit.load",
        "pickle.loads",
        "pickle.load",
        "pickle._loads",
        "pickle._load",
        "pickle.Unpickler",
        "_pickle.loads",
        "_pickle.load",
        "_pickle.Unpickler",
        "numpy.load",
        "numpy.lib.npyio.load",
        "numpy.loads",
        "numpy.core.numeric.loads",
        "joblib.load",
        "joblib.numpy_pickle.load",
        "dill.loads",
        "dill.load",
        "dill._dill.loads",
        "cloudpickle.loads",
        "marshal.loads",
        "marshal.load",
        "shelve.open",
    }
)

JOBLIB_WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"


class PickleError(Exception):
    """The bytes are not a valid pickle at ``offset`` (the message says why)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset
        self.message = message


@dataclass
class Global:
    """A stand-in for the object a ``GLOBAL``/``STACK_GLOBAL``/``INST`` imports."""

    module: str
    name: str
    offset: int

    @property
    def callable(self) -> str:
        """``module.name``; a dotted attribute path is spelled ``module:path`` so it cannot pose
        as a plain module member in an exact allowlist entry."""
        return f"{self.module}:{self.name}" if "." in self.name else f"{self.module}.{self.name}"


@dataclass
class Call:
    """The stand-in result of calling ``func`` (REDUCE, NEWOBJ, OBJ, INST)."""

    func: Any
    args: Any
    state: Any = None


class Lst(list[Any]):
    """A list built by the pickle."""


class Dct(list[Any]):
    """A dict built by the pickle, as (key, value) pairs (keys need not be hashable stand-ins)."""

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of the last pair whose key equals ``key`` (dict semantics)."""
        for k, v in reversed(self):
            if type(k) is str and k == key:
                return v
        return default


class PSet(list[Any]):
    """A set or frozenset built by the pickle."""


class Opaque:
    """A value the walker cannot know (a persistent id's object, an out-of-band buffer)."""


@dataclass
class Import:
    """One imported callable as reported: where it was imported and whether it was called."""

    module: str
    name: str
    callable: str
    offset: int
    called: bool = False
    loader: bool = False
    nested: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON data for the evidence (strings, ints and bools only)."""
        d: dict[str, Any] = {
            "callable": self.callable,
            "module": self.module,
            "name": self.name,
            "offset": self.offset,
            "called": self.called,
        }
        if self.loader:
            d["loader"] = True
        if self.nested:
            d["nested"] = self.nested
        return d


@dataclass
class WalkResult:
    """What one pickle (or a run of pickles) imports and does."""

    imports: dict[str, Import] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    end: int = 0
    protocol: int = 0
    opcodes: int = 0
    #: the pickled value when it is a plain int or a list of strings (legacy torch.save framing)
    value: Any = None
    legacy_torch: bool = False

    def merge(self, other: WalkResult, nested: str = "") -> None:
        """Add another walk's findings (a following or nested pickle)."""
        for key, imp in other.imports.items():
            if nested:
                imp.nested = nested + (">" + imp.nested if imp.nested else "")
                key = f"{nested}>{key}"
            self.imports.setdefault(key, imp)
        self.problems.extend(other.problems)
        self.opcodes += other.opcodes


#: the callback that scans a nested serialised object: returns its walk, or None if not scannable
NestedScan = Callable[[bytes, int], "WalkResult | None"]


class _Reader:
    """Bounded reads over a buffer; every short read is a truncation error at its offset."""

    def __init__(self, buf: memoryview, pos: int, end: int) -> None:
        self.buf, self.pos, self.end = buf, pos, end

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > self.end:
            raise PickleError(self.pos, f"truncated: needs {n} bytes, {self.end - self.pos} remain")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def line(self, limit: int = 1 << 20) -> bytes:
        """One ``\\n``-terminated line without the newline (protocol 0 arguments)."""
        stop = min(self.end, self.pos + limit)
        chunk = bytes(self.buf[self.pos : stop])
        nl = chunk.find(b"\n")
        if nl < 0:
            if stop == self.end:
                raise PickleError(self.pos, "truncated: line argument without a newline")
            raise PickleError(self.pos, "line argument longer than 1 MiB")
        self.pos += nl + 1
        return chunk[:nl]

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")


def _int_line(text: bytes, pos: int) -> Any:
    if text == b"00":
        return False
    if text == b"01":
        return True
    try:
        return int(text.rstrip(b"L"), 0)
    except ValueError:
        try:
            return int(text.rstrip(b"L"))
        except ValueError:
            raise PickleError(pos, f"invalid integer literal {text[:40]!r}") from None


def _text(raw: memoryview | bytes, pos: int) -> str:
    try:
        return bytes(raw).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise PickleError(pos, "string is not valid UTF-8") from None


def _blob(raw: memoryview) -> Any:
    """Byte strings stay views into the file (no copy: a model holds gigabytes of them); a
    nested loader's argument is copied only when it is scanned."""
    return raw


def _quoted(line: bytes, pos: int) -> Any:
    for q in (b"'", b'"'):
        if len(line) >= 2 and line.startswith(q) and line.endswith(q):
            try:
                raw = codecs.escape_decode(line[1:-1])[0]
            except ValueError:
                raise PickleError(pos, "invalid escape in STRING") from None
            try:
                return raw.decode("ascii")
            except UnicodeDecodeError:
                return raw
    raise PickleError(pos, "STRING argument is not quoted")


def _map_name(module: str, name: str, proto: int) -> tuple[str, str]:
    """CPython's ``fix_imports``: protocol < 3 names are Python 2 names mapped to Python 3."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


_MARK = object()


class _Machine:
    """The symbolic unpickler state for one pickle (stack, metastack, memo, protocol)."""

    def __init__(
        self,
        rd: _Reader,
        res: WalkResult,
        nested: NestedScan | None,
        depth: int,
        joblib: bool,
        tolerant: bool,
    ) -> None:
        self.rd, self.res, self.nested, self.depth = rd, res, nested, depth
        self.joblib, self.tolerant = joblib, tolerant
        self.stack: list[Any] = []
        self.meta: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0
        self.op_pos = 0

    # --- stack helpers ----------------------------------------------------------------------
    def err(self, msg: str) -> PickleError:
        return PickleError(self.op_pos, msg)

    def pop(self) -> Any:
        if not self.stack:
            raise self.err("stack underflow")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise self.err("stack underflow")
        return self.stack[-1]

    def pop_mark(self) -> list[Any]:
        if not self.meta:
            raise self.err("no MARK on the stack")
        items = self.stack
        self.stack = self.meta.pop()
        return items

    def problem(self, msg: str) -> None:
        self.res.problems.append((self.op_pos, msg))

    # --- imports and calls --------------------------------------------------------------------
    def import_(self, module: str, name: str) -> Global:
        module, name = _map_name(module, name, self.proto)
        g = Global(module, name, self.op_pos)
        key = g.callable
        if key not in self.res.imports:
            if len(self.res.imports) >= MAX_GLOBALS:
                raise self.err(f"more than {MAX_GLOBALS} distinct globals")
            self.res.imports[key] = Import(
                module, name, key, self.op_pos, loader=key in NESTED_LOADERS, called=False
            )
        return g

    def call(self, func: Any, args: Any, what: str) -> Call:
        if isinstance(func, Global):
            imp = self.res.imports[func.callable]
            imp.called = True
            if func.callable in NESTED_LOADERS:
                self.scan_nested(func, args)
        else:
            self.problem(f"{what} calls an object computed at load time, not an imported callable")
        return Call(func, args)

    def scan_nested(self, func: Global, args: Any) -> None:
        arg = args[0] if isinstance(args, tuple) and args else None
        if not isinstance(arg, (bytes, memoryview)):
            return
        if self.depth >= MAX_NESTING or self.nested is None:
            self.problem(f"{func.callable} deserialises nested data deeper than {MAX_NESTING} levels")
            return
        sub = self.nested(bytes(arg), self.depth + 1)
        if sub is None:
            self.problem(f"{func.callable} is given {len(arg)} bytes that cannot be scanned")
            return
        self.res.merge(sub, nested=f"{func.callable}@{self.op_pos}")

    def mutate(self, target: Any, what: str) -> None:
        if isinstance(target, Global):
            self.problem(f"{what} modifies the imported object {target.callable} itself")

    # --- opcode handlers ------------------------------------------------------------------------
    def run(self) -> None:
        rd, res = self.rd, self.res
        table = _TABLE
        while True:
            if res.opcodes >= MAX_OPS:
                raise PickleError(rd.pos, f"more than {MAX_OPS} opcodes")
            self.op_pos = rd.pos
            if rd.pos >= rd.end:
                raise PickleError(rd.pos, "truncated: no STOP opcode")
            code = rd.buf[rd.pos]
            rd.pos += 1
            res.opcodes += 1
            handler = table.get(code)
            if handler is None:
                raise self.err(f"invalid opcode 0x{code:02x}")
            if handler(self):
                res.end = rd.pos
                res.protocol = max(res.protocol, self.proto)
                return

    def op_proto(self) -> None:
        p = self.rd.uint(1)
        if p > 5:
            raise self.err(f"unsupported pickle protocol {p}")
        self.proto = p

    def op_frame(self) -> None:
        n = self.rd.uint(8)
        if self.rd.pos + n > self.rd.end:
            raise self.err("frame runs past the end of the data")

    def op_stop(self) -> bool:
        v = self.pop()
        if type(v) is int or (isinstance(v, Lst) and all(type(x) is str for x in v)):
            self.res.value = v
        return True

    def push(self, v: Any) -> None:
        self.stack.append(v)

    def op_global(self) -> None:
        module = _text(self.rd.line(), self.op_pos)
        name = _text(self.rd.line(), self.op_pos)
        self.push(self.import_(module, name))

    def op_stack_global(self) -> None:
        name, module = self.pop(), self.pop()
        if type(module) is not str or type(name) is not str:
            self.problem("STACK_GLOBAL imports a name computed at load time (not a literal string)")
            self.push(self.import_("<dynamic>", "<dynamic>"))
            return
        self.push(self.import_(module, name))

    def op_inst(self) -> None:
        module = _text(self.rd.line(), self.op_pos)
        name = _text(self.rd.line(), self.op_pos)
        g = self.import_(module, name)
        args = tuple(self.pop_mark())
        self.push(self.call(g, args, "INST"))

    def op_obj(self) -> None:
        items = self.pop_mark()
        if not items:
            raise self.err("OBJ without a class")
        self.push(self.call(items[0], tuple(items[1:]), "OBJ"))

    def op_newobj(self) -> None:
        args = self.pop()
        cls = self.pop()
        self.push(self.call(cls, args, "NEWOBJ"))

    def op_newobj_ex(self) -> None:
        self.pop()
        args = self.pop()
        cls = self.pop()
        self.push(self.call(cls, args, "NEWOBJ_EX"))

    def op_reduce(self) -> None:
        args = self.pop()
        func = self.pop()
        self.push(self.call(func, args, "REDUCE"))

    def op_build(self) -> None:
        state = self.pop()
        inst = self.top()
        self.mutate(inst, "BUILD")
        if isinstance(inst, Call):
            inst.state = state
            if self.joblib and isinstance(inst.func, Global) and inst.func.callable == JOBLIB_WRAPPER:
                self.stack[-1] = Opaque()
                self.joblib_array(state)

    def joblib_array(self, state: Any) -> None:
        """joblib writes each array's bytes (or its object pickle) right after the wrapper."""
        from aigate.modelsafe.joblib_array import array_layout

        layout = array_layout(state)
        if layout is None:
            raise self.err("joblib array wrapper with a shape or dtype that cannot be read")
        if layout.has_object:
            sub = WalkResult()
            _Machine(self.rd, sub, self.nested, self.depth, self.joblib, False).run()
            self.res.merge(sub, nested=f"joblib-object-array@{self.op_pos}")
            return
        if layout.aligned:
            self.rd.take(self.rd.uint(1))
        start = self.rd.pos
        self.rd.take(layout.nbytes)
        # plain pickle.load would run these bytes as opcodes: whatever they would call is reported
        shadow = WalkResult()
        with_tolerance = _Machine(
            _Reader(self.rd.buf, start, self.rd.end), shadow, None, self.depth, False, True
        )
        with contextlib.suppress(PickleError):
            with_tolerance.run()
        for key, imp in shadow.imports.items():
            if imp.called:
                imp.nested = f"raw-array-bytes@{start}"
                self.res.imports.setdefault(f"raw@{start}>{key}", imp)

    def op_persid(self) -> None:
        self.rd.line()
        self.push(Opaque())

    def op_binpersid(self) -> None:
        self.pop()
        self.push(Opaque())

    def op_ext(self, n: int) -> None:
        code = self.rd.uint(n)
        self.problem(f"EXT{n} loads extension-registry code {code} (an import that names nothing)")
        self.push(self.import_("<copyreg-extension>", str(code)))

    # containers
    def op_append(self) -> None:
        v = self.pop()
        t = self.top()
        self.mutate(t, "APPEND")
        if isinstance(t, Lst):
            t.append(v)

    def op_appends(self) -> None:
        items = self.pop_mark()
        t = self.top()
        self.mutate(t, "APPENDS")
        if isinstance(t, Lst):
            t.extend(items)

    def op_setitem(self) -> None:
        v, k = self.pop(), self.pop()
        t = self.top()
        self.mutate(t, "SETITEM")
        if isinstance(t, Dct):
            t.append((k, v))

    def op_setitems(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise self.err("SETITEMS with an odd number of items")
        t = self.top()
        self.mutate(t, "SETITEMS")
        if isinstance(t, Dct):
            t.extend(zip(items[::2], items[1::2], strict=True))

    def op_dict(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise self.err("DICT with an odd number of items")
        self.push(Dct(zip(items[::2], items[1::2], strict=True)))

    def op_additems(self) -> None:
        items = self.pop_mark()
        t = self.top()
        self.mutate(t, "ADDITEMS")
        if isinstance(t, PSet):
            t.extend(items)

    def op_pop(self) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self.pop_mark()

    def op_mark(self) -> None:
        self.meta.append(self.stack)
        self.stack = []

    # memo
    def memo_get(self, idx: int) -> None:
        if idx not in self.memo:
            raise self.err(f"memo index {idx} was never stored")
        self.push(self.memo[idx])

    def memo_put(self, idx: int) -> None:
        if idx < 0:
            raise self.err("negative memo index")
        self.memo[idx] = self.top()


def _simple(fn: Callable[[_Machine], Any]) -> Callable[[_Machine], None]:
    def run(m: _Machine) -> None:
        m.push(fn(m))

    return run


def _len_blob(n: int, signed: bool = False) -> Callable[[_Machine], Any]:
    def read(m: _Machine) -> Any:
        size = int.from_bytes(m.rd.take(n), "little", signed=signed)
        if size < 0:
            raise m.err("negative length")
        return m.rd.take(size)

    return read


def _len_text(n: int) -> Callable[[_Machine], str]:
    blob = _len_blob(n)
    return lambda m: _text(blob(m), m.op_pos)


def _len_str8(n: int, signed: bool = False) -> Callable[[_Machine], Any]:
    """BINSTRING/SHORT_BINSTRING: Python 2 ``str``, decoded as ASCII by default."""
    blob = _len_blob(n, signed)

    def read(m: _Machine) -> Any:
        raw = bytes(blob(m))
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            return raw

    return read


def _float_line(m: _Machine) -> float:
    try:
        return float(m.rd.line())
    except ValueError:
        raise m.err("invalid FLOAT literal") from None


def _unicode_line(m: _Machine) -> str:
    try:
        return m.rd.line().decode("raw-unicode-escape")
    except UnicodeDecodeError:
        raise m.err("invalid UNICODE literal") from None


def _tuple_n(n: int) -> Callable[[_Machine], None]:
    def run(m: _Machine) -> None:
        if len(m.stack) < n:
            raise m.err("stack underflow")
        items = tuple(m.stack[len(m.stack) - n :]) if n else ()
        del m.stack[len(m.stack) - n :]
        m.push(items)

    return run


_TABLE: dict[int, Callable[[_Machine], Any]] = {
    0x80: _Machine.op_proto,
    0x95: _Machine.op_frame,
    ord("."): _Machine.op_stop,
    ord("c"): _Machine.op_global,
    0x93: _Machine.op_stack_global,
    ord("i"): _Machine.op_inst,
    ord("o"): _Machine.op_obj,
    0x81: _Machine.op_newobj,
    0x92: _Machine.op_newobj_ex,
    ord("R"): _Machine.op_reduce,
    ord("b"): _Machine.op_build,
    ord("P"): _Machine.op_persid,
    ord("Q"): _Machine.op_binpersid,
    0x82: lambda m: m.op_ext(1),
    0x83: lambda m: m.op_ext(2),
    0x84: lambda m: m.op_ext(4),
    ord("I"): _simple(lambda m: _int_line(m.rd.line(), m.op_pos)),
    ord("J"): _simple(lambda m: int.from_bytes(m.rd.take(4), "little", signed=True)),
    ord("K"): _simple(lambda m: m.rd.uint(1)),
    ord("M"): _simple(lambda m: m.rd.uint(2)),
    ord("L"): _simple(lambda m: _int_line(m.rd.line(), m.op_pos)),
    0x8A: _simple(lambda m: int.from_bytes(_len_blob(1)(m), "little", signed=True)),
    0x8B: _simple(lambda m: int.from_bytes(_len_blob(4, True)(m), "little", signed=True)),
    ord("S"): _simple(lambda m: _quoted(m.rd.line(), m.op_pos)),
    ord("T"): _simple(_len_str8(4, True)),
    ord("U"): _simple(_len_str8(1)),
    ord("B"): _simple(lambda m: _blob(_len_blob(4)(m))),
    ord("C"): _simple(lambda m: _blob(_len_blob(1)(m))),
    0x8E: _simple(lambda m: _blob(_len_blob(8)(m))),
    0x96: _simple(lambda m: _blob(_len_blob(8)(m))),
    0x97: _simple(lambda m: Opaque()),
    0x98: lambda m: m.top() and None,
    ord("N"): _simple(lambda m: None),
    0x88: _simple(lambda m: True),
    0x89: _simple(lambda m: False),
    ord("V"): _simple(_unicode_line),
    0x8C: _simple(_len_text(1)),
    ord("X"): _simple(_len_text(4)),
    0x8D: _simple(_len_text(8)),
    ord("F"): _simple(_float_line),
    ord("G"): _simple(lambda m: struct.unpack(">d", m.rd.take(8))[0]),
    ord("]"): _simple(lambda m: Lst()),
    ord("a"): _Machine.op_append,
    ord("e"): _Machine.op_appends,
    ord("l"): lambda m: m.push(Lst(m.pop_mark())),
    ord(")"): _simple(lambda m: ()),
    ord("t"): lambda m: m.push(tuple(m.pop_mark())),
    0x85: _tuple_n(1),
    0x86: _tuple_n(2),
    0x87: _tuple_n(3),
    ord("}"): _simple(lambda m: Dct()),
    ord("d"): _Machine.op_dict,
    ord("s"): _Machine.op_setitem,
    ord("u"): _Machine.op_setitems,
    0x8F: _simple(lambda m: PSet()),
    0x90: _Machine.op_additems,
    0x91: lambda m: m.push(PSet(m.pop_mark())),
    ord("0"): _Machine.op_pop,
    ord("2"): lambda m: m.push(m.top()),
    ord("("): _Machine.op_mark,
    ord("1"): lambda m: m.pop_mark() and None,
    ord("g"): lambda m: m.memo_get(_int_line(m.rd.line(), m.op_pos)),
    ord("h"): lambda m: m.memo_get(m.rd.uint(1)),
    ord("j"): lambda m: m.memo_get(m.rd.uint(4)),
    ord("p"): lambda m: m.memo_put(_int_line(m.rd.line(), m.op_pos)),
    ord("q"): lambda m: m.memo_put(m.rd.uint(1)),
    ord("r"): lambda m: m.memo_put(m.rd.uint(4)),
    0x94: lambda m: m.memo_put(len(m.memo)),
}


def walk_one(
    buf: memoryview,
    start: int = 0,
    end: int | None = None,
    *,
    nested: NestedScan | None = None,
    depth: int = 0,
    joblib: bool = True,
) -> WalkResult:
    """Walk one pickle from ``start`` to its STOP; raises :class:`PickleError` if it is not one."""
    res = WalkResult()
    m = _Machine(_Reader(buf, start, len(buf) if end is None else end), res, nested, depth, joblib, False)
    try:
        m.run()
    except RecursionError:
        raise PickleError(m.op_pos, "nesting too deep") from None
    return res


#: the first pickle of a legacy (pre-zip) ``torch.save`` file
LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


def walk_stream(buf: memoryview, *, nested: NestedScan | None = None, depth: int = 0) -> WalkResult:
    """Walk every pickle in ``buf`` back to back; bytes after the last STOP that are not another
    pickle are a problem: a loader that reads on (legacy ``torch.save``, repeated ``pickle.load``)
    would execute them, and a scanner that stops at STOP would never see them."""
    total = walk_one(buf, 0, nested=nested, depth=depth)
    pos = total.end
    count = 1
    legacy = total.value == LEGACY_TORCH_MAGIC
    last_value: Any = total.value
    while pos < len(buf):
        if legacy and count == 5 and isinstance(last_value, Lst):
            # legacy torch.save: magic, protocol, sys info, object, storage keys, then raw
            # storages that torch.load reads as bytes (never as opcodes)
            total.legacy_torch = True
            break
        try:
            nxt = walk_one(buf, pos, nested=nested, depth=depth)
        except PickleError as exc:
            total.problems.append(
                (pos, f"{len(buf) - pos} bytes after STOP that are not a pickle ({exc.message})")
            )
            break
        count += 1
        last_value = nxt.value
        total.merge(nxt, nested="" if legacy and count <= 5 else f"pickle#{count}@{pos}")
        total.protocol = max(total.protocol, nxt.protocol)
        pos = nxt.end
        if count > 64:
            total.problems.append((pos, "more than 64 pickles back to back"))
            break
    total.end = pos
    return total
