"""SARIF 2.1.0: for GitHub code scanning and any SARIF viewer.

One ``reportingDescriptor`` per rule that produced a result, with help text, default level and the
control's regulatory references in ``properties``. Rule ids are unique and stable (see
:func:`aigate.report._common.rule_id`): code scanning tracks alerts by rule id and fingerprint, and
merges or rejects duplicate ids. Results sit at the manifest line a finding names, or at the
user-policy input file. Passes are not results (code scanning shows alerts, not checks); the run's
``properties`` carry the decision, the maturity per stream and the summary so nothing is lost.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from aigate.bundle import VERIFIER_ID
from aigate.findings import Basis, Finding, Severity
from aigate.report._common import (
    STREAM_NAMES,
    finding_references,
    fingerprints,
    is_user,
    place,
    references_text,
    rule_id,
    waiver_text,
)
from aigate.report.interface import ReportContext

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_REPORTED = (Severity.DENY, Severity.WARN, Severity.WAIVED, Severity.EXCEPTION)


def _level(f: Finding) -> str:
    if f.severity is Severity.DENY:
        return "error" if f.blocking else "warning"
    if f.severity is Severity.WARN:
        return "warning"
    return "note"


def _uri(file: str) -> dict[str, str]:
    p = PurePath(file)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": p.as_posix(), "uriBaseId": "%SRCROOT%"}


# GitHub code scanning ranks results of rules tagged "security" by ``security-severity`` (a CVSS-like
# score: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below 4.0 low). A blocking deny is high, an
# executable payload in a model file critical, an advisory deny or a warning medium, notes low.
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}
_CRITICAL_CONTROLS = frozenset({"MODELSAFE"})


def _security_severity(f: Finding, level: str) -> str:
    if level == "error" and f.control in _CRITICAL_CONTROLS:
        return "9.0"
    return _SECURITY_SEVERITY[level]


def _help_uri(f: Finding, ctx: ReportContext) -> str | None:
    """The built-in control's Rego source at this aigate version (the rule's documentation)."""
    if is_user(f) or ctx.control(f.control) is None:
        return None
    return f"{VERIFIER_ID}/blob/v{ctx.tool_version}/policies/aigate/controls/{f.control.lower()}.rego"


def _rule(f: Finding, ctx: ReportContext, level: str) -> dict[str, Any]:
    rid = rule_id(f)
    refs = finding_references(f, ctx)
    props: dict[str, Any] = {
        "tags": ["aigate", "security"],
        "security-severity": _security_severity(f, level),
    }
    if is_user(f):
        title = f"User policy {f.namespace or 'main'}: {f.rule}"
        description = (
            f"Rule `{f.rule}` of the user policy package `{f.namespace or 'main'}`, "
            "evaluated against the input files given with --input."
        )
        props["tags"].append("user-policy")
        props["namespace"] = f.namespace or "main"
    else:
        c = ctx.control(f.control)
        title = f"{f.control} {c.title}: {f.rule}" if c else f"{f.control}: {f.rule}"
        description = c.description if c and c.description else title
        props["control"] = f.control
        if c is not None:
            props["tags"].append(c.kind)
            props["kind"] = c.kind
            if c.level is not None and c.stream is not None:
                props["tags"] += [f"level-{c.level}", f"stream-{c.stream}"]
                props["level"] = c.level
                props["stream"] = c.stream
    if refs:
        props["references"] = {k: list(v) for k, v in sorted(refs.items())}
    help_md = [f"**{title}**", "", description]
    if refs:
        help_md += ["", "Regulatory references:"] + [
            f"- {k}: {', '.join(v)}" for k, v in sorted(refs.items())
        ]
    help_text = description + (f" References: {references_text(refs)}." if refs else "")
    help_uri = _help_uri(f, ctx)
    return {
        "id": rid,
        "name": "".join(part.capitalize() for part in rid.replace("-", "/").replace("_", "/").split("/")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": "\n".join(help_md)},
        **({"helpUri": help_uri} if help_uri else {}),
        "defaultConfiguration": {"level": level},
        "properties": props,
    }


def _result(f: Finding, ctx: ReportContext, rule_index: int, fingerprint: str) -> dict[str, Any]:
    p = place(f, ctx)
    physical: dict[str, Any] = {"artifactLocation": _uri(p.file)}
    region: dict[str, int] = {"startLine": p.line or 1}
    if p.column is not None:
        region["startColumn"] = p.column
    physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if p.pointer is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": p.pointer, "kind": "element"}]
    text = f.message
    if f.basis is Basis.DECLARED:
        text += " [declared only: checked against the manifest's declarations, not collected evidence]"
    if f.severity is Severity.DENY and not f.blocking:
        text += " [advisory: above the required maturity level, does not block]"
    props: dict[str, Any] = {
        "severity": f.severity.value,
        "basis": f.basis.value,
        "blocking": f.blocking,
    }
    if f.source:
        props["source"] = f.source
    result: dict[str, Any] = {
        "ruleId": rule_id(f),
        "ruleIndex": rule_index,
        "level": _level(f),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"aigateFindingHash/v1": fingerprint},
        "properties": props,
    }
    if f.severity is Severity.WAIVED:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": waiver_text(f.waiver)}
        ]
    elif f.severity is Severity.EXCEPTION:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": "policy exception rule matched"}
        ]
    return result


def sarif_log(ctx: ReportContext) -> dict[str, Any]:
    """The SARIF log as data (the tests validate this against the official 2.1.0 schema)."""
    d = ctx.decision
    reported = [f for f in d.findings if f.severity in _REPORTED]
    prints = fingerprints(reported, ctx)
    # Rule level: the most severe level any of its results carries, so the descriptor is honest.
    order = {"error": 0, "warning": 1, "note": 2}
    levels: dict[str, str] = {}
    firsts: dict[str, Finding] = {}
    for f in reported:
        rid = rule_id(f)
        firsts.setdefault(rid, f)
        lv = _level(f)
        if rid not in levels or order[lv] < order[levels[rid]]:
            levels[rid] = lv
    rule_ids = sorted(firsts)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    rules = [_rule(firsts[rid], ctx, levels[rid]) for rid in rule_ids]
    results = [_result(f, ctx, index[rule_id(f)], fp) for f, fp in zip(reported, prints, strict=True)]
    run_props: dict[str, Any] = {
        "decision": d.verdict,
        "dryRun": d.dry_run,
        "failOnWarn": d.fail_on_warn,
        "maturity": [
            {
                "stream": m.stream,
                "name": STREAM_NAMES.get(m.stream, m.stream),
                "level": m.level,
                "required": m.required,
                "meets": m.meets,
                "failing": list(m.failing),
            }
            for m in d.maturity
        ],
        "summary": {k: getattr(d.summary, k) for k in d.summary.__dataclass_fields__},
    }
    if ctx.bundle is not None:
        run_props["bundle"] = {"path": ctx.bundle.path, "digest": ctx.bundle.digest}
    if ctx.notes:
        run_props["notes"] = list(ctx.notes)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "aigate",
                "informationUri": VERIFIER_ID,
                "version": ctx.tool_version,
                "semanticVersion": ctx.tool_version,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": True}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": run_props,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(ctx: ReportContext) -> str:
    return json.dumps(sarif_log(ctx), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
