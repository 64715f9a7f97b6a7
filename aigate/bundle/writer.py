"""Write an evidence bundle: reproducible bytes, signed statement, atomic rename into place.

Invariants:

- **Reproducible.** Every JSON file is written with sorted keys and a fixed layout; the only time
  in the bundle is the evidence time the caller passes (``SOURCE_DATE_EPOCH`` or the commit
  time), never the wall clock. Key signatures are deterministic ECDSA, so a key-signed bundle of
  the same inputs is byte-identical; the ``.tar.gz`` has sorted entries, uid/gid 0, fixed modes,
  the evidence time as mtime and a gzip header mtime of 0.
- **Atomic.** Files are written into a hidden sibling directory, each fsynced, the directory
  fsynced, then renamed to ``dest``. A crash leaves at most a hidden ``.NAME.tmp-*`` directory,
  never a ``dest`` that is partial.
- **Fail closed.** A signing failure is an error unless the caller allowed unsigned evidence;
  then the bundle says ``"signing": "none"`` and why, and ``aigate verify`` rejects it unless
  told to accept unsigned bundles.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from aigate import __version__
from aigate.atomic import claim_temp, sweep_dead
from aigate.bundle import (
    BUNDLE_FORMAT,
    DECISION,
    INDEX,
    MODEL_SIG,
    RESERVED,
    SIGNATURE,
    STATEMENT,
    STATEMENT_TYPE,
    VERIFIER_ID,
    VSA_PREDICATE,
)
from aigate.errors import GateFailure, InputError, SigningError
from aigate.sign import SigningMode

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """The one JSON encoding of the bundle: sorted keys, 2-space indent, UTF-8, final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalize_digest(value: str | None, what: str) -> str | None:
    """``sha256:<hex>`` from ``sha256:<hex>`` or bare hex; None stays None."""
    if value is None:
        return None
    hexpart = value[7:] if value.startswith("sha256:") else value
    if not _HEX64.match(hexpart):
        raise GateFailure(f"{what} {value!r} is not a sha256 digest")
    return f"sha256:{hexpart}"


