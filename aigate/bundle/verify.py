"""Verify an evidence bundle offline: every digest, the signature, the statement, the artifacts.

The bundle (a directory, or a ``.tar.gz`` read entry by entry in memory: nothing is ever
extracted to disk) is checked in this order, and the first failure is a
:class:`VerificationFailure` (exit 1) naming the file and what is wrong:

1. no links, devices, ``..`` or absolute names; ``index.json`` parses;
2. the signature verifies (``--key`` or ``--identity/--issuer``/``--repository``), its payload
   *is* ``attestation.intoto.json`` byte for byte, and that statement names ``index.json``'s
   real digest (so the index is authenticated before it is used);
3. the file set is exactly the index plus the statement and its signature (missing / extra);
4. every file's sha256 and size equal the index;
5. the statement's subjects are exactly the index's artifacts plus ``index.json``, and its
   predicate agrees with the index;
6. ``model.sig`` verifies with the same signer and names exactly the artifacts;
7. with ``artifacts_dir``: the artifact files on disk hash to the signed digests.

An unsigned bundle fails step 4 unless the caller passes ``allow_unsigned=True``: digests that
anyone could have recomputed are not verification.
"""

from __future__ import annotations

import json
import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from aigate.bundle import (
    DECISION,
    INDEX,
    MODEL_SIG,
    SIGNATURE,
    STATEMENT,
    STATEMENT_TYPE,
    VSA_PREDICATE,
)
from aigate.bundle.writer import sha256_hex
from aigate.errors import GateFailure, InputError, UsageError, VerificationFailure

MAX_BUNDLE_BYTES = 192 << 20  # 192 MiB of evidence is far beyond any real bundle (read into memory)
MAX_ENTRIES = 10_000
MAX_META_BYTES = 1 << 20  # a PAX or GNU long-name header: names and a few numbers, never more
#: the whole uncompressed tar stream: content plus a header block per entry plus end padding
MAX_TAR_BYTES = MAX_BUNDLE_BYTES + (MAX_ENTRIES * 2 + 32) * 512 + 16 * MAX_META_BYTES
_CHUNK = 1 << 20
_REGULAR, _DIRECTORY, _META = (b"0", b"\0", b"7"), b"5", (b"x", b"g", b"L", b"K")


@dataclass(frozen=True)
class VerifyResult:
    """A bundle that verified. Anything that did not verify raised instead."""

    path: str
    index_digest: str
    decision_digest: str
    decision: str  # "pass" | "fail" (the recorded gate verdict, not this verification)
    model_name: str
    model_version: str
    evidence_time: str
    previous_decision_digest: str | None
    policy_digest: str | None
    signing: str  # "key" | "keyless" | "none"
    signer: str  # key hint, certificate identity, or "" when unsigned
    files: int
    artifacts: tuple[dict[str, Any], ...]
    artifacts_checked: bool
    model_signature_checked: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": True,
            "path": self.path,
            "index_digest": self.index_digest,
            "decision_digest": self.decision_digest,
            "decision": self.decision,
            "model": {"name": self.model_name, "version": self.model_version},
            "evidence_time": self.evidence_time,
            "previous_decision_digest": self.previous_decision_digest,
            "policy_digest": self.policy_digest,
            "signing": self.signing,
            "signer": self.signer,
            "files": self.files,
            "artifacts": list(self.artifacts),
            "artifacts_checked": self.artifacts_checked,
            "model_signature_checked": self.model_signature_checked,
            "notes": list(self.notes),
        }


def _safe_name(name: str, where: str) -> str:
    if not name or "\x00" in name or "\\" in name:
        raise VerificationFailure(f"{where}: entry {name!r} has an unsafe name; refused")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/"):
        raise VerificationFailure(f"{where}: entry {name!r} is an absolute path; refused")
    parts = [x for x in name.split("/") if x not in ("", ".")]
    if ".." in parts:
        raise VerificationFailure(f"{where}: entry {name!r} climbs out with '..'; refused")
    if not parts:
        raise VerificationFailure(f"{where}: entry {name!r} has an empty name; refused")
    return "/".join(parts)


def _octal_size(field: bytes, where: str) -> int:
    """A tar header's size field: NUL/space-terminated octal, or GNU base-256 (high bit set)."""
    if field[:1] and field[0] & 0x80:
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise VerificationFailure(f"{where}: a tar header has a malformed size field; refused") from None


