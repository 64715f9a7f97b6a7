"""Model-file safety (MODELSAFE): what each artifact file could execute when it is loaded.

Files are classified by their bytes, never by their names (:mod:`aigate.modelsafe.scan`), and
never loaded. Pickles of every kind (plain, protocol 0 without a header, joblib plain or
compressed, PyTorch zip members of any name, object ``.npy``) go through aigate's own opcode
walker (:mod:`aigate.modelsafe.pickle_walk`), which reports the exact callables each one imports
and calls, with member and offset. The verdict on those callables is the policy's: it compares
them with the organisation's ``modelsafe.allow_globals`` (policy data), so accepting ``numpy`` or
an sklearn estimator is a reviewed data change, not a waiver.

Statuses (worst first): ``unsafe`` (code runs whatever the allowlist says: a nested loader fed
bytes with a payload, a name computed at load time, data after STOP, a Keras Lambda, an ONNX
external-data path leaving the directory), ``error`` (could not be parsed: never a pass),
``imports`` (the policy judges the callables), ``unknown`` (not a format aigate knows), ``safe``.

Each file contributes at most one finding, so a directory's findings stay bounded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aigate.hashing import HEAD_BYTES
from aigate.modelsafe.result import STATUS_ORDER, Scan, plain, worst
from aigate.modelsafe.scan import (
    compression_of,
    open_buffer,
    pickle_header,
    probe_pickle,
    scan_bytes,
    scan_zip,
)

__all__ = ["STATUS_ORDER", "scan_file", "worst"]

#: names that loaders read as pickles: such a file that aigate cannot classify is an error
PICKLE_SUFFIXES = {
    ".pkl",
    ".pickle",
    ".joblib",
    ".dill",
    ".pt",
    ".pth",
    ".ckpt",
    ".npy",
    ".npz",
    ".keras",
    ".h5",
}
#: data formats that are parsed as data by every reasonable loader (no code path)
DATA_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".parquet", ".arrow", ".txt", ".feather", ".avro", ".md"}
#: at most this many callables and problems are listed per file in the evidence
MAX_LISTED = 200


def _summary(scan: Scan) -> str:
    if scan.problems:
        p = scan.problems[0]
        where = f"{p['member']} at offset {p['offset']}" if p.get("offset") is not None else p["member"]
        more = f" (and {len(scan.problems) - 1} more)" if len(scan.problems) > 1 else ""
        return f"{where}: {p['message']}{more}"
    if scan.errors:
        e = scan.errors[0]
        return f"{e['member']}: {e['message']}"
    if scan.imports:
        names = sorted({i["callable"] for i in scan.imports})
        return f"imports {len(names)} callables: " + ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
    if scan.unknown:
        return "unknown file format; prefer safetensors, ONNX or GGUF"
    return "; ".join(scan.notes) or "no code found"


def _finding(scan: Scan, where: str) -> dict[str, Any]:
    status = scan.status
    finding: dict[str, Any] = {
        "file": plain(where),
        "severity": status,
        "message": plain(_summary(scan), 600),
        "imports": scan.imports[:MAX_LISTED],
        "problems": (scan.problems + scan.errors)[:MAX_LISTED],
    }
    dropped = max(0, len(scan.imports) - MAX_LISTED)
    if dropped:
        finding["imports_truncated"] = dropped
    if scan.notes:
        finding["notes"] = [plain(n) for n in scan.notes[:10]]
    return finding


def _result(scan: Scan, where: str) -> dict[str, Any]:
    # safe files add no finding; findings are capped per artifact, and when the cap hides a
    # file that imports anything the policy denies (scan-truncated): never a silent pass
    findings = [] if scan.status == "safe" and not scan.notes else [_finding(scan, where)]
    return {"format": scan.format, "status": scan.status, "scanner": scan.scanner, "findings": findings}


def scan_file(path: Path, where: str | None = None, head: bytes | None = None) -> dict[str, Any]:
    """Classify and scan one regular file: ``{format, status, scanner, findings}``.

    ``where`` names the file in findings (the project-relative path). Never raises for hostile
    content; an unreadable file raises OSError to the caller (who already hashed it).
    """
    where = where or path.name
    name = path.name.lower()
    suffix = path.suffix.lower()
    if head is not None and head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _result(scan_zip(path, where, 0), where)
    if head is not None and _plainly_data(head, name, suffix):
        return _result(_unclassified(where, suffix), where)
    if head is not None and len(head) < HEAD_BYTES:  # the head is the whole file: no open
        return _result(_scan_buffer(memoryview(head), path, where), where)
    buf, mm = open_buffer(path)
    try:
        scan = _scan_buffer(buf, path, where)
    finally:
        _close(buf, mm)
    return _result(scan, where)


def _scan_buffer(buf: memoryview, path: Path, where: str) -> Scan:
    """The scan of a whole file's bytes; what no scanner claims goes to :func:`_unclassified`."""
    suffix = path.suffix.lower()
    if not len(buf):
        scan = Scan("empty", "none")
        if suffix in PICKLE_SUFFIXES:
            scan.error(where, 0, "empty file where a model was expected")
        return scan
    if bytes(buf[:4]) in (b"PK\x03\x04", b"PK\x05\x06"):
        return scan_zip(path, where, 0)
    found = scan_bytes(buf, where, name=path.name.lower(), base=path.parent)
    return found if found is not None else _unclassified(where, suffix)


def _plainly_data(head: bytes, name: str, suffix: str) -> bool:
    """The first bytes already rule out every format that can carry code (no file open: a
    100,000-file dataset directory stays cheap). Only a head that fails as a pickle *before*
    running out of bytes counts; anything inconclusive is opened and scanned."""
    if len(head) < 9 or suffix in PICKLE_SUFFIXES or suffix in (".onnx", ".safetensors", ".gguf", ".pb"):
        return False
    if head[:4] in (b"GGUF", b"PK\x03\x04", b"PK\x05\x06") or head[:6] == b"\x93NUMPY":
        return False
    if (
        head[:8] == b"\x89HDF\r\n\x1a\n"
        or head[8:9] == b"{"
        or head[:1] == b"\x08"
        or name == "saved_model.pb"
    ):
        return False
    if compression_of(head) is not None or pickle_header(head):
        return False
    return probe_pickle(head, complete=False) is False


def _close(buf: memoryview, mm: Any) -> None:
    """Unmap; a view still exported (never expected) just leaves the map to the GC."""
    try:
        buf.release()
        if mm is not None:
            mm.close()
    except BufferError:
        pass


def _unclassified(where: str, suffix: str) -> Scan:
    """No format matched the bytes: data by name, an error if named like a pickle, else unknown."""
    if suffix in DATA_SUFFIXES:
        return Scan(suffix.lstrip("."), "data-format")
    if suffix in PICKLE_SUFFIXES or suffix in (".safetensors", ".onnx", ".gguf"):
        scan = Scan("unclassified", "none")
        scan.error(where, 0, f"named {suffix} but its bytes are no format aigate can classify")
        return scan
    scan = Scan("unknown", "none", unknown=True)
    return scan
