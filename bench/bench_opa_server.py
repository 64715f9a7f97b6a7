"""The OPA-server path against the embedded engine, side by side, on the passing example.

Runs ``aigate check --dry-run`` on a committed copy of ``examples/fraud-detector`` with the
embedded engine and with ``--engine opa`` against the real-OPA stand-in on 127.0.0.1 (it compiles
the whole stored set with OPA's Go engine on every PUT, as OPA's server does), and also uploads
the built-in library with aigate's OpaEngine alone to show what the per-PUT recompilation costs.
Prints medians and the ratio. Run: ``python bench/bench_opa_server.py [RUNS]``.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from policy.opa_standin import OpaStandIn  # noqa: E402


def _project(parent: Path) -> Path:
    project = parent / "fraud-detector"
    shutil.copytree(REPO / "examples" / "fraud-detector", project)
    env = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", *env, "commit", "-qm", "release"], cwd=project, check=True)
    return project


def _time(args: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "aigate", *args], cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if run.returncode not in (0, 1):
            raise SystemExit(f"aigate failed: {run.stderr}")
    return statistics.median(times)


def _upload_only(url: str, runs: int) -> tuple[float, int]:
    from aigate.policy.library import builtin_set
    from aigate.policy.opa import OpaEngine

    modules = list(builtin_set().modules)
    times = []
    for _ in range(runs):
        engine = OpaEngine(url)
        t = time.perf_counter()
        engine.compile(modules, {"aigate": {"config": {}}})
        engine.close()
        times.append(time.perf_counter() - t)
    return statistics.median(times), len(modules)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        base = ["check", "--dry-run", "--format", "json"]
        embedded = _time(base, project, runs)
        with OpaStandIn() as opa:
            remote = _time([*base, "--engine", "opa", "--opa-url", opa.url], project, runs)
            requests_per_run = len(opa.requests) // runs
            upload, count = _upload_only(opa.url, runs)
    print(f"aigate check --dry-run, embedded engine        {embedded * 1000:7.0f} ms (median of {runs})")
    print(
        f"aigate check --dry-run, --engine opa (stand-in) {remote * 1000:7.0f} ms, {requests_per_run} requests"
    )
    print(f"ratio server / embedded                        {remote / embedded:7.2f}x")
    print(
        f"upload + delete of the {count} library modules  {upload * 1000:7.0f} ms (whole-set compile per PUT)"
    )


if __name__ == "__main__":
    main()