class _TarScan:
    """Checks the raw 512-byte headers of a tar stream as it arrives, before anything is allocated.

    Python's ``tarfile`` reads a PAX header's whole payload into memory; a 1 MB archive whose
    header claims 1 GiB would be read (and kept) before any size check could run. This scan
    refuses oversized meta headers, too many entries, content over the cap and non-zero bytes
    after the end-of-archive marker, while the stream is still small.
    """

    def __init__(self, where: str) -> None:
        self.where, self.data, self.next, self.entries, self.content, self.end = (
            where,
            bytearray(),
            0,
            0,
            0,
            -1,
        )

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > MAX_TAR_BYTES:
            raise VerificationFailure(
                f"{self.where}: archive exceeds {MAX_TAR_BYTES} bytes uncompressed; refused"
            )
        while self.end < 0 and self.next + 512 <= len(self.data):
            self._header(bytes(self.data[self.next : self.next + 512]))

    def _header(self, block: bytes) -> None:
        if block == bytes(512):  # end of archive: two zero blocks (one is accepted, as tarfile does)
            self.end = self.next
            return
        size, kind = _octal_size(block[124:136], self.where), block[156:157]
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise VerificationFailure(f"{self.where}: more than {MAX_ENTRIES} entries; refused")
        if kind in _META and size > MAX_META_BYTES:
            raise VerificationFailure(
                f"{self.where}: a tar {kind.decode()} header claims {size} bytes (cap {MAX_META_BYTES}); refused"
            )
        if kind in _REGULAR:
            self.content += size
            if self.content > MAX_BUNDLE_BYTES:
                raise VerificationFailure(
                    f"{self.where}: archive content exceeds {MAX_BUNDLE_BYTES} bytes; refused"
                )
        elif kind not in _META and kind != _DIRECTORY:
            name = block[:100].split(b"\0", 1)[0].decode("utf-8", "replace")
            what = (
                "a link" if kind in (b"1", b"2") else f"not a regular file (type {kind.decode('latin-1')!r})"
            )
            raise VerificationFailure(f"{self.where}: entry {name} is {what}; refused")
        self.next += 512 + (size + 511) // 512 * 512

    def finish(self) -> bytes:
        if self.end < 0:
            raise VerificationFailure(
                f"{self.where}: the tar archive is truncated (no end-of-archive marker)"
            )
        if any(self.data[self.end :]):
            raise VerificationFailure(f"{self.where}: bytes after the tar end-of-archive marker; refused")
        return bytes(self.data)


def _read_stream(path: Path) -> bytes:
    """The tar stream of ``path``: strictly one gzip member (CRC and length checked, nothing after it),
    or an uncompressed tar; headers are checked by :class:`_TarScan` as the bytes arrive."""
    import zlib

    where = str(path)
    scan = _TarScan(where)
    with open(path, "rb") as fh:
        first = fh.read(_CHUNK)
        if first[:2] != b"\x1f\x8b":
            while first:
                scan.feed(first)
                first = fh.read(_CHUNK)
            return scan.finish()
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = first
        try:
            while pending and not inflate.eof:
                scan.feed(inflate.decompress(pending, _CHUNK))
                pending = inflate.unconsumed_tail or (b"" if inflate.eof else fh.read(_CHUNK))
            if not inflate.eof:
                raise VerificationFailure(f"{where}: the gzip stream is truncated; refused")
        except zlib.error as exc:
            raise VerificationFailure(
                f"{where}: corrupt gzip data ({exc}: CRC or length check failed); refused"
            ) from None
        if inflate.unused_data or fh.read(1):
            raise VerificationFailure(
                f"{where}: data after the gzip stream (an appended gzip member or trailing garbage); refused"
            )
    return scan.finish()


