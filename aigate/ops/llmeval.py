"""Evaluation outputs LLM teams already produce, as MON metrics.

Understood shapes (detected from the document, never from the file name):

* a generic metrics file: ``{"metrics": {"auc": 0.93, ...}}`` (or a flat mapping of numbers);
* lm-evaluation-harness ``results.json``: ``{"results": {task: {"acc,none": 0.61,
  "acc_stderr,none": ...}}}`` -> ``task/acc`` (a non-default filter is kept: ``task/exact_match@strict-match``;
  standard errors and aliases are not metrics);
* promptfoo ``promptfoo eval -o out.json``: ``{"results": {"results": [...], "stats": {...}}}`` ->
  ``promptfoo/pass_rate`` and, per assertion type or named metric, the mean score over all test
  cases (``promptfoo/context-faithfulness``, ``promptfoo/factuality``, ``promptfoo/answer-relevance``,
  ``promptfoo/context-relevance``, ``promptfoo/context-recall``, ...).

The policies then gate these names with ``thresholds.metric_minimums``/``metric_maximums`` and compare
them with the previous release's bundle (``metric-regression``), like any other metric.
"""

from __future__ import annotations

import math
from typing import Any

NOT_METRICS = ("alias", "samples", "name", "sample_len", "sample_count")


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _lm_eval(results: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for task, metrics in results.items():
        if not isinstance(metrics, dict):
            continue
        for key, value in metrics.items():
            name, _, filt = str(key).partition(",")
            num = _number(value)
            if num is None or name in NOT_METRICS or name.endswith("_stderr"):
                continue
            suffix = f"@{filt}" if filt and filt != "none" else ""
            out[f"{task}/{name}{suffix}"] = num
    return out


def _promptfoo(doc: dict[str, Any]) -> dict[str, float]:
    found_rows, found_stats = doc.get("results"), doc.get("stats")
    rows: list[Any] = found_rows if isinstance(found_rows, list) else []
    stats: dict[str, Any] = found_stats if isinstance(found_stats, dict) else {}
    out: dict[str, float] = {}
    passed, failed = _number(stats.get("successes")), _number(stats.get("failures"))
    if passed is not None and failed is not None and passed + failed > 0:
        out["promptfoo/pass_rate"] = passed / (passed + failed)
    scores: dict[str, list[float]] = {}
    for row in rows:
        grading = row.get("gradingResult") if isinstance(row, dict) else None
        for comp in (grading or {}).get("componentResults") or []:
            if not isinstance(comp, dict):
                continue
            found = comp.get("assertion")
            assertion: dict[str, Any] = found if isinstance(found, dict) else {}
            label = assertion.get("metric") or assertion.get("type")
            score = _number(comp.get("score"))
            if isinstance(label, str) and score is not None:
                scores.setdefault(label, []).append(score)
    for label, values in sorted(scores.items()):
        out[f"promptfoo/{label}"] = sum(values) / len(values)
    return out


def detect(doc: Any) -> str:
    if not isinstance(doc, dict):
        return "unknown"
    results = doc.get("results")
    if isinstance(results, dict) and isinstance(results.get("results"), list):
        return "promptfoo"
    if isinstance(results, dict) and results and all(isinstance(v, dict) for v in results.values()):
        return "lm-evaluation-harness"
    return "generic"


def normalise_metrics(doc: Any) -> dict[str, Any]:
    """``{"format", "metrics": {name: number}}`` for MON, whichever tool wrote ``doc``."""
    kind = detect(doc)
    if kind == "promptfoo":
        metrics = _promptfoo(doc["results"])
    elif kind == "lm-evaluation-harness":
        metrics = _lm_eval(doc["results"])
    elif kind == "generic":
        src = doc.get("metrics") if isinstance(doc.get("metrics"), dict) else doc
        metrics = {str(k): float(v) for k, v in src.items() if _number(v) is not None}
    else:
        metrics = {}
    return {"format": kind, "metrics": metrics}


def merge(parts: list[tuple[str, Any]]) -> dict[str, Any]:
    """Several evaluation files as one metrics document (a name defined twice keeps the first)."""
    metrics: dict[str, float] = {}
    sources = []
    for rel, doc in parts:
        norm = normalise_metrics(doc)
        sources.append({"file": rel, "format": norm["format"], "metrics": len(norm["metrics"])})
        for name, value in norm["metrics"].items():
            metrics.setdefault(name, value)
    return {"metrics": metrics, "sources": sources}