def format_evidence_time(value: datetime | int | str) -> str:
    """RFC 3339 UTC with second precision (``2026-11-26T18:00:00Z``)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise GateFailure(f"evidence time {value!r} is not RFC 3339") from exc
        value = parsed
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if value.tzinfo is None:
        raise GateFailure("evidence time must carry a time zone")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def evidence_time(*, commit_time: int | None, environ: Mapping[str, str] | None = None) -> str:
    """The bundle's time: ``SOURCE_DATE_EPOCH`` if set, else the commit time; never the clock.

    Reproducibility needs a time that two runs on the same inputs agree on.
    """
    env = os.environ if environ is None else environ
    sde = env.get("SOURCE_DATE_EPOCH", "").strip()
    if sde:
        if not sde.isdigit():
            raise InputError(f"SOURCE_DATE_EPOCH={sde!r} is not a whole number of seconds")
        return format_evidence_time(int(sde))
    if commit_time is not None:
        return format_evidence_time(int(commit_time))
    raise InputError(
        "no evidence time: not a git commit and SOURCE_DATE_EPOCH is not set",
        hint="run inside a git repository or export SOURCE_DATE_EPOCH",
    )


@dataclass(frozen=True)
class Artifact:
    """One model artifact file: project-relative POSIX path, sha256 hex, size in bytes."""

    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class BundleRequest:
    """Everything the writer needs; the lead's orchestration fills it once per run.

    ``files`` are the already rendered bundle files (must include ``decision.json``);
    ``passed`` is the decision's verdict; ``verified_levels`` the maturity reached, e.g.
    ``("AIMA_SECURE_DEPLOYMENT_A_L2", "AIMA_SECURE_DEPLOYMENT_B_L1")`` (see :func:`levels`).
    ``project_root`` is needed only to sign the model (model.sig hashes the artifact files).
    """

    files: Mapping[str, bytes]
    artifacts: Sequence[Artifact]
    model_name: str
    model_version: str
    policy_digest: str
    previous_decision_digest: str | None
    evidence_time: str | int | datetime
    passed: bool
    verified_levels: Sequence[str] = ()
    resource_uri: str = ""
    policy_uri: str = "aigate:policies"
    signing: SigningMode = field(default_factory=lambda: SigningMode("none"))
    project_root: Path | None = None
    model_root: str | None = None
    allow_unsigned: bool = False
    identity_token: str | None = None
    tool_version: str = __version__


@dataclass(frozen=True)
class BundleResult:
    path: Path
    index_digest: str  # "sha256:<hex>" of index.json: the bundle's identity
    decision_digest: str  # "sha256:<hex>" of decision.json: what the next release chains to
    signing: str  # "key" | "keyless" | "none"
    files: tuple[str, ...]
    tarball: Path | None = None
    unsigned_reason: str | None = None


def artifacts_from_input(artifacts: Sequence[Mapping[str, Any]] | None) -> list[Artifact]:
    """The model artifact files of ``input.artifacts`` (kind ``model``), one :class:`Artifact` per file.

    Data artifacts are evidence in the SBOM, not subjects of the attestation: the statement
    vouches for what gets deployed.
    """
    out: dict[str, Artifact] = {}
    for entry in artifacts or []:
        if entry.get("kind", "model") != "model":
            continue
        for f in entry.get("files") or []:
            out[str(f["path"])] = Artifact(str(f["path"]), str(f["sha256"]), int(f["size"]))
    return [out[k] for k in sorted(out)]


def levels(maturity: Mapping[str, int]) -> list[str]:
    """VSA ``verifiedLevels`` from the maturity reached per stream, e.g. {"A": 2, "B": 0} → [A_L2].

    SLSA VSA v1: at most one level per track, the highest verified (a level implies the ones
    below it); a stream that reached no level contributes nothing.
    """
    return [
        f"AIMA_SECURE_DEPLOYMENT_{stream}_L{int(level)}"
        for stream, level in sorted(maturity.items())
        if int(level) > 0
    ]


def _check_name(name: str) -> None:
    p = PurePosixPath(name)
    if (
        not name
        or p.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or "\\" in name
        or "\x00" in name
    ):
        raise GateFailure(f"bundle file name {name!r} is not a plain relative path")
    if name in RESERVED or (name.endswith(".sigstore.json")):
        raise GateFailure(f"bundle file name {name!r} is reserved for the writer")


def _model_files(request: BundleRequest) -> tuple[str | None, list[str]]:
    files = sorted(a.path for a in request.artifacts)
    if not files:
        return None, []
    from aigate.sign.model import model_root_for

    return request.model_root or model_root_for(files), files


@dataclass(frozen=True)
class Redacted:
    """A bundle file whose secrets were removed: the original's digest and size, and how many."""

    sha256: str
    size: int
    count: int


def redact_files(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, Redacted]]:
    """Every bundle file through the one redaction pass (:func:`aigate.redact.redact_bytes`).

    The count of redactions per file is written into ``decision.json`` (``redactions``), never
    the values; the original's digest is kept so that evidence hashed elsewhere (the decision's
    ``inputs``) still matches what the collectors read.
    """
    from aigate.redact import redact_bytes

    out: dict[str, bytes] = {}
    redacted: dict[str, Redacted] = {}
    for name, data in files.items():
        if name == DECISION:
            continue
        out[name], count = redact_bytes(data)
        if count:
            redacted[name] = Redacted(sha256_hex(data), len(data), count)
    decision = files[DECISION]
    with contextlib.suppress(ValueError, TypeError):
        doc = json.loads(decision)
        doc["redactions"] = {
            "count": sum(r.count for r in redacted.values()),
            "files": {name: r.count for name, r in sorted(redacted.items())},
        }
        decision = canonical_json(doc)
    out[DECISION], count = redact_bytes(decision)
    if count:
        redacted[DECISION] = Redacted(sha256_hex(decision), len(decision), count)
    return out, redacted


def _file_entry(data: bytes, redacted: Redacted | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"sha256": sha256_hex(data), "size": len(data)}
    if redacted is not None:
        entry.update(
            redacted=True,
            redactions=redacted.count,
            original_sha256=redacted.sha256,
            original_size=redacted.size,
        )
    return entry


