"""The deployment manifest (``aigate.yaml``): bounded loading, schema validation, path safety.

A :class:`Manifest` exists only after it validated: schema errors, unknown kinds and unsafe
paths are raised as :class:`InputError` (exit 2) naming the file, line and column.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position
from aigate.paths import resolve_inside
from aigate.schemas import validate_document
from aigate.yamlload import Document, Limits, load_yaml_documents, pointer_of, read_bounded

API_VERSION = "aigate.dev/v1"
KIND = "ModelDeployment"
DEFAULT_NAMES = ("aigate.yaml", "aigate.yml")
MANIFEST_LIMITS = Limits(max_bytes=2 * 1024 * 1024)

# JSON pointers (with * for any key or index) of manifest fields that name project files.
PATH_FIELDS: tuple[str, ...] = (
    "/model/artifacts/*/path",
    "/model/datasets/*/path",
    "/model/card",
    "/model/changelog",
    "/serving/runtime_files/*",
    "/dependencies/requirements",
    "/dependencies/pylock",
    "/dependencies/lockfile",
    "/access/kubernetes_manifests/*",
    "/monitoring/io_logging/schema",
    "/monitoring/io_logging/sample",
    "/monitoring/drift/report",
    "/monitoring/drift/reference",
    "/monitoring/drift/current",
    "/monitoring/alerts/rules",
    "/monitoring/metrics/dashboard_file",
    "/resilience/fallback/bundle",
    "/resilience/runbook",
    "/rollback/bundle",
    "/rollback/runbook",
    "/compliance/documents/*",
    "/evaluation/metrics",
)


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]
    document: Document
    path: Path  # resolved path on disk
    display: str  # how to name it in messages (relative to the working directory when possible)
    raw: bytes
    digest: str  # sha256 hex of ``raw``
    paths: dict[str, str]  # project-relative path -> JSON pointer of the first field naming it

    def position(self, pointer: str) -> Position:
        return self.document.position(pointer)


def find_manifest(root: Path, explicit: str | None) -> Path:
    if explicit:
        p = Path(explicit)
        return p if p.is_absolute() else (Path.cwd() / p)
    for name in DEFAULT_NAMES:
        candidate = root / name
        if candidate.exists():
            return candidate
    raise InputError(
        f"no manifest found in {root} (looked for {', '.join(DEFAULT_NAMES)})",
        hint="create one with 'aigate init' or pass --manifest FILE",
    )


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _walk(data: Any, parts: list[str], prefix: list[str | int]) -> list[tuple[list[str | int], Any]]:
    """Expand one PATH_FIELDS pattern over the data."""
    if not parts:
        return [(prefix, data)]
    head, rest = parts[0], parts[1:]
    out: list[tuple[list[str | int], Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if head == "*" or fnmatch.fnmatchcase(key, head):
                out.extend(_walk(value, rest, [*prefix, key]))
    elif isinstance(data, list) and head == "*":
        for i, value in enumerate(data):
            out.extend(_walk(value, rest, [*prefix, i]))
    return out


def manifest_paths(root: Path, doc: Document) -> dict[str, str]:
    """Check every path field is inside the project; return relative path -> pointer."""
    found: dict[str, str] = {}
    for pattern in PATH_FIELDS:
        for parts, value in _walk(doc.data, pattern.strip("/").split("/"), []):
            if not isinstance(value, str):
                continue  # the schema reports wrong types
            pointer = pointer_of(parts)
            resolved = resolve_inside(root, value, what=f"{pointer}", position=doc.position(pointer))
            rel = resolved.relative_to(root.resolve()).as_posix()
            found.setdefault(rel, pointer)
    return found


def load_manifest(root: Path, explicit: str | None = None) -> Manifest:
    path = find_manifest(root, explicit)
    display = display_path(path)
    if explicit is None and not path.resolve().is_relative_to(root.resolve()):
        raise InputError("manifest is a symlink that leaves the project", position=Position(display))
    raw = read_bounded(path, limits=MANIFEST_LIMITS, what="manifest", display=display)
    docs = load_yaml_documents(raw, display, limits=MANIFEST_LIMITS, multi=False)
    if not docs or docs[0].data is None:
        raise InputError("manifest is empty", position=Position(display, 1, 1))
    doc = docs[0]
    data = doc.data
    if not isinstance(data, dict):
        raise InputError("manifest must be a YAML mapping", position=doc.position(""))
    api = data.get("apiVersion")
    if api != API_VERSION:
        raise InputError(
            f"unknown apiVersion {api!r}; expected {API_VERSION!r}",
            position=doc.position("/apiVersion"),
        )
    kind = data.get("kind")
    if kind != KIND:
        raise InputError(f"unknown kind {kind!r}; expected {KIND!r}", position=doc.position("/kind"))
    validate_document(doc, "manifest.schema.json", "manifest")
    paths = manifest_paths(root, doc)
    return Manifest(
        data=data,
        document=doc,
        path=path.resolve(),
        display=display,
        raw=raw,
        digest=hashlib.sha256(raw).hexdigest(),
        paths=paths,
    )
