"""Regenerate the committed Evidently reports (run by hand; needs evidently==0.7.23 and pandas<3).

    python tests/ops/evidently/make_reports.py

Writes, for each sample set (small: 500 rows, Evidently picks KS/chi-square/Z; large: 5,000 rows,
Wasserstein/Jensen-Shannon), the datasets as CSV and Evidently's own output in both shapes: the 0.7
snapshot (``Report.run(...).dict()``) and the legacy ``as_dict()`` of ``DataDriftPreset``. The
tests compare aigate's statistics and verdicts with these files; they never call Evidently.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
NUM = ["amount", "age", "hour", "score"]
CAT = ["country", "flag", "channel"]


def samples(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(shift: float, p: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "amount": np.round(rng.lognormal(3 + shift, 1, n), 2),
                "age": rng.integers(18, 80, n).astype(float),
                "hour": rng.integers(0, 4, n).astype(float),  # few distinct values: chi-square / JS
                "score": rng.normal(0.5 + shift / 5, 0.2, n),
                "country": rng.choice(["de", "fr", "it", "es"], n, p=p),
                "flag": rng.choice(["y", "n"], n, p=[0.5 + shift / 4, 0.5 - shift / 4]),
                "channel": rng.choice(["web", "app", "pos"], n),
            }
        )

    return frame(0.0, [0.25] * 4), frame(0.3, [0.4, 0.2, 0.2, 0.2])


def main() -> None:
    import evidently
    from evidently import DataDefinition, Dataset, Report
    from evidently.legacy.metric_preset import DataDriftPreset as LegacyPreset
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report as LegacyReport
    from evidently.presets import DataDriftPreset

    for name, n, seed in (("small", 500, 1), ("large", 5000, 2)):
        ref, cur = samples(n, seed)
        ref.to_csv(HERE / f"{name}-reference.csv", index=False)
        cur.to_csv(HERE / f"{name}-current.csv", index=False)
        dd = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
        snap = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
        )
        (HERE / f"{name}-snapshot-0.7.json").write_text(json.dumps(snap.dict(), indent=1, default=str) + "\n")
        legacy = LegacyReport(metrics=[LegacyPreset()])
        legacy.run(reference_data=ref, current_data=cur,
                   column_mapping=ColumnMapping(numerical_features=NUM, categorical_features=CAT))
        (HERE / f"{name}-legacy.json").write_text(json.dumps(legacy.as_dict(), indent=1, default=str) + "\n")
    (HERE / "VERSION").write_text(f"evidently {evidently.__version__}, pandas {pd.__version__}\n")


if __name__ == "__main__":
    main()
