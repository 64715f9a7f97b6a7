"""``aigate drift``: PSI and KS on real CSV files through the real CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

from aigate_cli import aigate


def _csv(path: Path, rows: list[tuple[object, ...]], header: str = "amount,country") -> Path:
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return path


def test_identical_data_does_not_drift(tmp_path: Path) -> None:
    rows = [(i % 50, "de" if i % 3 else "fr") for i in range(600)]
    ref, cur = _csv(tmp_path / "ref.csv", rows), _csv(tmp_path / "cur.csv", rows)
    run = aigate("drift", "--reference", str(ref), "--current", str(cur))
    assert run.returncode == 0, run
    report = json.loads(run.stdout)
    assert report["drifted"] == []
    assert report["features"]["amount"]["score"] == 0
    assert report["features"]["country"]["kind"] == "categorical"


def test_shifted_feature_drifts_and_exits_1(tmp_path: Path) -> None:
    ref = _csv(tmp_path / "ref.csv", [(i % 100, "de") for i in range(1000)])
    cur = _csv(tmp_path / "cur.csv", [(200 + i % 100, "de") for i in range(1000)])
    out = tmp_path / "drift.json"
    run = aigate(
        "drift",
        "--reference",
        str(ref),
        "--current",
        str(cur),
        "--method",
        "ks",
        "--feature",
        "amount",
        "--model-version",
        "1.4.0",
        "--output",
        str(out),
    )
    assert run.returncode == 1, run
    report = json.loads(out.read_text())
    # disjoint supports: the KS statistic is exactly 1
    assert report["features"] == {"amount": {"score": 1.0, "drifted": True, "kind": "numeric"}}
    assert report["version"] == "1.4.0" and report["method"] == "ks"


def test_psi_of_a_known_categorical_shift(tmp_path: Path) -> None:
    # reference 50/50, current 80/20: PSI = (0.8-0.5)ln(0.8/0.5) + (0.2-0.5)ln(0.2/0.5)
    ref = _csv(tmp_path / "ref.csv", [("a",)] * 50 + [("b",)] * 50, header="segment")
    cur = _csv(tmp_path / "cur.csv", [("a",)] * 80 + [("b",)] * 20, header="segment")
    run = aigate("drift", "--reference", str(ref), "--current", str(cur), "--threshold", "0.5")
    expected = 0.3 * math.log(0.8 / 0.5) + (-0.3) * math.log(0.2 / 0.5)
    report = json.loads(run.stdout)
    assert abs(report["features"]["segment"]["score"] - expected) < 1e-6
    assert run.returncode == 0 and report["drifted"] == [], run  # 0.416 < 0.5


def test_bad_csv_is_exit_2_with_position(tmp_path: Path) -> None:
    ref = _csv(tmp_path / "ref.csv", [(1, "de")])
    cur = tmp_path / "cur.csv"
    cur.write_text("amount,country\n1,de\n2\n")
    run = aigate("drift", "--reference", str(ref), "--current", str(cur))
    assert run.returncode == 2, run
    assert run.stderr.strip() == f"aigate: error: {cur}:3: 1 fields, header has 2"
