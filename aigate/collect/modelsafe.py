"""Model-file safety (MODELSAFE): which artifact files could execute code when loaded.

Pickle-based files (``.pkl``, ``.pickle``, ``.joblib``, PyTorch zip ``.pt``/``.pth``/``.bin``,
object-dtype ``.npy``) are scanned with fickling's *allowlist*-based analysis, from their
bytes, never by loading them: denylist scanners (picklescan, modelscan) have a long history
of bypasses through globals they did not list, while an allowlist flags every import it does
not know. So a pickle importing ``numpy`` is reported too; the policy decides which imports
the organisation accepts (each result lists the ``imports`` it found).

Tensor-only formats (safetensors, GGUF, ONNX, plain ``.npy``) cannot carry code; their header
is validated cheaply so that a pickle renamed ``model.safetensors`` is not waved through.
Anything else is ``unknown`` (the policy warns). A scan that cannot finish is ``error``,
never ``safe``: fail closed.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import struct
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

#: statuses, worst first: an artifact's status is the worst of its files
STATUS_ORDER = ("unsafe", "error", "unknown", "safe")

PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".dill"}
TORCH_SUFFIXES = {".pt", ".pth", ".bin", ".ckpt", ".pkl"}
#: data formats that are parsed as data by every reasonable loader (no code path)
DATA_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".parquet", ".arrow", ".txt", ".feather", ".avro", ".md"}
#: a pickle inside a zip larger than this is not read into memory: the scan reports an error
MAX_PICKLE_BYTES = 2 << 30


def worst(statuses: list[str]) -> str:
    """The worst status of several (``safe`` for none: an empty directory holds no code)."""
    for s in STATUS_ORDER:
        if s in statuses:
            return s
    return "safe"


def _result(
    fmt: str, status: str, scanner: str, findings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"format": fmt, "status": status, "scanner": scanner, "findings": findings or []}


def _fickling_scan(data: bytes, where: str) -> tuple[str, list[dict[str, Any]]]:
    """Run fickling's full analysis over pickle bytes; returns (status, findings).

    fickling writes warnings to stderr; the core never prints, so they are captured and
    recorded as finding text instead.
    """
    from fickling.analysis import Severity, check_safety
    from fickling.fickle import PickleDecodeError, StackedPickle

    findings: list[dict[str, Any]] = []
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            stacked = StackedPickle.load(io.BytesIO(data), fail_on_decode_error=True)
            worst_sev = Severity.LIKELY_SAFE
            imports: set[str] = set()
            messages: list[str] = []
            for pickled in stacked:
                res = check_safety(pickled)
                if res.severity > worst_sev:
                    worst_sev = res.severity
                for r in res.results:
                    if r.severity > Severity.LIKELY_SAFE and r.message:
                        messages.append(r.message)
                for node in pickled.properties.imports:
                    if isinstance(node, ast.ImportFrom):
                        imports.update(f"{node.module}.{a.name}" for a in node.names)
                    else:
                        imports.update(a.name for a in node.names)
    except PickleDecodeError as exc:
        return "error", [{"file": where, "severity": "error", "message": f"not a valid pickle: {exc}"}]
    except RecursionError:
        return "error", [
            {"file": where, "severity": "error", "message": "pickle nesting too deep to analyse"}
        ]
    except MemoryError:
        return "error", [{"file": where, "severity": "error", "message": "pickle too large to analyse"}]
    except Exception as exc:  # fickling raising on hostile input: fail closed, as data
        return "error", [
            {"file": where, "severity": "error", "message": f"scanner failed: {type(exc).__name__}: {exc}"}
        ]
    note = " ".join(captured.getvalue().split())
    if note:
        messages.append(note)
    status = "safe" if worst_sev == Severity.LIKELY_SAFE else "unsafe"
    finding = {
        "file": where,
        "severity": worst_sev.name.lower(),
        "imports": sorted(imports),
        "message": "; ".join(dict.fromkeys(messages)) if messages else "no unsafe operations found",
    }
    findings.append(finding)
    return status, findings


def _read_head(f: BinaryIO, n: int) -> bytes:
    return f.read(n)


def _check_safetensors(f: BinaryIO, size: int) -> str | None:
    """None if the header is a valid safetensors header, else the reason."""
    f.seek(0)
    raw = f.read(8)
    if len(raw) < 8:
        return "shorter than the 8-byte header length"
    (n,) = struct.unpack("<Q", raw)
    if n < 2 or n > min(size - 8, 100 << 20):
        return f"header length {n} does not fit the file"
    try:
        header = json.loads(f.read(n))
    except (ValueError, UnicodeDecodeError):
        return "header is not JSON"
    if not isinstance(header, dict):
        return "header is not a JSON object"
    data_len = size - 8 - n
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(t, dict) or not {"dtype", "shape", "data_offsets"} <= t.keys():
            return f"tensor {name!r} lacks dtype/shape/data_offsets"
        off = t["data_offsets"]
        if (
            not isinstance(off, list)
            or len(off) != 2
            or not all(isinstance(x, int) for x in off)
            or not 0 <= off[0] <= off[1] <= data_len
        ):
            return f"tensor {name!r} has data_offsets outside the file"
    return None


def _varint(f: BinaryIO) -> int | None:
    shift = result = 0
    while shift < 70:
        b = f.read(1)
        if not b:
            return None
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
    return None


#: ONNX ModelProto field numbers and their wire types (0 varint, 2 length-delimited)
_ONNX_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2}


def _check_onnx(f: BinaryIO, size: int) -> str | None:
    """Walk the top-level protobuf fields of a ModelProto (skipping payloads, so O(fields))."""
    f.seek(0)
    seen_graph = False
    fields = 0
    while f.tell() < size:
        tag = _varint(f)
        if tag is None:
            return "truncated protobuf tag"
        num, wire = tag >> 3, tag & 7
        if _ONNX_FIELDS.get(num) != wire:
            return f"unexpected protobuf field {num} (wire type {wire}) for an ONNX ModelProto"
        if wire == 0:
            if _varint(f) is None:
                return "truncated varint"
        else:
            length = _varint(f)
            if length is None or f.tell() + length > size:
                return "length-delimited field runs past the end of the file"
            f.seek(length, io.SEEK_CUR)
        seen_graph = seen_graph or num == 7
        fields += 1
        if fields > 100_000:
            return "too many top-level fields"
    return None if seen_graph else "no graph in the ONNX model"


def _npy_header(f: BinaryIO) -> tuple[dict[str, Any] | None, int]:
    """Parse a ``.npy`` header: (header dict or None if invalid, offset of the data)."""
    magic = f.read(8)
    if len(magic) < 8 or magic[:6] != b"\x93NUMPY":
        return None, 0
    major = magic[6]
    if major == 1:
        raw = f.read(2)
        hlen = struct.unpack("<H", raw)[0] if len(raw) == 2 else -1
    else:
        raw = f.read(4)
        hlen = struct.unpack("<I", raw)[0] if len(raw) == 4 else -1
    if hlen < 0 or hlen > 1 << 20:
        return None, 0
    try:
        header = ast.literal_eval(f.read(hlen).decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None, 0
    if not isinstance(header, dict) or "descr" not in header:
        return None, 0
    return header, f.tell()


def _npy_is_object(header: dict[str, Any]) -> bool:
    return "O" in repr(header.get("descr"))


def _scan_npy_bytes(data: bytes, where: str) -> dict[str, Any]:
    return _scan_npy(io.BytesIO(data), where)


def _scan_npy(f: Any, where: str) -> dict[str, Any]:
    """A ``.npy`` stream at offset 0: a numeric array is safe; an object array is a pickle."""
    header, offset = _npy_header(f)
    if header is None:
        return _result(
            "numpy",
            "error",
            "npy-header",
            [{"file": where, "severity": "error", "message": "invalid .npy header"}],
        )
    if not _npy_is_object(header):
        return _result("numpy", "safe", "npy-header")
    f.seek(offset)
    status, findings = _fickling_scan(f.read(), where)
    return _result("numpy-object", status, "fickling", findings)


def _scan_zip(path: Path, where: str) -> dict[str, Any]:
    """A PyTorch (or ``.npz``) zip: scan each pickle member; tensors are raw bytes."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return _result(
            "zip", "error", "zip", [{"file": where, "severity": "error", "message": f"bad zip: {exc}"}]
        )
    statuses: list[str] = []
    findings: list[dict[str, Any]] = []
    fmt = "zip"
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        for info in members:
            name = info.filename
            suffix = PurePosixPath(name).suffix.lower()
            is_pickle = suffix in {".pkl", ".pickle"}
            is_npy = suffix == ".npy"
            if not (is_pickle or is_npy):
                continue
            member_where = f"{where}!{name}"
            if info.file_size > MAX_PICKLE_BYTES:
                statuses.append("error")
                findings.append(
                    {"file": member_where, "severity": "error", "message": "member too large to scan"}
                )
                continue
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                statuses.append("error")
                findings.append(
                    {"file": member_where, "severity": "error", "message": f"cannot read member: {exc}"}
                )
                continue
            if is_pickle:
                fmt = "pytorch"
                st, fs = _fickling_scan(data, member_where)
                statuses.append(st)
                findings.extend(fs)
            else:
                fmt = "numpy-npz" if fmt == "zip" else fmt
                r = _scan_npy_bytes(data, member_where)
                statuses.append(r["status"])
                findings.extend(r["findings"])
    if not statuses:
        return _result(
            fmt,
            "unknown",
            "zip",
            [{"file": where, "severity": "warning", "message": "zip holds no pickle or .npy member"}],
        )
    return _result(fmt, worst(statuses), "fickling", findings)


