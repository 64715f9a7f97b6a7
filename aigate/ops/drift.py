"""Drift between a reference and a current dataset, Evidently-compatible by default.

The statistics follow Evidently's stattests (read from its source, implemented here with numpy
and scipy) so that a team can compare aigate's verdicts with Evidently's:

* reference ≤ 1,000 rows: KS p-value for numeric columns with > 5 distinct values (drift when
  p ≤ 0.05, as Evidently), chi-square p-value for categorical (Z-test when binary; drift p < 0.05);
* larger: normed Wasserstein distance for numeric (≥ 0.1), Jensen-Shannon distance for
  categorical or numeric with ≤ 5 distinct values (≥ 0.1);
* PSI and KL divergence on request, with Evidently's binning (Sturges bins over both datasets for
  numeric columns with > 20 distinct reference values, categories otherwise, zero bins filled);
* the dataset drifts when the share of drifted columns is ≥ 0.5.

Above ``sample_cap`` rows a dataset is sampled deterministically (seeded, without replacement);
the report states the cap and both sample sizes, so a verdict never hides how it was reached.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position
from aigate.ops.tables import Column, numeric_modules, open_table

SAMPLE_CAP = 200_000
SAMPLE_SEED = 20_240_101
SHARE = 0.5


@dataclass(frozen=True)
class Method:
    """A drift test: ``p_value`` tests drift below the threshold, distances at or above it."""

    name: str
    display: str  # Evidently's display name (how its reports name the method)
    kind: str  # "p_value" | "distance"
    threshold: float
    numeric_only: bool = False
    inclusive: bool = False  # p-value tests: drift when p <= t (KS) instead of p < t


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", "K-S p_value", "p_value", 0.05, numeric_only=True, inclusive=True),
        Method("chisquare", "chi-square p_value", "p_value", 0.05),
        Method("z", "Z-test p_value", "p_value", 0.05),
        Method("wasserstein", "Wasserstein distance (normed)", "distance", 0.1, numeric_only=True),
        Method("jensenshannon", "Jensen-Shannon distance", "distance", 0.1),
        Method("psi", "PSI", "distance", 0.1),
        Method("kl_div", "Kullback-Leibler divergence", "distance", 0.1),
    )
}
BY_DISPLAY = {m.display: m for m in METHODS.values()}


def is_drift(method: Method, score: float, threshold: float) -> bool:
    """The one verdict rule, shared by ``aigate drift`` and the DRIFT control's recompute."""
    if method.kind == "p_value":
        return score <= threshold if method.inclusive else score < threshold
    return score >= threshold


def default_method(kind: str, reference_rows: int, n_values: int) -> str:
    """Evidently's default stattest for a column (``_get_default_stattest``)."""
    if reference_rows <= 1000:
        if kind == "numeric" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "numeric" and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


@dataclass
class Pair:
    """The two samples of one column, categories coded over their union (sorted)."""

    kind: str
    ref: Any
    cur: Any
    keys: Any = None  # sorted distinct values (categorical view)
    ref_codes: Any = None
    cur_codes: Any = None
    stats: dict[str, Any] = field(default_factory=dict)

    def coded(self, np: Any) -> None:
        if self.keys is None:
            both = np.concatenate([self.ref, self.cur])
            self.keys, inverse = np.unique(both, return_inverse=True)
            self.ref_codes, self.cur_codes = inverse[: len(self.ref)], inverse[len(self.ref) :]


def distinct_over(np: Any, values: Any, n: int) -> bool:
    """More than ``n`` distinct values? A small prefix usually answers without sorting everything."""
    if len(np.unique(values[:4096])) > n:
        return True
    return len(np.unique(values)) > n


def _counts(np: Any, pair: Pair) -> tuple[Any, Any]:
    pair.coded(np)
    k = len(pair.keys)
    return np.bincount(pair.ref_codes, minlength=k), np.bincount(pair.cur_codes, minlength=k)


