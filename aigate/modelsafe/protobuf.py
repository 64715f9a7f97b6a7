"""A small bounded protobuf field walker for ONNX models and TensorFlow SavedModels.

Why not ``onnx``/``tensorflow``: neither is a dependency of aigate, and both parse far more than
a safety check needs. Only the fields on the path to what matters are descended into: ONNX
tensors' ``external_data`` locations (a path that leaves the model directory makes the runtime
read any file), and the op names of a SavedModel graph (``ReadFile``/``WriteFile``/``PyFunc``
reach the file system or Python). Every length is checked against its parent's end; depth and
field counts are bounded.
"""

from __future__ import annotations

from collections.abc import Iterator

MAX_DEPTH = 32
MAX_FIELDS = 2_000_000


class ProtoError(Exception):
    """Not a well-formed protobuf message at ``offset``."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"offset {offset}: {message}")
        self.offset = offset
        self.message = message


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while pos < end and shift < 70:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise ProtoError(pos, "truncated varint")


def fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, value start, value end or varint value) of one message."""
    pos = start
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        num, wire = tag >> 3, tag & 7
        if num == 0:
            raise ProtoError(pos, "field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos, end)
            yield num, wire, pos, value
        elif wire == 1 or wire == 5:
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise ProtoError(pos, "truncated fixed-width field")
            yield num, wire, pos, pos + size
            pos += size
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise ProtoError(pos, "length-delimited field runs past its message")
            yield num, wire, pos, pos + length
            pos += length
        else:
            raise ProtoError(pos, f"unsupported wire type {wire}")


#: message name -> {field number: child message name} (only the path to what is checked)
ONNX_SCHEMA: dict[str, dict[int, str]] = {
    "Model": {7: "Graph", 20: "TrainingInfo", 25: "Function"},
    "TrainingInfo": {1: "Graph", 2: "Graph"},
    "Function": {7: "Node"},
    "Graph": {1: "Node", 5: "Tensor", 15: "Sparse"},
    "Node": {5: "Attribute"},
    "Attribute": {5: "Tensor", 6: "Graph", 10: "Tensor", 11: "Graph", 22: "Sparse", 23: "Sparse"},
    "Sparse": {1: "Tensor", 2: "Tensor"},
    "Tensor": {13: "Entry"},
    "Entry": {},
}

#: ONNX ModelProto's top-level fields and wire types: anything else is not an ONNX model
ONNX_TOP = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}


def _entry(buf: memoryview, start: int, end: int) -> tuple[str, str]:
    key = value = ""
    for num, wire, a, b in fields(buf, start, end):
        if wire == 2 and num in (1, 2):
            text = bytes(buf[a:b]).decode("utf-8", "replace")
            key, value = (text, value) if num == 1 else (key, text)
    return key, value


def onnx_external_locations(buf: memoryview) -> list[str]:
    """Every ``external_data`` location of every tensor in the model (raises ProtoError)."""
    seen_graph = False
    count = 0
    for num, wire, _a, _b in fields(buf, 0, len(buf)):
        if ONNX_TOP.get(num) != wire:
            raise ProtoError(0, f"field {num} (wire type {wire}) is not part of an ONNX ModelProto")
        seen_graph = seen_graph or num == 7
        count += 1
    if not seen_graph or count == 0:
        raise ProtoError(0, "no graph in the ONNX model")
    out: list[str] = []
    stack: list[tuple[str, int, int, int]] = [("Model", 0, len(buf), 0)]
    visited = 0
    while stack:
        kind, start, end, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ProtoError(start, "message nesting too deep")
        for num, wire, a, b in fields(buf, start, end):
            visited += 1
            if visited > MAX_FIELDS:
                raise ProtoError(a, "too many fields")
            child = ONNX_SCHEMA[kind].get(num)
            if child is None or wire != 2:
                continue
            if child == "Entry":
                key, value = _entry(buf, a, b)
                if key == "location":
                    out.append(value)
            else:
                stack.append((child, a, b, depth + 1))
    return out


SAVEDMODEL_SCHEMA: dict[str, dict[int, str]] = {
    "SavedModel": {2: "MetaGraph"},
    "MetaGraph": {2: "Graph"},
    "Graph": {1: "Node", 2: "Library"},
    "Library": {1: "Function"},
    "Function": {3: "Node"},
    "Node": {},
}


def savedmodel_ops(buf: memoryview) -> set[str]:
    """The op names of every node of every graph and function in a ``saved_model.pb``."""
    ops: set[str] = set()
    stack: list[tuple[str, int, int, int]] = [("SavedModel", 0, len(buf), 0)]
    visited = 0
    while stack:
        kind, start, end, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ProtoError(start, "message nesting too deep")
        for num, wire, a, b in fields(buf, start, end):
            visited += 1
            if visited > MAX_FIELDS:
                raise ProtoError(a, "too many fields")
            if kind == "Node" and num == 2 and wire == 2:
                ops.add(bytes(buf[a:b]).decode("utf-8", "replace"))
                continue
            child = SAVEDMODEL_SCHEMA[kind].get(num)
            if child is not None and wire == 2:
                stack.append((child, a, b, depth + 1))
    return ops
