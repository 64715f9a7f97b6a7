"""The deployment manifest (``aigate.yaml``): bounded loading, schema validation, path safety.

A :class:`Manifest` exists only after it validated: schema errors, unknown kinds and unsafe
paths are raised as :class:`InputError` (exit 2) naming the file, line and column.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position
from aigate.paths import resolve_inside
from aigate.schemas import load_schema, validate_document
from aigate.yamlload import Document, Limits, load_yaml_documents, pointer_of, read_bounded

API_VERSION = "aigate.dev/v1"
KIND = "ModelDeployment"
DEFAULT_NAMES = ("aigate.yaml", "aigate.yml")
MANIFEST_LIMITS = Limits(max_bytes=2 * 1024 * 1024)

PATH_REF = "#/$defs/path"


@functools.lru_cache(maxsize=1)
def path_fields() -> tuple[str, ...]:
    """JSON-pointer patterns (``*`` = any key or index) of every manifest field that names a file.

    Derived from the schema (every property whose schema is ``$ref: #/$defs/path``), so a new path
    field in the schema is checked for safety without a second list to keep in step.
    """
    schema = load_schema("manifest.schema.json")
    defs = schema.get("$defs", {})
    found: set[str] = set()

    def walk(node: Any, prefix: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > 12:
            return
        if node.get("$ref") == PATH_REF:
            found.add(prefix)
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            walk(defs.get(ref.rsplit("/", 1)[-1]), prefix, depth + 1)
        for key, sub in (node.get("properties") or {}).items():
            walk(sub, f"{prefix}/{key}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{prefix}/*", depth + 1)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{prefix}/*", depth + 1)
        for sub in (node.get("patternProperties") or {}).values():
            walk(sub, f"{prefix}/*", depth + 1)
        for combo in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(combo) or []:
                walk(sub, prefix, depth + 1)

    walk(schema, "", 0)
    return tuple(sorted(found))


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
    for pattern in path_fields():
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