def read_tarball(path: Path) -> dict[str, bytes]:
    """Read a bundle archive in memory; any link, device, FIFO or unsafe name is refused."""
    import io

    where = str(path)
    files: dict[str, bytes] = {}
    total = 0
    try:
        stream = _read_stream(path)
        with tarfile.open(fileobj=io.BytesIO(stream), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_ENTRIES:
                    raise VerificationFailure(f"{where}: more than {MAX_ENTRIES} entries; refused")
                name = _safe_name(member.name, where)
                if member.isdir():
                    continue
                if member.issym() or member.islnk():
                    raise VerificationFailure(f"{where}: entry {name} is a link; refused")
                if not member.isreg():
                    raise VerificationFailure(
                        f"{where}: entry {name} is not a regular file (device/FIFO); refused"
                    )
                total += member.size
                if total > MAX_BUNDLE_BYTES:
                    raise VerificationFailure(
                        f"{where}: archive content exceeds {MAX_BUNDLE_BYTES} bytes; refused"
                    )
                if name in files:
                    raise VerificationFailure(f"{where}: entry {name} appears twice; refused")
                fh = tar.extractfile(member)
                if fh is None:
                    raise VerificationFailure(f"{where}: entry {name} cannot be read")
                files[name] = fh.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError(f"{where}: no such bundle") from exc
        raise VerificationFailure(f"{where}: not a readable tar archive ({exc})") from exc
    return files


def read_directory(path: Path) -> dict[str, bytes]:
    """Read a bundle directory; symlinks and special files are refused, not followed."""
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                raise VerificationFailure(f"{base / d}: is a symlink inside the bundle; refused")
        for fname in filenames:
            full = base / fname
            rel = full.relative_to(path).as_posix()
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise VerificationFailure(f"{full}: is a symlink inside the bundle; refused")
            if not stat.S_ISREG(st.st_mode):
                raise VerificationFailure(f"{full}: is not a regular file; refused")
            total += st.st_size
            if total > MAX_BUNDLE_BYTES or len(files) >= MAX_ENTRIES:
                raise VerificationFailure(f"{path}: bundle is too large; refused")
            files[rel] = full.read_bytes()
    return files


def read_bundle(path: Path) -> dict[str, bytes]:
    """The bundle's files by relative name, from a directory or an archive."""
    path = Path(path)
    if path.is_symlink() and path.is_dir():
        path = path.resolve()
    try:
        if path.is_dir():
            return read_directory(path)
        if path.is_file():
            return read_tarball(path)
    except PermissionError as exc:
        raise InputError(f"{exc.filename or path}: permission denied while reading the bundle") from exc
    except OSError as exc:
        raise GateFailure(f"{exc.filename or path}: cannot read the bundle ({exc.strerror or exc})") from exc
    raise InputError(f"{path}: no such bundle (expected a bundle directory or .tar.gz)")


def _json(files: dict[str, bytes], name: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(files[name])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationFailure(f"{where}/{name}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise VerificationFailure(f"{where}/{name}: not a JSON object")
    return doc


def _verify_signature(
    data: bytes,
    *,
    name: str,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
) -> tuple[str, bytes, str, str]:
    """Verify a Sigstore bundle by its own kind; return (payload_type, payload, kind, signer)."""
    from aigate.sign import key as keysign

    kind = keysign.bundle_kind(data)
    if kind == "key":
        if key is None:
            raise UsageError(f"{name} is signed with a key", hint="pass --key PUB (the signer's public key)")
        pub = keysign.load_public_key(key)
        payload_type, payload = keysign.verify_dsse(data, pub, name=name)
        return payload_type, payload, kind, f"key:{keysign.key_hint(pub)}"
    if kind == "keyless":
        from aigate.sign.keyless import verify_dsse_keyless

        if not (identity or issuer or repository):
            raise UsageError(
                f"{name} is signed keylessly (Sigstore)",
                hint="pass --identity ID --issuer URL, or --repository OWNER/REPO",
            )
        payload_type, payload = verify_dsse_keyless(
            data,
            name=name,
            identity=identity,
            issuer=issuer,
            repository=repository,
            trusted_root=trusted_root,
        )
        signer = identity or f"repository:{repository}"
        return payload_type, payload, kind, signer
    raise VerificationFailure(
        f"{name}: not a recognisable Sigstore bundle (no public key hint, no certificate)"
    )


def _check_index_shape(index: dict[str, Any], name: str) -> None:
    """Structural checks, so a malformed (even if signed) index is a verification failure, not a crash.

    Artifact paths are later joined to ``--artifacts DIR``: they must be plain relative paths.
    """
    if index.get("signing") not in ("key", "keyless", "none"):
        raise VerificationFailure(f"{name}: unknown signing mode {index.get('signing')!r}")
    for fname, meta in index["files"].items():
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("sha256"), str)
            or not isinstance(meta.get("size"), int)
        ):
            raise VerificationFailure(f"{name}: entry for {fname!r} lacks sha256/size")
    artifacts = index.get("artifacts")
    if not isinstance(artifacts, list):
        raise VerificationFailure(f"{name}: 'artifacts' is not a list")
    for a in artifacts:
        if not (
            isinstance(a, dict)
            and isinstance(a.get("path"), str)
            and isinstance(a.get("sha256"), str)
            and len(a["sha256"]) == 64
            and isinstance(a.get("size"), int)
        ):
            raise VerificationFailure(f"{name}: malformed artifact entry {a!r}")
        p = PurePosixPath(a["path"])
        if p.is_absolute() or ".." in p.parts or "\\" in a["path"] or not a["path"]:
            raise VerificationFailure(f"{name}: artifact path {a['path']!r} is not a plain relative path")
    for key in ("decision_digest", "evidence_time"):
        if not isinstance(index.get(key), str):
            raise VerificationFailure(f"{name}: '{key}' is missing")
    root = index.get("model_root")
    if root is not None and (
        not isinstance(root, str) or PurePosixPath(root).is_absolute() or ".." in root.split("/")
    ):
        raise VerificationFailure(f"{name}: model_root {root!r} is not a plain relative path")


def _subject_digest(stmt: dict[str, Any], name: str) -> str | None:
    for sub in stmt.get("subject") or []:
        if isinstance(sub, dict) and sub.get("name") == name and isinstance(sub.get("digest"), dict):
            return str(sub["digest"].get("sha256"))
    return None


def _check_statement(stmt: dict[str, Any], index: dict[str, Any], index_hex: str, where: str) -> None:
    if stmt.get("_type") != STATEMENT_TYPE:
        raise VerificationFailure(f"{where}/{STATEMENT}: not an in-toto Statement v1")
    if stmt.get("predicateType") != VSA_PREDICATE:
        raise VerificationFailure(f"{where}/{STATEMENT}: predicate is not a SLSA verification summary")
    expected = {a["path"]: a["sha256"] for a in index.get("artifacts") or []}
    expected[INDEX] = index_hex
    seen: dict[str, str] = {}
    for sub in stmt.get("subject") or []:
        if not isinstance(sub, dict) or not isinstance(sub.get("digest"), dict):
            raise VerificationFailure(f"{where}/{STATEMENT}: malformed subject {sub!r}")
        seen[str(sub.get("name"))] = str(sub["digest"].get("sha256"))
    for name, digest in sorted(expected.items()):
        if name not in seen:
            raise VerificationFailure(f"{where}/{STATEMENT}: subject {name} is missing")
        if seen[name] != digest:
            what = "index.json" if name == INDEX else f"artifact {name}"
            raise VerificationFailure(
                f"{where}/{STATEMENT}: subject digest of {what} differs from the bundle"
            )
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise VerificationFailure(f"{where}/{STATEMENT}: subject {extra[0]} is not in the index")
    pred = stmt.get("predicate") or {}
    result = "PASSED" if index.get("decision") == "pass" else "FAILED"
    if pred.get("verificationResult") != result:
        raise VerificationFailure(
            f"{where}/{STATEMENT}: verificationResult disagrees with the index decision"
        )
    if pred.get("timeVerified") != index.get("evidence_time"):
        raise VerificationFailure(f"{where}/{STATEMENT}: timeVerified disagrees with the index evidence time")
    policy_digest = (index.get("policy_digest") or "")[7:]
    if ((pred.get("policy") or {}).get("digest") or {}).get("sha256") != policy_digest:
        raise VerificationFailure(f"{where}/{STATEMENT}: policy digest disagrees with the index")


def _check_artifacts(artifacts: list[dict[str, Any]], model_root: str | None, artifacts_dir: Path) -> None:
    """Hash the artifacts on disk (threaded) and compare with the signed digests.

    ``artifacts_dir`` is the project root (artifact paths resolve under it), the model root
    directory (paths relative to the model root), or the single model file itself.
    """
    from aigate.hashing import hash_files

    if not artifacts:
        raise UsageError("--artifacts given but the bundle records no artifacts")
    d = Path(artifacts_dir)
    if not d.exists():
        raise InputError(f"{d}: no such artifacts directory")
    candidates: list[dict[str, Path]] = []
    if d.is_file():
        if len(artifacts) != 1:
            raise UsageError(f"{d}: is one file but the bundle records {len(artifacts)} artifacts")
        candidates.append({artifacts[0]["path"]: d})
    else:
        candidates.append({a["path"]: d / a["path"] for a in artifacts})
        if model_root and model_root != ".":
            root = PurePosixPath(model_root)
            rel = {}
            for a in artifacts:
                p = PurePosixPath(a["path"])
                rel[a["path"]] = d / (p.relative_to(root).as_posix() if root in p.parents else p.name)
            candidates.append(rel)
    chosen = next((c for c in candidates if all(p.is_file() for p in c.values())), None)
    if chosen is None:
        missing = next(name for name, p in candidates[0].items() if not p.is_file())
        raise VerificationFailure(f"{d}: artifact {missing} is missing")
    digests = hash_files(list(chosen.values()))
    for a in artifacts:
        got = digests[chosen[a["path"]]]
        if got.sha256 != a["sha256"] or got.size != a["size"]:
            raise VerificationFailure(
                f"{chosen[a['path']]}: artifact {a['path']} does not match the signed digest"
            )


def verify_files(
    files: dict[str, bytes],
    *,
    where: str,
    key: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    repository: str | None = None,
    trusted_root: Path | None = None,
    artifacts_dir: Path | None = None,
    allow_unsigned: bool = False,
) -> VerifyResult:
    """Verify a bundle already read into memory (see the module docstring for the steps)."""
    if INDEX not in files:
        raise VerificationFailure(f"{where}: {INDEX} is missing; not an evidence bundle")
    index = _json(files, INDEX, where)
    listed = index.get("files")
    if not isinstance(listed, dict) or DECISION not in listed:
        raise VerificationFailure(f"{where}/{INDEX}: has no file list with {DECISION}")
    _check_index_shape(index, f"{where}/{INDEX}")
    signing = index.get("signing")
    index_hex = sha256_hex(files[INDEX])
    notes: list[str] = []
    signer = ""
    kind = "none"
    # Authenticate first: the signature covers the statement, the statement names the index's
    # digest, the index names every other file. Checking in that order means a changed file is
    # reported as itself, and nothing unauthenticated is trusted to explain a failure.
    if SIGNATURE in files:
        if STATEMENT not in files:
            raise VerificationFailure(f"{where}/{STATEMENT}: missing from the bundle")
        payload_type, payload, kind, signer = _verify_signature(
            files[SIGNATURE],
            name=f"{where}/{SIGNATURE}",
            key=key,
            identity=identity,
            issuer=issuer,
            repository=repository,
            trusted_root=trusted_root,
        )
        if payload_type != "application/vnd.in-toto+json":
            raise VerificationFailure(f"{where}/{SIGNATURE}: payload type {payload_type!r} is not in-toto")
        if payload != files[STATEMENT]:
            raise VerificationFailure(
                f"{where}/{STATEMENT}: is not the statement the signature covers (changed or swapped)"
            )
        signed_index = _subject_digest(_json(files, STATEMENT, where), INDEX)
        if signed_index != index_hex:
            raise VerificationFailure(
                f"{where}/{INDEX}: sha256 differs from the signed statement "
                "(the index changed, or the statement and signature come from another bundle)"
            )
        if signing != kind:
            raise VerificationFailure(
                f"{where}/{INDEX}: says signing {signing!r} but the signature is {kind}"
            )
    elif signing != "none":
        raise VerificationFailure(
            f"{where}/{SIGNATURE}: missing from the bundle (index says signing {signing!r})"
        )
    elif not allow_unsigned:
        reason = index.get("unsigned_reason")
        raise VerificationFailure(
            f"{where}: the bundle is unsigned" + (f" ({reason})" if reason else ""),
            hint="only its internal digests can be checked; pass --unsafe-allow-unsigned to accept that",
        )
    else:
        notes.append("unsigned bundle: only internal consistency was checked")
    expected = set(listed) | {INDEX, STATEMENT}
    if kind != "none":
        expected.add(SIGNATURE)
    for name in sorted(expected - set(files)):
        raise VerificationFailure(f"{where}/{name}: missing from the bundle")
    for name in sorted(set(files) - expected):
        raise VerificationFailure(f"{where}/{name}: extra file not listed in {INDEX}")
    for name, meta in sorted(listed.items()):
        if not isinstance(meta, dict) or sha256_hex(files[name]) != meta.get("sha256"):
            raise VerificationFailure(f"{where}/{name}: sha256 differs from {INDEX} (changed)")
        if len(files[name]) != meta.get("size"):
            raise VerificationFailure(f"{where}/{name}: size differs from {INDEX}")
    redacted = sorted(name for name, meta in listed.items() if meta.get("redacted") is True)
    for name in redacted:
        if not (
            isinstance(listed[name].get("original_sha256"), str)
            and len(listed[name]["original_sha256"]) == 64
        ):
            raise VerificationFailure(f"{where}/{INDEX}: redacted file {name} lacks the original's sha256")
    if redacted:
        notes.append(
            f"{len(redacted)} file(s) had secrets redacted before they were written; "
            "index.json keeps each original's sha256 (what decision.json's inputs name)"
        )
    stmt = _json(files, STATEMENT, where)
    _check_statement(stmt, index, index_hex, where)
    artifacts = [a for a in index.get("artifacts") or [] if isinstance(a, dict)]
    model_checked = False
    if MODEL_SIG in files:
        _verify_model_sig(
            files[MODEL_SIG], index, artifacts, where, key, identity, issuer, repository, trusted_root
        )
        model_checked = True
    elif artifacts and kind != "none":
        raise VerificationFailure(f"{where}/{MODEL_SIG}: missing from a signed bundle with model artifacts")
    if artifacts_dir is not None:
        _check_artifacts(artifacts, index.get("model_root"), artifacts_dir)
    model = index.get("model") or {}
    return VerifyResult(
        path=where,
        index_digest=f"sha256:{index_hex}",
        decision_digest=f"sha256:{sha256_hex(files[DECISION])}",
        decision=str(index.get("decision")),
        model_name=str(model.get("name", "")),
        model_version=str(model.get("version", "")),
        evidence_time=str(index.get("evidence_time", "")),
        previous_decision_digest=index.get("previous_decision_digest"),
        policy_digest=index.get("policy_digest"),
        signing=kind,
        signer=signer,
        files=len(files),
        artifacts=tuple(artifacts),
        artifacts_checked=artifacts_dir is not None,
        model_signature_checked=model_checked,
        notes=tuple(notes),
    )


def _verify_model_sig(
    data: bytes,
    index: dict[str, Any],
    artifacts: list[dict[str, Any]],
    where: str,
    key: Path | None,
    identity: str | None,
    issuer: str | None,
    repository: str | None,
    trusted_root: Path | None,
) -> None:
    from aigate.sign.model import check_covers, read_signed_manifest

    name = f"{where}/{MODEL_SIG}"
    payload_type, payload, _, _ = _verify_signature(
        data,
        name=name,
        key=key,
        identity=identity,
        issuer=issuer,
        repository=repository,
        trusted_root=trusted_root,
    )
    sig = read_signed_manifest(payload_type, payload, name=name)
    root = PurePosixPath(index.get("model_root") or ".")
    expected: dict[str, str] = {}
    for a in artifacts:
        p = PurePosixPath(a["path"])
        if p == root:
            rel = "."  # model-signing names a single-file model's one resource "."
        elif str(root) == "." or root in p.parents:
            rel = p.relative_to(root).as_posix() if str(root) != "." else p.as_posix()
        else:
            raise VerificationFailure(f"{where}/{INDEX}: artifact {p} lies outside model_root {root}")
        expected[rel] = a["sha256"]
    check_covers(sig, expected, name=name)


@dataclass(frozen=True)
class Trust:
    """Who must have signed: a public key, a keyless identity (or repository), or nobody.

    Shared by ``verify``, ``audit verify``, ``rollback`` and the history collector so that
    every path verifies bundles the same way.
    """

    key: Path | None = None
    identity: str | None = None
    issuer: str | None = None
    repository: str | None = None
    trusted_root: Path | None = None
    allow_unsigned: bool = False

    def verify(self, path: Path, *, artifacts_dir: Path | None = None) -> VerifyResult:
        return verify_bundle(
            path,
            key=self.key,
            identity=self.identity,
            issuer=self.issuer,
            repository=self.repository,
            trusted_root=self.trusted_root,
            artifacts_dir=artifacts_dir,
            allow_unsigned=self.allow_unsigned,
        )


def verify_bundle(
    path: Path,
    *,
    key: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    repository: str | None = None,
    trusted_root: Path | None = None,
    artifacts_dir: Path | None = None,
    allow_unsigned: bool = False,
) -> VerifyResult:
    """Verify the bundle at ``path`` (directory or ``.tar.gz``) offline; raise on any failure."""
    files = read_bundle(Path(path))
    return verify_files(
        files,
        where=str(path),
        key=key,
        identity=identity,
        issuer=issuer,
        repository=repository,
        trusted_root=trusted_root,
        artifacts_dir=artifacts_dir,
        allow_unsigned=allow_unsigned,
    )
