"""Bounded, position-keeping YAML and JSON loading for untrusted input.

Manifests, policy data and user input documents are written by people aigate does not trust to
be careful (or honest), so loading is bounded before anything is built: file size, nesting
depth, alias count (billion-laughs), and total node count after alias expansion. Duplicate keys
are an error rather than a silent last-one-wins. Every error names the file, line and column.

The loader also returns a map from JSON pointer to source position so that schema and policy
findings can point at the manifest line a reviewer has to change.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aigate.errors import InputError, Position

try:  # the C parser is ~10x faster; the pure-Python one gives the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 500_000
#: Python refuses to convert integers longer than this (CVE-2020-10735); say so with a position
MAX_NUMBER_DIGITS = 4300


#: the largest file of each kind aigate reads (bytes); policy data ``limits`` overrides these.
#: Every read is capped before it allocates: a 2 GiB "compliance document" is an input error,
#: not 4 GB of memory.
SIZE_LIMITS: dict[str, int] = {
    "manifest": 2 << 20,
    "policy_data": 4 << 20,
    "compliance_document": 16 << 20,
    "metrics": 8 << 20,
    "drift_report": 64 << 20,
    "alert_rules": 8 << 20,
    "io_log_sample": 16 << 20,
    "input_document": 32 << 20,
}


def size_limit(kind: str, policy_data: Any = None) -> int:
    """The byte cap for files of ``kind``: the organisation's ``limits.<kind>``, else the default."""
    limits = policy_data.get("limits") if isinstance(policy_data, dict) else None
    value = limits.get(kind) if isinstance(limits, dict) else None
    return value if isinstance(value, int) and value > 0 else SIZE_LIMITS[kind]


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_nodes: int = MAX_NODES


@dataclass
class Document:
    """One loaded document: its data and where each JSON pointer came from (1-based line, column)."""

    data: Any
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    file: str = ""
    index: int = 0  # position in a multi-document stream

    def position(self, pointer: str) -> Position:
        """The source position of ``pointer``, or of its nearest ancestor that has one."""
        probe = pointer
        while True:
            if probe in self.positions:
                line, col = self.positions[probe]
                return Position(self.file, line, col)
            if not probe:
                return Position(self.file)
            probe = probe.rsplit("/", 1)[0]


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_of(parts: Iterator[str | int] | list[str | int] | tuple[str | int, ...]) -> str:
    return "".join("/" + escape_pointer_token(p) for p in parts)


def read_bounded(
    path: Path, *, limits: Limits = Limits(), what: str = "file", display: str | None = None
) -> bytes:
    """Read a regular file no larger than the limit; errors are InputError naming the path."""
    where = Position(display or str(path))
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(f"{what} not found", position=where) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", position=where) from None
    import stat as _stat

    if not _stat.S_ISREG(st.st_mode):
        raise InputError(f"{what} is not a regular file", position=where)
    if st.st_size > limits.max_bytes:
        raise InputError(
            f"{what} is {st.st_size} bytes; the limit is {limits.max_bytes}",
            position=where,
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", position=where) from None
    if len(data) > limits.max_bytes:
        raise InputError(f"{what} grew past {limits.max_bytes} bytes while reading", position=where)
    return data


def decode_utf8(raw: bytes, file: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", position=Position(file, line, col)
        ) from None
    return text.removeprefix("\ufeff")


def _mark(file: str, mark: Any) -> Position:
    if mark is None:
        return Position(file)
    return Position(file, mark.line + 1, mark.column + 1)


def _prescan(text: str, file: str, limits: Limits) -> None:
    """Walk the event stream (iterative, no recursion) and enforce depth and alias bounds."""
    depth = 0
    aliases = 0
    loader = _Loader(text)
    try:
        while True:
            event = loader.get_event()
            if event is None:
                break
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.max_depth:
                    raise InputError(
                        f"nesting deeper than {limits.max_depth} levels",
                        position=_mark(file, event.start_mark),
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits.max_aliases:
                    raise InputError(
                        f"more than {limits.max_aliases} YAML aliases (possible alias bomb)",
                        position=_mark(file, event.start_mark),
                    )
            elif isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"not valid YAML: {problem}", position=_mark(file, mark)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", position=Position(file)) from None
    finally:
        loader.dispose()


class _Builder:
    """Turns a composed node graph into plain data, recording positions and bounding expansion."""

    def __init__(self, file: str, limits: Limits, loader: Any) -> None:
        self.file = file
        self.limits = limits
        self.loader = loader
        self.nodes = 0
        self.positions: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, int] = {}  # pointer -> line of its key (for duplicate-key errors)

    def build(self, node: yaml.Node, path: list[str | int]) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise InputError(
                f"document expands to more than {self.limits.max_nodes} nodes (alias bomb?)",
                position=_mark(self.file, node.start_mark),
            )
        if len(path) > self.limits.max_depth:
            raise InputError(
                f"nesting deeper than {self.limits.max_depth} levels (through aliases)",
                position=_mark(self.file, node.start_mark),
            )
        pointer = pointer_of(path)
        if pointer not in self.positions:
            self.positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise InputError(
                        "YAML merge keys ('<<') are not supported; write the keys out",
                        position=_mark(self.file, key_node.start_mark),
                    )
                key = self._scalar(key_node)
                if isinstance(key, (dict, list)) or not isinstance(key_node, yaml.ScalarNode):
                    raise InputError(
                        "mapping keys must be scalars", position=_mark(self.file, key_node.start_mark)
                    )
                skey = key if isinstance(key, str) else json.dumps(key) if key is not None else "null"
                if skey in out:
                    raise InputError(
                        f"duplicate key {skey!r} (first at line {self.keys[pointer_of([*path, skey])]})",
                        position=_mark(self.file, key_node.start_mark),
                    )
                child_path = [*path, skey]
                # the value's position: that is what a schema error or finding is about
                self.keys[pointer_of(child_path)] = key_node.start_mark.line + 1
                out[skey] = self.build(value_node, child_path)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, [*path, i]) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return self.build(node, [])
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise InputError(
                f"not valid YAML: {exc.problem}", position=_mark(self.file, exc.problem_mark)
            ) from None
        except ValueError:  # an integer past Python's 4,300-digit conversion limit
            raise InputError(
                f"number with {len(node.value)} characters is too large (limit {MAX_NUMBER_DIGITS} digits)",
                position=_mark(self.file, node.start_mark),
            ) from None
        if isinstance(value, float) and value in (float("inf"), float("-inf")):
            raise InputError(
                "an infinite number is not a valid value (JSON and the policies cannot represent it)",
                position=_mark(self.file, node.start_mark),
            )
        if isinstance(value, (_dt.datetime, _dt.date)):
            return value.isoformat()
        if isinstance(value, bytes):
            raise InputError("binary scalars are not supported", position=_mark(self.file, node.start_mark))
        if isinstance(value, float) and value != value:  # NaN cannot be compared by policies
            raise InputError("NaN is not a valid value", position=_mark(self.file, node.start_mark))
        return value


