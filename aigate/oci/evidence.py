"""Push an evidence bundle as an OCI artifact referring to the image; find, pull and verify it.

The pulled tarball is written byte for byte as pushed (its digest is the layer's) and verified
by the same code as a local bundle (:func:`aigate.bundle.verify.verify_bundle`). The decision and
Sigstore layers must equal the files inside the tarball, and the annotations must agree with
its index: a registry, or someone with push access, cannot make a listing say something the
signed evidence does not.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, UsageError, VerificationFailure
from aigate.oci import (
    ANNOTATION_BUNDLE,
    ANNOTATION_CREATED,
    ANNOTATION_DECISION,
    ANNOTATION_MODEL,
    ANNOTATION_TITLE,
    ANNOTATION_VERSION,
    ARTIFACT_TYPE,
    BUNDLE_MEDIA_TYPE,
    DECISION_MEDIA_TYPE,
    EMPTY_MEDIA_TYPE,
    INDEX_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    SIGSTORE_MEDIA_TYPE,
)
from aigate.oci.client import ClientOptions, Registry, fallback_tag, sha256_digest
from aigate.oci.reference import Reference

_PINNED = re.compile(r"@(sha256:[0-9a-f]{64})$")
SIGSTORE_FILE = "attestation.sigstore.json"
TAG_PREFIX = "aigate-"
MAX_STORE_RELEASES = 1000


@dataclass(frozen=True)
class Pushed:
    reference: Reference  # repository@manifest digest
    subject: str | None
    bundle_digest: str  # the tarball layer's digest
    referrers_api: bool  # False: the registry has no referrers API, the tag schema was updated


def _bundle_tarball(path: Path) -> tuple[bytes, dict[str, bytes]]:
    """(the reproducible tarball, its files): a .tar.gz as it is, a directory packed the writer's way."""
    from aigate.bundle.verify import read_bundle
    from aigate.bundle.writer import tar_bytes

    files = read_bundle(path)
    if path.is_file():
        return path.read_bytes(), files
    try:
        index = json.loads(files["index.json"])
        mtime = index["evidence_time"]
    except (KeyError, ValueError):
        raise VerificationFailure(f"{path}: not an aigate evidence bundle (no readable index.json)") from None
    return tar_bytes(files, mtime=mtime), files


def subject_from_bundle(files: dict[str, bytes]) -> str | None:
    """The serving image digest the release's manifest pins (``serving.image: repo@sha256:...``)."""
    import yaml

    try:
        manifest = yaml.safe_load(files.get("manifest.yaml", b"") or b"") or {}
    except yaml.YAMLError:
        return None
    serving = manifest.get("serving") if isinstance(manifest, dict) else None
    image = str((serving or {}).get("image") or "") if isinstance(serving, dict) else ""
    m = _PINNED.search(image)
    return m.group(1) if m else None


def _layer(media_type: str, data: bytes, title: str) -> dict[str, Any]:
    return {
        "mediaType": media_type,
        "digest": sha256_digest(data),
        "size": len(data),
        "annotations": {ANNOTATION_TITLE: title},
    }


