"""OCI evidence store: aigate push / pull+verify beside skopeo copy of the same blobs.

A local CNCF distribution registry (plain HTTP on 127.0.0.1) is started; a recorded, key-signed
bundle of the example (no model bytes beyond the example's) is pushed with ``aigate push`` and
pulled with ``aigate verify oci://...`` (pull, digest checks, full offline verification). The
comparison copies the very same artifact (same manifest and blobs) with ``skopeo copy`` from an OCI
layout into the registry, and back out. Both are whole processes (start-up included), median of 5.
Budget: aigate within 2x of skopeo each way.

Run: python bench/bench_oci.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
RUNS = 5


def aigate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aigate", *args], capture_output=True, text=True, check=False
    )


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    from registry_support import _start, push_image

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        (tmp / "reg").mkdir()
        gen = _start(tmp / "reg", tls=False)
        reg = next(gen)
        project = tmp / "p"
        shutil.copytree(ROOT / "examples" / "fraud-detector", project)
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@example.test", "commit", "-qm", "x"],
            cwd=project,
            check=True,
        )
        assert aigate("keygen", str(tmp / "k")).returncode == 0
        r = aigate(
            "check",
            "-C",
            str(project),
            "--sign",
            f"key:{tmp / 'k'}",
            "--bundle-dir",
            str(tmp / "b"),
            "--tar",
            "-q",
        )
        assert r.returncode == 0, r.stderr
        tarball = tmp / "b.tar.gz"
        image = push_image(reg, "ml/fraud", "1.0", tmp)
        dest = f"oci://{reg.host}/ml/fraud"

        def push() -> None:
            p = aigate("push", str(tarball), dest, "--subject", image, "--plain-http", "--format", "json")
            assert p.returncode == 0, p.stderr

        t_push = timed(push)
        ref = json.loads(
            aigate("push", str(tarball), dest, "--subject", image, "--plain-http", "--format", "json").stdout
        )["reference"]

        def pull_verify() -> None:
            v = aigate("verify", ref, "--key", str(tmp / "k.pub"), "--plain-http")
            assert v.returncode == 0, v.stderr

        t_pull = timed(pull_verify)
        layout = tmp / "layout"
        subprocess.run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                f"docker://{ref.removeprefix('oci://')}",
                f"oci:{layout}:ev",
            ],
            check=True,
        )

        def skopeo_push() -> None:
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "--quiet",
                    "--preserve-digests",
                    "--dest-tls-verify=false",
                    f"oci:{layout}:ev",
                    f"docker://{reg.host}/ml/copy:ev",
                ],
                check=True,
            )

        def skopeo_pull() -> None:
            out = tmp / "pulled"
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "--quiet",
                    "--src-tls-verify=false",
                    f"docker://{ref.removeprefix('oci://')}",
                    f"oci:{out}:ev",
                ],
                check=True,
            )

        from aigate.bundle.verify import verify_bundle
        from aigate.oci.client import ClientOptions
        from aigate.oci.evidence import pull_bundle, push_bundle
        from aigate.oci.reference import parse

        opts = ClientOptions(plain_http=True)
        t_push_in = timed(lambda: push_bundle(tarball, parse(dest), subject=image, options=opts))

        def pull_in() -> None:
            with tempfile.TemporaryDirectory() as d:
                verify_bundle(pull_bundle(parse(ref), Path(d), opts), key=tmp / "k.pub")

        t_pull_in = timed(pull_in)
        t_spush = timed(skopeo_push)
        t_spull = timed(skopeo_pull)
        size = tarball.stat().st_size
        print(f"bundle tarball: {size / 1024:.0f} KiB; median of {RUNS} whole-process runs")
        print(
            f"push:  aigate {t_push * 1000:.0f} ms   skopeo copy {t_spush * 1000:.0f} ms   ratio {t_push / t_spush:.2f}x (budget 2x)"
        )
        print(
            f"pull:  aigate pull+verify {t_pull * 1000:.0f} ms   skopeo copy {t_spull * 1000:.0f} ms   ratio {t_pull / t_spull:.2f}x (budget 2x)"
        )
        print(
            f"in process (no interpreter start-up or imports): push {t_push_in * 1000:.0f} ms ({t_push_in / t_spush:.2f}x), "
            f"pull+verify {t_pull_in * 1000:.0f} ms ({t_pull_in / t_spull:.2f}x)"
        )
        gen.close()


if __name__ == "__main__":
    main()