def _fill_zeroes(np: Any, p: Any) -> Any:
    nonzero = p[p != 0]
    low = float(nonzero.min()) if nonzero.size else 0.0
    fill = low / 10**6 if low <= 0.0001 else 0.0001
    return np.where(p == 0, fill, p)


def binned(np: Any, pair: Pair, fill: bool) -> tuple[Any, Any]:
    """Evidently's ``get_binned_data``: the share of each sample per bin."""
    if pair.kind == "numeric" and distinct_over(np, pair.ref, 20):
        edges = np.histogram_bin_edges(np.concatenate([pair.ref, pair.cur]), bins="sturges")
        rp = np.histogram(pair.ref, edges)[0] / len(pair.ref)
        cp = np.histogram(pair.cur, edges)[0] / len(pair.cur)
    else:
        rc, cc = _counts(np, pair)
        rp, cp = rc / len(pair.ref), cc / len(pair.cur)
    if fill:
        rp, cp = _fill_zeroes(np, rp), _fill_zeroes(np, cp)
    return rp, cp


def _wasserstein(np: Any, a: Any, b: Any) -> float:
    """W1 = integral of |F_a - F_b|: both samples sorted, merged (a stable sort of two sorted runs is
    a linear merge), and the running difference of the two CDFs weighted by the gaps."""
    both = np.concatenate([np.sort(a), np.sort(b)])
    order = np.argsort(both, kind="stable")
    weights = np.concatenate([np.full(len(a), 1.0 / len(a)), np.full(len(b), -1.0 / len(b))])[order]
    cdf_gap = np.cumsum(weights)[:-1]
    return float(np.sum(np.abs(cdf_gap) * np.diff(both[order])))


def _entropy(np: Any, p: Any, q: Any) -> float:
    p, q = p / p.sum(), q / q.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0)
    return float(np.sum(terms))


