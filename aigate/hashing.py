"""Threaded SHA-256 of artifact files, shared by the artifacts collector and ``aigate verify``.

Why threads: ``hashlib`` releases the GIL while it digests a buffer larger than 2 KiB, so
one worker per core hashes several files at once at close to ``sha256sum`` speed, and a
large file is read into a reused buffer (``readinto``: no per-chunk allocation).

Invariants:

- Only regular files are hashed. A FIFO, device or socket is an :class:`InputError` naming
  the path (opening a FIFO would block forever); the check is made on the *opened* file
  descriptor (``O_NONBLOCK`` + ``fstat``), so a path swapped for a FIFO after a ``stat`` cannot
  hang the gate.
- A file that changes while it is hashed (size, mtime, ctime or inode differ between the
  start and the end, or the byte count read differs from the size) is a
  :class:`CollectorError`: a digest of a moving target is not evidence.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aigate.errors import CollectorError, InputError

#: read size: large enough that the per-call overhead vanishes, small enough to stay in L2/L3
BUFFER_SIZE = 1 << 20
#: files below this size are hashed inline by the caller's thread
SMALL_FILE = 4 << 20
#: bytes of each file's start kept for format detection (magic numbers)
HEAD_BYTES = 16


@dataclass(frozen=True)
class FileDigest:
    """Size in bytes and lowercase hex SHA-256 of one file's content."""

    size: int
    sha256: str


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """Open ``path`` read-only without blocking and return (fd, fstat) for a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found", hint="check the path in the manifest") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open for reading: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
    except OSError as exc:  # pragma: no cover - fstat on an open fd practically never fails
        os.close(fd)
        raise CollectorError(f"{path}: cannot stat: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "not a regular file"
        )
        raise InputError(f"{path}: is {kind}; only regular files can be artifacts")
    return fd, st


def _fingerprint(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _hash_fd(
    path: Path, fd: int, st: os.stat_result, buf: bytearray, tick: Callable[[int], None]
) -> tuple[FileDigest, bytes]:
    """(digest, first HEAD_BYTES of the content): the head lets callers classify the file
    format without opening it a second time."""
    h = hashlib.sha256()
    total = 0
    head = b""
    try:
        if st.st_size < len(buf):
            # small file: one read (asking one byte more than expected reveals growth)
            try:
                data = os.read(fd, st.st_size + 1)
            except OSError as exc:
                raise InputError(f"{path}: read failed: {exc.strerror}") from None
            h.update(data)
            head = data[:HEAD_BYTES]
            total = len(data)
            tick(total)
        else:
            view = memoryview(buf)
            # read the size stat() gave, plus one byte to reveal growth: a file that another
            # process keeps appending to must not be read forever
            limit = st.st_size + 1
            with os.fdopen(os.dup(fd), "rb", buffering=0) as f:
                while total < limit:
                    try:
                        n = f.readinto(view[: min(len(view), limit - total)])
                    except OSError as exc:
                        raise InputError(f"{path}: read failed: {exc.strerror}") from None
                    if not n:
                        break
                    if not total:
                        head = bytes(view[:HEAD_BYTES])
                    h.update(view[:n])
                    total += n
                    tick(n)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if _fingerprint(after) != _fingerprint(st) or total != st.st_size:
        raise CollectorError(
            f"{path}: file changed while it was being hashed",
            hint="stop whatever writes to the artifact and run the gate again",
        )
    return FileDigest(size=total, sha256=h.hexdigest()), head


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of one regular file (same rules as :func:`hash_files`)."""
    p = Path(path)
    fd, st = _open_regular(p)
    return _hash_fd(p, fd, st, bytearray(BUFFER_SIZE), lambda _n: None)[0].sha256


