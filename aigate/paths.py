"""Untrusted paths: every path a manifest names stays inside the project.

The manifest is written by the release's authors, so a path in it is untrusted input: it must be
relative, must not climb out with ``..``, and must not reach outside the project through a
symlink. Violations are input errors (exit 2) that name the manifest position of the path.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from aigate.errors import InputError, Position


def resolve_inside(root: Path, rel: str, *, what: str = "path", position: Position | None = None) -> Path:
    """Return ``root/rel`` resolved, or raise InputError if it is absolute or leaves ``root``.

    The path need not exist (callers decide whether a missing file is a finding or an error);
    any existing prefix is resolved through symlinks, so a link that escapes is refused too.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise InputError(f"{what} must be a non-empty relative path", position=position)
    if "\x00" in rel:
        raise InputError(f"{what} {rel!r} contains a NUL byte", position=position)
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or os.path.isabs(rel) or (len(rel) > 1 and rel[1] == ":"):
        raise InputError(
            f"{what} {rel!r} is absolute; manifest paths must be relative to the project root",
            position=position,
        )
    root_resolved = root.resolve()
    try:
        candidate = (root_resolved / Path(*pure.parts)).resolve(strict=False)
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before Python 3.13, OSError after)
        raise InputError(
            f"{what} {rel!r} cannot be resolved: a symlink loop ({exc})", position=position
        ) from None
    if not candidate.is_relative_to(root_resolved):
        via = "a symlink that leaves" if ".." not in pure.parts else "'..' that climbs out of"
        raise InputError(
            f"{what} {rel!r} resolves outside the project (through {via} {root_resolved})",
            position=position,
        )
    return candidate


def relative_posix(root: Path, path: Path) -> str:
    """The project-relative POSIX form of a path already known to be inside ``root``."""
    return path.resolve().relative_to(root.resolve()).as_posix()