def _index(
    request: BundleRequest,
    files: Mapping[str, bytes],
    signing: str,
    reason: str | None,
    redacted: Mapping[str, Redacted] | None = None,
) -> bytes:
    model_root, _ = _model_files(request)
    return canonical_json(
        {
            "aigate_bundle": BUNDLE_FORMAT,
            "tool_version": request.tool_version,
            "model": {"name": request.model_name, "version": request.model_version},
            "decision": "pass" if request.passed else "fail",
            "decision_digest": f"sha256:{sha256_hex(files[DECISION])}",
            "evidence_time": format_evidence_time(request.evidence_time),
            "policy_digest": normalize_digest(request.policy_digest, "policy digest"),
            "previous_decision_digest": normalize_digest(
                request.previous_decision_digest, "previous decision digest"
            ),
            "signing": signing,
            "unsigned_reason": reason,
            "model_root": model_root,
            "artifacts": [a.to_dict() for a in sorted(request.artifacts, key=lambda a: a.path)],
            "files": {
                name: _file_entry(data, (redacted or {}).get(name)) for name, data in sorted(files.items())
            },
        }
    )


def _statement(request: BundleRequest, index_bytes: bytes) -> bytes:
    policy_digest = normalize_digest(request.policy_digest, "policy digest") or ""
    subjects: list[dict[str, Any]] = [
        {"name": a.path, "digest": {"sha256": a.sha256}}
        for a in sorted(request.artifacts, key=lambda a: a.path)
    ]
    subjects.append({"name": INDEX, "digest": {"sha256": sha256_hex(index_bytes)}})
    return canonical_json(
        {
            "_type": STATEMENT_TYPE,
            "subject": subjects,
            "predicateType": VSA_PREDICATE,
            "predicate": {
                "verifier": {"id": VERIFIER_ID, "version": {"aigate": request.tool_version}},
                "timeVerified": format_evidence_time(request.evidence_time),
                "resourceUri": request.resource_uri
                or f"aigate:model/{request.model_name}@{request.model_version}",
                "policy": {"uri": request.policy_uri, "digest": {"sha256": policy_digest[7:]}},
                "verificationResult": "PASSED" if request.passed else "FAILED",
                "verifiedLevels": sorted(set(request.verified_levels)),
            },
        }
    )


def _sign_statement(statement: bytes, request: BundleRequest) -> bytes:
    mode = request.signing
    if mode.kind == "key":
        from aigate.sign import key as keysign

        assert mode.key_path is not None
        return keysign.sign_dsse(statement, keysign.load_private_key(mode.key_path))
    from aigate.sign.keyless import sign_dsse_keyless

    return sign_dsse_keyless(statement, token=request.identity_token)


def build_bundle(request: BundleRequest) -> tuple[dict[str, bytes], str, str | None]:
    """The bundle's files in memory: ``(files, signing, unsigned_reason)``. Pure except for signing."""
    if DECISION not in request.files:
        raise GateFailure("the bundle needs decision.json")
    for name in request.files:
        _check_name(name)
    for a in request.artifacts:
        parts = a.path.split("/")
        if not a.path or a.path.startswith("/") or "\\" in a.path or any(p in ("", ".", "..") for p in parts):
            raise GateFailure(f"artifact path {a.path!r} is not a plain project-relative path")
        if not _HEX64.match(a.sha256):
            raise GateFailure(f"artifact {a.path}: sha256 {a.sha256!r} is not a hex digest")
    files, redacted = redact_files(request.files)
    signing = request.signing.kind
    reason: str | None = None
    if request.signing.signs:
        try:
            model_root, model_files = _model_files(request)
            if model_root is not None:
                if request.project_root is None:
                    raise GateFailure("signing the model needs the project root")
                from aigate.sign.model import sign_model

                files[MODEL_SIG] = sign_model(
                    request.project_root,
                    model_root,
                    model_files,
                    request.signing,
                    token=request.identity_token,
                )
            index_bytes = _index(request, files, signing, None, redacted)
            statement = _statement(request, index_bytes)
            signature = _sign_statement(statement, request)
        except SigningError as exc:
            if not request.allow_unsigned:
                raise
            files.pop(MODEL_SIG, None)
            signing, reason = "none", exc.one_line()
        else:
            files[INDEX] = index_bytes
            files[STATEMENT] = statement
            files[SIGNATURE] = signature
            return files, signing, None
    index_bytes = _index(request, files, "none", reason, redacted)
    files[INDEX] = index_bytes
    files[STATEMENT] = _statement(request, index_bytes)
    return files, "none", reason


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    for name, data in sorted(files.items()):
        target = root.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    for directory in sorted(
        {p for name in files for p in (root / name).parents if p != root and root in p.parents}
    ):
        _fsync_dir(directory)
    _fsync_dir(root)