class _Progress:
    """A one-line byte counter on stderr, only on a TTY, never in CI, and only after 1 s.

    The gate is usually quick; a bar that flashes for 50 ms is noise, and CI logs must not
    fill with carriage returns, hence the delay and the ``CI`` check.
    """

    def __init__(self, total: int, enabled: bool):
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        stream = sys.stderr
        if enabled and stream is not None and stream.isatty() and not os.environ.get("CI"):
            self._thread = threading.Thread(target=self._run, name="aigate-hash-progress", daemon=True)
            self._thread.start()

    def tick(self, n: int) -> None:
        if self._thread is not None:
            with self._lock:
                self.done += n

    def _run(self) -> None:
        if self._stop.wait(1.0):
            return
        shown = False
        while not self._stop.wait(0.2):
            shown = True
            pct = 100.0 * self.done / self.total if self.total else 100.0
            sys.stderr.write(
                f"\rhashing artifacts: {self.done / 2**30:.2f}/{self.total / 2**30:.2f} GiB {pct:5.1f}%"
            )
            sys.stderr.flush()
        if shown:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()


def hash_files(
    paths: Sequence[Path], *, workers: int | None = None, progress: bool = False
) -> dict[Path, FileDigest]:
    """SHA-256 and size of every path, hashed in parallel; keys are the given paths.

    The first error stops the other workers and is raised; a partial result is never
    returned.
    """
    return {
        p: d for p, (d, _head) in hash_files_with_heads(paths, workers=workers, progress=progress).items()
    }


def hash_files_with_heads(
    paths: Sequence[Path], *, workers: int | None = None, progress: bool = False
) -> dict[Path, tuple[FileDigest, bytes]]:
    """:func:`hash_files` plus the first bytes of each file (for format detection).

    Small files are hashed by the calling thread as it opens them, large files by the
    workers, so 100,000 small files cost little more than their reads.
    """
    unique = list(dict.fromkeys(paths))
    if not unique:
        return {}
    n_workers = workers if workers is not None else min(32, os.cpu_count() or 1)
    n_workers = max(1, min(n_workers, len(unique)))
    total = 0
    if progress and sys.stderr is not None and sys.stderr.isatty() and not os.environ.get("CI"):
        for p in unique:  # sizes only to scale the bar; errors surface when the file is opened
            with contextlib.suppress(OSError):
                total += p.stat().st_size
    else:
        progress = False
    results: list[tuple[FileDigest, bytes] | None] = [None] * len(unique)
    errors: list[BaseException] = []
    failed = threading.Event()
    bar = _Progress(total, progress)
    # Small files are hashed by the calling thread as it opens them (a thread hand-off costs
    # more than hashing a few KiB, and threads contend for the GIL around every syscall);
    # large files go to the workers through a bounded queue (bounded: open descriptors).
    work_q: queue.Queue[tuple[int, int, os.stat_result] | None] = queue.Queue(maxsize=2 * n_workers)

    def work() -> None:
        buf = bytearray(BUFFER_SIZE)
        while True:
            item = work_q.get()
            if item is None:
                return
            i, fd, st = item
            if failed.is_set():
                os.close(fd)
                continue
            try:
                results[i] = _hash_fd(unique[i], fd, st, buf, bar.tick)
            except BaseException as exc:  # handed to the caller's thread below
                errors.append(exc)
                failed.set()

    threads = [threading.Thread(target=work, name=f"aigate-hash-{k}", daemon=True) for k in range(n_workers)]
    for t in threads:
        t.start()
    small_buf = bytearray(BUFFER_SIZE)
    try:
        for i, path in enumerate(unique):
            if failed.is_set():
                break
            try:
                fd, st = _open_regular(path)
                if st.st_size < SMALL_FILE:
                    results[i] = _hash_fd(path, fd, st, small_buf, bar.tick)
                else:
                    work_q.put((i, fd, st))
            except BaseException as exc:
                errors.append(exc)
                failed.set()
                break
    finally:
        for _ in threads:
            work_q.put(None)
        for t in threads:
            t.join()
        bar.close()
    if errors:
        raise errors[0]
    return {p: r for p, r in zip(unique, results, strict=False) if r is not None}