def push_bundle(
    bundle: Path, target: Reference, *, subject: str | None = None, options: ClientOptions | None = None
) -> Pushed:
    tar, files = _bundle_tarball(bundle)
    index = json.loads(files["index.json"])
    decision = files["decision.json"]
    subject = subject or subject_from_bundle(files)
    reg = Registry(target, options)
    repo = target.repository
    subject_desc = None
    if subject:
        got = reg.get_manifest(repo, subject)
        if got is None:
            raise InputError(
                f"the subject {subject} is not a manifest in {target.registry}/{repo}",
                hint="push the image first, or name its digest with --subject (evidence refers to an image in the same repository)",
            )
        subject_desc = {"mediaType": got[1] or MANIFEST_MEDIA_TYPE, "digest": subject, "size": len(got[0])}
    layers = [
        _layer(BUNDLE_MEDIA_TYPE, tar, f"{index['model']['name']}-{index['model']['version']}.aigate.tar.gz")
    ]
    layers.append(_layer(DECISION_MEDIA_TYPE, decision, "decision.json"))
    if SIGSTORE_FILE in files:
        layers.append(_layer(SIGSTORE_MEDIA_TYPE, files[SIGSTORE_FILE], SIGSTORE_FILE))
    empty = b"{}"
    reg.push_blob(repo, empty)
    reg.push_blob(repo, tar)
    reg.push_blob(repo, decision)
    if SIGSTORE_FILE in files:
        reg.push_blob(repo, files[SIGSTORE_FILE])
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": sha256_digest(empty), "size": len(empty)},
        "layers": layers,
        "annotations": _annotations(index, sha256_digest(files["index.json"])),
    }
    if subject_desc:
        manifest["subject"] = subject_desc
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    digest, resp = reg.put_manifest(repo, body, MANIFEST_MEDIA_TYPE, sha256_digest(body))
    # a tag per release, so the store can be listed on any registry (the referrers API lists by
    # subject only); the user's tag when given
    reg.put_manifest(repo, body, MANIFEST_MEDIA_TYPE, target.tag or release_tag(index))
    api = bool(resp.headers.get("OCI-Subject"))
    if subject and subject_desc and not api:
        _update_referrers_tag(reg, repo, subject, manifest, digest, len(body))
    return Pushed(target.with_digest(digest), subject, layers[0]["digest"], api)


def release_tag(index: dict[str, Any]) -> str:
    """``aigate-<model version>``, squeezed into the tag grammar ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    version = re.sub(r"[^A-Za-z0-9_.-]", "_", str(index["model"]["version"]))
    return f"{TAG_PREFIX}{version}"[:128]


def _annotations(index: dict[str, Any], index_digest: str) -> dict[str, str]:
    return {
        ANNOTATION_CREATED: str(index.get("evidence_time", "")),
        ANNOTATION_DECISION: str(index.get("decision", "")),
        ANNOTATION_MODEL: str(index["model"]["name"]),
        ANNOTATION_VERSION: str(index["model"]["version"]),
        ANNOTATION_BUNDLE: index_digest,
    }


def _update_referrers_tag(
    reg: Registry, repo: str, subject: str, manifest: dict[str, Any], digest: str, size: int
) -> None:
    """The referrers tag schema: an image index at ``sha256-<hex>`` listing the referrers."""
    tag = fallback_tag(subject)
    got = reg.get_manifest(repo, tag)
    entries: list[dict[str, Any]] = []
    if got is not None:
        try:
            old = json.loads(got[0])
            entries = [m for m in old.get("manifests", []) if isinstance(m, dict)]
        except ValueError:
            entries = []
    entries = [e for e in entries if e.get("digest") != digest]
    entries.append(
        {
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": digest,
            "size": size,
            "artifactType": ARTIFACT_TYPE,
            "annotations": manifest["annotations"],
        }
    )
    index = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": entries}
    body = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    reg.put_manifest(repo, body, INDEX_MEDIA_TYPE, tag)


# -- pull ------------------------------------------------------------------------------


def evidence_referrers(ref: Reference, options: ClientOptions | None = None) -> list[Reference]:
    """aigate evidence among the image's referrers, newest evidence time first."""
    if not ref.digest:
        raise UsageError(f"--image {ref} must name the image by digest (REGISTRY/REPO@sha256:...)")
    reg = Registry(ref, options)
    found = [d for d in reg.referrers(ref.repository, ref.digest) if d.get("artifactType") == ARTIFACT_TYPE]
    found.sort(
        key=lambda d: (str((d.get("annotations") or {}).get(ANNOTATION_CREATED, "")), d["digest"]),
        reverse=True,
    )
    return [Reference(ref.registry, ref.repository, None, str(d["digest"])) for d in found]


