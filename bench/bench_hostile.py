"""Hostile inputs: wall time and peak memory of the real CLI on each (issue 10, Done-when 3).

Each case runs ``python -m aigate ...`` under ``/usr/bin/time``-like accounting (a wrapper whose
only child is aigate: ``getrusage(RUSAGE_CHILDREN)``) and prints seconds, peak MB and the exit
code beside the budget (< 10 s, <= 512 MB). With ``--compare PYTHONPATH`` the same cases also run
against another checkout (e.g. ``git archive e0c8cab | tar -x -C /tmp/old``) and the ratio is
printed. Large files are sparse, so the inputs cost no disk.

    python bench/bench_hostile.py [--compare /tmp/old]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "fraud-detector"
WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "cap = int(sys.argv.pop(1))\n"
    "limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run([sys.executable, '-m', 'aigate', *sys.argv[1:]], capture_output=True, preexec_fn=limit)\n"
    "print(json.dumps({'rc': p.returncode, 's': time.perf_counter() - t,\n"
    "                  'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
)


def project(base: Path) -> Path:
    dest = base / "p"
    shutil.copytree(EXAMPLE, dest)
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-qm", "r"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True)
    return dest


def check_args(p: Path) -> list[str]:
    return ["check", "-C", str(p), "--dry-run", "--data", str(p / "policy-data.yaml")]


def big_document(base: Path) -> list[str]:
    p = project(base)
    with open(p / "docs" / "risk-assessment.md", "r+b") as fh:
        fh.truncate(2 << 30)
    return check_args(p)


def big_drift_report(base: Path) -> list[str]:
    p = project(base)
    with open(p / "reports" / "drift.json", "r+b") as fh:
        fh.truncate(342 * 1000 * 1000)
    return check_args(p)


def pax_bomb(base: Path) -> list[str]:
    path = base / "bomb.tar.gz"
    header = tarfile.TarInfo("pax")
    header.type, header.size = tarfile.XHDTYPE, 1 << 30
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as fh:
        fh.write(deflate.compress(header.tobuf(format=tarfile.USTAR_FORMAT)))
        for _ in range(1024):
            fh.write(deflate.compress(b"a" * (1 << 20)))
        fh.write(deflate.flush())
    return ["verify", str(path), "--unsafe-allow-unsigned"]


def huge_integer(base: Path) -> list[str]:
    p = project(base)
    m = p / "reports" / "metrics.json"
    m.write_text(m.read_text().replace("0.947", "9" * 100_000))
    return check_args(p)


def drift_csv_field(base: Path) -> list[str]:
    ref, cur = base / "ref.csv", base / "cur.csv"
    ref.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(100)))
    cur.write_text("a,b\n1," + "y" * (64 << 20) + "\n")
    return ["drift", "--reference", str(ref), "--current", str(cur)]


#: address-space cap for every run, so that the old code's multi-GB reads fail (MemoryError, exit 3)
#: instead of pushing a shared machine into swap; aigate's own runs stay far below it
ADDRESS_SPACE_CAP = 3 << 30

CASES: dict[str, Callable[[Path], list[str]]] = {
    "2 GiB compliance document": big_document,
    "342 MB drift report (manifest)": big_drift_report,
    "1 MB .tar.gz, 1 GiB PAX header": pax_bomb,
    "100,000-digit integer in metrics": huge_integer,
    "64 MiB CSV field (aigate drift)": drift_csv_field,
}


def run(args: list[str], pythonpath: str | None) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI")}
    cwd = tempfile.gettempdir()  # not the checkout: `-m aigate` must import from PYTHONPATH
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-c", WRAPPER, str(ADDRESS_SPACE_CAP), *args]
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", help="PYTHONPATH of another aigate checkout to run side by side")
    opts = parser.parse_args()
    print(
        f"{'case':34} {'exit':>4} {'seconds':>8} {'peak MB':>8}"
        + ("   old: exit seconds peak MB  ratio(t/mem)" if opts.compare else "")
    )
    for name, make in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            args = make(Path(tmp))
            new = run(args, str(REPO))
            line = f"{name:34} {new['rc']:>4} {new['s']:>8.2f} {new['kb'] / 1024:>8.0f}"
            if opts.compare:
                old = run(args, opts.compare)
                line += (
                    f"   {old['rc']:>4} {old['s']:>7.2f} {old['kb'] / 1024:>7.0f}"
                    f"  {old['s'] / max(new['s'], 1e-9):.1f}x/{old['kb'] / max(new['kb'], 1):.1f}x"
                )
            ok = new["s"] < 10 and new["kb"] <= 512 * 1024 and new["rc"] in (1, 2)
            print(line + ("" if ok else "   OVER BUDGET"))


if __name__ == "__main__":
    main()
