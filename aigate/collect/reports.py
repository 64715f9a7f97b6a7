"""Reports the release supplies (``input.reports``): evaluation metrics, drift report, alert rules.

The metrics and drift files feed numeric thresholds, so a file that does not parse is an input
error (exit 2) naming its position. The alert rules file is checked as evidence by the ALERT
control ("rules file parses"), so a broken one is recorded as data and denied there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import AigateError, InputError
from aigate.paths import resolve_inside
from aigate.yamlload import Limits, decode_utf8, load_file, read_bounded

REPORT_LIMITS = Limits(max_bytes=16 * 1024 * 1024)


def _get(data: dict[str, Any], *keys: str) -> Any:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def load_report(root: Path, rel: str, what: str) -> Any:
    path = resolve_inside(root, rel, what=what)
    if not path.exists():
        return None
    docs = load_file(path, limits=REPORT_LIMITS, what=what, display=rel)
    return docs[0].data if docs else None


def evaluation_metrics(root: Path, rel: str, extra: Any) -> dict[str, Any] | None:
    """Metrics for MON from the metrics file and any LLM evaluation outputs (lm-eval, promptfoo)."""
    from aigate.ops.llmeval import merge

    parts = [(rel, load_report(root, rel, "evaluation metrics file"))]
    for more in extra if isinstance(extra, list) else []:
        parts.append((str(more), load_report(root, str(more), "LLM evaluation file")))
    present = [(r, d) for r, d in parts if d is not None]
    return merge(present) if present else None


def drift_evidence(root: Path, rel: str) -> dict[str, Any] | None:
    """The drift report in one shape (aigate's or Evidently's); DRIFT recomputes its verdicts."""
    from aigate.ops.evidently import normalise_drift_report

    data = load_report(root, rel, "drift report")
    return None if data is None else {"file": rel, **normalise_drift_report(data)}


MAX_RULES = 1000
MAX_EXPR = 8192
MAX_MAP_KEYS = 64
MAX_VALUE = 1024


def alert_rules(
    root: Path, rel: str, tests: Any = None, *, metrics: Any = None, dashboards: Any = None
) -> dict[str, Any]:
    """The rules file as evidence: parsed rules (severity, runbook), ``promtool check rules``, rule
    unit tests, and where the declared usage metrics are used (rules or Grafana dashboards)."""
    from concurrent.futures import ThreadPoolExecutor

    from aigate.ops.alerting import dashboard_queries, declared_metrics, usage
    from aigate.ops.promtool import check_rules, test_rules

    tests = tests if isinstance(tests, list) else []
    paths = [resolve_inside(root, str(t), what="alert rule test file") for t in tests]
    missing = [str(t) for t, p in zip(tests, paths, strict=True) if not p.is_file()]
    rules_path = resolve_inside(root, rel, what="alert rules file")
    # both promtool runs start before the rules are read (each is mostly process start-up);
    # `check rules` is reported only when the file parsed as YAML, as before
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="aigate-promtool") as pool:
        checked = pool.submit(check_rules, rules_path) if rules_path.is_file() else None
        tested = pool.submit(test_rules, paths) if paths and not missing else None
        summary, parsed = _alert_rules(root, rel)
        if summary["promtool"] is None:  # the file parsed as YAML
            result = checked.result() if checked is not None else {"result": "not-run"}
            summary["promtool"] = result["result"]
            if "output" in result:
                summary["promtool_output"] = result["output"]
        if missing:
            summary["tests"] = {
                "result": "fail",
                "files": len(paths),
                "output": f"missing: {', '.join(missing)}",
            }
        elif tested is not None:
            summary["tests"] = tested.result()
    boards: list[dict[str, Any]] = []
    queries: list[tuple[str, list[tuple[str, str]]]] = []
    for board in dashboards if isinstance(dashboards, list) else []:
        entry: dict[str, Any] = {"file": str(board), "exists": False, "parsed": False, "error": None}
        path = resolve_inside(root, str(board), what="dashboard")
        if path.is_file():
            entry["exists"] = True
            try:
                docs = load_file(path, limits=REPORT_LIMITS, what="Grafana dashboard", display=str(board))
            except InputError as exc:
                entry["error"] = exc.one_line()
            else:
                doc = docs[0].data if docs else None
                panels, found = dashboard_queries(doc)
                entry.update(parsed=isinstance(doc, dict), panels=panels, queries=len(found))
                if not isinstance(doc, dict):
                    entry["error"] = f"{board}: not a Grafana dashboard (a JSON object with panels)"
                queries.append((str(board), found))
        boards.append(entry)
    summary["dashboards"] = boards
    summary["metrics"] = usage(declared_metrics(metrics), parsed, queries)
    return summary


def _bounded_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    items = list(value.items())[:MAX_MAP_KEYS]
    return {
        str(k)[:MAX_VALUE]: (v[:MAX_VALUE] if isinstance(v, str) else v)
        for k, v in items
        if not isinstance(v, (dict, list))
    }


def _alert_rules(root: Path, rel: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the summary for input.reports.alerts, every rule as {file, name, record, expr} for usage)."""
    from aigate.ops.alerting import runbook

    path = resolve_inside(root, rel, what="alert rules file")
    summary: dict[str, Any] = {"file": rel, "parsed": False, "groups": 0, "rules": [], "error": None}
    every: list[dict[str, Any]] = []
    if not path.exists():
        summary["error"] = "file not found"
        summary["promtool"] = "not-run"
        return summary, every
    try:
        docs = load_file(path, limits=REPORT_LIMITS, what="alert rules file", display=rel)
    except InputError as exc:
        summary["error"] = exc.one_line()
        summary["promtool"] = "not-run"
        return summary, every
    data = docs[0].data if docs else None
    groups = _get(data, "groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        summary["error"] = f"{rel}: no 'groups' list (Prometheus rules format)"
    else:
        summary["parsed"] = True
        summary["groups"] = len(groups)
        total = 0
        for group in groups:
            for rule in (group.get("rules") or []) if isinstance(group, dict) else []:
                if not isinstance(rule, dict):
                    continue
                expr = str(rule.get("expr", ""))
                if rule.get("record"):
                    every.append({"file": rel, "name": str(rule["record"]), "record": True, "expr": expr})
                if not rule.get("alert"):
                    continue
                every.append({"file": rel, "name": str(rule["alert"]), "record": False, "expr": expr})
                total += 1
                if total > MAX_RULES:
                    continue
                labels = _bounded_map(rule.get("labels"))
                annotations = _bounded_map(rule.get("annotations"))
                severity = labels.get("severity")
                kind = labels.get("kind")
                summary["rules"].append(
                    {
                        "name": str(rule.get("alert"))[:MAX_VALUE],
                        "expr": expr[:MAX_EXPR],
                        "labels": labels,
                        "annotations": annotations,
                        "kind": kind if isinstance(kind, str) else None,
                        "severity": severity if isinstance(severity, str) else None,
                        "runbook": runbook(root, annotations),
                    }
                )
        summary["rules_total"] = total
    summary["promtool"] = None  # run by alert_rules, beside the parsing
    return summary, every


MAX_SAMPLE_ERRORS = 20
RBAC_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
ANONYMOUS = ("system:anonymous", "system:unauthenticated")


def io_log_sample(
    root: Path,
    sample_rel: str,
    schema_rel: str,
    policy_data: dict[str, Any] | None = None,
    model_version: Any = None,
) -> dict[str, Any] | None:
    """The sample I/O log (JSON Lines) as evidence: every record validated against the declared
    log schema, and what IOLOG requires of a record (:mod:`aigate.ops.iolog`)."""
    from aigate.ops.iolog import analyse_sample
    from aigate.yamlload import size_limit

    sample_path = resolve_inside(root, sample_rel, what="I/O log sample")
    schema_path = resolve_inside(root, schema_rel, what="I/O log schema")
    if not sample_path.is_file() or not schema_path.is_file():
        return None  # the IOLOG control reports the missing file from input.files
    schema_doc = load_file(schema_path, limits=REPORT_LIMITS, what="I/O log schema", display=schema_rel)[
        0
    ].data
    cap = Limits(max_bytes=size_limit("io_log_sample", policy_data))
    raw = read_bounded(sample_path, limits=cap, what="I/O log sample", display=sample_rel)
    config = (policy_data or {}).get("io_logging")
    return analyse_sample(
        decode_utf8(raw, sample_rel),
        schema_doc,
        sample_rel=sample_rel,
        schema_rel=schema_rel,
        expected_version=str(model_version) if model_version is not None else None,
        config=config if isinstance(config, dict) else None,
    )


def _has_star(values: Any) -> bool:
    return isinstance(values, list) and any(v == "*" for v in values)


def kubernetes_grants(root: Path, rels: list[str]) -> dict[str, Any]:
    """Wildcard RBAC grants and anonymous bindings in the Kubernetes manifests the release ships."""
    grants: list[dict[str, Any]] = []
    documents = 0
    for rel in rels:
        path = resolve_inside(root, rel, what="Kubernetes manifest")
        if not path.is_file():
            continue
        for doc in load_file(path, limits=REPORT_LIMITS, what="Kubernetes manifest", display=rel):
            data = doc.data
            if not isinstance(data, dict):
                continue
            documents += 1
            kind = str(data.get("kind", ""))
            name = str((data.get("metadata") or {}).get("name", "?"))
            line = doc.position("").line
            if kind in RBAC_KINDS:
                for i, rule in enumerate(data.get("rules") or []):
                    if not isinstance(rule, dict):
                        continue
                    stars = [
                        k
                        for k in ("verbs", "resources", "apiGroups", "nonResourceURLs")
                        if _has_star(rule.get(k))
                    ]
                    if stars:
                        grants.append(
                            {
                                "file": rel,
                                "line": line,
                                "kind": kind,
                                "name": name,
                                "detail": f"rules[{i}] {', '.join(stars)}: *",
                            }
                        )
            elif kind in BINDING_KINDS:
                role = (data.get("roleRef") or {}).get("name")
                for subject in data.get("subjects") or []:
                    if isinstance(subject, dict) and subject.get("name") in ANONYMOUS:
                        grants.append(
                            {
                                "file": rel,
                                "line": line,
                                "kind": kind,
                                "name": name,
                                "detail": f"binds {subject.get('name')} to {role}",
                            }
                        )
                if role == "cluster-admin":
                    grants.append(
                        {
                            "file": rel,
                            "line": line,
                            "kind": kind,
                            "name": name,
                            "detail": "binds cluster-admin (every verb on every resource)",
                        }
                    )
    return {"documents": documents, "wildcard_grants": grants}


class ReportsCollector(Collector):
    key = "reports"

    def collect(self, ctx: CollectContext) -> Evidence:
        m = ctx.manifest
        metrics_rel = _get(m, "evaluation", "metrics")
        drift_rel = _get(m, "monitoring", "drift", "report")
        alerts_rel = _get(m, "monitoring", "alerts", "rules")
        files: dict[str, bytes] = {}
        sample_rel = _get(m, "monitoring", "io_logging", "sample")
        schema_rel = _get(m, "monitoring", "io_logging", "schema")
        k8s = _get(m, "access", "kubernetes_manifests")
        from concurrent.futures import ThreadPoolExecutor

        # the alert rules (two promtool processes) on a thread while the other reports are read
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigate-alerts") as pool:
            alerts = (
                pool.submit(
                    alert_rules,
                    ctx.root,
                    alerts_rel,
                    _get(m, "monitoring", "alerts", "tests"),
                    metrics=_get(m, "monitoring", "metrics"),
                    dashboards=_get(m, "monitoring", "dashboards"),
                )
                if alerts_rel
                else None
            )
            data: dict[str, Any] = {
                "metrics": evaluation_metrics(ctx.root, metrics_rel, _get(m, "evaluation", "llm"))
                if metrics_rel
                else None,
                "drift": drift_evidence(ctx.root, drift_rel) if drift_rel else None,
                "alerts": None,
            }
            later: AigateError | None = None  # raised after the alert rules' own error, in file order
            try:
                data["io_log_sample"] = (
                    io_log_sample(
                        ctx.root, sample_rel, schema_rel, ctx.policy_data, _get(m, "model", "version")
                    )
                    if sample_rel and schema_rel
                    else None
                )
                data["kubernetes"] = (
                    kubernetes_grants(ctx.root, [str(p) for p in k8s])
                    if isinstance(k8s, list) and k8s
                    else None
                )
            except AigateError as exc:
                later = exc
            if alerts is not None:
                data["alerts"] = alerts.result()
            if later is not None:
                raise later
        return Evidence(self.key, data, files)
