"""``--format json``: the machine-readable contract of DESIGN.md.

At least: ``decision`` (pass/fail), ``maturity`` (per stream: ``level`` reached and ``required``),
``findings`` (each with ``control``, ``rule``, ``severity``, ``message``, ``evidence``/``declared``),
``summary`` (counts) and ``bundle`` (path and digest when written).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aigate.report.interface import ReportContext

SCHEMA_VERSION = "1"


def document(ctx: ReportContext) -> dict[str, Any]:
    d = ctx.decision
    return {
        "schema_version": SCHEMA_VERSION,
        "aigate_version": ctx.tool_version,
        "decision": d.verdict,
        "dry_run": d.dry_run,
        "fail_on_warn": d.fail_on_warn,
        "manifest": ctx.manifest_path,
        "maturity": {
            m.stream: {
                "level": m.level,
                "required": m.required,
                "meets": m.meets,
                "held_by": list(m.failing),
            }
            for m in d.maturity
        },
        "findings": [f.to_dict() for f in d.findings],
        "summary": asdict(d.summary),
        "waivers": d.meta.get("waivers", []),
        "evidence_time": d.meta.get("evidence_time"),
        "judged_at": d.meta.get("judged_at"),
        "policy_data_source": d.meta.get("policy_data_source"),
        "bundle": {"path": ctx.bundle.path, "digest": ctx.bundle.digest} if ctx.bundle else None,
        "notes": list(ctx.notes),
    }


def render(ctx: ReportContext) -> str:
    return json.dumps(document(ctx), indent=2, sort_keys=True) + "\n"
