"""Formats that hold only tensors: safetensors, GGUF, numeric ``.npy``. Their headers are checked,
because a header that lies is how a renamed pickle or an out-of-bounds read gets waved through."""

from __future__ import annotations

import ast
import json
import math
import re
import struct
from typing import Any

#: safetensors dtypes and their size in *bits* (sub-byte float formats included)
_ST_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "F64": 64, "I64": 64, "U64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
#: the safetensors reference implementation refuses larger headers
MAX_ST_HEADER = 100_000_000


def looks_like_safetensors(head: bytes) -> bool:
    """An 8-byte little-endian length followed by ``{``."""
    return len(head) >= 9 and head[8:9] == b"{"


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _tensor_span(name: str, t: Any) -> tuple[int, int] | str:
    if not isinstance(t, dict) or set(t) != {"dtype", "shape", "data_offsets"}:
        return f"tensor {name!r} must have exactly dtype, shape and data_offsets"
    bits = _ST_BITS.get(t["dtype"]) if isinstance(t["dtype"], str) else None
    if bits is None:
        return f"tensor {name!r} has unknown dtype {t['dtype']!r}"
    shape, off = t["shape"], t["data_offsets"]
    if not isinstance(shape, list) or not all(type(x) is int and x >= 0 for x in shape):
        return f"tensor {name!r} has an invalid shape"
    if not isinstance(off, list) or len(off) != 2 or not all(type(x) is int for x in off):
        return f"tensor {name!r} has invalid data_offsets"
    nbits = math.prod(shape) * bits
    if nbits % 8 or off[1] - off[0] != nbits // 8 or off[0] < 0:
        return f"tensor {name!r}: data_offsets {off} do not match dtype and shape"
    return off[0], off[1]


def check_safetensors(head: bytes, header_bytes: bytes | None, size: int) -> str | None:
    """None if valid; else why. ``header_bytes`` is the JSON header (read by the caller)."""
    (n,) = struct.unpack("<Q", head[:8])
    if n < 2 or n > MAX_ST_HEADER or n > size - 8:
        return f"header length {n} does not fit the file"
    if header_bytes is None or len(header_bytes) != n:
        return "truncated header"
    try:
        header = json.loads(header_bytes.decode("utf-8"), object_pairs_hook=_no_dupes)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        return f"header is not valid JSON ({type(exc).__name__})"
    if not isinstance(header, dict):
        return "header is not a JSON object"
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        return "__metadata__ must map strings to strings"
    spans = []
    for name, t in header.items():
        span = _tensor_span(name, t)
        if isinstance(span, str):
            return span
        spans.append(span)
    spans.sort()
    pos = 0
    for begin, end in spans:
        if begin != pos:
            return f"tensor data {'overlaps' if begin < pos else 'leaves a gap'} at byte {begin}"
        pos = end
    if pos != size - 8 - n:
        return f"tensors cover {pos} bytes but the file holds {size - 8 - n} data bytes"
    return None


def check_gguf(head: bytes, size: int) -> str | None:
    """GGUF: magic, a known version, tensor and key/value counts that can fit the file."""
    if len(head) < 8:
        return "truncated header"
    (version,) = struct.unpack("<I", head[4:8])
    if version not in (1, 2, 3):
        return f"unknown GGUF version {version}"
    if version == 1:
        if len(head) < 16:
            return "truncated header"
        n_tensors, n_kv = struct.unpack("<II", head[8:16])
    else:
        if len(head) < 24:
            return "truncated header"
        n_tensors, n_kv = struct.unpack("<QQ", head[8:24])
    if n_tensors * 8 > size or n_kv * 8 > size:
        return f"{n_tensors} tensors and {n_kv} keys cannot fit in {size} bytes"
    return None


_DESCR = re.compile(r"^[<>|=]?([biufcmMSUVO])(\d*)(\[\w+\])?$")


def _descr_has_object(descr: Any, depth: int = 0) -> bool | None:
    """Whether a ``.npy`` descr holds Python objects; None if it is not a valid descr."""
    if depth > 16:
        return None
    if isinstance(descr, str):
        m = _DESCR.match(descr)
        return None if m is None else m.group(1) == "O"
    if isinstance(descr, list):
        found = False
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3):
                return None
            sub = _descr_has_object(field[1], depth + 1)
            if sub is None:
                return None
            found = found or sub
        return found
    return None


def npy_header(buf: memoryview) -> tuple[bool, int] | str:
    """(holds objects, offset of the data) of a ``.npy`` stream, or why it is invalid."""
    if len(buf) < 10 or bytes(buf[:6]) != b"\x93NUMPY":
        return "not a .npy stream"
    major = buf[6]
    if major == 1:
        hlen, start = int.from_bytes(buf[8:10], "little"), 10
    elif major in (2, 3):
        if len(buf) < 12:
            return "truncated header"
        hlen, start = int.from_bytes(buf[8:12], "little"), 12
    else:
        return f"unknown .npy version {major}"
    if hlen > 1 << 20 or start + hlen > len(buf):
        return "header length does not fit the file"
    try:
        text = bytes(buf[start : start + hlen]).decode("utf-8" if major == 3 else "latin-1")
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
        return "header is not a Python literal"
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        return "header must have exactly descr, fortran_order and shape"
    has_object = _descr_has_object(header["descr"])
    if has_object is None:
        return f"invalid dtype descr {plain_repr(header['descr'])}"
    return has_object, start + hlen


def plain_repr(value: Any) -> str:
    """A short repr for messages (the caller passes it through ``plain``)."""
    return repr(value)[:80]
