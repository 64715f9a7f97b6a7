"""Reports the release supplies (``input.reports``): evaluation metrics, drift report, alert rules.

The metrics and drift files feed numeric thresholds, so a file that does not parse is an input
error (exit 2) naming its position. The alert rules file is checked as evidence by the ALERT
control ("rules file parses"), so a broken one is recorded as data and denied there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from aigate.collect.interface import CollectContext, Collector, Evidence
from aigate.errors import InputError
from aigate.paths import resolve_inside
from aigate.yamlload import Limits, load_file

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


def alert_rules(root: Path, rel: str) -> dict[str, Any]:
    path = resolve_inside(root, rel, what="alert rules file")
    summary: dict[str, Any] = {"file": rel, "parsed": False, "groups": 0, "rules": [], "error": None}
    if not path.exists():
        summary["error"] = "file not found"
        summary["promtool"] = "absent"
        return summary
    try:
        docs = load_file(path, limits=REPORT_LIMITS, what="alert rules file", display=rel)
    except InputError as exc:
        summary["error"] = exc.one_line()
        summary["promtool"] = "absent"
        return summary
    data = docs[0].data if docs else None
    groups = _get(data, "groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        summary["error"] = f"{rel}: no 'groups' list (Prometheus rules format)"
    else:
        summary["parsed"] = True
        summary["groups"] = len(groups)
        for group in groups:
            for rule in (group.get("rules") or []) if isinstance(group, dict) else []:
                if isinstance(rule, dict) and rule.get("alert"):
                    summary["rules"].append(
                        {
                            "name": str(rule.get("alert")),
                            "expr": str(rule.get("expr", "")),
                            "labels": rule.get("labels") or {},
                            "annotations": rule.get("annotations") or {},
                        }
                    )
    promtool = shutil.which("promtool")
    if promtool is None:
        summary["promtool"] = "absent"
    else:
        proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        summary["promtool"] = "pass" if proc.returncode == 0 else "fail"
        if proc.returncode != 0:
            summary["promtool_output"] = (proc.stdout + proc.stderr).strip()[-500:]
    return summary


class ReportsCollector(Collector):
    key = "reports"

    def collect(self, ctx: CollectContext) -> Evidence:
        m = ctx.manifest
        metrics_rel = _get(m, "evaluation", "metrics")
        drift_rel = _get(m, "monitoring", "drift", "report")
        alerts_rel = _get(m, "monitoring", "alerts", "rules")
        files: dict[str, bytes] = {}
        data = {
            "metrics": load_report(ctx.root, metrics_rel, "evaluation metrics file") if metrics_rel else None,
            "drift": load_report(ctx.root, drift_rel, "drift report") if drift_rel else None,
            "alerts": alert_rules(ctx.root, alerts_rel) if alerts_rel else None,
        }
        return Evidence(self.key, data, files)
