"""Model signatures in the OpenSSF Model Signing format (``model.sig``), key and keyless.

The model-signing package (1.1.x) builds the manifest: every artifact file under the model root
with its SHA-256, serialization method ``files``. aigate signs exactly the artifact files
(``files_to_hash``), ignores nothing (not even git files), so the signed manifest names every
artifact. A key signature is a Sigstore bundle v0.3 made by :mod:`aigate.sign.key` (deterministic
ECDSA, the same layout as model-signing's own key signer, so ``model_signing verify key``
accepts it); a keyless one is made by model-signing's Sigstore signer.

On verification aigate reads the signed manifest itself and compares it with digests it already
computed, so the model is hashed once. Because model-signing's verifier honours signed
``ignore_paths``, a signature that excludes any artifact file is refused here: otherwise a
signature could vouch for a model while leaving its weights out.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from aigate.errors import SigningError, VerificationFailure
from aigate.sign import SigningMode
from aigate.sign import key as keysign

MODEL_SIGNING_PREDICATE = "https://model_signing/signature/v1.0"


def model_root_for(files: Sequence[str]) -> str:
    """The project-relative path model.sig covers: the one file, or the files' deepest common directory."""
    if not files:
        raise SigningError("no model artifact files to sign")
    parts = [PurePosixPath(f).parts for f in files]
    if len(parts) == 1:
        return PurePosixPath(*parts[0]).as_posix()
    common: list[str] = []
    for column in zip(*[p[:-1] for p in parts], strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return PurePosixPath(*common).as_posix() if common else "."


def _payload(root: Path, model_root: str, files: Sequence[str]) -> Any:
    from model_signing import hashing
    from model_signing._signing import signing

    base = root / model_root
    config = hashing.Config().set_ignored_paths(paths=[], ignore_git_paths=False)  # type: ignore[no-untyped-call]
    if base.is_file():
        manifest = config.hash(base)
    else:
        manifest = config.hash(base, files_to_hash=[root / f for f in files])
    return signing.Payload(manifest)


def sign_model(
    root: Path, model_root: str, files: Sequence[str], mode: SigningMode, *, token: str | None = None
) -> bytes:
    """Sign the artifact ``files`` (project-relative) under ``model_root``; return model.sig bytes."""
    from google.protobuf import json_format

    if not mode.signs:
        raise SigningError("sign_model called with signing mode 'none'")
    try:
        payload = _payload(root, model_root, files)
    except (OSError, ValueError) as exc:
        raise SigningError(f"{model_root}: cannot hash the model for its signature ({exc})") from exc
    if mode.kind == "key":
        assert mode.key_path is not None
        # protobuf's JSON of a Struct does not keep a stable key order across processes; the
        # signed bytes must be reproducible, so re-encode with sorted keys (same JSON value).
        statement = json.loads(json_format.MessageToJson(payload.statement.pb))
        raw = json.dumps(statement, indent=2, sort_keys=True).encode()
        return keysign.sign_dsse(raw, keysign.load_private_key(mode.key_path))
    from model_signing._signing import sign_sigstore

    from aigate.sign.keyless import ambient_identity_token

    token = token or ambient_identity_token()
    try:
        signature = sign_sigstore.Signer(use_ambient_credentials=False, identity_token=token).sign(payload)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "model.sig"
            signature.write(out)
            return out.read_bytes()
    except Exception as exc:  # the Sigstore client raises many types; all mean "not signed"
        raise SigningError(f"keyless model signing failed: {exc}") from exc


@dataclass(frozen=True)
class ModelSignature:
    """What a verified model.sig vouches for: resource name (relative to the model root) → sha256."""

    model_name: str
    resources: Mapping[str, str]
    ignore_paths: tuple[str, ...]


def read_signed_manifest(payload_type: str, payload: bytes, *, name: str) -> ModelSignature:
    """Parse the verified DSSE payload of a model.sig; refuse formats aigate cannot compare."""
    if payload_type != keysign.INTOTO_PAYLOAD_TYPE:
        raise VerificationFailure(f"{name}: unexpected payload type {payload_type!r}")
    try:
        stmt = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationFailure(f"{name}: payload is not JSON ({exc})") from exc
    if not isinstance(stmt, dict) or stmt.get("predicateType") != MODEL_SIGNING_PREDICATE:
        raise VerificationFailure(f"{name}: not an OpenSSF model signature (predicate type)")
    pred = stmt.get("predicate") or {}
    ser = pred.get("serialization") or {}
    if ser.get("method") != "files" or ser.get("hash_type") != "sha256":
        raise VerificationFailure(
            f"{name}: serialization {ser.get('method')}/{ser.get('hash_type')} is not supported",
            hint="aigate signs with method 'files' and sha256; re-sign the model",
        )
    resources: dict[str, str] = {}
    for item in pred.get("resources") or []:
        if not isinstance(item, dict) or item.get("algorithm") != "sha256":
            raise VerificationFailure(f"{name}: resource entry {item!r} is not a sha256 digest")
        resources[str(item.get("name"))] = str(item.get("digest"))
    subjects = stmt.get("subject") or [{}]
    ignore = tuple(str(p) for p in ser.get("ignore_paths") or ())
    return ModelSignature(str(subjects[0].get("name", "")), resources, ignore)


def check_covers(sig: ModelSignature, expected: Mapping[str, str], *, name: str) -> None:
    """Fail unless the signature names exactly ``expected`` (relative name → sha256), ignoring nothing.

    ``expected`` is relative to the model root (for a single-file model, model-signing's name ``.``).
    """
    for pattern in sig.ignore_paths:
        ignored = PurePosixPath(pattern)
        for rel in expected:
            p = PurePosixPath(rel)
            if p == ignored or ignored in p.parents or p.match(pattern):
                raise VerificationFailure(
                    f"{name}: the signature's ignore_paths exclude artifact {rel}",
                    hint="re-sign the model without ignoring artifact files",
                )
    missing = sorted(set(expected) - set(sig.resources))
    extra = sorted(set(sig.resources) - set(expected))
    if missing:
        raise VerificationFailure(f"{name}: artifact {missing[0]} is not covered by the model signature")
    if extra:
        raise VerificationFailure(f"{name}: the model signature names {extra[0]}, which is not an artifact")
    for rel, digest in sorted(expected.items()):
        if sig.resources[rel] != digest:
            raise VerificationFailure(
                f"{name}: artifact {rel} does not match the model signature (sha256 differs)"
            )
