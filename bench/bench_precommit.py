"""The pre-commit path (``aigate check --dry-run --fast``) on the example, and where its time goes.

Runs, side by side in one run and alternating run by run so that a noisy machine hits both alike:

- ``aigate check --dry-run --fast`` with OPA's Go engine and with regopy (goal with OPA Go:
  <= 0.3 s), wall time and CPU time (this process's children: aigate, git, promtool);
- ``check-jsonschema`` on the same manifest, the schema-only pre-commit hook users compare with;
- the floor under aigate's wall time, each piece measured on its own: the interpreter; importing
  what the check imports (click, PyYAML, jsonschema, aigate); OPA's Go engine compiling the
  built-in library; ``promtool check rules`` + ``promtool test rules`` on the example's rules.

The example is copied and committed into a temporary git repository, as a project using the
hook is. Run: python bench/bench_precommit.py [RUNS]
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "fraud-detector"

#: what the check's main thread imports before it judges (measured as one import in a fresh interpreter)
IMPORTS = (
    "import aigate.cli, aigate.cli.check, aigate.gate, aigate.collect.git, aigate.collect.files, "
    "aigate.collect.ci, aigate.collect.reports, aigate.report.text, aigate.policy.opago; "
    "from aigate.schemas import jsonschema_module; jsonschema_module()"
)

COMPILE = """
import resource, time
from aigate.policy.library import builtin_set
from aigate.policydata import load_policy_data
from aigate.policy.opago import OpaGoEngine
modules, data = list(builtin_set().modules), {"aigate": {"config": load_policy_data(()).data}}
r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
engine = OpaGoEngine()
engine.compile(modules, data)
engine.prepare("aigate.controls")
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - t0, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
"""


#: as a pre-commit venv runs: bytecode is written once and reused
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its children, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=ENV)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, proc.returncode


def project(tmp: Path) -> Path:
    root = tmp / "fraud-detector"
    shutil.copytree(EXAMPLE, root)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "example"],
    ):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    return root


def med(samples: list[float]) -> str:
    return f"{statistics.median(samples):6.3f} s (min {min(samples):6.3f})"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    env_py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp))
        check = [env_py, "-m", "aigate", "check", "--dry-run", "--fast", "--no-cross-check"]
        commands = {
            "opa-go": [*check, "--engine", "opa-go"],
            "regopy": [*check, "--engine", "regopy"],
        }
        jsonschema_cli = shutil.which("check-jsonschema")
        if jsonschema_cli:
            schema = REPO / "aigate" / "schemas" / "manifest.schema.json"
            commands["check-jsonschema"] = [jsonschema_cli, "--schemafile", str(schema), "aigate.yaml"]
        for cmd in commands.values():  # warm: .pyc written, page cache filled
            run(cmd, root)
        wall: dict[str, list[float]] = {k: [] for k in commands}
        cpu: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                w, c, rc = run(cmd, root)
                if name != "check-jsonschema" and rc != 0:
                    sys.exit(f"{name}: exit {rc}; the example must pass")
                wall[name].append(w)
                cpu[name].append(c)

        floor: dict[str, list[float]] = {"interpreter": [], "+ imports": [], "compile": [], "promtool": []}
        floor_cpu: dict[str, list[float]] = {k: [] for k in floor}
        promtool = shutil.which("promtool")
        for _ in range(max(3, runs // 2)):
            w, c, _ = run([env_py, "-c", "pass"])
            floor["interpreter"].append(w)
            floor_cpu["interpreter"].append(c)
            w, c, _ = run([env_py, "-c", IMPORTS])
            floor["+ imports"].append(w)
            floor_cpu["+ imports"].append(c)
            out = subprocess.run(
                [env_py, "-c", COMPILE], capture_output=True, text=True, check=True, env=ENV
            ).stdout
            w, c = (float(x) for x in out.split())
            floor["compile"].append(w)
            floor_cpu["compile"].append(c)
            if promtool:
                w1, c1, _ = run([promtool, "check", "rules", "alerts.yaml"], root / "monitoring")
                w2, c2, _ = run([promtool, "test", "rules", "alerts.test.yaml"], root / "monitoring")
                floor["promtool"].append(max(w1, w2))  # aigate runs the two side by side
                floor_cpu["promtool"].append(c1 + c2)

    print(f"pre-commit path on examples/fraud-detector, {runs} alternating runs, {os.cpu_count()} CPUs")
    for name in commands:
        print(f"  {name:18s} wall {med(wall[name])}   CPU {statistics.median(cpu[name]):6.3f} s")
    go, rp = statistics.median(wall["opa-go"]), statistics.median(wall["regopy"])
    print(
        f"  ratio regopy / opa-go {rp / go:5.2f}x; goal with OPA Go <= 0.300 s: {'met' if go <= 0.3 else 'NOT met'}"
    )
    if "check-jsonschema" in commands:
        print(
            f"  ratio aigate (opa-go) / check-jsonschema {go / statistics.median(wall['check-jsonschema']):5.2f}x"
        )
    print("floor, each piece alone (wall, CPU):")
    for name, samples in floor.items():
        if samples:
            print(f"  {name:12s} {med(samples)}   CPU {statistics.median(floor_cpu[name]):6.3f} s")
    cores = os.cpu_count() or 1
    pieces = sum(statistics.median(v) for k, v in floor_cpu.items() if v and k != "interpreter")
    whole = statistics.median(cpu["opa-go"])
    print(
        f"  CPU of the pieces {pieces:5.3f} s; of a whole opa-go run {whole:5.3f} s over {cores} CPUs: "
        f"no schedule finishes a run under {whole / cores:5.3f} s; the main thread's own chain "
        f"(interpreter + imports) is {statistics.median(floor['+ imports']):5.3f} s before any work"
    )


if __name__ == "__main__":
    main()
