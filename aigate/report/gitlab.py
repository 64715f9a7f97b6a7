"""GitLab Code Quality JSON (``artifacts:reports:codequality``): findings in the merge request.

GitLab compares the report of the merge request with the target branch's by ``fingerprint``, so a
fingerprint must stay the same across runs while the finding is the same: it hashes the rule, the
namespace and the place (file + JSON pointer), not the line number (which moves when unrelated
lines are edited) nor the message (which may carry counts, dates or digests). See
:func:`aigate.report._common.fingerprints`. Passes are not issues and are left out.

Severity: blocking denial ``critical`` (``blocker`` would be no more informative and GitLab sorts
both first), warning ``major`` (``critical`` with ``--fail-on-warn``), advisory denial ``minor``,
waived / excepted ``info``.
"""

from __future__ import annotations

import json
from typing import Any

from aigate.findings import Basis, Finding, Severity
from aigate.report._common import (
    finding_references,
    fingerprints,
    one_line,
    place,
    references_text,
    rule_id,
    waiver_text,
)
from aigate.report.interface import ReportContext

_REPORTED = (Severity.DENY, Severity.WARN, Severity.WAIVED, Severity.EXCEPTION)


def _severity(f: Finding, fail_on_warn: bool) -> str:
    if f.severity is Severity.DENY:
        return "critical" if f.blocking else "minor"
    if f.severity is Severity.WARN:
        return "critical" if fail_on_warn else "major"
    return "info"


def _description(f: Finding, ctx: ReportContext) -> str:
    text = f"{rule_id(f)}: {one_line(f.message)}"
    if f.severity is Severity.DENY and not f.blocking:
        text += " [advisory: above the required level, does not block]"
    if f.basis is Basis.DECLARED:
        text += " [declared only]"
    if f.severity is Severity.WAIVED:
        text += f" [waived: {waiver_text(f.waiver)}]"
    elif f.severity is Severity.EXCEPTION:
        text += " [policy exception]"
    return text


def issues(ctx: ReportContext) -> list[dict[str, Any]]:
    """The Code Quality issues as data, in decision order."""
    reported = [f for f in ctx.decision.findings if f.severity in _REPORTED]
    out: list[dict[str, Any]] = []
    for f, fp in zip(reported, fingerprints(reported, ctx), strict=True):
        p = place(f, ctx)
        refs = finding_references(f, ctx)
        issue: dict[str, Any] = {
            "type": "issue",
            "check_name": rule_id(f),
            "description": _description(f, ctx),
            "categories": ["Security"],  # Code Climate's closed list has no "compliance"
            "severity": _severity(f, ctx.decision.fail_on_warn),
            "fingerprint": fp,
            "location": {"path": p.file, "lines": {"begin": p.line or 1}},
        }
        if refs:
            issue["content"] = {"body": f"Regulatory references: {references_text(refs)}"}
        out.append(issue)
    return out


def render(ctx: ReportContext) -> str:
    return json.dumps(issues(ctx), indent=2, ensure_ascii=False) + "\n"