def _replace_dir(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``; an existing bundle at ``dest`` is replaced, anything else refused."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise InputError(f"{dest}: exists and is not a bundle directory; refusing to replace it")
    if dest.exists() and any(dest.iterdir()):
        if not (dest / INDEX).is_file():
            raise InputError(
                f"{dest}: is a non-empty directory that is not an evidence bundle; refusing to replace it"
            )
        claim = claim_temp(dest.parent, f".{dest.name}.old-", directory=True)
        old = claim.path
        try:
            os.rename(dest, old / "b")
            os.rename(tmp, dest)
            _fsync_dir(dest.parent)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            claim.release()
        return
    if dest.exists():
        dest.rmdir()
    os.rename(tmp, dest)
    _fsync_dir(dest.parent)


def write_bundle(dest: Path, request: BundleRequest, *, tarball: Path | None = None) -> BundleResult:
    """Build, sign and atomically write the bundle at ``dest`` (and optionally a ``.tar.gz``)."""
    files, signing, reason = build_bundle(request)
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        for prefix in (f".{dest.name}.tmp-", f".{dest.name}.old-"):  # leftovers of dead runs only
            sweep_dead(dest.parent, prefix)
        claim = claim_temp(dest.parent, f".{dest.name}.tmp-", directory=True)
        tmp = claim.path
    except OSError as exc:
        raise GateFailure(f"{dest}: cannot create the bundle directory ({exc.strerror})") from exc
    try:
        os.chmod(tmp, 0o755)
        _write_tree(tmp, files)
        _replace_dir(tmp, dest)
    except OSError as exc:
        raise GateFailure(f"{dest}: cannot write the bundle ({exc.strerror})") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        claim.release()
    tar_path = None
    if tarball is not None:
        tar_path = write_tarball(files, tarball, mtime=request.evidence_time)
    return BundleResult(
        path=dest,
        index_digest=f"sha256:{sha256_hex(files[INDEX])}",
        decision_digest=f"sha256:{sha256_hex(files[DECISION])}",
        signing=signing,
        files=tuple(sorted(files)),
        tarball=tar_path,
        unsigned_reason=reason,
    )


def tar_bytes(files: Mapping[str, bytes], *, mtime: str | int | datetime) -> bytes:
    """A reproducible ``.tar.gz`` of ``files``: sorted regular files only, fixed metadata."""
    epoch = int(datetime.fromisoformat(format_evidence_time(mtime).replace("Z", "+00:00")).timestamp())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = epoch
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def write_tarball(files: Mapping[str, bytes], dest: Path, *, mtime: str | int | datetime) -> Path:
    """Write :func:`tar_bytes` to ``dest`` atomically (temp file, fsync, rename)."""
    data = tar_bytes(files, mtime=mtime)
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        sweep_dead(dest.parent, f".{dest.name}.tmp-")
        claim = claim_temp(dest.parent, f".{dest.name}.tmp-", directory=False)
    except OSError as exc:
        raise GateFailure(f"{dest}: cannot write the bundle archive ({exc.strerror})") from exc
    tmp = str(claim.path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise GateFailure(f"{dest}: cannot write the bundle archive ({exc.strerror})") from exc
    finally:
        claim.release()
    return dest


def read_bundle_dir(path: Path) -> dict[str, bytes]:
    """All regular files of a bundle directory (used to tar an existing bundle)."""
    out: dict[str, bytes] = {}
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[p.relative_to(path).as_posix()] = p.read_bytes()
    return out
