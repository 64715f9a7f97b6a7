"""Threaded hashing against sha256sum, and the files that must not be hashed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import aigate
from aigate.errors import CollectorError, InputError
from aigate.hashing import FileDigest, hash_files, sha256_file


def sha256sum(*paths: Path) -> dict[Path, str]:
    out = subprocess.run(["sha256sum", *map(str, paths)], check=True, capture_output=True, text=True).stdout
    return {Path(line.split("  ", 1)[1]): line.split("  ", 1)[0] for line in out.splitlines()}


def test_digests_equal_sha256sum(tmp_path: Path) -> None:
    files = {
        "empty": b"",
        "small": b"hello\n",
        "buffer-edge": os.urandom(1 << 20),  # exactly one read buffer
        "large": os.urandom((5 << 20) + 17),  # large-file path, odd tail
    }
    paths = []
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    expected = sha256sum(*paths)
    for workers in (1, 2, 4):
        got = hash_files(paths, workers=workers)
        assert {p: d.sha256 for p, d in got.items()} == expected
        assert {p: d.size for p, d in got.items()} == {p: len(files[p.name]) for p in paths}
    assert sha256_file(paths[3]) == expected[paths[3]]
    assert isinstance(got[paths[0]], FileDigest)


def test_fifo_is_an_input_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "model.bin"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"model\.bin: is a FIFO"):
        hash_files([fifo])


def test_device_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"/dev/null: is a device"):
        sha256_file(Path("/dev/null"))


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.bin: file not found"):
        hash_files([tmp_path / "nope.bin"])


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    """A mode-0 file cannot be opened; as root (CI runs as root) the check runs without DAC override.

    Root reads files whatever their mode, so a root process would never see the error path: the
    test then runs the check in a child process whose capability bounding set lacks
    ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` (util-linux ``setpriv``), instead of skipping.
    """
    d = Path(tempfile.mkdtemp(prefix="aigate-hash-"))
    try:
        d.chmod(0o755)
        p = d / "secret.bin"
        p.write_bytes(b"x")
        p.chmod(0)
        if os.geteuid() != 0:
            with pytest.raises(InputError, match=r"secret\.bin: cannot open"):
                hash_files([p])
            return
        code = (
            "import sys\n"
            "from pathlib import Path\n"
            "from aigate.errors import InputError\n"
            "from aigate.hashing import hash_files\n"
            "try:\n"
            f"    hash_files([Path({str(p)!r})])\n"
            "except InputError as exc:\n"
            "    print(exc); sys.exit(7)\n"
        )
        setpriv = shutil.which("setpriv")
        assert setpriv, "util-linux setpriv is needed to drop root's DAC override"
        proc = subprocess.run(
            [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(Path(aigate.__file__).parent.parent)},
        )
        assert proc.returncode == 7, proc.stderr
        assert "secret.bin: cannot open" in proc.stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_file_growing_while_hashed_is_a_collector_error(tmp_path: Path) -> None:
    """Another process appends to the file for the whole time it is hashed.

    A separate process (not a thread: a thread competes for the GIL with the hashing loop and, on
    a loaded machine, may not write at all while the file is read) keeps appending until killed.
    """
    p = tmp_path / "growing.bin"
    p.write_bytes(os.urandom(64 << 20))
    start = p.stat().st_size
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nwith open(sys.argv[1], 'ab', buffering=0) as f:\n  while True: f.write(bytes(65536))",
            str(p),
        ]
    )
    try:
        deadline = time.monotonic() + 30
        while p.stat().st_size == start and time.monotonic() < deadline:
            time.sleep(0.01)
        assert p.stat().st_size > start, "the writer process never wrote"
        with pytest.raises(CollectorError, match=r"growing\.bin: file changed while it was being hashed"):
            hash_files([p])
    finally:
        writer.kill()
        writer.wait()


def test_many_small_files(tmp_path: Path) -> None:
    paths = []
    for i in range(3000):
        p = tmp_path / f"f{i}"
        p.write_bytes(b"%d" % i)
        paths.append(p)
    got = hash_files(paths)
    assert len(got) == 3000
    sample = paths[::500]
    assert {p: got[p].sha256 for p in sample} == sha256sum(*sample)


def test_read_error_is_an_input_error_naming_the_file() -> None:
    """/proc/self/mem is a regular file whose first page cannot be read (EIO): works even as root."""
    with pytest.raises(InputError, match=r"/proc/self/mem: read failed"):
        sha256_file(Path("/proc/self/mem"))
