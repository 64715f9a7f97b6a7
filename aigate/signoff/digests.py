"""The two digests an approval binds: the model digest and the manifest digest.

``aigate approve`` and ``aigate check`` must compute byte-for-byte the same values, so the
definitions live here and nowhere else.

**Model digest** (``sha256:<hex>``), over the artifacts the manifest names in
``model.artifacts[*].path`` (files, or directories taken recursively):

1. every regular file named, or found under a named directory, is listed once by its
   project-relative POSIX path (as named or walked, not as resolved). A symlinked file is read
   through its link and must resolve inside the project (else ``InputError``); symlinked
   directories under a named directory are not descended into; ``.git`` directories are skipped;
2. each file's content is hashed with SHA-256 (lowercase hex);
3. the list is sorted by the UTF-8 bytes of the path, and each entry is written as the line
   ``<hex>  <path>\\n`` (two spaces: the ``sha256sum`` format);
4. the model digest is the SHA-256 of the concatenation of those lines.

So an auditor can recompute it with coreutils: ``sha256sum <files> | LC_ALL=C sort -k2 | sha256sum``.
An artifact path that does not exist, or a manifest with no artifacts, is an ``InputError``:
there is nothing an approval could be bound to.

**Manifest digest** (``sha256:<hex>``): the SHA-256 of the manifest file's bytes as read
(the same value as ``CollectContext.manifest_digest`` with the prefix added).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aigate.errors import InputError
from aigate.paths import resolve_inside

PREFIX = "sha256:"


def normalize_digest(value: str) -> str:
    """``<hex>`` or ``sha256:<hex>`` -> ``sha256:<lowercase hex>`` (other text is returned as is)."""
    text = str(value).strip()
    if text.lower().startswith(PREFIX):
        text = text[len(PREFIX) :]
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return PREFIX + text.lower()
    return str(value)


def manifest_digest(raw: bytes) -> str:
    return PREFIX + hashlib.sha256(raw).hexdigest()


def model_digest_from_entries(entries: Iterable[tuple[str, str]]) -> str:
    """The model digest of ``(project-relative posix path, sha256 hex)`` pairs (see module doc).

    Exposed separately so that a caller that already hashed the files (the artifacts collector)
    can reuse those hashes instead of reading a large model twice.
    """
    unique: dict[str, str] = {}
    for path, sha in entries:
        unique[path] = sha.lower()
    lines = [f"{unique[p]}  {p}\n" for p in sorted(unique, key=lambda s: s.encode("utf-8"))]
    return PREFIX + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def artifact_files(root: Path, manifest: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """``(relative posix path, resolved path)`` of every model artifact file, sorted, unique."""
    model = manifest.get("model") if isinstance(manifest, Mapping) else None
    artifacts = model.get("artifacts") if isinstance(model, Mapping) else None
    if not isinstance(artifacts, list) or not artifacts:
        raise InputError(
            "the manifest names no model artifacts (model.artifacts); an approval binds their digest",
            hint="list the model files under model.artifacts in aigate.yaml",
        )
    root_resolved = root.resolve()
    found: dict[str, Path] = {}
    for i, item in enumerate(artifacts):
        rel = item.get("path") if isinstance(item, Mapping) else item
        what = f"/model/artifacts/{i}/path"
        path = resolve_inside(root_resolved, str(rel) if rel is not None else "", what=what)
        if path.is_file():
            found[path.relative_to(root_resolved).as_posix()] = path
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d != ".git")
                for name in filenames:
                    candidate = Path(dirpath) / name
                    rel_inner = candidate.relative_to(root_resolved).as_posix()
                    inner = resolve_inside(root_resolved, rel_inner, what=f"{what} (file {rel_inner})")
                    if inner.is_file():
                        found[rel_inner] = inner
        else:
            raise InputError(
                f"model artifact {rel!r} ({what}) does not exist",
                hint="build or fetch the model before approving or checking",
            )
    if not found:
        raise InputError("the model artifacts named in the manifest contain no files")
    return sorted(found.items(), key=lambda kv: kv[0].encode("utf-8"))


def model_digest(root: Path, manifest: Mapping[str, Any]) -> str:
    """The model digest of the artifacts ``manifest`` names under ``root`` (see module doc)."""
    from aigate.hashing import hash_files

    files = artifact_files(root, manifest)
    digests = hash_files([p for _, p in files])
    return model_digest_from_entries((rel, digests[p].sha256) for rel, p in files)


#: What the manifest declares as deployed beside the model: an approval binds these files too
#: (as committed at the approved commit; evaluate.py refuses any change since, naming the file).
DEPLOYED_POINTERS: tuple[tuple[str, ...], ...] = (
    ("serving", "runtime_files"),
    ("access", "kubernetes_manifests"),
    ("monitoring", "alerts", "rules"),
    ("monitoring", "alerts", "tests"),
    ("monitoring", "io_logging", "schema"),
)


def deployed_files(root: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Project-relative POSIX paths of every deployed file the manifest declares, sorted, unique.

    Each path is checked to stay inside the project (:func:`aigate.paths.resolve_inside`)."""
    out: set[str] = set()
    for pointer in DEPLOYED_POINTERS:
        node: Any = manifest
        for key in pointer:
            node = node.get(key) if isinstance(node, Mapping) else None
        values = node if isinstance(node, list) else [node]
        for value in values:
            if isinstance(value, str) and value.strip():
                path = resolve_inside(root, value, what="/".join(pointer))
                out.add(path.relative_to(root.resolve()).as_posix())
    return sorted(out)
