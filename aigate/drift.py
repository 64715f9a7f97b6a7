"""Drift between a reference and a current dataset (``aigate drift``), per feature.

Methods: ``psi`` (Population Stability Index over reference-quantile bins for numbers, over
categories for strings) and ``ks`` (two-sample Kolmogorov-Smirnov statistic, numbers only). The
report is the format the DRIFT control reads: ``{version, method, threshold, features: {name:
{score, drifted}}}``. Stdlib only: CSV in, JSON out, no data leaves the machine.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position

MAX_ROWS = 2_000_000
EPS = 1e-4


@dataclass(frozen=True)
class Column:
    name: str
    numeric: list[float]
    categorical: list[str]


def read_csv(path: Path) -> tuple[dict[str, list[str]], str]:
    if not path.is_file():
        raise InputError("dataset not found", position=Position(str(path)))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 at byte {exc.start}", position=Position(str(path))) from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty CSV (no header)", position=Position(str(path), 1)) from None
    if len(set(header)) != len(header):
        raise InputError("duplicate column names in the header", position=Position(str(path), 1))
    cols: dict[str, list[str]] = {h: [] for h in header}
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} fields, header has {len(header)}", position=Position(str(path), n))
        if n > MAX_ROWS:
            raise InputError(f"more than {MAX_ROWS} rows", position=Position(str(path), n))
        for h, v in zip(header, row, strict=True):
            cols[h].append(v)
    return cols, hashlib.sha256(raw).hexdigest()


def _as_numbers(values: list[str]) -> list[float] | None:
    out = []
    for v in values:
        if v.strip() == "":
            continue
        try:
            f = float(v)
        except ValueError:
            return None
        if math.isnan(f):
            continue
        out.append(f)
    return out


def psi_numeric(ref: list[float], cur: list[float], bins: int = 10) -> float:
    ref_sorted = sorted(ref)
    edges = sorted(
        {ref_sorted[min(len(ref_sorted) - 1, int(len(ref_sorted) * i / bins))] for i in range(1, bins)}
    )

    def dist(values: list[float]) -> list[float]:
        counts = [0] * (len(edges) + 1)
        for v in values:
            counts[bisect.bisect_right(edges, v)] += 1
        total = max(len(values), 1)
        return [max(c / total, EPS) for c in counts]

    return _psi(dist(ref), dist(cur))


def psi_categorical(ref: list[str], cur: list[str]) -> float:
    cats = sorted(set(ref) | set(cur))

    def dist(values: list[str]) -> list[float]:
        counts = Counter(values)
        total = max(len(values), 1)
        return [max(counts[c] / total, EPS) for c in cats]

    return _psi(dist(ref), dist(cur))


def _psi(p: list[float], q: list[float]) -> float:
    return sum((qi - pi) * math.log(qi / pi) for pi, qi in zip(p, q, strict=True))


def ks_statistic(ref: list[float], cur: list[float]) -> float:
    a, b = sorted(ref), sorted(cur)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    return d


def drift_report(
    reference: Path,
    current: Path,
    *,
    method: str = "psi",
    threshold: float = 0.2,
    features: list[str] | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    if method not in ("psi", "ks"):
        raise InputError(f"unknown drift method {method!r}; choose psi or ks")
    ref_cols, ref_digest = read_csv(reference)
    cur_cols, cur_digest = read_csv(current)
    names = features or [c for c in ref_cols if c in cur_cols]
    missing = [n for n in names if n not in ref_cols or n not in cur_cols]
    if missing:
        raise InputError(
            f"feature(s) {', '.join(missing)} not in both datasets", position=Position(str(current), 1)
        )
    out: dict[str, Any] = {}
    for name in names:
        rn, cn = _as_numbers(ref_cols[name]), _as_numbers(cur_cols[name])
        if not ref_cols[name] or not cur_cols[name]:
            raise InputError(f"feature {name!r} has no values", position=Position(str(current), 1))
        if rn is not None and cn is not None and rn and cn:
            score = psi_numeric(rn, cn) if method == "psi" else ks_statistic(rn, cn)
            kind = "numeric"
        elif method == "ks":
            raise InputError(f"feature {name!r} is not numeric; the KS test needs numbers (use --method psi)")
        else:
            score = psi_categorical(ref_cols[name], cur_cols[name])
            kind = "categorical"
        out[name] = {"score": round(score, 6), "drifted": score > threshold, "kind": kind}
    return {
        "version": version,
        "method": method,
        "threshold": threshold,
        "reference": {
            "file": str(reference),
            "sha256": ref_digest,
            "rows": len(next(iter(ref_cols.values()), [])),
        },
        "current": {
            "file": str(current),
            "sha256": cur_digest,
            "rows": len(next(iter(cur_cols.values()), [])),
        },
        "features": out,
        "drifted": sorted(n for n, r in out.items() if r["drifted"]),
    }
