"""The artifacts collector: digests, directories, and every path that must be refused."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from aigate.collect.artifacts import ArtifactsCollector, collect_artifacts
from aigate.errors import InputError


def _manifest(*paths: str, kind: str = "model") -> dict[str, Any]:
    return {"model": {"name": "m", "version": "1", "artifacts": [{"path": p, "kind": kind} for p in paths]}}


def test_file_and_directory_artifacts(tmp_path: Path, safetensors_writer: Any) -> None:
    root = tmp_path / "p"
    safetensors_writer(root / "model.safetensors")
    (root / "tok").mkdir()
    (root / "tok" / "vocab.txt").write_text("a\nb\n")
    (root / "tok" / "sub").mkdir()
    (root / "tok" / "sub" / "merges.txt").write_text("x y\n")
    arts = collect_artifacts(
        root,
        {
            **_manifest("model.safetensors", "tok"),
            "model": {
                **_manifest("model.safetensors", "tok")["model"],
                "datasets": [{"name": "eval", "path": "tok/vocab.txt"}],
            },
        },
    )
    by = {a["path"]: a for a in arts}
    assert set(by) == {"model.safetensors", "tok", "tok/vocab.txt"}
    assert by["tok/vocab.txt"]["kind"] == "data"
    st = by["model.safetensors"]
    out = subprocess.run(
        ["sha256sum", "model.safetensors"], cwd=root, capture_output=True, text=True, check=True
    )
    assert st["files"][0]["sha256"] == out.stdout.split()[0]
    assert st["safety"]["status"] == "safe" and st["format"] == "safetensors"
    tok = by["tok"]
    assert [f["path"] for f in tok["files"]] == ["tok/sub/merges.txt", "tok/vocab.txt"]
    # the artifact digest is sha256 of the sha256sum-format list: recompute it with sha256sum
    listing = subprocess.run(
        ["sha256sum", "tok/sub/merges.txt", "tok/vocab.txt"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert tok["sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    assert tok["size"] == 4 + 4


def test_fast_path_skips(make_ctx: Any) -> None:
    ev = ArtifactsCollector().collect(make_ctx(_manifest("x"), fast=True))
    assert ev.data is None and ev.skipped == "fast path"


def test_missing_artifact_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"artifact \(/model/artifacts/0/path\) 'model.bin' does not exist"):
        collect_artifacts(tmp_path, _manifest("model.bin"))


def test_fifo_artifact_and_fifo_inside_a_directory(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.bin")
    with pytest.raises(InputError, match="not a regular file"):
        collect_artifacts(tmp_path, _manifest("pipe.bin"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ok.txt").write_text("x")
    os.mkfifo(tmp_path / "d" / "pipe")
    with pytest.raises(InputError, match=r"d/pipe is not a regular file"):
        collect_artifacts(tmp_path, _manifest("d"))


def test_paths_and_symlinks_leaving_the_project(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"secret")
    with pytest.raises(InputError, match="outside the project"):
        collect_artifacts(root, _manifest("../outside.bin"))
    (root / "link.bin").symlink_to(outside)
    with pytest.raises(InputError, match="outside the project"):
        collect_artifacts(root, _manifest("link.bin"))
    (root / "d").mkdir()
    (root / "d" / "escape").symlink_to(outside)
    with pytest.raises(InputError, match=r"symlink d/escape leaves the project"):
        collect_artifacts(root, _manifest("d"))
    with pytest.raises(InputError, match="absolute"):
        collect_artifacts(root, _manifest(str(outside)))


def test_symlink_inside_the_project_is_hashed_as_its_target(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "real.txt").write_text("content")
    (tmp_path / "d" / "alias.txt").symlink_to(tmp_path / "real.txt")
    [a] = collect_artifacts(tmp_path, _manifest("d"))
    assert a["files"][0]["sha256"] == hashlib.sha256(b"content").hexdigest()


def test_directory_with_100000_small_files(tmp_path: Path) -> None:
    d = tmp_path / "shards"
    d.mkdir()
    for i in range(100_000):
        (d / f"{i:06d}.bin").write_bytes(b"%d" % i)
    t = time.perf_counter()
    [a] = collect_artifacts(tmp_path, _manifest("shards", kind="data"))
    elapsed = time.perf_counter() - t
    assert a["files_count"] == 100_000
    assert a["files"][123]["sha256"] == hashlib.sha256(b"123").hexdigest()
    # unknown formats are summarised, not listed 100,000 times
    assert len(a["safety"]["findings"]) == 50 and a["safety"]["findings_truncated"] == 100_000 - 50
    print(f"100,000 files collected in {elapsed:.2f} s")  # shown with -s; speed is measured in bench/
