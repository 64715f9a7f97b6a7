"""Atomic file writes: a temporary file in the same directory, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from aigate.errors import GateFailure


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_file_mode(target: Path) -> int:
    """The mode a plain ``open(target, "w")`` would give: the old file's, else 0666 less the umask.

    ``mkstemp`` creates 0600 files; a report written for a CI artifact upload or a teammate must
    not end up private just because it was written atomically.
    """
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_current_umask()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Never leaves a half-written file: readers see the old content or the new, nothing between."""
    target = path if path.is_absolute() else Path.cwd() / path
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fchmod(fh.fileno(), _new_file_mode(target))
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise GateFailure(f"cannot write {path}: {exc.strerror}") from None
