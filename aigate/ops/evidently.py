"""Drift reports as evidence: aigate's own and Evidently's, normalised to one shape for DRIFT.

Understood shapes:

* aigate's own (``aigate drift``): ``aigate-drift/2`` (method and threshold per column) and the
  older one-method shape ``{method, threshold, features: {name: {score, drifted}}}``;
* Evidently's legacy ``Report.as_dict()`` / ``json()``: ``metrics[].result.drift_by_columns``;
* Evidently 0.7 snapshots (``Report.run(...).dict()`` / ``save_json``): ``ValueDrift`` metrics
  with ``config.column``, ``config.method`` (its display name), ``config.threshold`` and ``value``.

Each feature becomes ``{method, method_name, score, threshold, drifted}`` where ``drifted`` is the
report's own claim (``None`` when the shape has none, as in 0.7 snapshots). The DRIFT control never
trusts that claim: it recomputes the verdict from the score, the method and policy data, and
denies when the two disagree. The report's ``version`` is kept only for aigate's own reports;
Evidently's ``version`` is its library version, never the model's.
"""

from __future__ import annotations

from typing import Any

from aigate.ops.drift import BY_DISPLAY, METHODS


def _method(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    if name in METHODS:
        return name
    found = BY_DISPLAY.get(name)
    return found.name if found else None


def _feature(method_name: Any, score: Any, threshold: Any, drifted: Any) -> dict[str, Any]:
    return {
        "method": _method(method_name),
        "method_name": method_name if isinstance(method_name, str) else None,
        "score": score if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        "threshold": threshold if isinstance(threshold, (int, float)) else None,
        "drifted": drifted if isinstance(drifted, bool) else None,
    }


def _own(data: dict[str, Any]) -> dict[str, Any]:
    top_method, top_threshold = data.get("method"), data.get("threshold")
    features = {}
    for name, r in (data.get("features") or {}).items():
        r = r if isinstance(r, dict) else {}
        features[str(name)] = _feature(
            r.get("method", top_method), r.get("score"), r.get("threshold", top_threshold), r.get("drifted")
        )
    found = data.get("dataset")
    dataset: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "format": str(data.get("format", "aigate-drift/1")),
        "version": data.get("version") if isinstance(data.get("version"), str) else None,
        "features": features,
        "dataset_drifted": dataset.get("drifted") if isinstance(dataset.get("drifted"), bool) else None,
    }


def _legacy(metrics: list[Any]) -> dict[str, Any] | None:
    features: dict[str, Any] = {}
    dataset_drift = None
    seen = False
    for m in metrics:
        result = m.get("result") if isinstance(m, dict) else None
        if not isinstance(result, dict):
            continue
        if isinstance(result.get("dataset_drift"), bool):
            dataset_drift = result["dataset_drift"]
        by_col = result.get("drift_by_columns")
        if isinstance(by_col, dict):
            seen = True
            for name, r in by_col.items():
                r = r if isinstance(r, dict) else {}
                features[str(name)] = _feature(
                    r.get("stattest_name"),
                    r.get("drift_score"),
                    r.get("stattest_threshold"),
                    r.get("drift_detected"),
                )
    if not seen:
        return None
    return {
        "format": "evidently-legacy",
        "version": None,
        "features": features,
        "dataset_drifted": dataset_drift,
    }


def _snapshot(metrics: list[Any]) -> dict[str, Any] | None:
    features: dict[str, Any] = {}
    for m in metrics:
        config = m.get("config") if isinstance(m, dict) else None
        if not isinstance(config, dict) or not str(config.get("type", "")).endswith(":ValueDrift"):
            continue
        name = config.get("column")
        if isinstance(name, str):
            features[name] = _feature(config.get("method"), m.get("value"), config.get("threshold"), None)
    if not features:
        return None
    return {"format": "evidently-0.7", "version": None, "features": features, "dataset_drifted": None}


def normalise_drift_report(data: Any) -> dict[str, Any]:
    """One shape for the DRIFT control, whichever tool wrote the report."""
    if isinstance(data, dict) and isinstance(data.get("features"), dict):
        return _own(data)
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if isinstance(metrics, list):
        found = _legacy(metrics) or _snapshot(metrics)
        if found is not None:
            return found
    return {"format": "unknown", "version": None, "features": {}, "dataset_drifted": None}
