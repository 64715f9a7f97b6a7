"""Existence and digests of the documents the manifest references (``input.files``).

Model artifacts and datasets are listed with their size only: hashing them is the artifact
collector's job (threaded, and skipped on the fast path), so they are never read twice.
"""

from __future__ import annotations

import hashlib
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import InputError
from aigate.yamlload import Limits, read_bounded, size_limit

DOCUMENT_HASH_LIMIT = 64 * 1024 * 1024
_ARTIFACT_POINTERS = ("/model/artifacts/", "/model/datasets/")
_COMPLIANCE_POINTER = "/compliance/documents/"
MAX_HEADINGS = 200
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")


def markdown_headings(path: Path, *, max_bytes: int | None = None, display: str | None = None) -> list[str]:
    """ATX headings of a Markdown document (outside fenced code), in order: what COMPLY checks
    against the sections a risk class requires (e.g. EU AI Act Annex IV).

    The read is capped (``limits.compliance_document``): a larger document is an input error
    naming it, checked before anything is read."""
    out: list[str] = []
    fenced = False
    cap = max_bytes or size_limit("compliance_document")
    raw = read_bounded(path, limits=Limits(max_bytes=cap), what="compliance document", display=display)
    text = raw.decode("utf-8", errors="replace")
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            out.append(m.group(2).strip())
            if len(out) >= MAX_HEADINGS:
                break
    return out


def last_commit_epoch(root: Path, rel: str) -> int | None:
    """When the file last changed in git (None: not committed, or no repository). A checkout
    resets file modification times, so document age must come from history, not mtime."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct", "--", rel],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = proc.stdout.strip()
    return int(value) if proc.returncode == 0 and value.isdigit() else None


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


#: fields that may name a directory (a model or dataset directory, a bundle directory); every
#: other field names a document, which must be a regular file
_DIRECTORY_POINTERS = (*_ARTIFACT_POINTERS, "/rollback/bundle", "/resilience/fallback/bundle")


def _must_be_regular(rel: str, pointer: str, info: dict[str, Any]) -> None:
    """A directory, FIFO or device never counts as a present document: exit 2 naming it.

    (Reading a FIFO would also block the gate forever.)"""
    kind = info["kind"]
    if kind == "special" or (kind == "dir" and not pointer.startswith(_DIRECTORY_POINTERS)):
        what = "a directory" if kind == "dir" else "not a regular file (a FIFO, socket or device)"
        raise InputError(f"manifest {pointer}: {rel} is {what}; point it at a regular file in the project")


def _raw_value(manifest: Any, pointer: str) -> Any:
    node = manifest
    for part in pointer.strip("/").split("/"):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part.replace("~1", "/").replace("~0", "~"))
        else:
            return None
    return node


class FilesCollector(Collector):
    key = "files"

    def collect(self, ctx: CollectContext) -> Evidence:
        paths: dict[str, str] = ctx.options.get("manifest_paths", {})
        out: dict[str, Any] = {}
        for rel, pointer in sorted(paths.items()):
            is_artifact = pointer.startswith(_ARTIFACT_POINTERS)
            out[rel] = describe(ctx.root / rel, hash_it=not is_artifact)
            out[rel]["pointer"] = pointer
            _must_be_regular(rel, pointer, out[rel])
            if pointer.startswith(_COMPLIANCE_POINTER) and out[rel]["kind"] == "file":
                out[rel]["last_commit_epoch"] = last_commit_epoch(ctx.root, rel)
                if rel.lower().endswith((".md", ".markdown")):
                    out[rel]["headings"] = markdown_headings(
                        ctx.root / rel,
                        max_bytes=size_limit("compliance_document", ctx.policy_data),
                        display=rel,
                    )
        # the policies look paths up as the manifest spells them ("model/../CARD.md", a link in
        # the project): the resolved entry is also listed under that spelling
        for rel, pointer in sorted(paths.items()):
            raw = _raw_value(ctx.manifest, pointer)
            if isinstance(raw, str) and raw != rel and raw not in out:
                out[raw] = out[rel]
        return Evidence(self.key, out)