def scan_file(path: Path, where: str | None = None, head: bytes | None = None) -> dict[str, Any]:
    """Classify and scan one regular file: ``{format, status, scanner, findings}``.

    ``where`` names the file in findings (the project-relative path). Never raises for
    hostile content; an unreadable file raises OSError to the caller (who already hashed it).
    """
    where = where or path.name
    suffix = path.suffix.lower()
    if suffix in DATA_SUFFIXES:
        # data files are parsed as data by their loaders; not opened (100,000-file datasets)
        return _result(suffix.lstrip("."), "safe", "data-format")
    # classify from the first bytes with raw syscalls: cheap enough for 100,000-file artifacts
    if head is None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            head = os.read(fd, 16)
        finally:
            os.close(fd)
    known_magic = (
        head[:4] in (b"GGUF", b"PK\x03\x04")
        or head[:6] == b"\x93NUMPY"
        or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5)
        or (len(head) >= 9 and head[8:9] == b"{")
    )
    if not known_magic and suffix not in PICKLE_SUFFIXES and suffix not in (".safetensors", ".onnx"):
        return _unknown(where, suffix)
    with open(path, "rb") as f:
        size = f.seek(0, io.SEEK_END)
        f.seek(0)
        head = f.read(16)
        if head[:4] == b"GGUF":
            version = struct.unpack("<I", head[4:8])[0] if len(head) >= 8 else 0
            if version in (1, 2, 3):
                return _result("gguf", "safe", "gguf-header")
            return _result(
                "gguf",
                "error",
                "gguf-header",
                [{"file": where, "severity": "error", "message": f"unknown GGUF version {version}"}],
            )
        if head[:4] == b"PK\x03\x04":
            f.close()
            return _scan_zip(path, where)
        if head[:6] == b"\x93NUMPY":
            f.seek(0)
            return _scan_npy(f, where)
        if suffix == ".safetensors" or (len(head) >= 9 and head[8:9] == b"{"):
            reason = _check_safetensors(f, size)
            if reason is None:
                return _result("safetensors", "safe", "safetensors-header")
            if suffix == ".safetensors":
                return _result(
                    "safetensors",
                    "error",
                    "safetensors-header",
                    [{"file": where, "severity": "error", "message": f"invalid safetensors file: {reason}"}],
                )
        is_pickle_magic = len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5
        if is_pickle_magic or suffix in PICKLE_SUFFIXES:
            if size > MAX_PICKLE_BYTES:
                return _result(
                    "pickle",
                    "error",
                    "fickling",
                    [{"file": where, "severity": "error", "message": "pickle too large to scan"}],
                )
            f.seek(0)
            status, findings = _fickling_scan(f.read(), where)
            return _result("pickle", status, "fickling", findings)
        if suffix == ".onnx":
            reason = _check_onnx(f, size)
            if reason is None:
                return _result("onnx", "safe", "onnx-protobuf")
            return _result(
                "onnx",
                "error",
                "onnx-protobuf",
                [{"file": where, "severity": "error", "message": f"invalid ONNX file: {reason}"}],
            )
    return _unknown(where, suffix)


def _unknown(where: str, suffix: str) -> dict[str, Any]:
    return _result(
        "unknown",
        "unknown",
        "none",
        [
            {
                "file": where,
                "severity": "warning",
                "message": f"unknown file format ({suffix or 'no extension'}); "
                "prefer safetensors, ONNX or GGUF",
            }
        ],
    )
