"""Gate-core timings, each printed beside a comparison run in the same process tree.

- ``aigate --help`` vs ``python -c "import click"`` (the interpreter + CLI-library floor);
  budget ≤ 0.3 s.
- The whole built-in control library compiled and evaluated on an example's input document,
  vs the same modules and input through raw regopy (aigate's engine overhead); budget ≤ 0.2 s.
- The pre-commit path (``aigate check --dry-run --fast``: manifest + policies, no SBOM) vs
  ``check-jsonschema`` validating the same manifest against aigate's schema (what a minimal
  schema-only hook costs); budget ≤ 0.5 s.
- The 5,000-component input (DESIGN.md budget ≤ 0.5 s for the whole built-in set).

Run: python bench/bench_core.py [EXAMPLE_DIR]   (default examples/fraud-detector)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], runs: int = 7, cwd: Path | None = None) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def in_process(fn, runs: int = 7) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def row(name: str, ours: float, theirs: float, other: str, budget: float) -> None:
    verdict = "ok" if ours <= budget else "OVER"
    print(f"{name:<44} {ours * 1000:8.1f} ms  vs {other:<34} {theirs * 1000:8.1f} ms  ratio {ours / theirs:5.2f}x  "
          f"budget {budget * 1000:.0f} ms: {verdict}")


def main() -> None:
    example = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "examples" / "fraud-detector"
    py = sys.executable

    ours = timed([py, "-m", "aigate", "--help"])
    floor = timed([py, "-c", "import click"])
    row("aigate --help", ours, floor, "python -c 'import click'", 0.3)

    from aigate.gate import CheckConfig, run_check
    from aigate.policy.embedded import EmbeddedEngine
    from aigate.policy.library import builtin_set
    from aigate.policydata import load_policy_data

    result = run_check(CheckConfig(root=example, dry_run=True, fast=True))
    modules = list(builtin_set().modules)
    data = {"aigate": {"config": load_policy_data(()).data}}

    def ours_eval() -> None:
        engine = EmbeddedEngine()
        engine.compile(modules, data)
        engine.query("aigate.controls", result.input_doc)

    def raw_eval() -> None:
        from regopy import Interpreter

        interp = Interpreter()
        for m in modules:
            interp.add_module(m.name, m.source)
        interp.add_data_json(json.dumps(data))
        interp.set_input_term(json.dumps(result.input_doc))
        interp.query("x = data.aigate.controls")

    row("built-in library: compile + evaluate", in_process(ours_eval), in_process(raw_eval), "raw regopy, same modules", 0.2)

    # A 5,000-package release, shaped as the collectors shape it: counts in the input, lists
    # capped at 100 (the full records are in env-lock.json / licenses.json / sbom.cdx.json).
    full = run_check(CheckConfig(root=example, dry_run=True))
    big = json.loads(json.dumps(full.input_doc))
    big["sbom"].update({"components_count": 5002, "packages_count": 5000})
    big["dependencies"]["lock"]["packages_count"] = 5000
    lic = big["dependencies"]["licenses"]
    review = [{"name": f"pkg{i}", "version": "1.0", "expression": "MPL-2.0", "reason": "review list",
               "source": "metadata"} for i in range(1200)]
    lic.update({"summary": {"allow": 3800, "deny": 0, "review": 1200, "unknown": 40},
                "review": review[:100], "review_count": 1200, "checked": 5000, "total": 5000})

    def ours_big() -> None:
        engine = EmbeddedEngine()
        engine.compile(modules, data)
        engine.query("aigate.controls", big)

    def raw_big() -> None:
        from regopy import Interpreter

        interp = Interpreter()
        for m in modules:
            interp.add_module(m.name, m.source)
        interp.add_data_json(json.dumps(data))
        interp.set_input_term(json.dumps(big))
        interp.query("x = data.aigate.controls")

    row("built-in library, 5,000-package release", in_process(ours_big, 3), in_process(raw_big, 3), "raw regopy, same input", 0.5)

    ours = timed([py, "-m", "aigate", "check", "--dry-run", "--fast", "-C", str(example), "--format", "json"])
    cj = Path(sys.executable).with_name("check-jsonschema")
    theirs = timed([str(cj), "--schemafile", str(REPO / "aigate" / "schemas" / "manifest.schema.json"),
                    str(example / "aigate.yaml")])
    row("aigate check --dry-run --fast (pre-commit)", ours, theirs, "check-jsonschema on the manifest", 0.5)


if __name__ == "__main__":
    main()
