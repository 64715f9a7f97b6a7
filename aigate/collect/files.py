"""Existence and digests of the documents the manifest references (``input.files``).

Model artifacts and datasets are listed with their size only: hashing them is the artifact
collector's job (threaded, and skipped on the fast path), so they are never read twice.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import InputError

DOCUMENT_HASH_LIMIT = 64 * 1024 * 1024
_ARTIFACT_POINTERS = ("/model/artifacts/", "/model/datasets/")


def describe(path: Path, *, hash_it: bool) -> dict[str, Any]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return {"exists": False, "kind": "missing", "sha256": None, "size": None, "mtime_epoch": None}
    except OSError as exc:
        raise InputError(f"cannot stat {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        return {"exists": True, "kind": "dir", "sha256": None, "size": None, "mtime_epoch": int(st.st_mtime)}
    if not stat.S_ISREG(st.st_mode):
        return {"exists": True, "kind": "special", "sha256": None, "size": None, "mtime_epoch": None}
    digest = None
    if hash_it and st.st_size <= DOCUMENT_HASH_LIMIT:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
    return {
        "exists": True,
        "kind": "file",
        "sha256": digest,
        "size": st.st_size,
        "mtime_epoch": int(st.st_mtime),
    }


class FilesCollector(Collector):
    key = "files"

    def collect(self, ctx: CollectContext) -> Evidence:
        paths: dict[str, str] = ctx.options.get("manifest_paths", {})
        out: dict[str, Any] = {}
        for rel, pointer in sorted(paths.items()):
            is_artifact = pointer.startswith(_ARTIFACT_POINTERS)
            out[rel] = describe(ctx.root / rel, hash_it=not is_artifact)
            out[rel]["pointer"] = pointer
        return Evidence(self.key, out)
