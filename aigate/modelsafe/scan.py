"""Classify bytes by content and scan them: pickles, zips (PyTorch, TorchScript, ``.npz``,
``.keras``), compressed streams (joblib's zlib/gzip/bz2/lzma/xz/lz4), ``.npy``, safetensors,
GGUF, ONNX, HDF5 and SavedModel graphs.

Names are only hints for the *message*; the format is what the bytes are. A member of any name
that parses as a pickle is walked; a compressed stream is decompressed (bounded, into a temporary
file) when its first bytes decompress to something that can carry code.
"""

from __future__ import annotations

import bz2
import io
import lzma
import mmap
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from aigate.modelsafe import keras, protobuf, tensors
from aigate.modelsafe.pickle_walk import PickleError, WalkResult, walk_one, walk_stream
from aigate.modelsafe.result import Scan, plain

#: a pickle member or nested object larger than this is not read into memory (error)
MAX_MEMBER_BYTES = 256 << 20
#: decompressed output cap for one compressed stream (written to a temporary file)
MAX_DECOMPRESSED = 4 << 30
#: members per zip
MAX_MEMBERS = 100_000
#: bytes of a member read to decide whether it is a pickle at all
PROBE = 1 << 16

_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x5d\x00\x00": "lzma",
    b"\x04\x22\x4d\x18": "lz4",
}
_ZLIB_SECOND = {0x01, 0x5E, 0x9C, 0xDA}


class _ViewFile(io.RawIOBase):
    """A seekable read-only file over a memory view: zipfile reads a mapped or decompressed
    archive without a copy of it in memory."""

    def __init__(self, view: memoryview) -> None:
        self._view, self._pos = view, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b: Any) -> int:
        chunk = self._view[self._pos : self._pos + len(b)]
        n = len(chunk)
        memoryview(b).cast("B")[:n] = chunk
        self._pos += n
        return n


def compression_of(head: bytes) -> str | None:
    """The compression a stream starts with, by magic number."""
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            return name
    if len(head) >= 2 and head[0] == 0x78 and head[1] in _ZLIB_SECOND and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


def pickle_header(head: bytes | memoryview) -> bool:
    """A protocol 2+ pickle starts with PROTO 2..5."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def probe_pickle(head: bytes | memoryview, complete: bool) -> bool | None:
    """Does this start like a pickle of any protocol? True, False, or None (read more to know)."""
    try:
        walk_one(memoryview(head), 0, nested=None, joblib=False)
        return True
    except PickleError as exc:
        if not complete and exc.message.startswith("truncated"):
            return None
        return False


def _imports(res: WalkResult, member: str) -> list[dict[str, Any]]:
    out = []
    for imp in res.imports.values():
        d = imp.as_dict()
        d = {k: plain(v) if isinstance(v, str) else v for k, v in d.items()}
        d["member"] = plain(member)
        out.append(d)
    return out


def scan_pickle(buf: memoryview, member: str, depth: int, fmt: str = "pickle") -> Scan:
    """Walk every pickle in ``buf``; nested serialised objects are scanned recursively."""
    scan = Scan(fmt, "aigate-pickle")

    def nested(data: bytes, d: int) -> WalkResult | None:
        inner = scan_bytes(memoryview(data), f"{member}>nested", depth=d)
        if inner is None:
            return None
        scan.absorb(inner)
        return WalkResult()

    try:
        res = walk_stream(buf, nested=nested, depth=depth)
    except PickleError as exc:
        scan.error(member, exc.offset, f"not a valid pickle: {exc.message}")
        return scan
    if res.legacy_torch:
        scan.format = "pytorch-legacy"
    scan.imports.extend(_imports(res, member))
    for offset, msg in res.problems:
        scan.problem(member, offset, msg)
    return scan


def scan_npy(buf: memoryview, member: str, depth: int) -> Scan:
    """Numeric ``.npy`` holds no code; an object array is a pickle after the header."""
    hdr = tensors.npy_header(buf)
    if isinstance(hdr, str):
        scan = Scan("numpy", "npy-header")
        scan.error(member, 0, f"invalid .npy file: {hdr}")
        return scan
    has_object, offset = hdr
    if not has_object:
        return Scan("numpy", "npy-header")
    inner = scan_pickle(buf[offset:], member, depth, fmt="numpy-object")
    for item in inner.imports + inner.problems + inner.errors:
        if isinstance(item.get("offset"), int):
            item["offset"] += offset
    return inner


def scan_bytes(
    buf: memoryview, member: str, *, depth: int = 0, name: str = "", base: Path | None = None
) -> Scan | None:
    """Classify and scan a buffer; None when it is no format aigate recognises."""
    head = bytes(buf[:32])
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return scan_zip(_ViewFile(buf), member, depth)
    if head[:6] == b"\x93NUMPY":
        return scan_npy(buf, member, depth)
    if head[:4] == b"GGUF":
        return _checked("gguf", "gguf-header", member, tensors.check_gguf(head, len(buf)))
    if tensors.looks_like_safetensors(head):
        n = int.from_bytes(head[:8], "little")
        hdr = bytes(buf[8 : 8 + n]) if n <= tensors.MAX_ST_HEADER else None
        reason = tensors.check_safetensors(head, hdr, len(buf))
        if reason is None or name.endswith(".safetensors"):
            return _checked("safetensors", "safetensors-header", member, reason)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return scan_h5(buf, member)
    comp = compression_of(head)
    if comp is not None and depth < 4:
        found = scan_compressed(lambda: io.BytesIO(buf), comp, member, depth)
        if found is not None:
            return found
    if pickle_header(head) or probe_pickle(buf[:PROBE], complete=len(buf) <= PROBE) is not False:
        scan = scan_pickle(buf, member, depth)
        if pickle_header(head) or not scan.errors:
            return scan
    if name.endswith(".onnx") or head[:1] == b"\x08":
        found = scan_onnx(buf, member, base)
        if found is not None and (name.endswith(".onnx") or not found.errors):
            return found
    if PurePosixPath(name).name == "saved_model.pb":
        return scan_savedmodel(buf, member)
    return None


def _checked(fmt: str, scanner: str, member: str, reason: str | None) -> Scan:
    scan = Scan(fmt, scanner)
    if reason is not None:
        scan.error(member, 0, f"invalid {fmt} file: {reason}")
    return scan


def scan_onnx(buf: memoryview, member: str, base: Path | None) -> Scan | None:
    """ONNX: a valid ModelProto, and external data only inside the model's directory."""
    scan = Scan("onnx", "onnx-protobuf")
    try:
        locations = protobuf.onnx_external_locations(buf)
    except protobuf.ProtoError as exc:
        scan.error(member, exc.offset, f"invalid ONNX file: {exc.message}")
        return scan
    for loc in locations:
        bad = loc.startswith(("/", "\\")) or ".." in loc.replace("\\", "/").split("/") or ":" in loc
        if base is None and not bad:
            bad = True  # inside an archive there is no directory to stay in
        elif base is not None and not bad:
            target = (base / loc).resolve()
            bad = not target.is_relative_to(base.resolve())
        if bad:
            scan.problem(member, None, f"external data location {loc} leaves the model directory")
    return scan


