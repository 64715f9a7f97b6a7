"""Evidence-bundle timings, each beside its comparison, on a 1 GiB model in 4 files.

- ``aigate verify BUNDLE --key PUB --artifacts MODEL`` (in process and as the real CLI) vs the
  threaded hashing floor (hashlib over the same files, one thread per core, ``readinto`` into a
  reused buffer) and vs ``sha256sum`` (one process, and two in parallel); budget <= 1.2x floor.
- ``write_bundle`` excluding hashing; budget <= 0.2 s. Measured twice: unsigned with the 1 GiB
  model's artifacts listed (the writer alone: index, statement, fsync, atomic rename), and
  key-signed over a 4 KiB model (signing the statement and model.sig, where the model-signing
  hash pass is negligible). The key-signed write of the 1 GiB model is shown beside the
  model-signing hash pass it contains, for information.

The page cache is warmed first, so every contender reads from memory: the comparison is CPU.
Run: python bench/bench_bundle.py [SIZE_MIB]   (default 1024)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 3


def median_time(fn: Callable[[], object], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def paired(ours: Callable[[], object], theirs: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    """Alternate the two contenders and keep each one's best run: on a shared 2-core machine the
    minimum is the least noisy estimate of CPU-bound work, and alternation exposes both to the
    same background load."""
    a, b = [], []
    for _ in range(runs):
        for fn, out in ((ours, a), (theirs, b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return min(a), min(b)


def threaded_floor(paths: list[Path]) -> dict[Path, str]:
    """The floor: plain hashlib, one thread per core pulling files, a reused 1 MiB buffer."""
    out: dict[Path, str] = {}
    todo = list(paths)
    lock = threading.Lock()

    def work() -> None:
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            with lock:
                if not todo:
                    return
                p = todo.pop()
            h = hashlib.sha256()
            with open(p, "rb", buffering=0) as fh:
                while n := fh.readinto(buf):
                    h.update(view[:n])
            out[p] = h.hexdigest()

    threads = [threading.Thread(target=work) for _ in range(min(len(paths), os.cpu_count() or 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def row(name: str, ours: float, other: str, theirs: float, budget: str = "") -> None:
    print(
        f"{name:<46} {ours * 1000:9.1f} ms   vs {other:<30} {theirs * 1000:9.1f} ms   "
        f"ratio {ours / theirs:5.2f}x  {budget}"
    )


def main() -> None:
    from aigate.bundle.verify import verify_bundle
    from aigate.bundle.writer import Artifact, BundleRequest, write_bundle
    from aigate.hashing import hash_files
    from aigate.sign import SigningMode
    from aigate.sign.key import generate_keypair

    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    tmp = Path(tempfile.mkdtemp(prefix="aigate-bench-bundle-"))
    try:
        model = tmp / "proj" / "model"
        model.mkdir(parents=True)
        block = os.urandom(1 << 20)
        files = []
        for i in range(4):
            p = model / f"shard-{i}.safetensors"
            with open(p, "wb") as fh:
                for _ in range(size_mib // 4):
                    fh.write(block)
            files.append(p)
        generate_keypair(tmp / "k.pem", tmp / "k.pub")
        threaded_floor(files)  # warm the page cache
        print(
            f"model: {size_mib} MiB in 4 files; {os.cpu_count()} cores; median of {RUNS} runs "
            "(verify vs floor: best of 5 alternated pairs)\n"
        )

        digests = hash_files(files)
        root = tmp / "proj"
        arts = [Artifact(p.relative_to(root).as_posix(), d.sha256, d.size) for p, d in digests.items()]
        rendered = {
            "decision.json": b'{"decision": "pass"}\n' + b" " * 20_000,
            "input.json": b"{}" + b" " * 400_000,
            "sbom.cdx.json": b"{}" + b" " * 300_000,
            "report.md": b"# r\n" * 2_000,
        }

        def request(mode: str) -> BundleRequest:
            return BundleRequest(
                files=rendered,
                artifacts=arts,
                model_name="bench",
                model_version="1",
                policy_digest="sha256:" + "0" * 64,
                previous_decision_digest=None,
                evidence_time=1_767_225_600,
                passed=True,
                signing=SigningMode.parse(mode),
                project_root=root,
            )

        # --- write ------------------------------------------------------------------------
        tiny_root = tmp / "tiny"
        (tiny_root / "model").mkdir(parents=True)
        (tiny_root / "model" / "w.bin").write_bytes(block[:4096])
        tiny = [Artifact("model/w.bin", hashlib.sha256(block[:4096]).hexdigest(), 4096)]

        def tiny_request() -> BundleRequest:
            r = request(f"key:{tmp / 'k.pem'}")
            return BundleRequest(**{**r.__dict__, "artifacts": tiny, "project_root": tiny_root})

        unsigned = median_time(lambda: write_bundle(tmp / "b-none", request("none")), runs=7)
        small_signed = median_time(lambda: write_bundle(tmp / "b-tiny", tiny_request()), runs=7)
        signed = median_time(lambda: write_bundle(tmp / "b", request(f"key:{tmp / 'k.pem'}")))
        from model_signing import hashing as ms_hashing

        ms_hash = median_time(
            lambda: (
                ms_hashing.Config()
                .set_ignored_paths(paths=[], ignore_git_paths=False)
                .hash(model, files_to_hash=files)
            )
        )
        floor = median_time(lambda: threaded_floor(files))
        print("write")
        row(
            "write_bundle, unsigned, 1 GiB model listed",
            unsigned,
            "budget",
            0.2,
            "ok" if unsigned <= 0.2 else "OVER",
        )
        ok = "ok" if small_signed <= 0.2 else "OVER"
        row("write_bundle, key-signed, 4 KiB model", small_signed, "budget", 0.2, ok)
        row("write_bundle, key-signed, 1 GiB model", signed, "its model-signing hash pass", ms_hash)

        # --- verify -----------------------------------------------------------------------
        pub = tmp / "k.pub"
        ours, floor = paired(
            lambda: verify_bundle(tmp / "b", key=pub, artifacts_dir=model), lambda: threaded_floor(files)
        )
        cli, cli_floor = paired(
            lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "aigate",
                    "verify",
                    str(tmp / "b"),
                    "--key",
                    str(pub),
                    "--artifacts",
                    str(model),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            ),
            lambda: threaded_floor(files),
            runs=3,
        )
        sha1 = median_time(
            lambda: subprocess.run(["sha256sum", *map(str, files)], check=True, stdout=subprocess.DEVNULL)
        )
        sha2 = median_time(
            lambda: subprocess.run(
                ["sh", "-c", 'printf "%s\\0" "$@" | xargs -0 -n2 -P2 sha256sum', "sh", *map(str, files)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        )
        print("\nverify (1 GiB of artifacts re-hashed, model.sig and statement checked)")
        budget = "ok" if ours <= 1.2 * floor else "OVER"
        row(
            "verify_bundle --artifacts (in process)",
            ours,
            "threaded hashlib floor",
            floor,
            f"budget 1.20x: {budget}",
        )
        row("aigate verify --artifacts (CLI, whole process)", cli, "threaded hashlib floor", cli_floor)
        row("verify_bundle --artifacts (in process)", ours, "sha256sum, one process", sha1)
        row("verify_bundle --artifacts (in process)", ours, "sha256sum, two in parallel", sha2)
        no_art = median_time(lambda: verify_bundle(tmp / "b", key=pub))
        print(f"\nverify without --artifacts (bundle only): {no_art * 1000:.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
