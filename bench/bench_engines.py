"""Engines side by side: OPA's Go engine (the wheel) against regopy, and the cross-check's cost.

- The pre-commit path (``aigate check --dry-run --fast``) on the example with each engine
  (goal with OPA Go: <= 0.3 s).
- The full built-in library over a 5,000-package input (shaped as bench_core.py shapes it),
  fresh engine each run: regopy / OPA Go ratio.
- The cross-check (both engines) against OPA Go alone on the same input.

Run: python bench/bench_engines.py [EXAMPLE_DIR]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def in_process(fn: Any, runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def big_input(example: Path) -> dict[str, Any]:
    from aigate.gate import CheckConfig, run_check

    full = run_check(CheckConfig(root=example, dry_run=True, engine="opa-go", cross_check=False))
    big: dict[str, Any] = json.loads(json.dumps(full.input_doc))
    big["sbom"].update({"components_count": 5002, "packages_count": 5000})
    big["dependencies"]["lock"]["packages_count"] = 5000
    lic = big["dependencies"]["licenses"]
    review = [
        {"name": f"pkg{i}", "version": "1.0", "expression": "MPL-2.0", "reason": "review list", "source": "metadata"}
        for i in range(1200)
    ]
    lic.update({"review": review[:100], "review_count": 1200, "checked": 5000, "total": 5000})
    return big


def main() -> None:
    example = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "examples" / "fraud-detector"
    from aigate.policy.crosscheck import CrossCheckEngine
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.library import builtin_set
    from aigate.policy.opago import OpaGoEngine
    from aigate.policydata import load_policy_data

    base = [sys.executable, "-m", "aigate", "check", "--dry-run", "--fast", "-C", str(example), "--no-cross-check"]
    go = timed([*base, "--engine", "opa-go"])
    rp = timed([*base, "--engine", "regopy"])
    print(f"pre-commit path, opa-go   {go:7.3f} s  (goal <= 0.3 s)")
    print(f"pre-commit path, regopy   {rp:7.3f} s  ratio regopy/opa-go {rp / go:5.2f}x")

    modules = list(builtin_set().modules)
    data = {"aigate": {"config": load_policy_data(()).data}}
    doc = big_input(example)

    def run(make: Any) -> None:
        engine = make()
        engine.compile(modules, data)
        engine.query("aigate.controls", doc)
        engine.close()

    t_go = in_process(lambda: run(OpaGoEngine))
    t_rp = in_process(lambda: run(EmbeddedEngine))
    t_cc = in_process(lambda: run(lambda: CrossCheckEngine(OpaGoEngine(), EmbeddedEngine())))
    print(f"library, 5,000 packages, opa-go       {t_go:7.3f} s")
    print(f"library, 5,000 packages, regopy       {t_rp:7.3f} s  ratio regopy/opa-go {t_rp / t_go:5.2f}x")
    print(f"library, 5,000 packages, cross-check  {t_cc:7.3f} s  overhead over opa-go {t_cc / t_go:5.2f}x")


if __name__ == "__main__":
    main()
