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

from aigate.modelsafe.result import STATUS_ORDER, Scan, plain, worst
from aigate.modelsafe.scan import open_buffer, scan_bytes, scan_zip

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
    buf, mm = open_buffer(path)
    try:
        if not len(buf):
            scan: Scan | None = Scan("empty", "none")
            if suffix in PICKLE_SUFFIXES and scan is not None:
                scan.error(where, 0, "empty file where a model was expected")
        elif bytes(buf[:4]) in (b"PK\x03\x04", b"PK\x05\x06"):
            scan = scan_zip(path, where, 0)
        else:
            scan = scan_bytes(buf, where, name=name, base=path.parent)
    finally:
        _close(buf, mm)
    if scan is None:
        scan = _unclassified(where, suffix)
    return _result(scan, where)


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
