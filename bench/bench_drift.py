"""``aigate drift`` on 1,000,000 rows x 20 columns (16 numeric, 4 categorical), Parquet and CSV,
side by side with a pandas read + scipy loop (the same tests per column: normed Wasserstein for
numeric, Jensen-Shannon over categories) and, when installed, Evidently's DataDriftPreset on the
same frames. Prints wall time, CPU time, peak RSS, the load average beside each figure, and ratios.

Peak RSS is the child's ``ru_maxrss`` from ``wait4``. Linux carries the high-water mark of the
process that spawned a child across ``exec``, so this script never imports numpy or pyarrow itself:
the data are made in a child process (before, the 1M-row generator's ~480 MB showed up as every
child's "peak", e.g. ``python -c pass``).

Budgets (issue 12): Parquet <= 2 s and <= 512 MB; CSV within 2x of the pandas + scipy loop.

    python bench/bench_drift.py [ROWS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
MAKE = "--make" in sys.argv  # internal: write the datasets into ARGS[1]
ROWS = int(ARGS[0]) if ARGS else 1_000_000
WITH_EVIDENTLY = "--no-evidently" not in sys.argv
NUM, CAT = 16, 4


def make(dirpath: Path) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = {}
    for side, shift in (("ref", 0.0), ("cur", 0.05)):
        rng = np.random.default_rng(7 if side == "ref" else 8)
        cols = {f"n{i}": rng.normal(shift * (i % 3), 1.0, ROWS) for i in range(NUM)}
        cats = np.array(["a", "b", "c", "d", "e"])
        cols.update({f"c{i}": pa.array(cats[rng.integers(0, 5, ROWS)]) for i in range(CAT)})
        table = pa.table(cols)
        pq.write_table(table, dirpath / f"{side}.parquet")
        pacsv.write_csv(table, dirpath / f"{side}.csv")
        out[side + ".parquet"], out[side + ".csv"] = dirpath / f"{side}.parquet", dirpath / f"{side}.csv"
    return out


def timed(args: list[str]) -> tuple[float, float, int, float, float]:
    """Wall seconds, peak RSS (MB) of this child alone (wait4), exit code, CPU seconds (user+sys:
    the figure that does not depend on what else the shared machine runs), 1-minute load average
    at the start."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        print(proc.stderr.read().decode()[-2000:] if proc.stderr else "", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime, load


LOOP = """
import sys, numpy as np, pandas as pd
from scipy import stats
from scipy.spatial import distance
ref = pd.read_{kind}(sys.argv[1]); cur = pd.read_{kind}(sys.argv[2])
for c in ref.columns:
    a, b = ref[c].dropna(), cur[c].dropna()
    if a.dtype.kind == "f":
        stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)
    else:
        keys = sorted(set(a) | set(b))
        p = a.value_counts().reindex(keys, fill_value=0).to_numpy() / len(a)
        q = b.value_counts().reindex(keys, fill_value=0).to_numpy() / len(b)
        distance.jensenshannon(p, q)
"""

EVIDENTLY = """
import sys, pandas as pd
from evidently.legacy.report import Report
from evidently.legacy.metric_preset import DataDriftPreset
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
r = Report(metrics=[DataDriftPreset()]); r.run(reference_data=ref, current_data=cur); r.as_dict()
"""


def main() -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([py, __file__, "--make", str(ROWS), tmp], check=True)  # the parent stays small
        files = {
            f"{side}.{kind}": Path(tmp) / f"{side}.{kind}"
            for side in ("ref", "cur")
            for kind in ("parquet", "csv")
        }
        baseline = timed([py, "-c", "pass"])
        rows = []
        for kind in ("parquet", "csv"):
            ref, cur = str(files["ref." + kind]), str(files["cur." + kind])
            mine = timed(
                [
                    py,
                    "-m",
                    "aigate",
                    "drift",
                    "--reference",
                    ref,
                    "--current",
                    cur,
                    "--output",
                    str(Path(tmp) / "r.json"),
                ]
            )
            loop = timed([py, "-c", LOOP.format(kind=kind), ref, cur])
            rows.append((kind, mine, loop))
        import importlib.util

        ev = None
        if WITH_EVIDENTLY and importlib.util.find_spec("evidently") is not None:  # not imported here
            ev = timed([py, "-c", EVIDENTLY, str(files["ref.parquet"]), str(files["cur.parquet"])])
    print(f"{ROWS:,} rows x {NUM + CAT} columns; wall (CPU user+sys) [1-min load average at start]")
    print(f"baseline `python -c pass` peak RSS through the same wait4: {baseline[1]:.0f} MB")
    print("| input | aigate drift | pandas read + scipy loop | ratio | aigate peak RSS | loop peak RSS |")
    print("|---|---|---|---|---|---|")
    for kind, mine, loop in rows:
        print(
            f"| {kind} | {mine[0]:.2f} s ({mine[3]:.2f} s) [{mine[4]:.1f}] | {loop[0]:.2f} s ({loop[3]:.2f} s) "
            f"[{loop[4]:.1f}] | {mine[0] / loop[0]:.2f}x ({mine[3] / loop[3]:.2f}x) | {mine[1]:.0f} MB | "
            f"{loop[1]:.0f} MB |"
        )
    if ev is not None:
        print(
            f"Evidently legacy DataDriftPreset (Parquet via pandas): {ev[0]:.2f} s ({ev[3]:.2f} s CPU) "
            f"[{ev[4]:.1f}], peak {ev[1]:.0f} MB; aigate Parquet is {ev[0] / rows[0][1][0]:.1f}x faster "
            f"({ev[3] / rows[0][1][3]:.1f}x in CPU)"
        )


if __name__ == "__main__":
    if MAKE:
        make(Path(ARGS[1]))
    else:
        main()