#: TensorFlow ops that reach the file system or run Python
RISKY_TF_OPS = frozenset(
    {"ReadFile", "WriteFile", "MatchingFiles", "PyFunc", "PyFuncStateless", "EagerPyFunc"}
)


def scan_savedmodel(buf: memoryview, member: str) -> Scan:
    """A SavedModel graph: any op in :data:`RISKY_TF_OPS` is code."""
    scan = Scan("tf-savedmodel", "savedmodel-protobuf")
    try:
        ops = protobuf.savedmodel_ops(buf)
    except protobuf.ProtoError as exc:
        scan.error(member, exc.offset, f"invalid saved_model.pb: {exc.message}")
        return scan
    for op in sorted(ops & RISKY_TF_OPS):
        scan.problem(member, None, f"TensorFlow op {op} reaches the file system or runs Python")
    return scan


def scan_h5(buf: memoryview, member: str) -> Scan:
    """A Keras HDF5 file: a weights-only file is data; a model config must hold no code."""
    scan = Scan("keras-h5", "keras-config")
    try:
        config = keras.h5_model_config(bytes(buf[: 64 << 20]))
    except (ValueError, RecursionError) as exc:
        scan.error(member, None, f"cannot read the Keras model config: {exc}")
        return scan
    for msg in keras.config_code(config) if config is not None else []:
        scan.problem(member, None, msg)
    return scan


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(31)
    if kind == "zlib":
        return zlib.decompressobj(15)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    if kind in ("xz", "lzma"):
        return lzma.LZMADecompressor()
    import lz4.frame  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return lz4.frame.LZ4FrameDecompressor()


def _inflate(opener: Callable[[], Any], kind: str, limit: int, sink: Any) -> int:
    """Decompress into ``sink`` up to ``limit`` bytes; returns the count (limit+1 = too big)."""
    d = _decompressor(kind)
    total = 0
    with opener() as src:
        while total <= limit:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            out = d.decompress(chunk, limit + 1 - total) if kind != "lz4" else d.decompress(chunk)
            sink.write(out)
            total += len(out)
            while kind != "lz4" and total <= limit and not getattr(d, "needs_input", True) and not d.eof:
                out = d.decompress(b"", limit + 1 - total)
                if not out:
                    break
                sink.write(out)
                total += len(out)
    return total