def load_yaml_documents(
    raw: bytes, file: str, *, limits: Limits = Limits(), multi: bool = True
) -> list[Document]:
    """Parse YAML (one or several documents) into :class:`Document` objects, bounded."""
    if len(raw) > limits.max_bytes:
        raise InputError(f"{len(raw)} bytes; the limit is {limits.max_bytes}", position=Position(file))
    text = decode_utf8(raw, file)
    _prescan(text, file, limits)
    loader = _Loader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if docs and not multi:
                raise InputError(
                    "expected a single YAML document, found several", position=_mark(file, node.start_mark)
                )
            builder = _Builder(file, limits, loader)
            data = builder.build(node, [])
            docs.append(Document(data, builder.positions, file, len(docs)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"not valid YAML: {exc.problem or exc.context}", position=_mark(file, mark)
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", position=Position(file)) from None
    except RecursionError:
        raise InputError("document nests too deeply", position=Position(file)) from None
    finally:
        loader.dispose()
    return docs


def load_json_document(raw: bytes, file: str, *, limits: Limits = Limits()) -> Document:
    """Parse JSON strictly (duplicate keys and NaN refused), bounded by depth."""
    text = decode_utf8(raw, file)

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise InputError(f"duplicate key {k!r}", position=Position(file))
            out[k] = v
        return out

    def no_constant(name: str) -> Any:
        raise InputError(f"{name} is not valid JSON", position=Position(file))

    depth = max_depth = 0
    in_str = escape = False
    for ch in text:  # bound nesting before json recurses into it
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif ch in "]}":
            depth -= 1
    if max_depth > limits.max_depth:
        raise InputError(f"nesting deeper than {limits.max_depth} levels", position=Position(file))

    def number_error(literal: str, problem: str) -> InputError:
        found = re.search(r"(?<![\w.\-+])" + re.escape(literal[:200]), text)
        at = found.start() if found else 0
        line = text.count("\n", 0, at) + 1
        return InputError(problem, position=Position(file, line, at - (text.rfind("\n", 0, at) + 1) + 1))

    def parse_int(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_NUMBER_DIGITS:
            raise number_error(
                literal, f"integer with {len(literal)} digits is too large (limit {MAX_NUMBER_DIGITS})"
            )
        return int(literal)

    def parse_float(literal: str) -> float:
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            raise number_error(literal, f"number {literal[:40]} overflows to infinity; not a valid value")
        return value

    try:
        data = json.loads(
            text,
            object_pairs_hook=no_dupes,
            parse_constant=no_constant,
            parse_int=parse_int,
            parse_float=parse_float,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", position=Position(file, exc.lineno, exc.colno)
        ) from None
    return Document(data, {}, file, 0)


def load_file(
    path: Path, *, limits: Limits = Limits(), what: str = "file", display: str | None = None
) -> list[Document]:
    """Load a YAML or JSON file (by extension; YAML is a superset for anything else)."""
    file = display or str(path)
    raw = read_bounded(path, limits=limits, what=what, display=file)
    if path.suffix.lower() == ".json":
        return [load_json_document(raw, file, limits=limits)]
    return load_yaml_documents(raw, file, limits=limits)
