"""``aigate drift`` against independent references: scipy.stats on the same samples, and Evidently's
own reports (0.7.23, committed in tests/ops/evidently/, produced by make_reports.py there).

Every case drives the real CLI on real CSV/Parquet files.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from aigate_cli import aigate
from scipy import stats
from scipy.spatial import distance

EV = Path(__file__).parent / "evidently"
TOL = 1e-9


def _run(ref: Path, cur: Path, *args: str) -> tuple[int, dict]:
    run = aigate("drift", "--reference", str(ref), "--current", str(cur), *args)
    assert run.returncode in (0, 1), run
    return run.returncode, json.loads(run.stdout)


def _columns(path: Path) -> dict[str, list[str]]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0]}


def _evidently_legacy(name: str) -> tuple[dict, bool]:
    doc = json.loads((EV / f"{name}-legacy.json").read_text())
    table = next(m["result"] for m in doc["metrics"] if m["metric"] == "DataDriftTable")
    return table["drift_by_columns"], table["dataset_drift"]


@pytest.mark.parametrize("name", ["small", "large"])
def test_verdicts_and_scores_equal_evidentlys(name: str) -> None:
    rc, report = _run(EV / f"{name}-reference.csv", EV / f"{name}-current.csv")
    columns, dataset_drift = _evidently_legacy(name)
    assert sorted(report["features"]) == sorted(columns)
    for col, ev in columns.items():
        mine = report["features"][col]
        assert mine["method_name"] == ev["stattest_name"], col
        assert mine["threshold"] == ev["stattest_threshold"], col
        assert mine["drifted"] == ev["drift_detected"], col
        assert abs(mine["score"] - ev["drift_score"]) <= TOL, (col, mine["score"], ev["drift_score"])
    assert report["dataset"]["drifted"] == dataset_drift
    assert rc == 1  # some column drifted in both sample sets


def test_snapshot_07_scores_equal_aigates() -> None:
    _, report = _run(EV / "small-reference.csv", EV / "small-current.csv")
    snap = json.loads((EV / "small-snapshot-0.7.json").read_text())
    drifts = [m for m in snap["metrics"] if m["config"]["type"] == "evidently:metric_v2:ValueDrift"]
    assert len(drifts) == 7
    for m in drifts:
        mine = report["features"][m["config"]["column"]]
        assert mine["method_name"] == m["config"]["method"]
        assert abs(mine["score"] - m["value"]) <= TOL


def test_small_sample_statistics_equal_scipy() -> None:
    ref, cur = _columns(EV / "small-reference.csv"), _columns(EV / "small-current.csv")
    _, report = _run(EV / "small-reference.csv", EV / "small-current.csv")
    a, b = np.array(ref["amount"], float), np.array(cur["amount"], float)
    ks = stats.ks_2samp(a, b)
    assert abs(report["features"]["amount"]["score"] - ks.pvalue) <= TOL
    assert abs(report["features"]["amount"]["statistic"] - ks.statistic) <= TOL
    keys = sorted(set(ref["country"]) | set(cur["country"]))
    f_ref = np.array([ref["country"].count(k) for k in keys], float)
    f_obs = np.array([cur["country"].count(k) for k in keys], float)
    chi = stats.chisquare(f_obs, f_ref * len(cur["country"]) / len(ref["country"]))
    assert abs(report["features"]["country"]["score"] - chi.pvalue) <= TOL
    assert abs(report["features"]["country"]["statistic"] - chi.statistic) <= 1e-9 * chi.statistic


@pytest.mark.parametrize("method", ["wasserstein", "jensenshannon", "psi", "kl_div"])
def test_distances_equal_scipy(method: str) -> None:
    ref, cur = _columns(EV / "large-reference.csv"), _columns(EV / "large-current.csv")
    _, report = _run(
        EV / "large-reference.csv", EV / "large-current.csv", "--method", method, "--columns", "score"
    )
    a, b = np.array(ref["score"], float), np.array(cur["score"], float)
    if method == "wasserstein":
        expected = stats.wasserstein_distance(a, b) / np.std(a)
    else:
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
        p, q = np.histogram(a, edges)[0] / len(a), np.histogram(b, edges)[0] / len(b)
        if method == "jensenshannon":
            expected = distance.jensenshannon(p, q)
        else:
            p, q = np.where(p == 0, 1e-4, p), np.where(q == 0, 1e-4, q)  # Evidently fills empty bins
            expected = float(np.sum((p - q) * np.log(p / q))) if method == "psi" else stats.entropy(p, q)
    assert abs(report["features"]["score"]["score"] - expected) <= TOL


def test_parquet_and_gzip_give_the_csv_report(tmp_path: Path) -> None:
    paths = {}
    for side in ("reference", "current"):
        src = EV / f"large-{side}.csv"
        cols = _columns(src)
        table = pa.table(
            {
                k: (pa.array(np.array(v, float)) if k not in ("country", "flag", "channel") else pa.array(v))
                for k, v in cols.items()
            }
        )
        pq.write_table(table, tmp_path / f"{side}.parquet")
        (tmp_path / f"{side}.csv.gz").write_bytes(gzip.compress(src.read_bytes()))
        paths[side] = src
    _, from_csv = _run(paths["reference"], paths["current"])
    _, from_parquet = _run(tmp_path / "reference.parquet", tmp_path / "current.parquet")
    _, from_gzip = _run(tmp_path / "reference.csv.gz", tmp_path / "current.csv.gz")
    for col, r in from_csv["features"].items():
        assert from_parquet["features"][col]["score"] == pytest.approx(r["score"], abs=TOL)
        assert from_gzip["features"][col]["score"] == r["score"]


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_no_common_column_is_exit_2(tmp_path: Path) -> None:
    ref = _csv(tmp_path / "r.csv", "a", ["1", "2"])
    cur = _csv(tmp_path / "c.csv", "b", ["1", "2"])
    run = aigate("drift", "--reference", str(ref), "--current", str(cur))
    assert run.returncode == 2, run
    assert "columns differ" in run.stderr and "--columns" in run.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_threshold_is_exit_2(tmp_path: Path, value: str) -> None:
    ref = _csv(tmp_path / "r.csv", "a", [str(i) for i in range(20)])
    run = aigate(
        "drift", "--reference", str(ref), "--current", str(ref), "--method", "psi", "--threshold", value
    )
    assert run.returncode == 2, run
    assert "not a finite number" in run.stderr


def test_huge_field_is_exit_2_with_line(tmp_path: Path) -> None:
    ref = _csv(tmp_path / "r.csv", "a,b", ["1,x", "2,y"])
    cur = _csv(tmp_path / "c.csv", "a,b", ["1,x", "2," + "z" * (129 * 1024)])
    run = aigate("drift", "--reference", str(ref), "--current", str(cur))
    assert run.returncode == 2, run
    assert run.stderr.strip() == f"aigate: error: {cur}:3: field larger than 128 KiB"


def test_bad_row_is_exit_2_with_position(tmp_path: Path) -> None:
    ref = _csv(tmp_path / "r.csv", "amount,country", ["1,de"])
    cur = _csv(tmp_path / "c.csv", "amount,country", ["1,de", "2"])
    run = aigate("drift", "--reference", str(ref), "--current", str(cur))
    assert run.returncode == 2, run
    assert run.stderr.strip() == f"aigate: error: {cur}:3: 1 fields, header has 2"


def test_policy_data_overrides_per_column(tmp_path: Path) -> None:
    data = tmp_path / "policy.yaml"
    data.write_text(
        "apiVersion: aigate.dev/v1\nkind: PolicyData\n"
        "drift:\n  share: 0.9\n  columns:\n    amount: {method: psi, threshold: 5.0}\n    hour: {categorical: true}\n"
    )
    rc, report = _run(EV / "small-reference.csv", EV / "small-current.csv", "--data", str(data))
    amount = report["features"]["amount"]
    assert (amount["method"], amount["threshold"], amount["drifted"]) == ("psi", 5.0, False)
    assert report["features"]["hour"]["kind"] == "categorical"
    assert report["dataset"]["share_threshold"] == 0.9 and report["dataset"]["drifted"] is False
    assert rc == 1  # other columns still drift


def test_sampling_above_the_cap_is_stated_and_deterministic(tmp_path: Path) -> None:
    rows = [str(i % 997 + (i % 7) / 10) for i in range(3000)]
    ref = _csv(tmp_path / "r.csv", "x", rows)
    one = _run(ref, ref, "--sample-cap", "1000")[1]
    two = _run(ref, ref, "--sample-cap", "1000")[1]
    assert one["sample_cap"] == 1000 and one["features"]["x"]["sampled"] is True
    assert one["features"]["x"]["score"] == two["features"]["x"]["score"]


def test_sampled_statistics_equal_scipy_on_the_same_draw(tmp_path: Path) -> None:
    """Above the cap, the statistics are scipy's on the documented draw: over a column's present
    (non-empty, finite) values, ``numpy.random.default_rng(20240101).choice(n, cap, replace=False)``
    sorted for the reference and seed 20240102 for the current. CSV (each file's columns sampled as
    they are read) and Parquet (column by column) give the same report."""
    cap = 1000
    rng = np.random.default_rng(3)
    data = {}
    for side, n, shift in (("reference", 3000, 0.0), ("current", 2600, 0.4)):
        x = [("" if i % 11 == 0 else repr(float(v))) for i, v in enumerate(rng.normal(shift, 1, n))]
        c = [("" if i % 13 == 0 else "abcde"[k]) for i, k in enumerate(rng.integers(0, 5 if shift else 4, n))]
        data[side] = (x, c)
        _csv(tmp_path / f"{side}.csv", "x,c", [f"{a},{b}" for a, b in zip(x, c, strict=True)])
        pq.write_table(
            pa.table(
                {"x": pa.array([float(v) if v else None for v in x]), "c": pa.array([v or None for v in c])}
            ),
            tmp_path / f"{side}.parquet",
        )

    def draw(values: list, seed: int) -> list:
        idx = np.sort(np.random.default_rng(seed).choice(len(values), size=cap, replace=False))
        return [values[i] for i in idx]

    (rx, rc), (cx, cc) = data["reference"], data["current"]
    rx, cx = [float(v) for v in rx if v], [float(v) for v in cx if v]
    rc, cc = [v for v in rc if v], [v for v in cc if v]
    a, b = np.array(draw(rx, 20240101)), np.array(draw(cx, 20240102))
    wasserstein = stats.wasserstein_distance(a, b) / max(float(np.std(a)), 0.001)
    sr, sc = draw(rc, 20240101), draw(cc, 20240102)
    keys = sorted(set(sr) | set(sc))
    p = np.array([sr.count(k) for k in keys]) / len(sr)
    q = np.array([sc.count(k) for k in keys]) / len(sc)
    js = float(distance.jensenshannon(p, q))
    for ext in ("csv", "parquet"):
        _, report = _run(tmp_path / f"reference.{ext}", tmp_path / f"current.{ext}", "--sample-cap", str(cap))
        x, c = report["features"]["x"], report["features"]["c"]
        assert (x["method"], c["method"]) == ("wasserstein", "jensenshannon"), report
        assert abs(x["score"] - wasserstein) <= TOL, (ext, x["score"], wasserstein)
        assert abs(c["score"] - js) <= TOL, (ext, c["score"], js)
        assert (x["reference_values"], x["current_values"]) == (len(rx), len(cx))
        assert (c["reference_values"], c["current_values"]) == (len(rc), len(cc))
        assert x["sampled"] and c["sampled"]
        assert (report["reference"]["rows"], report["current"]["rows"]) == (3000, 2600)


def test_parquet_column_types_chunks_and_nulls_equal_scipy(tmp_path: Path) -> None:
    """Parquet read from its buffers: several row groups (chunks), int64 and decimal with nulls,
    float32, dictionary-typed strings with nulls and empty strings; the statistics are scipy's on
    the present values (KS for numbers, chi-square for categories, reference <= 1,000 rows)."""
    import decimal

    rng = np.random.default_rng(11)
    present: dict[str, dict[str, list]] = {}
    for side, n, shift in (("reference", 900, 0), ("current", 700, 3)):
        ints = [None if i % 9 == 0 else int(v) for i, v in enumerate(rng.integers(0, 40, n) + shift)]
        decs = [
            None if i % 7 == 0 else decimal.Decimal(f"{v:.2f}") for i, v in enumerate(rng.normal(shift, 2, n))
        ]
        f32 = rng.normal(shift / 10, 1, n).astype(np.float32)
        cats = [
            None if i % 5 == 0 else ("" if i % 6 == 0 else "xyzw"[k])
            for i, k in enumerate(rng.integers(0, 4, n))
        ]
        table = pa.table(
            {
                "i": pa.array(ints, pa.int64()),
                "d": pa.array(decs, pa.decimal128(10, 2)),
                "f": pa.array(f32),
                "c": pa.array(cats, pa.string()).dictionary_encode(),
            }
        )
        pq.write_table(table, tmp_path / f"{side}.parquet", row_group_size=128)
        present[side] = {
            "i": [float(v) for v in ints if v is not None],
            "d": [float(v) for v in decs if v is not None],
            "f": [float(v) for v in f32],
            "c": [v for v in cats if v],
        }
    assert pq.ParquetFile(tmp_path / "reference.parquet").metadata.num_row_groups > 1
    _, report = _run(tmp_path / "reference.parquet", tmp_path / "current.parquet")
    ref, cur = present["reference"], present["current"]
    for col in ("i", "d", "f"):
        r = report["features"][col]
        ks = stats.ks_2samp(ref[col], cur[col])
        assert (
            r["method"] == "ks"
            and abs(r["score"] - ks.pvalue) <= TOL
            and abs(r["statistic"] - ks.statistic) <= TOL
        )
        assert (r["reference_values"], r["current_values"]) == (len(ref[col]), len(cur[col]))
    keys = sorted(set(ref["c"]) | set(cur["c"]))
    f_ref = np.array([ref["c"].count(k) for k in keys], float)
    f_obs = np.array([cur["c"].count(k) for k in keys], float)
    chi = stats.chisquare(f_obs, f_ref * len(cur["c"]) / len(ref["c"]))
    c = report["features"]["c"]
    assert c["method"] == "chisquare" and abs(c["score"] - chi.pvalue) <= TOL
    assert (c["reference_values"], c["current_values"]) == (len(ref["c"]), len(cur["c"]))