def scan_compressed(opener: Callable[[], Any], kind: str, member: str, depth: int) -> Scan | None:
    """A compressed stream: probe its start; if it can carry code, decompress (bounded) and scan."""
    probe = io.BytesIO()
    try:
        _inflate(opener, kind, PROBE, probe)
    except ImportError:
        scan = Scan(f"{kind}-compressed", "decompress")
        scan.error(member, 0, f"{kind} stream but the {kind} module is not installed; install lz4")
        return scan
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, RuntimeError):
        return None
    head = probe.getvalue()
    if not head:
        return None
    interesting = (
        pickle_header(head)
        or head[:6] == b"\x93NUMPY"
        or head[:4] == b"PK\x03\x04"
        or probe_pickle(head, complete=len(head) < PROBE) is not False
    )
    if not interesting:
        return None
    with tempfile.TemporaryFile() as tmp:
        try:
            total = _inflate(opener, kind, MAX_DECOMPRESSED, tmp)
        except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, RuntimeError) as exc:
            scan = Scan(f"{kind}-compressed", "decompress")
            scan.error(member, 0, f"{kind} stream is corrupt: {type(exc).__name__}")
            return scan
        if total > MAX_DECOMPRESSED:
            scan = Scan(f"{kind}-compressed", "decompress")
            scan.error(member, 0, f"decompresses to more than {MAX_DECOMPRESSED} bytes")
            return scan
        tmp.flush()
        with mmap.mmap(tmp.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            inner = scan_bytes(memoryview(mm), member + f">{kind}", depth=depth + 1)
            if inner is None:
                return None
            if inner.format == "pickle":
                inner.format = f"pickle-{kind}"
            return inner


_TORCH_DATA = ("version", ".format_version", ".storage_alignment", "byteorder", "serialization_id")


def _zip_kind(names: list[str]) -> str:
    base = {n.rsplit("/", 1)[-1] for n in names}
    if "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names):
        return "keras"
    if "data.pkl" in base and any("/code/" in n or n.startswith("code/") for n in names):
        return "torchscript"
    if "data.pkl" in base:
        return "pytorch"
    if names and all(n.endswith(".npy") for n in names):
        return "numpy-npz"
    return "zip"


def _is_raw_storage(kind: str, name: str) -> bool:
    """PyTorch storages and bookkeeping members: raw bytes the loader never unpickles."""
    if kind not in ("pytorch", "torchscript"):
        return False
    parts = name.split("/")
    return (len(parts) >= 2 and parts[-2] == "data") or parts[-1] in _TORCH_DATA


def _member_scan(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, kind: str, where: str, depth: int
) -> Scan | None:
    """One zip member, classified by its bytes (never by its name)."""
    with zf.open(info) as fh:
        head = fh.read(PROBE)
    complete = info.file_size <= len(head)
    raw = _is_raw_storage(kind, info.filename)
    looks = (
        head[:4] in (b"PK\x03\x04", b"PK\x05\x06")
        or head[:6] == b"\x93NUMPY"
        or pickle_header(head)
        or compression_of(head) is not None
        or probe_pickle(head, complete) is not False
    )
    if not looks:
        if info.filename.endswith(".json") and kind == "keras":
            return _keras_config(zf.read(info), where)
        return None
    if head[:6] == b"\x93NUMPY" and complete is False:
        hdr = tensors.npy_header(memoryview(head))
        if not isinstance(hdr, str) and not hdr[0]:
            return Scan("numpy", "npy-header")
    if info.file_size > MAX_MEMBER_BYTES:
        scan = Scan("zip-member", "zip")
        if not raw:
            scan.error(where, 0, f"member of {info.file_size} bytes is too large to scan")
        return scan
    data = zf.read(info)
    inner = scan_bytes(memoryview(data), where, depth=depth + 1, name=info.filename)
    if inner is not None and raw and inner.errors and not inner.imports and not inner.problems:
        return None  # tensor bytes that merely start like a pickle: torch never unpickles them
    return inner


def _keras_config(data: bytes, where: str) -> Scan:
    scan = Scan("keras", "keras-config")
    try:
        import json

        config = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        scan.error(where, None, "config is not valid JSON")
        return scan
    for msg in keras.config_code(config):
        scan.problem(where, None, msg)
    return scan


def scan_zip(source: Any, where: str, depth: int) -> Scan:
    """Every member of a zip (PyTorch, TorchScript, ``.npz``, ``.keras`` or any other)."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        scan = Scan("zip", "zip")
        scan.error(where, 0, f"bad zip: {exc}")
        return scan
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        kind = _zip_kind([i.filename for i in infos])
        scan = Scan(kind, "aigate-zip")
        if len(infos) > MAX_MEMBERS:
            scan.error(where, None, f"more than {MAX_MEMBERS} members")
            return scan
        if kind == "torchscript":
            scan.notes.append("TorchScript archive: its code/ members are a TorchScript program")
        for info in infos:
            mwhere = f"{where}!{info.filename}"
            try:
                inner = _member_scan(zf, info, kind, mwhere, depth)
            except (
                zipfile.BadZipFile,
                OSError,
                ValueError,
                EOFError,
                NotImplementedError,
                RuntimeError,
                zlib.error,
                lzma.LZMAError,
            ) as exc:
                scan.error(mwhere, None, f"cannot read member: {type(exc).__name__}: {exc}")
                continue
            if inner is not None:
                scan.absorb(inner)
                if kind == "zip" and inner.format not in ("numpy", "safetensors"):
                    scan.format = "zip-" + inner.format.split("-")[0]
    return scan


def open_buffer(path: Path) -> tuple[memoryview, Any]:
    """A read-only memory map of a file (an empty file maps to an empty view)."""
    size = os.path.getsize(path)
    if size == 0:
        return memoryview(b""), None
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mm), mm