def pull_bundle(ref: Reference, dest_dir: Path, options: ClientOptions | None = None) -> Path:
    """Fetch the evidence artifact ``ref`` (by digest) and write its tarball into ``dest_dir``.

    Raises VerificationFailure when the artifact is not aigate evidence, a layer does not match
    its digest or size, or the side layers disagree with the tarball.
    """
    if not ref.digest:
        raise UsageError(f"{ref}: name the evidence by digest (oci://REGISTRY/REPO@sha256:...)")
    reg = Registry(ref, options)
    got = reg.get_manifest(ref.repository, ref.digest)
    if got is None:
        raise VerificationFailure(f"{ref}: no such manifest in the registry")
    try:
        manifest = json.loads(got[0])
    except ValueError:
        raise VerificationFailure(f"{ref}: the manifest is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("artifactType") != ARTIFACT_TYPE:
        raise VerificationFailure(
            f"{ref}: not aigate evidence (artifactType {manifest.get('artifactType')!r})"
        )
    layers = [item for item in manifest.get("layers") or [] if isinstance(item, dict)]
    tars = [item for item in layers if item.get("mediaType") == BUNDLE_MEDIA_TYPE]
    if len(tars) != 1:
        raise VerificationFailure(f"{ref}: expected exactly one {BUNDLE_MEDIA_TYPE} layer, found {len(tars)}")
    tar = tars[0]
    size = tar.get("size")
    limit = reg.options.max_blob
    if not isinstance(size, int) or size < 0 or size > limit:
        raise VerificationFailure(f"{ref}: the bundle layer's size {size!r} is outside 0..{limit} bytes")
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = dest_dir / f"{ref.digest.replace(':', '-')}.tar.gz"
    with tempfile.NamedTemporaryFile(dir=dest_dir, delete=False) as fh:
        written = reg.fetch_blob(ref.repository, str(tar["digest"]), fh, limit=size)
    if written != size:
        Path(fh.name).unlink(missing_ok=True)
        raise VerificationFailure(f"{ref}: the bundle layer is {written} bytes, its descriptor says {size}")
    Path(fh.name).replace(out)
    _check_side_layers(reg, ref, manifest, layers, out)
    return out


def _check_side_layers(
    reg: Registry, ref: Reference, manifest: dict[str, Any], layers: list[dict[str, Any]], tarball: Path
) -> None:
    from aigate.bundle.verify import read_bundle

    files = read_bundle(tarball)
    for layer in layers:
        name = {DECISION_MEDIA_TYPE: "decision.json", SIGSTORE_MEDIA_TYPE: SIGSTORE_FILE}.get(
            str(layer.get("mediaType"))
        )
        if name is None:
            continue
        if name not in files or sha256_digest(files[name]) != layer.get("digest"):
            raise VerificationFailure(f"{ref}: the {name} layer differs from the bundle's {name}")
    annotations = manifest.get("annotations") or {}
    expected = _annotations(json.loads(files["index.json"]), sha256_digest(files["index.json"]))
    for key, value in expected.items():
        if annotations.get(key) != value:
            raise VerificationFailure(
                f"{ref}: annotation {key} says {annotations.get(key)!r}, the bundle {value!r}"
            )


def materialize_store(ref: Reference, dest: Path, options: ClientOptions | None = None) -> Path:
    """Pull every aigate evidence artifact of the repository into ``dest`` as ``.tar.gz`` files.

    Found through the release tags aigate pushes (``aigate-<version>``) and the referrers tags of
    the tag schema; each is pulled and checked like :func:`pull_bundle`, so the directory-based
    chain, rollback and history code then reads the registry exactly as it reads a directory.
    """
    reg = Registry(ref, options)
    repo = ref.repository
    digests: set[str] = set()
    for tag in reg.tags(repo):
        if tag.startswith(TAG_PREFIX):
            got = reg.get_manifest(repo, tag)
            if got is not None and json.loads(got[0]).get("artifactType") == ARTIFACT_TYPE:
                digests.add(sha256_digest(got[0]))
        elif re.fullmatch(r"sha256-[0-9a-f]{64}", tag):
            got = reg.get_manifest(repo, tag)
            if got is not None:
                for m in json.loads(got[0]).get("manifests") or []:
                    if isinstance(m, dict) and m.get("artifactType") == ARTIFACT_TYPE:
                        digests.add(str(m.get("digest")))
        if len(digests) > MAX_STORE_RELEASES:
            raise VerificationFailure(f"{ref}: more than {MAX_STORE_RELEASES} evidence artifacts")
    dest.mkdir(parents=True, exist_ok=True)
    for digest in sorted(digests):
        pull_bundle(Reference(ref.registry, repo, None, digest), dest, options)
    return dest