def run_test(method: str, pair: Pair) -> tuple[float, float | None]:
    """(score, statistic): the score is the p-value or the distance the verdict reads."""
    np, special = numeric_modules()
    if method == "ks":
        from scipy import stats

        res = stats.ks_2samp(pair.ref, pair.cur)
        return float(res.pvalue), float(res.statistic)
    if method == "chisquare":
        rc, cc = _counts(np, pair)
        expected = rc * (len(pair.cur) / len(pair.ref))
        with np.errstate(divide="ignore", invalid="ignore"):
            chi = float(
                np.sum(np.where(expected > 0, (cc - expected) ** 2 / expected, np.where(cc > 0, np.inf, 0.0)))
            )
        return float(special.chdtrc(len(rc) - 1, chi)), chi  # chi2.sf
    if method == "z":
        pair.coded(np)
        if len(pair.keys) == 1:
            return 1.0, 0.0
        p1 = float(np.mean(pair.ref_codes != 0))
        p2 = float(np.mean(pair.cur_codes != 0))
        n1, n2 = len(pair.ref), len(pair.cur)
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
        return float(2 * (1 - special.ndtr(abs(z)))), z  # norm.cdf
    if method == "wasserstein":
        norm = max(float(np.std(pair.ref)), 0.001)
        return _wasserstein(np, pair.ref, pair.cur) / norm, None
    if method == "jensenshannon":
        rp, cp = binned(np, pair, fill=False)
        p, q = rp / rp.sum(), cp / cp.sum()
        m = (p + q) / 2
        js = (_entropy(np, p, m) + _entropy(np, q, m)) / 2
        return math.sqrt(max(js, 0.0)), None
    if method == "psi":
        rp, cp = binned(np, pair, fill=True)
        return float(np.sum((rp - cp) * np.log(rp / cp))), None
    if method == "kl_div":
        rp, cp = binned(np, pair, fill=True)
        return _entropy(np, rp, cp), None
    raise InputError(f"unknown drift method {method!r}; choose one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class ColumnPlan:
    """What to run on one column: the method and threshold, from flags or policy data."""

    method: str | None = None  # None: Evidently's default for the column
    threshold: float | None = None
    categorical: bool = False


@dataclass(frozen=True)
class DriftConfig:
    method: str | None = None
    threshold: float | None = None
    share: float = SHARE
    columns: tuple[str, ...] = ()
    per_column: dict[str, ColumnPlan] = field(default_factory=dict)
    sample_cap: int = SAMPLE_CAP
    version: str | None = None


def _finite(value: float | None, what: str) -> None:
    if value is not None and not math.isfinite(value):
        raise InputError(f"{what} {value} is not a finite number")


_SAMPLES: dict[tuple[int, int, int], Any] = {}


def _sample(np: Any, values: Any, cap: int, seed: int) -> Any:
    """A seeded sample without replacement; the indices are drawn once per (length, cap, seed)."""
    if len(values) <= cap:
        return values
    key = (len(values), cap, seed)
    if key not in _SAMPLES:
        idx = np.random.default_rng(seed).choice(len(values), size=cap, replace=False)
        idx.sort()
        _SAMPLES[key] = idx
    return values[_SAMPLES[key]]


def _categorical_pair(np: Any, ref: Column, cur: Column, cap: int) -> Pair:
    """Both samples coded over the sorted union of the categories they contain."""
    rc, rcats = ref.as_categorical(np)
    cc, ccats = cur.as_categorical(np)
    rc, cc = _sample(np, rc, cap, SAMPLE_SEED), _sample(np, cc, cap, SAMPLE_SEED + 1)
    keys = sorted(set(rcats) | set(ccats))
    index = {k: i for i, k in enumerate(keys)}
    r = np.array([index[c] for c in rcats], dtype=np.int64)[rc] if len(rc) else rc
    c = np.array([index[c] for c in ccats], dtype=np.int64)[cc] if len(cc) else cc
    present = (np.bincount(r, minlength=len(keys)) + np.bincount(c, minlength=len(keys))) > 0
    remap = np.cumsum(present) - 1
    kept = np.array(keys, dtype=object)[present]
    return Pair("categorical", r, c, keys=kept, ref_codes=remap[r], cur_codes=remap[c])


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _names(ref_cols: list[str], cur_cols: list[str], cfg: DriftConfig, current: Path) -> list[str]:
    if cfg.columns:
        missing = [n for n in cfg.columns if n not in ref_cols or n not in cur_cols]
        if missing:
            raise InputError(
                f"column(s) {', '.join(missing)} not in both datasets", position=Position(str(current), 1)
            )
        return list(cfg.columns)
    if set(ref_cols) != set(cur_cols):
        only_ref = sorted(set(ref_cols) - set(cur_cols))
        only_cur = sorted(set(cur_cols) - set(ref_cols))
        raise InputError(
            f"columns differ (only in reference: {', '.join(only_ref) or '-'}; only in current: "
            f"{', '.join(only_cur) or '-'}); name the columns to compare with --columns",
            position=Position(str(current), 1),
        )
    return list(ref_cols)


def compare_column(ref: Column, cur: Column, plan: ColumnPlan, cfg: DriftConfig) -> dict[str, Any]:
    """One column's verdict: method, statistic, score, threshold, drifted."""
    np, _ = numeric_modules()
    kind = "numeric" if ref.kind == cur.kind == "numeric" and not plan.categorical else "categorical"
    n_ref, n_cur = ref.present, cur.present  # before sampling (a table may hand over samples only)
    if n_ref == 0 or n_cur == 0:
        raise InputError(
            f"column {ref.name!r} has no values in {'the reference' if n_ref == 0 else 'the current'} data"
        )
    if kind == "numeric":
        cap = cfg.sample_cap
        pair = Pair(
            kind, _sample(np, ref.numeric, cap, SAMPLE_SEED), _sample(np, cur.numeric, cap, SAMPLE_SEED + 1)
        )
        n_values = (
            6
            if distinct_over(np, np.concatenate([pair.ref[:4096], pair.cur[:4096]]), 5)
            else len(np.unique(np.concatenate([pair.ref, pair.cur])))
        )
    else:
        pair = _categorical_pair(np, ref, cur, cfg.sample_cap)
        n_values = len(pair.keys)
    rv, cv = range(n_ref), range(n_cur)  # lengths only, for the report
    name = plan.method or cfg.method or default_method(kind, len(rv), n_values)
    method = METHODS.get(name)
    if method is None:
        raise InputError(
            f"unknown drift method {name!r} for column {ref.name!r}; choose one of {', '.join(METHODS)}"
        )
    if method.numeric_only and kind != "numeric":
        raise InputError(
            f"column {ref.name!r} is categorical; {name} needs numbers (choose chisquare, z, jensenshannon, psi or kl_div)"
        )
    threshold = (
        plan.threshold
        if plan.threshold is not None
        else cfg.threshold
        if (cfg.threshold is not None and plan.method is None)
        else method.threshold
    )
    score, statistic = run_test(name, pair)
    return {
        "kind": kind,
        "method": name,
        "method_name": method.display,
        "score_kind": method.kind,
        "score": score,
        "statistic": statistic if statistic is None or math.isfinite(statistic) else str(statistic),
        "threshold": threshold,
        "drifted": is_drift(method, score, threshold),
        "reference_values": len(rv),
        "current_values": len(cv),
        "sampled": bool(len(rv) > cfg.sample_cap or len(cv) > cfg.sample_cap),
    }


def drift_report(reference: Path, current: Path, cfg: DriftConfig) -> dict[str, Any]:
    """The drift report ``aigate drift`` writes and the DRIFT control reads (format aigate-drift/2)."""
    numeric_modules()
    _finite(cfg.threshold, "threshold")
    _finite(cfg.share, "drift share")
    for col, plan in cfg.per_column.items():
        _finite(plan.threshold, f"threshold for column {col!r}:")
    if cfg.method is not None and cfg.method not in METHODS:
        raise InputError(f"unknown drift method {cfg.method!r}; choose one of {', '.join(METHODS)}")
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)  # hashing releases the GIL: digests overlap the tests
    digests = [pool.submit(_digest, reference), pool.submit(_digest, current)]
    # Each table samples a column as soon as it is read (the same seeded draw compare_column would
    # make, so the statistics do not change): for CSV, the whole reference is read and reduced to
    # its samples before the current file is read, and one file's full columns at most are held.
    cap = cfg.sample_cap
    ref_t = open_table(reference, lambda np, v: _sample(np, v, cap, SAMPLE_SEED))
    cur_t = open_table(current, lambda np, v: _sample(np, v, cap, SAMPLE_SEED + 1))
    names = _names(ref_t.columns, cur_t.columns, cfg, current)
    if not names:
        raise InputError("no column to compare", position=Position(str(current), 1))
    features: dict[str, Any] = {}
    for name in names:
        plan = cfg.per_column.get(name, ColumnPlan())
        features[name] = compare_column(
            ref_t.column(name, plan.categorical), cur_t.column(name, plan.categorical), plan, cfg
        )
    drifted = sorted(n for n, r in features.items() if r["drifted"])
    share = len(drifted) / len(features)
    return {
        "format": "aigate-drift/2",
        "version": cfg.version,
        "reference": {"file": str(reference), "sha256": digests[0].result(), "rows": ref_t.rows},
        "current": {"file": str(current), "sha256": digests[1].result(), "rows": cur_t.rows},
        "sample_cap": cfg.sample_cap,
        "features": features,
        "drifted": drifted,
        "dataset": {
            "columns": len(features),
            "drifted_columns": len(drifted),
            "share": share,
            "share_threshold": cfg.share,
            "drifted": share >= cfg.share,
        },
    }
