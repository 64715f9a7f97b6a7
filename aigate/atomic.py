"""Atomic file writes: a temporary file in the same directory, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import shutil
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


# --- temporary siblings that a crash may leave behind -----------------------------------------
#
# A writer claims its hidden temporary (``.NAME.tmp-XXXX``) by first creating and locking
# ``.NAME.tmp-XXXX.lock`` (``fcntl.flock``, held until the write is done). The kernel drops the
# lock when the process dies however it dies, so a later run can tell a dead run's leftovers
# (lock free: removed) from a live run's (lock held: left alone). The lock file also names the
# pid and host; a leftover claimed on another host is never removed (flock is not trustworthy
# over every network file system).

LOCK_SUFFIX = ".lock"
#: a hidden temporary without a lock file (written before locks existed) is removed after this
UNCLAIMED_MAX_AGE = 3600.0


class TempClaim:
    """A locked claim on a temporary sibling path; :meth:`release` drops the lock and the lock file."""

    def __init__(self, path: Path, lock: Path, fd: int) -> None:
        self.path, self.lock, self._fd = path, lock, fd

    def release(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                self.lock.unlink()
            os.close(self._fd)
            self._fd = -1


def claim_temp(parent: Path, prefix: str, *, directory: bool) -> TempClaim:
    """Create ``parent/<prefix>XXXX`` (a directory or an empty file), locked for this process."""
    import fcntl
    import socket

    fd, lock_name = tempfile.mkstemp(prefix=prefix, suffix=LOCK_SUFFIX, dir=parent)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        path = Path(lock_name[: -len(LOCK_SUFFIX)])
        if directory:
            os.mkdir(path, 0o700)
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except BaseException:
        os.close(fd)
        Path(lock_name).unlink(missing_ok=True)
        raise
    return TempClaim(path, Path(lock_name), fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _dead_owner(lock: Path) -> bool:
    """True when nobody holds ``lock`` and it was written on this host (then its run is over)."""
    import fcntl
    import socket
    import time

    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        owner = os.read(fd, 512).decode("utf-8", "replace").split()
        if len(owner) < 2:  # being claimed right now (created, not yet locked and written)
            return time.time() - os.fstat(fd).st_mtime > 60
        if owner[1] != socket.gethostname():
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: a live run
        return True
    finally:
        os.close(fd)


def sweep_dead(parent: Path, prefix: str, *, now: float | None = None) -> list[Path]:
    """Remove ``parent/<prefix>*`` temporaries whose run is dead; return what was removed.

    Never touches a temporary whose lock is held (another live run), one claimed on another
    host, or an unclaimed one younger than :data:`UNCLAIMED_MAX_AGE`.
    """
    import time

    removed: list[Path] = []
    try:
        entries = sorted(p for p in parent.iterdir() if p.name.startswith(prefix))
    except OSError:
        return removed
    names = {p.name for p in entries}
    clock = time.time() if now is None else now
    for entry in entries:
        if entry.name.endswith(LOCK_SUFFIX):
            if _dead_owner(entry):
                target = entry.with_name(entry.name[: -len(LOCK_SUFFIX)])
                _remove(target)
                entry.unlink(missing_ok=True)
                removed.append(target)
        elif entry.name + LOCK_SUFFIX not in names:
            with contextlib.suppress(OSError):
                if clock - entry.lstat().st_mtime > UNCLAIMED_MAX_AGE:
                    _remove(entry)
                    removed.append(entry)
    return removed
